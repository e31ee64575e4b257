"""Making and sending the preparation pack: built from the person's stored results, one per round, sent by
their channel with no clinical detail in email or SMS, and refused before the tests are done."""

from __future__ import annotations

import re

import pytest

from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.messaging.models import Communication
from ourplan.preparation.actions import do_make_pack, do_prepare_and_send, message_key
from ourplan.preparation.models import PreparationPack
from ourplan.preparation.prompts import DEFAULT_QUESTIONS
from ourplan.recall.cycle import do_start_cycle
from tests import factories as f
from tests.prep_support import ready_cycle

pytestmark = pytest.mark.django_db


def result(pack, key):
    return next(r for r in pack.content["results"] if r["key"] == key)


class TestPackContent:
    def test_pack_is_built_from_the_persons_own_results(self, clinician, person):
        pack = do_make_pack(clinician, ready_cycle(clinician, person))
        assert [r["key"] for r in pack.content["results"]] == ["hba1c", "bp", "peak_flow", "phq9"]
        hba1c = result(pack, "hba1c")
        assert hba1c["latest"]["value"] == "64" and hba1c["previous"]["value"] == "71"
        assert hba1c["target"]["text"] == "at or below 48 mmol/mol" and hba1c["met"] is False
        assert hba1c["name"] == "Blood sugar average (HbA1c)"
        assert hba1c["explain"].startswith("HbA1c shows your average blood sugar")
        assert [p["y"] for p in hba1c["series"]] == [71.0, 64.0]
        assert hba1c["sentences"][0].startswith("Your blood sugar average is higher than the level we agreed")
        assert "right direction" in hba1c["sentences"][1]  # 71 -> 64

    def test_blood_pressure_within_target_and_first_results(self, clinician, person):
        pack = do_make_pack(clinician, ready_cycle(clinician, person))
        bp = result(pack, "bp")
        assert bp["latest"]["value"] == "138/84" and bp["met"] is True
        assert bp["sentences"][0] == "Your blood pressure is in the range we agreed. Well done."
        phq9 = result(pack, "phq9")
        assert phq9["target"] is None and phq9["sentences"][1].startswith("This is the first result")

    def test_a_new_result_changes_the_next_pack_not_the_one_already_made(self, clinician, person):
        cycle = ready_cycle(clinician, person)
        first = do_make_pack(clinician, cycle)
        f.obs(person, "hba1c", "52", days_ago=1)
        again = do_make_pack(clinician, cycle)
        assert again.pk == first.pk and result(again, "hba1c")["latest"]["value"] == "64"

    def test_pack_carries_the_prompt_sheet_and_its_readability(self, clinician, person):
        pack = do_make_pack(clinician, ready_cycle(clinician, person))
        assert [q["key"] for q in pack.content["prompt_sheet"]["questions"]] == [q.key for q in DEFAULT_QUESTIONS]
        assert pack.reading_age is not None and pack.reading_age <= 11
        assert pack.content["readability"]["reading_age"] == pack.reading_age

    def test_large_print_follows_the_persons_information_needs(self, clinician, person):
        person.accessible_formats = ["large-print"]
        person.save()
        assert do_make_pack(clinician, ready_cycle(clinician, person)).large_print is True

    def test_making_a_pack_is_audited(self, clinician, person):
        pack = do_make_pack(clinician, ready_cycle(clinician, person))
        event = AuditEvent.objects.get(entity_type="PreparationPack")
        assert event.actor == clinician and event.entity_id == str(pack.public_id)
        assert event.person_id_ref == person.public_id


class TestNotReady:
    def test_a_pack_before_information_gathering_is_refused_with_a_clear_message(self, clinician, person):
        cycle = do_start_cycle(clinician, person)
        with pytest.raises(ActionError, match="tests and measurements for this review are not recorded as done"):
            do_prepare_and_send(clinician, cycle)
        assert not PreparationPack.objects.exists() and not Communication.objects.exists()


class TestSending:
    def test_portal_pack_marks_preparation_sent(self, clinician, person):
        person.preferred_contact = "portal"
        cycle = ready_cycle(clinician, person)
        pack, message = do_prepare_and_send(clinician, cycle)
        cycle.refresh_from_db()
        assert message.channel == "portal" and message.key == f"preparation:{cycle.public_id}"
        assert cycle.preparation_sent_at is not None and pack.channel == "portal"

    def test_a_letter_is_only_sent_when_printed(self, clinician, person):
        cycle = ready_cycle(clinician, person)  # Margaret prefers post
        _, message = do_prepare_and_send(clinician, cycle)
        cycle.refresh_from_db()
        assert message.channel == "post" and message.status == "queued" and cycle.preparation_sent_at is None

    def test_sending_twice_sends_one_message(self, clinician, person):
        cycle = ready_cycle(clinician, person)
        do_prepare_and_send(clinician, cycle)
        do_prepare_and_send(clinician, cycle)
        assert Communication.objects.filter(key=message_key(cycle)).count() == 1
        assert PreparationPack.objects.filter(cycle=cycle).count() == 1

    @pytest.mark.parametrize(("preferred", "detail"), [("email", "margaret@example.org"), ("sms", "07700900123")])
    def test_email_and_sms_carry_a_link_and_no_results(self, clinician, person, preferred, detail):
        person.preferred_contact = preferred
        person.email, person.phone = "margaret@example.org", "07700900123"
        person.save()
        _, message = do_prepare_and_send(clinician, ready_cycle(clinician, person))
        assert message.channel == preferred and message.link == "/my/preparation/"
        text = f"{message.subject} {message.body}"
        for value in ("64", "71", "138", "84", "48"):
            assert value not in text
        assert not re.search(r"\d", text)  # no numbers at all: nothing clinical to read over a shoulder
        for word in ("HbA1c", "blood", "sugar", "diabetes", "pressure", "mood"):
            assert word.lower() not in text.lower()
