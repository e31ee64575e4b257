"""Messages: the right channel, one message per key, no clinical detail, sent exactly once."""

from __future__ import annotations

import json

import pytest

from ourplan.messaging import api
from ourplan.messaging.models import Communication
from ourplan.messaging.senders import Outgoing, SendError

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.OURPLAN_MESSAGE_BACKEND = "file"
    return tmp_path / "outbox"


@pytest.mark.parametrize(
    ("preferred", "email", "phone", "has_login", "expected"),
    [
        ("email", "m@example.org", "", False, "email"),
        ("email", "", "", True, "portal"),  # no address: fall back to the portal...
        ("email", "", "", False, "post"),  # ...or a letter
        ("sms", "", "07700 900123", False, "sms"),
        ("post", "m@example.org", "", True, "post"),
        ("portal", "", "", True, "portal"),
    ],
)
def test_channel_follows_preference_when_the_details_exist(person, preferred, email, phone, has_login, expected):
    person.preferred_contact, person.email, person.phone = preferred, email, phone
    if not has_login:
        person.user = None
    assert api.choose_channel(person) == expected


def test_the_same_key_never_makes_a_second_message(clinician, person):
    first = api.do_queue_message(clinician, person, kind="invitation", key="invite:1", subject="S", body="B")
    again = api.do_queue_message(clinician, person, kind="invitation", key="invite:1", subject="S2", body="B2")
    assert first == again and Communication.objects.count() == 1


def test_queued_email_is_sent_once_even_when_sending_runs_twice(outbox, clinician, person):
    person.preferred_contact, person.email = "email", "margaret@example.org"
    message = api.do_queue_message(clinician, person, kind="invitation", key="k", subject="Your review",
                                   body="Please book your review.", link="/my/")
    assert api.send_queued() == {"sent": 1, "failed": 0}
    assert api.send_queued() == {"sent": 0, "failed": 0}
    written = json.loads((outbox / f"{message.public_id}.json").read_text())
    assert written["to"] == "margaret@example.org" and written["link"].endswith("/my/")
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at is not None


def test_a_provider_failure_keeps_the_message_for_a_retry(monkeypatch, clinician, person):
    class Failing:
        def send(self, message: Outgoing) -> str:
            raise SendError("Notify said no")

    monkeypatch.setattr(api, "get_sender", lambda: Failing())
    person.preferred_contact, person.phone = "sms", "07700900123"
    message = api.do_queue_message(clinician, person, kind="reminder", key="r", subject="S", body="B")
    assert api.send_queued() == {"sent": 0, "failed": 1}
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1 and "Notify said no" in message.error


def test_portal_messages_are_delivered_at_once(clinician, person):
    person.preferred_contact = "portal"
    message = api.do_queue_message(clinician, person, kind="notice", key="n", subject="S", body="B")
    assert message.channel == "portal" and message.status == "sent"
