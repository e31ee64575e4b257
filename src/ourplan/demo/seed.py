"""Seeding a demo practice: generate people in memory in chunks and write each chunk with bulk_create.

Person i's demographics, conditions, results and public ids all come from stream(seed, "person", i), so the
same --people and --seed give the same data (for the same "today"), and a smaller seed is a prefix of a
larger one. The only cross-person state is the set of NHS numbers already used, redrawn on a clash."""

from __future__ import annotations

import time as clock
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ourplan.clinical.models import Condition, Observation, PersonTarget
from ourplan.clinical.terminology import MEASURES, condition_names
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent, User
from ourplan.demo import featured
from ourplan.demo.conditions import ConditionSpec, choose_conditions
from ourplan.demo.names import NameMaker
from ourplan.demo.population import PersonSpec, make_person
from ourplan.demo.practice import check_usernames_free, create_practice, demo_users
from ourplan.demo.reset import delete_demo_data, demo_data_exists
from ourplan.demo.results import UK, Profile, Reading, results_for
from ourplan.demo.rng import DEMO_SOURCE, stream, uuid4
from ourplan.demo.slots import create_demo_slots
from ourplan.people import nhs_number
from ourplan.people.models import Consent, Organisation, Person, RelatedPerson

CHUNK = 1000  # people generated and written at a time: bounds memory (about 15 results each)
BATCH = 2000
# Clinic readings are entered by the HCA, questionnaires and peak flow by the nurse; lab results by nobody.
_HCA_MEASURES = frozenset({"bp", "weight", "bmi", "height"})
_NURSE_MEASURES = frozenset({"peak_flow", "peak_flow_best", "phq9", "gad7"})


@dataclass
class SeedResult:
    people: int
    conditions: int
    observations: int
    seconds: float
    practice: Organisation
    register_people: dict[str, int] = field(default_factory=dict)  # register -> people on it
    reset_rows: int = 0


@dataclass
class _Generated:
    spec: PersonSpec
    conditions: list[ConditionSpec]
    readings: list[Reading]
    ids: Iterator[uuid.UUID]  # public ids for this person's rows, from the person's stream


class DemoExists(Exception):
    """Demo data is already present and --reset was not given."""


def seed_demo(
    people: int, seed: int, *, reset: bool = False, today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    started = clock.perf_counter()
    today = today or timezone.localdate()
    with transaction.atomic():
        reset_rows = 0
        if reset:
            reset_rows = sum(delete_demo_data().values())
        elif demo_data_exists():
            raise DemoExists("Demo data already exists. Run seed-demo with --reset to replace it.")
        check_usernames_free()
        users = demo_users(seed)
        practice = create_practice(seed, users)
        counts = _seed_people(people, seed, today, practice, users, progress)
        # 18 months of care planning rounds, plans, reviews and the commissioner login (demo/history.py), for
        # the insight dashboards. Imported here so the seed's imports stay as they were.
        from ourplan.demo.history import seed_history

        seed_history(practice, users, seed, today)
        # Review tasks for the plans the history left with a review date, as the daily job would make them.
        from ourplan.coordination.actions import create_due_review_tasks

        create_due_review_tasks()
        # Slots start tomorrow in real time (a diary in the past is of no use), whatever --today says.
        create_demo_slots(practice, timezone.localdate())
        result = SeedResult(
            people=people, conditions=counts[0], observations=counts[1], seconds=0.0, practice=practice,
            register_people=register_counts(), reset_rows=reset_rows,
        )
        result.seconds = clock.perf_counter() - started
        # One summary event rather than one per row: the seed is a single system action.
        AuditEvent.objects.create(
            actor=None, actor_label="seed-demo (system)", action=AuditAction.IMPORT,
            entity_type="Organisation", entity_id=str(practice.public_id), basis=AccessBasis.SYSTEM,
            detail={
                "what": "demo data seeded", "people": people, "seed": seed, "today": today.isoformat(),
                "conditions": result.conditions, "observations": result.observations, "reset": reset,
                "seconds": round(result.seconds, 1),
            },
        )
    return result


def register_counts() -> dict[str, int]:
    rows = (
        Condition.objects.filter(person__source_system=DEMO_SOURCE).exclude(register="")
        .values("register").annotate(n=Count("person", distinct=True))
    )
    return {row["register"]: row["n"] for row in rows}


def _seed_people(
    count: int, seed: int, today: date, practice: Organisation, users: dict[str, User],
    progress: Callable[[str], None] | None,
) -> tuple[int, int]:
    used: set[str] = {n for n in Person.objects.values_list("nhs_number", flat=True) if n}
    names = NameMaker()
    now = timezone.now()
    n_conditions = n_observations = 0
    for start in range(0, count, CHUNK):
        generated = [_generate(i, seed, today, names, used) for i in range(start, min(start + CHUNK, count))]
        rows = [_person_row(g.spec, practice, now) for g in generated]
        if start == 0:
            rows[0].user = users[featured.PERSON_USERNAME]
        Person.objects.bulk_create(rows, batch_size=BATCH)
        if rows[0].pk is None:  # SQLite 3.35+ and PostgreSQL return the new keys from a bulk insert
            raise RuntimeError("seed-demo needs a database that returns ids from bulk_create")
        conditions = [
            _condition_row(g, person.pk, c, now) for g, person in zip(generated, rows, strict=True)
            for c in g.conditions
        ]
        Condition.objects.bulk_create(conditions, batch_size=BATCH)
        observations = [
            _observation_row(g, person.pk, r, now, users) for g, person in zip(generated, rows, strict=True)
            for r in g.readings
        ]
        Observation.objects.bulk_create(observations, batch_size=BATCH)
        if start == 0:
            _featured_extras(rows[0], users, today, seed)
        n_conditions += len(conditions)
        n_observations += len(observations)
        if progress:
            progress(f"{min(start + CHUNK, count):,} people, {n_observations:,} results")
    return n_conditions, n_observations


def _generate(index: int, seed: int, today: date, names: NameMaker, used: set[str]) -> _Generated:
    rng = stream(seed, "person", index)
    number = nhs_number.generate(rng)
    while number in used:
        number = nhs_number.generate(rng)
    used.add(number)
    if index == 0:
        spec = featured.person_spec(uuid4(rng), number, today)
        conditions = featured.person_conditions(today)
        readings = featured.person_results(today)
    else:
        names.seed(f"{seed}:{index}")
        spec = make_person(index, rng, names, number, today)
        conditions = choose_conditions(rng, spec.age, spec.date_of_birth, today)
        readings = results_for(rng, Profile.of(spec.age, spec.sex, today, conditions))
    return _Generated(spec, conditions, readings, iter(lambda: uuid4(rng), None))


def _person_row(spec: PersonSpec, practice: Organisation, now: datetime) -> Person:
    return Person(
        public_id=spec.public_id, created_at=now, updated_at=now, source_system=DEMO_SOURCE,
        nhs_number=spec.nhs_number, given_name=spec.given_name, family_name=spec.family_name,
        date_of_birth=spec.date_of_birth, sex=spec.sex, address=spec.address, postcode=spec.postcode,
        phone=spec.phone, email=spec.email, preferred_contact=spec.preferred_contact,
        preferred_language=spec.preferred_language, interpreter_needed=spec.interpreter_needed,
        accessible_formats=spec.accessible_formats, communication_notes=spec.communication_notes,
        practice=practice,
    )


def _condition_row(g: _Generated, person_id: int, c: ConditionSpec, now: datetime) -> Condition:
    return Condition(
        public_id=next(g.ids), created_at=now, updated_at=now, source_system=DEMO_SOURCE, person_id=person_id,
        code=c.code, display=condition_names(c.code)[0], register=c.register, onset_date=c.onset,
        recorded_date=c.onset,
    )


def _observation_row(
    g: _Generated, person_id: int, r: Reading, now: datetime, users: dict[str, User]
) -> Observation:
    measure = MEASURES[r.measure]
    recorder = (
        users["hca"] if r.measure in _HCA_MEASURES else users["clinician"] if r.measure in _NURSE_MEASURES
        else None
    )
    return Observation(
        public_id=next(g.ids), created_at=now, updated_at=now, source_system=DEMO_SOURCE, person_id=person_id,
        measure=r.measure, code=measure.code, display=measure.display, value=r.value, value2=r.value2,
        unit=measure.unit, effective_at=r.at, source=r.source, recorded_by=recorder,
    )


def _featured_extras(person: Person, users: dict[str, User], today: date, seed: int) -> None:
    """Margaret's HbA1c target and her daughter's carer record and consent."""
    rng = stream(seed, "featured")
    clinician = users["clinician"]
    PersonTarget.objects.create(
        public_id=uuid4(rng), person=person, measure="hba1c", comparator="<=", value=53,
        reason=featured.HBA1C_TARGET_REASON, set_by=clinician, source_system=DEMO_SOURCE,
    )
    carer = RelatedPerson.objects.create(
        public_id=uuid4(rng), person=person, user=users[featured.CARER_USERNAME], source_system=DEMO_SOURCE,
        **featured.CARER,
    )
    consent_day = today - timedelta(days=120)
    Consent.objects.create(
        public_id=uuid4(rng), person=person, related_person=carer, can_contribute=True,
        starts_at=datetime.combine(consent_day, time(10, 30), tzinfo=UK),
        recorded_by=clinician,
    )
    from ourplan.demo.sharing import seed_sharing

    seed_sharing(person, person.practice, users, seed, today)
