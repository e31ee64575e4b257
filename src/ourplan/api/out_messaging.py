"""Messages Ourplan sent to people to FHIR Communication (UK Core). What a message was about (its kind and
subject line), how and when it went, and to whom go out; its body and the address it went to do not:
they are contact details and wording for the person, not part of the shared record, and the person agreed
to be contacted, not to have their messages passed on."""

from __future__ import annotations

from typing import Any

from ourplan.api import extensions as X
from ourplan.api.out_common import UK_CORE, concept, instant, meta_base, prune, reference
from ourplan.messaging.models import Communication

PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
MEDIUM = {"portal": ("ELECTRONIC", "electronic data"), "email": ("EMAILWRIT", "email"),
          "sms": ("SMSWRIT", "SMS message"), "post": ("MAILWRIT", "mail")}
# Communication.status (EventStatus, a required binding) for each Ourplan status.
STATUS = {"queued": "preparation", "sent": "completed", "failed": "not-done", "cancelled": "stopped"}


def communication(c: Communication) -> dict[str, Any]:
    mode = MEDIUM.get(c.channel)
    to_person = getattr(c, "audience", "person") == "person"
    recipient = reference("Patient", c.person) if to_person else {"display": getattr(c, "recipient_label", "")
                                                                 or "A member of the care team"}
    return prune({
        "resourceType": "Communication",
        "id": str(c.public_id),
        "meta": meta_base(c, UK_CORE + "Communication"),
        "status": STATUS.get(c.status, "unknown"),
        "category": [concept(X.COMMUNICATION_KIND, c.kind, c.get_kind_display(), c.get_kind_display())],
        "medium": [concept(PARTICIPATION_MODE, mode[0], mode[1], c.get_channel_display())] if mode else [],
        "subject": reference("Patient", c.person),
        "topic": {"text": c.subject} if c.subject else None,
        "sent": instant(c.sent_at) if c.sent_at else None,
        "recipient": [recipient],
        "sender": {"display": "Ourplan"},
    })
