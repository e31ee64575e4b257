"""Moving a care planning cycle forward. The only code that sets stage timestamps.

Each stage is set once: marking it again changes nothing (so a retried job or a double click is
harmless), and a stage that needs an earlier one refuses until that has happened."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.models import Person
from ourplan.recall.models import STAGE_LABELS, STAGES, CarePlanningCycle

# Which stage must have happened before each one. Invitation is optional before the later stages
# (opportunistic reviews happen), but preparation needs results, and an agreed plan needs a conversation.
REQUIRES: dict[str, str] = {
    "preparation_sent": "information_gathered",
    "preparation_opened": "preparation_sent",
    "plan_agreed": "conversation_held",
    "plan_shared": "plan_agreed",
}


def _basis(actor: User | None) -> AccessBasis:
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


def open_cycle(person: Person) -> CarePlanningCycle | None:
    return CarePlanningCycle.objects.filter(person=person, status=CarePlanningCycle.Status.OPEN).first()


@transaction.atomic
def do_start_cycle(
    actor: User | None, person: Person, *, priority: str = CarePlanningCycle.Priority.ROUTINE,
    priority_reason: str = "", registers: list[str] | None = None,
) -> CarePlanningCycle:
    """Start a cycle for `person`, or return the open one (one combined review per person, whatever the
    number of conditions)."""
    existing = open_cycle(person)
    if existing is not None:
        return existing
    if person.practice_id is None:
        raise ActionError("This person is not registered at a practice, so no practice can run their review")
    cycle = CarePlanningCycle.objects.create(
        person=person, practice_id=person.practice_id, priority=priority, priority_reason=priority_reason,
        registers=registers or [], started_by=actor,
    )
    audit.record(actor, AuditAction.CREATE, "CarePlanningCycle", cycle.public_id, person=person.public_id,
                 basis=_basis(actor))
    return cycle


@transaction.atomic
def do_mark_stage(
    actor: User | None, cycle: CarePlanningCycle, stage: str, *, at: datetime | None = None,
) -> CarePlanningCycle:
    """Record that `stage` happened (now, or at `at`). Idempotent; refuses out-of-order stages."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage}")
    given = cycle
    # Lock the row so two workers marking the same stage cannot both write it.
    cycle = CarePlanningCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.status != CarePlanningCycle.Status.OPEN:
        raise ActionError("This care planning round is closed")
    if cycle.stage_at(stage) is not None:
        return cycle
    needed = REQUIRES.get(stage)
    if needed and cycle.stage_at(needed) is None:
        raise ActionError(f"'{STAGE_LABELS[stage]}' needs '{STAGE_LABELS[needed]}' first")
    when = at or timezone.now()
    CarePlanningCycle.objects.filter(pk=cycle.pk).update(**{f"{stage}_at": when}, updated_at=timezone.now())
    setattr(cycle, f"{stage}_at", when)
    setattr(given, f"{stage}_at", when)
    audit.record(actor, AuditAction.UPDATE, "CarePlanningCycle", cycle.public_id,
                 person=cycle.person.public_id, basis=_basis(actor), detail={"stage": stage})
    return cycle


@transaction.atomic
def do_set_review_due(actor: User | None, cycle: CarePlanningCycle, due: date) -> CarePlanningCycle:
    if due <= timezone.localdate():
        raise ActionError("The review date must be in the future", field="review_due")
    CarePlanningCycle.objects.filter(pk=cycle.pk).update(review_due=due, updated_at=timezone.now())
    cycle.review_due = due
    audit.record(actor, AuditAction.UPDATE, "CarePlanningCycle", cycle.public_id,
                 person=cycle.person.public_id, basis=_basis(actor), detail={"review_due": due.isoformat()})
    return cycle


@transaction.atomic
def do_close_cycle(actor: User | None, cycle: CarePlanningCycle, *, cancelled: bool = False) -> CarePlanningCycle:
    status = CarePlanningCycle.Status.CANCELLED if cancelled else CarePlanningCycle.Status.COMPLETED
    now = timezone.now()
    CarePlanningCycle.objects.filter(pk=cycle.pk).update(status=status, closed_at=now, updated_at=now)
    cycle.status, cycle.closed_at = status, now
    audit.record(actor, AuditAction.UPDATE, "CarePlanningCycle", cycle.public_id,
                 person=cycle.person.public_id, basis=_basis(actor), detail={"status": status})
    return cycle
