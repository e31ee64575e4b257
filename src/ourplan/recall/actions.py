"""Inviting people to their combined review. Every change goes through recall.cycle (stages) and
messaging.api (the invitation), which take the acting user, run in a transaction and write audit rows.

Inviting is idempotent: a person with an open round keeps it, the "invited" stage keeps its first time,
and the message key is the round's id, so inviting twice sends one invitation."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.db.models import Prefetch, QuerySet, Subquery
from django.urls import reverse

from ourplan.clinical.models import Condition
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.messaging.api import do_queue_message
from ourplan.messaging.models import Communication
from ourplan.people.models import Person
from ourplan.recall import priority
from ourplan.recall.cycle import do_mark_stage, do_start_cycle
from ourplan.recall.models import CarePlanningCycle
from ourplan.recall.worklist import ACTIVE_STATUSES


@dataclass(frozen=True)
class Invitation:
    cycle: CarePlanningCycle
    message: Communication
    new: bool  # False when the person had already been invited in this round


@dataclass
class InviteSummary:
    """What a batch invitation did, for the confirmation panel."""

    invited: int = 0
    already: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[Person, str]] = field(default_factory=list)

    def channel_rows(self) -> list[tuple[str, int]]:
        labels = dict(Communication.Channel.choices)
        return [(str(labels.get(c, c)), n) for c, n in self.by_channel.most_common()]

    def as_dict(self) -> dict[str, Any]:
        """A summary that fits in the session (shown once after the redirect)."""
        return {"invited": self.invited, "already": self.already, "channels": self.channel_rows(),
                "failed": [(p.formal_name, message) for p, message in self.failed]}


def invitation_key(cycle: CarePlanningCycle) -> str:
    return f"invitation:{cycle.public_id}"


def invitation_text(person: Person) -> tuple[str, str]:
    """Subject and body. General terms only: no condition, result or medicine is named, because email and
    SMS are not secure and letters may be opened by someone else."""
    name = person.preferred_name or person.given_name
    greeting = f"Hello {name}," if name else "Hello,"
    practice = person.practice.name if person.practice else "your GP practice"
    phone = f" or call us on {person.practice.phone}" if person.practice and person.practice.phone else ""
    body = (
        f"{greeting}\n\n"
        f"It is time for your yearly health review at {practice}.\n\n"
        "First there is a short appointment for some checks. About 2 weeks later you will talk with a nurse "
        "or doctor about what matters to you and what support would help.\n\n"
        f"Please use the link below{phone} to find out more and book your appointments."
    )
    return "Your yearly health review", body


@transaction.atomic
def do_invite(
    actor: User | None, person: Person, *, priority_level: str = CarePlanningCycle.Priority.ROUTINE,
    priority_reason: str = "", registers: list[str] | None = None, cycle: CarePlanningCycle | None = None,
) -> Invitation:
    """Start (or reuse) the person's open round, mark it invited and queue one invitation by the person's
    preferred channel. `cycle` may pass the open round already fetched (batch invitations)."""
    cycle = cycle or do_start_cycle(actor, person, priority=priority_level, priority_reason=priority_reason,
                                    registers=registers)
    new = cycle.invited_at is None
    do_mark_stage(actor, cycle, "invited")
    subject, body = invitation_text(person)
    message = do_queue_message(
        actor, person, kind=Communication.Kind.INVITATION, key=invitation_key(cycle), subject=subject, body=body,
        link=reverse("people:my_home"), cycle=cycle,
    )
    return Invitation(cycle, message, new)


@transaction.atomic
def do_invite_many(actor: User | None, people: QuerySet[Person]) -> InviteSummary:
    """Invite everyone in `people` (for example the filtered worklist). Who to invite, their priority,
    registers, open rounds and existing invitations are read in four queries for the whole set; only the
    writes go person by person, through the same actions as a single invitation. People already invited
    in their open round are counted, not invited again."""
    ids = people.order_by().values("pk")
    chosen = (
        Person.objects.filter(pk__in=Subquery(ids)).select_related("practice")
        .annotate(**priority.latest_values())
        .prefetch_related(
            Prefetch("conditions", to_attr="register_conditions",
                     queryset=_register_conditions()),
            Prefetch("cycles", to_attr="open_cycles",
                     queryset=CarePlanningCycle.objects.filter(status=CarePlanningCycle.Status.OPEN)),
        )
        .order_by("family_name", "given_name", "pk")
    )
    people_list = list(chosen)
    open_cycles = {p.pk: cast(list[CarePlanningCycle], p.open_cycles) for p in people_list}
    sent = set(
        Communication.objects.filter(
            key__in=[invitation_key(c) for cycles in open_cycles.values() for c in cycles]
        ).values_list("key", flat=True)
    )
    summary = InviteSummary()
    for person in people_list:
        open_cycle = open_cycles[person.pk][0] if open_cycles[person.pk] else None
        if open_cycle is not None and open_cycle.invited_at is not None and invitation_key(open_cycle) in sent:
            summary.already += 1
            continue
        reasons = priority.reasons({rule.field: getattr(person, rule.field) for rule in priority.RULES})
        try:
            invitation = do_invite(
                actor, person,
                priority_level=CarePlanningCycle.Priority.HIGH if reasons else CarePlanningCycle.Priority.ROUTINE,
                priority_reason="; ".join(reasons)[:255],
                registers=sorted({c.register for c in cast(list[Condition], person.register_conditions)}),
                cycle=open_cycle,
            )
        except ActionError as exc:
            # do_invite's savepoint has rolled back this person only; carry on with the rest.
            summary.failed.append((person, exc.message))
            continue
        if invitation.new:
            summary.invited += 1
            summary.by_channel[invitation.message.channel] += 1
        else:
            summary.already += 1
    # One summary event for the batch; each person's record already has its own events from the actions.
    audit.record(actor, AuditAction.CREATE, "InvitationBatch",
                 basis=AccessBasis.DIRECT_CARE if actor else AccessBasis.SYSTEM,
                 detail={"invited": summary.invited, "already": summary.already, "failed": len(summary.failed),
                         "channels": dict(summary.by_channel)})
    return summary


def _register_conditions() -> QuerySet[Condition]:
    return Condition.objects.filter(clinical_status__in=ACTIVE_STATUSES).exclude(register="")
