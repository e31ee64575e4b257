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


def do_raise_alert(actor: User | None, person: Person, *, level: str, trigger: str, message: str) -> SupportAlert:
    alert = SupportAlert.objects.create(person=person, level=level, trigger=trigger, message=message)
    audit.record(actor, AuditAction.CREATE, "SupportAlert", alert.public_id, person=person.public_id,
                 basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
                 detail={"trigger": trigger, "level": level})
    return alert


def open_alerts_for(user: Any) -> QuerySet[SupportAlert]:
    """Unacknowledged alerts about people the user cares for directly, most urgent first."""
    people = people_for(user, bases={AccessBasis.DIRECT_CARE})
    return (SupportAlert.objects.filter(acknowledged_at__isnull=True, person__in=people)
            .select_related("person").order_by("-level", "-created_at"))
