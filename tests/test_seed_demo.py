"""`ourplan seed-demo`: deterministic, valid, realistic demo data, the fixed demo logins, and a --reset that
still works once people have used the demo (audit events point at the demo users)."""

from __future__ import annotations

import hashlib
import math
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.utils import timezone

from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.targets import target_for
from ourplan.clinical.terminology import MEASURES
from ourplan.clinical.validation import check_value
from ourplan.core import audit
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent, User
from ourplan.demo.conditions import MODEL_BY_KEY
from ourplan.demo.rng import DEMO_SOURCE
from ourplan.people import nhs_number
from ourplan.people.models import Consent, Organisation, Person, RelatedPerson, StaffMember


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The seed hashes the demo password once; MD5 keeps that instant in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(people: int = 300, seed: int = 11, *, reset: bool = False, today: date | None = None) -> str:
    out = StringIO()
    # Tests run with DEBUG off, as production does, so they must say this is deliberate.
    call_command(
        "seed-demo", people=people, seed=seed, reset=reset, today=today, allow_without_debug=True, stdout=out
    )
    return out.getvalue()


def digest() -> str:
    """A fingerprint of everything generated: people, conditions and results, with their public ids."""
    h = hashlib.sha256()
    people = Person.objects.filter(source_system=DEMO_SOURCE).order_by("nhs_number")
    for row in people.values_list(
        "public_id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "address", "postcode",
        "phone", "email", "preferred_contact", "preferred_language", "interpreter_needed", "accessible_formats",
    ):
        h.update(repr(row).encode())
    conditions = Condition.objects.order_by("person__nhs_number", "code")
    for row in conditions.values_list("public_id", "person__nhs_number", "code", "register", "onset_date"):
        h.update(repr(row).encode())
    observations = Observation.objects.order_by("person__nhs_number", "measure", "effective_at")
    for row in observations.values_list(
        "public_id", "person__nhs_number", "measure", "value", "value2", "effective_at", "source"
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


def test_the_command_is_found_under_its_hyphenated_name():
    assert get_commands()["seed-demo"] == "ourplan.demo"
    assert load_command_class("ourplan.demo", "seed-demo").help


def test_same_seed_gives_identical_data_and_another_seed_does_not(db):
    today = timezone.localdate()
    seed(300, 11, today=today)
    first = digest()
    seed(300, 11, reset=True, today=today)
    assert digest() == first
    seed(300, 12, reset=True, today=today)
    assert digest() != first


def test_a_smaller_seed_is_a_prefix_of_a_larger_one(db):
    today = timezone.localdate()
    seed(40, 3, today=today)
    small = list(Person.objects.order_by("pk").values_list("public_id", "nhs_number", "family_name"))
    seed(120, 3, reset=True, today=today)
    large = list(Person.objects.order_by("pk").values_list("public_id", "nhs_number", "family_name"))
    assert large[:40] == small


def test_demo_logins_have_their_roles_and_links(db):
    output = seed()
    practice = Organisation.objects.get(source_system=DEMO_SOURCE, kind=Organisation.Kind.GP_PRACTICE)
    assert practice.kind == Organisation.Kind.GP_PRACTICE and practice.ods_code and practice.postcode
    for username in ("clinician", "hca", "admin"):
        membership = StaffMember.objects.get(practitioner__user__username=username)
        assert membership.role == username
        assert membership.organisation == practice and membership.active
    for username in ("clinician", "hca", "admin", "person", "carer", "clinicnurse", "districtnurse", "aedoctor"):
        user = User.objects.get(username=username)
        assert user.is_active and user.check_password(settings.OURPLAN_DEMO_PASSWORD)
        assert username in output
    assert "http://127.0.0.1:8000/" in output and "demo" in output

    person = Person.objects.get(user__username="person")
    assert person.practice == practice
    registers = set(person.conditions.exclude(register="").values_list("register", flat=True))
    assert len(registers) >= 3 and {"DM", "HYP"} <= registers

    carer = RelatedPerson.objects.get(user__username="carer")
    assert carer.person == person and carer.relationship == RelatedPerson.Relationship.CARER
    assert Consent.objects.filter(Consent.in_force_q(), related_person=carer, person=person).exists()


def test_the_demo_person_has_an_hba1c_falling_but_above_target(db):
    seed()
    person = Person.objects.get(user__username="person")
    hba1c = list(person.observations.filter(measure="hba1c").order_by("effective_at"))
    assert len(hba1c) >= 4 and hba1c[-1].value < hba1c[0].value
    target = target_for(
        "hba1c", ["DM"], age=person.age, overrides={t.measure: t for t in person.target_overrides.all()}
    )
    assert target is not None and target.met_by(hba1c[-1].value) is False
    bp = person.observations.filter(measure="bp").latest("effective_at")
    assert bp.value < 150 and bp.value2 is not None and bp.value2 < 90
    assert person.observations.filter(measure="peak_flow_best").exists()
    phq9 = list(person.observations.filter(measure="phq9").order_by("effective_at").values_list("value", flat=True))
    assert phq9[-1] < phq9[0]


def test_every_nhs_number_is_valid_unique_and_in_the_test_range(db):
    seed()
    numbers = list(Person.objects.values_list("nhs_number", flat=True))
    assert len(numbers) == 300 == len(set(numbers))
    assert all(nhs_number.is_valid(n) and n.startswith("999") for n in numbers)


def test_every_result_is_plausible_coded_and_in_canonical_units(db):
    seed()
    now = timezone.now()
    observations = list(Observation.objects.all())
    assert len(observations) > 1000
    for obs in observations:
        measure = MEASURES[obs.measure]
        checked = check_value(obs.measure, obs.value, obs.unit, obs.value2)  # raises if implausible
        assert checked.value == obs.value and obs.unit == measure.unit
        assert (obs.code, obs.display) == (measure.code, measure.display)
        assert obs.source in {"clinic", "lab"} and obs.effective_at <= now
        if obs.measure == "bp":
            assert obs.value2 is not None and obs.value2 < obs.value
        if obs.measure in {"phq9", "gad7", "hba1c"}:
            assert obs.value == obs.value.to_integral_value()


def test_everyone_on_a_register_has_the_results_that_monitor_it(db):
    seed(600, 8)
    monitoring = {"DM": "hba1c", "HYP": "bp", "AST": "peak_flow", "COPD": "peak_flow", "DEPR": "phq9",
                  "CKD": "egfr", "CHD": "cholesterol"}
    for register, measure in monitoring.items():
        people = set(Condition.objects.filter(register=register).values_list("person_id", flat=True))
        measured = set(Observation.objects.filter(measure=measure).values_list("person_id", flat=True))
        assert people and people <= measured, (register, measure)


def test_bmi_agrees_with_weight_and_height(db):
    seed()
    heights = dict(Observation.objects.filter(measure="height").values_list("person_id", "value"))
    bmis = {(o.person_id, o.effective_at): o.value for o in Observation.objects.filter(measure="bmi")}
    weights = list(Observation.objects.filter(measure="weight"))
    assert weights
    for w in weights:
        metres = heights[w.person_id] / 100
        assert abs(bmis[(w.person_id, w.effective_at)] - w.value / (metres * metres)) <= Decimal("0.06")


def test_ckd_results_match_the_coded_stage(db):
    seed(1500, 4)
    stages = {"700378005": (45, 59), "700379002": (30, 44), "431857002": (15, 29)}
    ckd = Condition.objects.filter(register="CKD").select_related("person")
    assert ckd.exists()
    for condition in ckd:
        low, high = stages[condition.code]
        latest = condition.person.observations.filter(measure="egfr").latest("effective_at")
        assert low <= latest.value <= high


def test_prevalence_is_close_to_uk_figures_at_3000_people(db):
    n = 3000
    seed(n, 5)
    on = {
        key: set(Condition.objects.filter(register=key).values_list("person_id", flat=True))
        for key in ("HYP", "DM", "AST", "CKD", "COPD", "CHD", "HF", "DEPR", "AF", "STRK")
    }
    for key, people in on.items():
        target = MODEL_BY_KEY[key].target
        tolerance = 4 * math.sqrt(target * (1 - target) / n) + 0.003  # loose: about 4 standard errors
        assert abs(len(people) / n - target) <= tolerance, (key, len(people) / n, target)
    # Conditions overlap: diabetes is far commoner among people with hypertension than overall.
    assert len(on["DM"] & on["HYP"]) / len(on["HYP"]) > 2 * len(on["DM"]) / n
    type2 = Condition.objects.filter(code="44054006").count()
    assert 0.8 <= type2 / len(on["DM"]) <= 0.97


def test_seeding_writes_one_summary_audit_event(db):
    seed()
    events = AuditEvent.objects.filter(action=AuditAction.IMPORT, basis=AccessBasis.SYSTEM)
    assert events.count() == 1
    assert events.get().detail["people"] == 300


def test_reset_twice_after_the_demo_has_been_used(db):
    seed()
    clinician = User.objects.get(username="clinician")
    person = Person.objects.get(user__username="person")
    audit.record(clinician, AuditAction.READ, "Person", person.public_id, person=person.public_id,
                 basis=AccessBasis.DIRECT_CARE)
    # Someone registered during the demo belongs to the demo practice and goes with it.
    Person.objects.create(family_name="Added-in-demo", practice=person.practice)
    events = set(AuditEvent.objects.values_list("pk", flat=True))
    summaries = AuditEvent.objects.filter(actor=None, action=AuditAction.IMPORT).count()

    seed(reset=True)
    seed(reset=True)

    assert User.objects.get(username="clinician").pk == clinician.pk  # reused, so the audit trail holds
    assert AuditEvent.objects.filter(actor=clinician, action=AuditAction.READ).count() == 1
    # Audit events survive resets; each seed adds its summary (and the sharing story's own audited actions).
    assert events <= set(AuditEvent.objects.values_list("pk", flat=True))
    assert AuditEvent.objects.filter(actor=None, action=AuditAction.IMPORT).count() == summaries + 2
    assert Person.objects.count() == 300 and not Person.objects.filter(family_name="Added-in-demo").exists()
    assert Organisation.objects.count() == 4  # the practice, the clinic, the community nurses, the A&E
    assert Person.objects.get(user__username="person").pk != person.pk


def test_seeding_again_without_reset_is_refused(db):
    seed(50)
    with pytest.raises(CommandError, match="--reset"):
        seed(50)


def test_refuses_to_run_without_debug_unless_told(db):
    with pytest.raises(CommandError, match="OURPLAN_DEBUG"):
        call_command("seed-demo", people=10, seed=1, stdout=StringIO())


def test_never_takes_over_a_superuser_called_admin(db):
    User.objects.create_superuser("admin", password="my-own-long-password")
    with pytest.raises(CommandError, match="admin"):
        seed(20)
    assert User.objects.get(username="admin").check_password("my-own-long-password")
