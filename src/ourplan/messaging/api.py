"""Queueing and sending messages. Callers write the words; this module picks the channel, keeps one message
per key (idempotent), and sends queued email and SMS through the configured sender."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.messaging.models import Communication
from ourplan.messaging.senders import Outgoing, SendError, get_sender
from ourplan.people.models import Person

if TYPE_CHECKING:
    from ourplan.recall.models import CarePlanningCycle

Channel = Communication.Channel


def choose_channel(person: Person) -> str:
    """The person's preferred way to hear from us, if we have the details for it; else the portal when they
    have a login, else a letter (everyone has an address on the register)."""
    preferred = person.preferred_contact
    if preferred == "email" and person.email:
        return Channel.EMAIL
    if preferred == "sms" and person.phone:
        return Channel.SMS
    if preferred == "portal" and person.user_id:
        return Channel.PORTAL
    if preferred in {"post", "phone"}:
        return Channel.POST
    return Channel.PORTAL if person.user_id else Channel.POST


def _address(person: Person, channel: str) -> str:
    if channel == Channel.EMAIL:
        return person.email
    if channel == Channel.SMS:
        return person.phone
    if channel == Channel.POST:
        return "\n".join(p for p in (person.display_name, person.address, person.postcode) if p)
    return ""


def do_queue_message(
    actor: User | None, person: Person, *, kind: str, key: str, subject: str, body: str, link: str = "",
    channel: str | None = None, cycle: CarePlanningCycle | None = None,
) -> Communication:
    """Queue one message, or return the one already queued under `key` (never a second)."""
    existing = Communication.objects.filter(key=key).first()
    if existing is not None:
        return existing
    chosen = channel or choose_channel(person)
    if chosen not in Channel.values:
        raise ActionError(f"Unknown channel {chosen}")
    to = _address(person, chosen)
    if chosen in {Channel.EMAIL, Channel.SMS} and not to:
        raise ActionError(f"{person.display_name} has no {'email address' if chosen == 'email' else 'mobile number'}")
    try:
        with transaction.atomic():
            message = Communication.objects.create(
                person=person, cycle=cycle, kind=kind, channel=chosen, key=key, to_address=to, subject=subject,
                body=body, link=link, created_by=actor,
                # Portal messages are delivered by being there when the person logs in.
                status=Communication.Status.SENT if chosen == Channel.PORTAL else Communication.Status.QUEUED,
                sent_at=timezone.now() if chosen == Channel.PORTAL else None,
            )
            audit.record(actor, AuditAction.CREATE, "Communication", message.public_id, person=person.public_id,
                         basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
                         detail={"kind": kind, "channel": chosen})
    except IntegrityError:
        # Another worker queued the same key between our check and insert: theirs stands.
        return Communication.objects.get(key=key)
    return message


def do_queue_notice(
    actor: User | None, about: Person, *, recipient_label: str, channel: str, to_address: str, key: str,
    subject: str, body: str, link: str = "",
) -> Communication:
    """Queue one message to a member of the person's care team (a task for a nurse or a carer), or return
    the one already queued under `key`. Like every message, it carries no clinical detail: only a link."""
    existing = Communication.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if channel not in Channel.values or channel == Channel.POST:
        raise ActionError(f"Care team notices go by email, text message or the website, not {channel}")
    if channel in {Channel.EMAIL, Channel.SMS} and not to_address:
        raise ActionError(f"{recipient_label} has no {'email address' if channel == 'email' else 'mobile number'}")
    portal = channel == Channel.PORTAL
    try:
        with transaction.atomic():
            message = Communication.objects.create(
                person=about, audience=Communication.Audience.CARE_TEAM, recipient_label=recipient_label[:200],
                kind=Communication.Kind.NOTICE, channel=channel, key=key, to_address=to_address, subject=subject,
                body=body, link=link, created_by=actor,
                status=Communication.Status.SENT if portal else Communication.Status.QUEUED,
                sent_at=timezone.now() if portal else None,
            )
            audit.record(actor, AuditAction.CREATE, "Communication", message.public_id, person=about.public_id,
                         basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
                         detail={"kind": "notice", "channel": channel, "to": recipient_label[:200]})
    except IntegrityError:
        return Communication.objects.get(key=key)
    return message


MAX_ATTEMPTS = 5


def send_queued(limit: int | None = None) -> dict[str, int]:
    """Send queued email and SMS. Each message is claimed in its own transaction before sending, so two
    workers never send the same one, and a worker killed mid-batch leaves the rest queued for the next run."""
    sender = get_sender()
    counts = {"sent": 0, "failed": 0}
    ids = list(
        Communication.objects.filter(
            status=Communication.Status.QUEUED, channel__in=[Channel.EMAIL, Channel.SMS], attempts__lt=MAX_ATTEMPTS
        ).order_by("queued_at").values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            message = (Communication.objects.select_for_update().filter(pk=pk, status=Communication.Status.QUEUED)
                       .first())
            if message is None:
                continue
            message.attempts += 1
            try:
                ref = sender.send(Outgoing(str(message.public_id), message.channel, message.to_address,
                                           message.subject, message.body, _absolute(message.link)))
            except SendError as exc:
                message.error = str(exc)
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = Communication.Status.FAILED
                counts["failed"] += 1
            else:
                message.status, message.sent_at, message.provider_reference = (
                    Communication.Status.SENT, timezone.now(), ref)
                counts["sent"] += 1
            message.save(update_fields=["attempts", "error", "status", "sent_at", "provider_reference"])
    return counts


def _absolute(link: str) -> str:
    base: Any = getattr(settings, "OURPLAN_BASE_URL", "http://127.0.0.1:8000")
    return f"{base.rstrip('/')}{link}" if link.startswith("/") else link


def do_mark_printed(actor: User | None, messages: list[Communication]) -> None:
    """Letters count as sent when they are printed."""
    now = timezone.now()
    Communication.objects.filter(pk__in=[m.pk for m in messages], channel=Channel.POST,
                                 status=Communication.Status.QUEUED).update(
        status=Communication.Status.SENT, sent_at=now)
