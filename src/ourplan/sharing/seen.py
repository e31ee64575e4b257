"""Reading the audit trail back: "who has seen my record" for the person, and the practice admin's search.
Both read AuditEvent rows only; nothing here writes except the audit of the reading itself (in the views)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ourplan.core.models import AccessBasis, AuditAction, AuditEvent
from ourplan.people.models import Person

# What happened, in the person's words, by (action, entity type); the action alone as a fallback.
_WHAT: dict[tuple[str, str], str] = {
    (AuditAction.READ, "Person"): "looked at your record",
    (AuditAction.CREATE, "CarePlan"): "started your care plan",
    (AuditAction.UPDATE, "CarePlan"): "changed your care plan",
    (AuditAction.READ, "Observation"): "looked at your results",
    (AuditAction.CREATE, "Observation"): "added a result or reading",
    (AuditAction.IMPORT, "Observation"): "added results from another system",
    (AuditAction.CREATE, "Communication"): "sent you a message",
    (AuditAction.CREATE, "SupportAlert"): "told your care team something needs attention",
    (AuditAction.UPDATE, "SupportAlert"): "dealt with an alert about you",
    (AuditAction.CREATE, "Consent"): "recorded who can see your plan",
    (AuditAction.UPDATE, "Consent"): "changed who can see your plan",
    (AuditAction.CREATE, "CareTeamMember"): "added someone to your care team",
    (AuditAction.UPDATE, "CareTeamMember"): "changed your care team",
    (AuditAction.READ, "PreparationPack"): "looked at your results pack",
    (AuditAction.CREATE, "PreparationPack"): "made your results pack",
    (AuditAction.DOWNLOAD, "PreparationPack"): "downloaded your results letter",
    (AuditAction.READ, "Appointment"): "looked at your appointments",
    (AuditAction.CREATE, "Appointment"): "booked an appointment for you",
    (AuditAction.CREATE, "QuestionnaireResponse"): "recorded answers to a questionnaire",
    (AuditAction.READ, "PlanReview"): "looked at your plan reviews",
    (AuditAction.CREATE, "PlanReview"): "started a review of your plan",
    (AuditAction.UPDATE, "PlanReview"): "reviewed your plan",
    (AuditAction.READ, "Referral"): "looked at your referrals",
    (AuditAction.CREATE, "Referral"): "referred you to a service",
    (AuditAction.CREATE, "CarePlanningCycle"): "started your care planning",
    (AuditAction.UPDATE, "CarePlanningCycle"): "moved your care planning on",
    (AuditAction.READ, "CarePlan"): "looked at your care plan",
    (AuditAction.DOWNLOAD, "CarePlan"): "downloaded your care plan",
    (AuditAction.READ, "CareTeam"): "looked at your care team",
    (AuditAction.READ, "Task"): "looked at a task in your plan",
    (AuditAction.UPDATE, "Task"): "updated a task in your plan",
    (AuditAction.CREATE, "Task"): "gave someone a task in your plan",
    (AuditAction.CREATE, "BreakGlass"): "used emergency access to open your record",
}
_ACTION: dict[str, str] = {
    AuditAction.READ: "looked at your record", AuditAction.SEARCH: "found you in a search",
    AuditAction.CREATE: "added to your record", AuditAction.UPDATE: "changed your record",
    AuditAction.DELETE: "removed something from your record", AuditAction.IMPORT: "imported results into your record",
    AuditAction.DOWNLOAD: "downloaded part of your record",
    AuditAction.DENIED: "tried to open your record but was not allowed",
}
_WHY: dict[str, str] = {
    AccessBasis.DIRECT_CARE: "Your GP practice",
    AccessBasis.CARE_TEAM: "Your care team, because you shared your record",
    AccessBasis.CONSENT: "Someone you shared your record with",
    AccessBasis.EMERGENCY: "Emergency access",
    AccessBasis.SYSTEM: "An automatic process",
    AccessBasis.NONE: "Not allowed",
}


@dataclass(frozen=True)
class SeenRow:
    at: datetime
    who: str
    what: str
    why: str
    emergency: bool
    denied: bool


def describe(event: AuditEvent) -> SeenRow:
    what = _WHAT.get((event.action, event.entity_type)) or _ACTION.get(event.action, event.action)
    return SeenRow(at=event.at, who=event.actor_label, what=what, why=_WHY.get(event.basis, event.basis),
                   emergency=event.basis == AccessBasis.EMERGENCY, denied=event.action == AuditAction.DENIED)


def _who(person: Person, actor_ids: set[int]) -> dict[int, str]:
    """How the person knows each actor: their role and organisation, or how they are related. Never a
    login name: that means nothing to the person."""
    from ourplan.people.models import RelatedPerson, StaffMember

    labels: dict[int, str] = {}
    for r in RelatedPerson.objects.filter(person=person, user_id__in=actor_ids):
        labels[r.user_id] = f"{r}, your {r.get_relationship_display().lower()}"  # type: ignore[index]
    roles = (StaffMember.objects.filter(practitioner__user_id__in=actor_ids)
             .select_related("practitioner", "organisation").order_by("-active", "pk"))
    for s in roles:
        user_id = s.practitioner.user_id if s.practitioner else None
        if user_id is not None and user_id not in labels:
            labels[user_id] = f"{s.practitioner}, {s.job_title or s.get_role_display()}, {s.organisation}"
    return labels


def _plain_name(label: str) -> str:
    """'Megan Jones (clinician)' -> 'Megan Jones': the audit label keeps the login for auditors only."""
    return label.rsplit(" (", 1)[0] if label.endswith(")") else label


def seen_by_others(person: Person, *, limit: int = 200) -> list[SeenRow]:
    """Everything others did with the person's record, newest first (the person's own actions left out)."""
    events = AuditEvent.objects.filter(person_id_ref=person.public_id)
    if person.user_id:
        events = events.exclude(actor_id=person.user_id)
    rows = list(events.order_by("-at")[:limit])
    labels = _who(person, {e.actor_id for e in rows if e.actor_id})
    seen = []
    for e in rows:
        row = describe(e)
        who = "Ourplan (automatic)" if e.actor_id is None else labels.get(e.actor_id, _plain_name(e.actor_label))
        seen.append(SeenRow(row.at, who, row.what, row.why, row.emergency, row.denied))
    return seen


@dataclass(frozen=True)
class AuditQuery:
    nhs_number: str = ""
    user: str = ""
    action: str = ""
    basis: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def search(scope_people: QuerySet[Person], scope_user_ids: list[int], query: AuditQuery) -> QuerySet[AuditEvent]:
    """Audit events a practice admin may see: about people registered at their practice, or by their
    practice's staff. Filters narrow it; nothing widens it."""
    events = AuditEvent.objects.filter(
        Q(person_id_ref__in=scope_people.values("public_id")) | Q(actor_id__in=scope_user_ids))
    if query.nhs_number:
        person_ids = scope_people.filter(nhs_number=query.nhs_number).values("public_id")
        events = events.filter(person_id_ref__in=person_ids)
    if query.user:
        events = events.filter(actor_label__icontains=query.user)
    if query.action:
        events = events.filter(action=query.action)
    if query.basis:
        events = events.filter(basis=query.basis)
    if query.date_from:
        events = events.filter(at__gte=_day_start(query.date_from))
    if query.date_to:
        events = events.filter(at__lt=_day_start(query.date_to) + timedelta(days=1))
    return events.order_by("-at")


def people_by_ref(events: list[AuditEvent], scope_people: QuerySet[Person]) -> dict[Any, Person]:
    """The people named in these events, among those the admin's practice holds: an event by the practice's
    staff about someone registered elsewhere shows that someone else's record was touched, not who."""
    refs = {e.person_id_ref for e in events if e.person_id_ref}
    return {p.public_id: p for p in scope_people.filter(public_id__in=refs)}
