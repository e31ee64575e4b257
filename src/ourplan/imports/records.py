"""Writing imported records, shared by the FHIR and CSV importers: create or update by source key with
change detection (so a re-import reports "unchanged" instead of touching the row), versioned updates (so an
import never silently overwrites an edit made at the same moment), and one audit event per person-data
record created or updated."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from django.db import models
from django.utils import timezone

from ourplan.clinical.models import Observation
from ourplan.clinical.terminology import MEASURES
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent, SourcedModel, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.imports.report import Outcome
from ourplan.people.models import Organisation, Person

M = TypeVar("M", bound=SourcedModel)

SourceKey = tuple[str, str]

# A result dated more than this far ahead is a typing or clock error, not a reading.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class ImportContext:
    """Who is importing. `label` names the process in the audit trail when there is no signed-in user."""

    actor: User | None
    label: str


@dataclass
class Saved(Generic[M]):
    obj: M
    outcome: Outcome
    changed: list[str]


def fit_key(system: str, source_id: str) -> SourceKey:
    """Keys longer than the columns are hashed rather than cut, so two long keys can never collide."""
    if len(source_id) > 200:
        source_id = "sha256:" + hashlib.sha256(source_id.encode()).hexdigest()
    if len(system) > 200:
        system = "sha256:" + hashlib.sha256(system.encode()).hexdigest()
    return system, source_id


def find_by_key(model: type[M], key: SourceKey) -> M | None:
    if not key[1]:
        return None
    # The unique indexes on (source_system, source_id) are partial (source_id != ""): saying so lets SQLite
    # use them instead of scanning the table, which made every import of a result slower as results grew.
    return model._default_manager.filter(source_system=key[0], source_id=key[1]).exclude(source_id="").first()


def _current(obj: models.Model, name: str, value: Any) -> tuple[Any, Any]:
    """(stored value, wanted value) in comparable form: foreign keys compare by primary key."""
    if isinstance(value, models.Model) or (value is None and _is_fk(obj, name)):
        return getattr(obj, f"{name}_id"), value.pk if value is not None else None
    return getattr(obj, name), value


def _is_fk(obj: models.Model, name: str) -> bool:
    try:
        return isinstance(obj._meta.get_field(name), models.ForeignKey)
    except Exception:
        return False


def check_lengths(model: type[models.Model], fields: dict[str, Any]) -> None:
    """Refuse a value too long for its column with a clear message (PostgreSQL would refuse it with a
    database error; SQLite would silently keep it)."""
    for name, value in fields.items():
        if not isinstance(value, str):
            continue
        field = model._meta.get_field(name)
        limit = getattr(field, "max_length", None)
        if limit and len(value) > limit:
            raise ActionError(f"{name.replace('_', ' ')} is longer than {limit} characters", field=name)


def save(model: type[M], existing: M | None, fields: dict[str, Any], key: SourceKey | None = None) -> Saved[M]:
    """Create the record, or update `existing` with the fields that differ. `key` is set on create, and
    on update only if the record has no source key yet and nobody else holds it (a record first entered
    by hand, or by another importer, keeps the key it has)."""
    check_lengths(model, fields)
    if existing is None:
        extra = {"source_system": key[0], "source_id": key[1]} if key else {}
        obj = model._default_manager.create(**fields, **extra)
        return Saved(obj, Outcome.CREATED, sorted(fields))
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        stored, wanted = _current(existing, name, value)
        if stored != wanted:
            changes[name] = value
    if key and not existing.source_id and find_by_key(model, key) is None:
        changes.update(source_system=key[0], source_id=key[1])
    if not changes:
        return Saved(existing, Outcome.UNCHANGED, [])
    apply_versioned_update(existing, existing.version, changes)
    return Saved(existing, Outcome.UPDATED, sorted(changes))


def audit_saved(ctx: ImportContext, saved: Saved[Any], person: Person, detail: dict[str, Any]) -> None:
    """One "import" audit event for a person-data record that was created or updated."""
    if saved.outcome not in (Outcome.CREATED, Outcome.UPDATED):
        return
    actor = ctx.actor if ctx.actor is not None and ctx.actor.is_authenticated else None
    audit.record_many([
        AuditEvent(
            actor=actor,
            actor_label=audit.actor_label(actor) if actor else ctx.label,
            action=AuditAction.IMPORT,
            entity_type=type(saved.obj).__name__,
            entity_id=str(saved.obj.public_id),
            person_id_ref=person.public_id,
            basis=AccessBasis.SYSTEM,
            detail={**detail, "outcome": saved.outcome.value, "fields": saved.changed},
        )
    ])


def aware(value: date | datetime) -> datetime:
    """A date (taken as midnight) or naive datetime in Ourplan's time zone; aware datetimes unchanged."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


def check_not_future(when: datetime, what: str, field: str) -> None:
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ActionError(f"{what} {when:%Y-%m-%d} is in the future", field=field)


def organisation_by_ods(ods_code: str) -> Organisation | None:
    code = ods_code.strip().upper()
    return Organisation.objects.filter(ods_code=code).first() if code else None


def require_practice(ods_code: str | None) -> Organisation | None:
    """The --practice organisation, which must already exist (people registered at a practice nobody
    can find would be invisible to every member of staff)."""
    if not ods_code:
        return None
    org = organisation_by_ods(ods_code)
    if org is None:
        raise ActionError(
            f"No organisation with ODS code {ods_code.strip().upper()} is in Ourplan. Import the practice "
            "first (a FHIR Organization with that ODS code), or check the code"
        )
    return org


def name_for_person(person: Person) -> str:
    return person.formal_name or "(no name)"


def describe_result(obs: Observation) -> str:
    """"bp 142/94 mmHg on 2023-08-10": what a report line shows of a result."""
    measure = MEASURES[obs.measure]
    if measure.coded:
        return f"{obs.measure} {obs.value_display or obs.value_code}"
    first = f"{obs.value.normalize():f}" if obs.value is not None else "?"
    second = f"/{obs.value2.normalize():f}" if obs.value2 is not None else ""
    return f"{obs.measure} {first}{second} {measure.unit_label} on {timezone.localtime(obs.effective_at):%Y-%m-%d}"
