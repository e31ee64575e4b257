"""Alerts to the care team: raised by code when something needs a clinician's attention, shown on the
staff register (the page staff land on) and on the person's support page until someone acknowledges them.
Readings that cross a contingency trigger raise them (support.readings), and so does a PHQ-9 answer about
self-harm (recall.gathering): that one must never wait for the next review (hazard H5)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ourplan.core import audit
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.access import people_for
from ourplan.people.models import Person
from ourplan.support.models import SupportAlert

SELF_HARM_MESSAGE = (
    "PHQ-9 question 9 (thoughts of being better off dead or of self-harm) was answered above 0. "
    "Same-day clinical follow-up and a risk assessment are needed, whatever the total score."
)


EMERGENCY_TRIGGER = "emergency-access"
SELF_HARM_TRIGGER = "phq9-item9"


def do_raise_alert(actor: User | None, person: Person, *, level: str, trigger: str, message: str) -> SupportAlert:
    alert = SupportAlert.objects.create(person=person, level=level, trigger=trigger, message=message)
    audit.record(actor, AuditAction.CREATE, "SupportAlert", alert.public_id, person=person.public_id,
                 basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
                 detail={"trigger": trigger, "level": level})
    if trigger == SELF_HARM_TRIGGER:
        # Also a task for a named clinician (the person's review lead), so it is someone's job today (H5).
        from ourplan.coordination.actions import do_task_for_urgent_alert

        do_task_for_urgent_alert(person)
    return alert


def open_alerts_for(user: Any) -> QuerySet[SupportAlert]:
    """Unacknowledged alerts about people the user cares for directly, most urgent first."""
    from ourplan.core.roles import clinical_org_ids

    people = people_for(user, bases={AccessBasis.DIRECT_CARE})
    alerts = SupportAlert.objects.filter(acknowledged_at__isnull=True, person__in=people)
    if not clinical_org_ids(user):
        # Admin staff act on emergency access reports, not on clinical alerts (which may be sensitive).
        alerts = alerts.filter(trigger=EMERGENCY_TRIGGER)
    return alerts.select_related("person").order_by("-level", "-created_at")
