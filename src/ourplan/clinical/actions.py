"""Every change to conditions, results and targets goes through these functions (acting user, transaction,
audit row)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ourplan.clinical.models import Condition, Observation, PersonTarget
from ourplan.clinical.terminology import MEASURES, SNOMED, condition_names, register_for_code
from ourplan.clinical.validation import check_value
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.models import Person


def _basis(actor: User | None) -> AccessBasis:
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


@transaction.atomic
def do_add_condition(
    actor: User | None, person: Person, code: str, *, display: str = "", system: str = SNOMED,
    clinical_status: str = Condition.ClinicalStatus.ACTIVE, onset_date: date | None = None,
) -> Condition:
    if not code.strip().isdigit():
        raise ActionError(f"'{code}' is not a SNOMED CT concept id", field="code")
    existing = Condition.objects.filter(person=person, code_system=system, code=code).first()
    if existing is not None:
        return existing
    condition = Condition.objects.create(
        person=person, code=code, code_system=system, display=display or condition_names(code)[0],
        register=register_for_code(code), clinical_status=clinical_status, onset_date=onset_date,
        recorded_date=timezone.localdate(),
    )
    audit.record(actor, AuditAction.CREATE, "Condition", condition.public_id, person=person.public_id,
                 basis=_basis(actor))
    return condition


@transaction.atomic
def do_record_observation(
    actor: User | None, person: Person, measure: str, value: object, unit: str | None, *,
    value2: object = None, effective_at: datetime | None = None, source: str = Observation.Source.CLINIC,
) -> Observation:
    """Record a result after checking unit and plausibility (raises ActionError with a clear message)."""
    checked = check_value(measure, value, unit, value2)
    when = effective_at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        raise ActionError("The date of a result cannot be in the future", field="effective_at")
    obs = Observation.objects.create(
        person=person, measure=measure, code=checked.measure.code, display=checked.measure.display,
        value=checked.value, value2=checked.value2, unit=checked.unit, effective_at=when, source=source,
        recorded_by=actor,
    )
    audit.record(actor, AuditAction.CREATE, "Observation", obs.public_id, person=person.public_id,
                 basis=_basis(actor))
    return obs


@transaction.atomic
def do_set_target(
    actor: User | None, person: Person, measure: str, comparator: str, value: Decimal,
    value2: Decimal | None = None, *, reason: str,
) -> PersonTarget:
    if not reason.strip():
        raise ActionError("Say why this person's target differs from the usual one", field="reason")
    if comparator not in PersonTarget.Comparator.values:
        raise ActionError("Choose how the result compares with the target", field="comparator")
    check_value(measure, value, MEASURES[measure].unit, value2)
    target, _ = PersonTarget.objects.update_or_create(
        person=person, measure=measure,
        defaults={"comparator": comparator, "value": value, "value2": value2, "reason": reason, "set_by": actor},
    )
    audit.record(actor, AuditAction.UPDATE, "PersonTarget", target.public_id, person=person.public_id,
                 basis=_basis(actor), detail={"measure": measure})
    return target
