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


def seen_by_others(person: Person, *, limit: int = 200) -> list[SeenRow]:
    """Everything others did with the person's record, newest first (the person's own actions left out)."""
    events = AuditEvent.objects.filter(person_id_ref=person.public_id)
    if person.user_id:
        events = events.exclude(actor_id=person.user_id)
    return [describe(e) for e in events.order_by("-at")[:limit]]


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


def people_by_ref(events: list[AuditEvent]) -> dict[Any, Person]:
    refs = {e.person_id_ref for e in events if e.person_id_ref}
    return {p.public_id: p for p in Person.objects.filter(public_id__in=refs)}
