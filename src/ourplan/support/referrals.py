"""Referrals and signposting: making them, moving their status, and recording needs no service met.

Status follows a FHIR ServiceRequest-like life: sent -> accepted or declined; accepted -> attended or
finished; attended -> finished. `transition` is the ONE place that decides what may follow what."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.models import Person
from ourplan.support import goals, postcodes
from ourplan.support.models import Category, Referral, Service, UnmetNeed

Status = Referral.Status
ALLOWED: dict[str, set[str]] = {
    Status.SENT: {Status.ACCEPTED, Status.DECLINED},
    Status.ACCEPTED: {Status.ATTENDED, Status.FINISHED},
    Status.ATTENDED: {Status.FINISHED},
    Status.DECLINED: set(),
    Status.FINISHED: set(),
}
# ServiceRequest.status (a required binding) for each of our statuses.
FHIR_STATUS = {Status.SENT: "active", Status.ACCEPTED: "active", Status.ATTENDED: "active",
               Status.DECLINED: "revoked", Status.FINISHED: "completed"}
NO_ANSWER_AFTER = timedelta(days=14)


def check_transition(current: str, new: str) -> None:
    if new not in Status.values:
        raise ActionError("Choose a status", field="status")
    if new == current:
        raise ActionError(f"This referral is already {Status(current).label.lower()}", field="status")
    if new not in ALLOWED[current]:
        allowed = ", ".join(Status(s).label.lower() for s in sorted(ALLOWED[current])) or "nothing (it is closed)"
        raise ActionError(f"A referral that is {Status(current).label.lower()} cannot become "
                          f"{Status(new).label.lower()}. It can become: {allowed}", field="status")


@transaction.atomic
def do_make_referral(
    actor: User, person: Person, *, kind: str, reason: str, service: Service | None = None, to_name: str = "",
    consent_given: bool = False, goal_public_id: UUID | str | None = None,
) -> Referral:
    if kind not in Referral.Kind.values:
        raise ActionError("Choose referral or signposting", field="kind")
    if service is None and not to_name.strip():
        raise ActionError("Choose a service from the directory, or name who the referral is to", field="to_name")
    if not reason.strip():
        raise ActionError("Enter the reason for the referral", field="reason")
    goal_words = ""
    if goal_public_id:
        goal = goals.goal_in_plan(person, goal_public_id)
        goal_public_id, goal_words = goal.public_id, goal.person_words
    if kind == Referral.Kind.REFERRAL and not consent_given:
        # Signposting only gives the person information; a referral shares their details with a service.
        raise ActionError("The person agreed to this referral: tick the box to confirm, or signpost instead",
                          field="consent_given")
    referral = Referral.objects.create(
        person=person, service=service, to_name=to_name.strip(), kind=kind, reason=reason.strip(),
        consent_given=consent_given, created_by=actor, goal_public_id=goal_public_id,
    )
    audit.record(actor, AuditAction.CREATE, "Referral", referral.public_id, person=person.public_id,
                 basis=AccessBasis.DIRECT_CARE, detail={"kind": kind, "service": str(service.public_id)
                                                        if service else to_name,
                                                        "goal": str(goal_public_id) if goal_words else ""})
    return referral


def with_goal_words(person: Person, items: Iterable[Referral]) -> list[Referral]:
    """The referrals, each with `goal_words`: the person's own words for the goal it came from, or ""."""
    rows = list(items)
    words = goals.words_by_id(person, (r.goal_public_id for r in rows))
    for r in rows:
        r.goal_words = words.get(r.goal_public_id, "") if r.goal_public_id else ""  # type: ignore[attr-defined]
    return rows


@transaction.atomic
def do_update_referral(actor: User, referral: Referral, expected_version: int, *, status: str = "",
                       outcome: str | None = None, feedback: str | None = None) -> Referral:
    """Move the status (if given, checked by `check_transition`) and record outcome and feedback."""
    changes: dict[str, object] = {}
    if status and status != referral.status:
        check_transition(referral.status, status)
        changes["status"] = status
        changes[f"{status}_at"] = timezone.now()
    if outcome is not None and outcome.strip() != referral.outcome:
        changes["outcome"] = outcome.strip()
    if feedback is not None and feedback.strip() != referral.feedback:
        changes["feedback"] = feedback.strip()
    if not changes:
        raise ActionError("Nothing has changed: choose a new status or write the outcome", field="status")
    from ourplan.core.versioning import apply_versioned_update

    apply_versioned_update(referral, expected_version, changes)
    audit.record(actor, AuditAction.UPDATE, "Referral", referral.public_id, person=referral.person.public_id,
                 basis=AccessBasis.DIRECT_CARE, detail={"fields": sorted(changes), "status": referral.status})
    return referral


def no_answer(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Sent more than two weeks ago and still waiting for the service's answer."""
    return referrals.filter(status=Status.SENT, sent_at__lt=timezone.now() - NO_ANSWER_AFTER)


@transaction.atomic
def do_record_unmet_need(actor: User, *, category: str, description: str, area: str = "",
                         person: Person | None = None) -> UnmetNeed:
    if category not in Category.values:
        raise ActionError("Choose the kind of need", field="category")
    if not description.strip():
        raise ActionError("Describe the need no service fitted", field="description")
    district = postcodes.district_of(area) if area.strip() else ""
    if area.strip() and not district:
        raise ActionError(f"'{area}' is not a postcode or postcode district", field="area")
    need = UnmetNeed.objects.create(category=category, description=description.strip(), area=district,
                                    person=person, recorded_by=actor)
    audit.record(actor, AuditAction.CREATE, "UnmetNeed", need.public_id,
                 person=person.public_id if person else None, basis=AccessBasis.DIRECT_CARE,
                 detail={"category": category, "area": district})
    return need
