"""Pluggable senders for email and SMS. Chosen by OURPLAN_MESSAGE_BACKEND:

- "console" (default in DEBUG): prints each message; nothing leaves the machine.
- "file": writes each message to $OURPLAN_DATA_DIR/outbox/ (what the tests and the demo inspect).
- "notify": GOV.UK Notify (notifications-python-client) with OURPLAN_NOTIFY_API_KEY and template ids
  OURPLAN_NOTIFY_EMAIL_TEMPLATE / OURPLAN_NOTIFY_SMS_TEMPLATE. The templates take ((subject)), ((body))
  and ((link)) personalisation fields.

Portal messages need no sender (the person sees them when they log in); letters are printed in batches.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class Outgoing:
    reference: str  # our Communication public id: Notify echoes it back, and files are named by it
    channel: str  # "email" or "sms"
    to: str
    subject: str
    body: str
    link: str


class SendError(Exception):
    """The provider refused or failed; the message stays for a retry and the reason is kept."""


class Sender(Protocol):
    def send(self, message: Outgoing) -> str:
        """Send one message; return the provider's reference."""
        ...


class ConsoleSender:
    def send(self, message: Outgoing) -> str:
        sys.stdout.write(f"[{message.channel} to {message.to}] {message.subject}\n{message.body}\n{message.link}\n\n")
        return f"console-{message.reference}"


class FileSender:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(settings.DATA_DIR) / "outbox"

    def send(self, message: Outgoing) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message.reference}.json"
        path.write_text(json.dumps(message.__dict__, indent=2))
        return f"file-{message.reference}"


class NotifySender:
    def __init__(self) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(os.environ["OURPLAN_NOTIFY_API_KEY"])
        self.email_template = os.environ["OURPLAN_NOTIFY_EMAIL_TEMPLATE"]
        self.sms_template = os.environ["OURPLAN_NOTIFY_SMS_TEMPLATE"]

    def send(self, message: Outgoing) -> str:
        from notifications_python_client.errors import HTTPError

        fields = {"subject": message.subject, "body": message.body, "link": message.link}
        try:
            if message.channel == "email":
                response = self.client.send_email_notification(
                    email_address=message.to, template_id=self.email_template, personalisation=fields,
                    reference=message.reference)
            else:
                response = self.client.send_sms_notification(
                    phone_number=message.to, template_id=self.sms_template, personalisation=fields,
                    reference=message.reference)
        except HTTPError as exc:
            raise SendError(f"GOV.UK Notify refused the message: {exc}") from exc
        return str(response.get("id", ""))


def get_sender() -> Sender:
    backend = getattr(settings, "OURPLAN_MESSAGE_BACKEND", "console")
    if backend == "file":
        return FileSender()
    if backend == "notify":
        return NotifySender()
    return ConsoleSender()
