"""The care and support plan offer status (NHS England's offer codes): recorded by staff with direct care,
history kept, the latest shown on the person's pages, audited; nobody else can record or read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.recall import cycle as cycles
from ourplan.review import actions
from ourplan.review.models import OFFER_SNOMED, OfferCode, OfferStatus

pytestmark = pytest.mark.django_db


def test_the_six_offer_codes_are_those_of_nhs_england():
    assert OfferCode.values == ["offered", "declined", "accepted", "not-offered", "unable-to-complete", "other"]
    assert OfferCode.ACCEPTED.label == "Personalised care and support plan agreed/accepted"


def test_no_snomed_code_is_sent_until_one_is_verified():
    # clinical-reference.md has no verified concept id for any PCSP offer term: never guess one.
    assert set(OFFER_SNOMED) == set(OfferCode.values) and not any(OFFER_SNOMED.values())


def test_the_latest_recording_is_the_current_status_and_history_is_kept(clinician, person):
    actions.do_record_offer(clinician, person, "offered", at=timezone.now() - timedelta(days=3))
    actions.do_record_offer(clinician, person, "accepted")
    assert actions.current_offer(person).code == "accepted"
    assert OfferStatus.objects.filter(person=person).count() == 2


def test_an_earlier_dated_recording_does_not_become_current(clinician, person):
    actions.do_record_offer(clinician, person, "declined")
    actions.do_record_offer(clinician, person, "offered", at=timezone.now() - timedelta(days=30))
    assert actions.current_offer(person).code == "declined"


def test_the_offer_belongs_to_the_open_round(clinician, person):
    cycle = cycles.do_start_cycle(clinician, person)
    offer = actions.do_record_offer(clinician, person, "offered")
    assert offer.cycle_id == cycle.pk and offer.recorded_by == clinician


def test_other_needs_a_note_saying_what_happened(clinician, person):
    with pytest.raises(ActionError, match="Say what happened") as exc:
        actions.do_record_offer(clinician, person, "other", note="  ")
    assert exc.value.field == "note" and not OfferStatus.objects.exists()


def test_an_unknown_code_or_a_future_date_is_refused(clinician, person):
    with pytest.raises(ActionError, match="from the list"):
        actions.do_record_offer(clinician, person, "maybe")
    with pytest.raises(ActionError, match="future"):
        actions.do_record_offer(clinician, person, "offered", at=timezone.now() + timedelta(days=1))


def test_recording_is_audited(clinician, person):
    offer = actions.do_record_offer(clinician, person, "declined", note="Prefers to wait until after surgery")
    event = AuditEvent.objects.get(entity_type="OfferStatus", entity_id=str(offer.public_id))
    assert event.action == "create" and event.detail == {"code": "declined"} and event.actor == clinician


class TestPages:
    def test_the_clinician_records_the_offer_and_sees_it(self, as_user, clinician, person):
        client = as_user(clinician)
        response = client.post(reverse("review:offer", args=[person.public_id]), {"code": "offered"})
        assert response.status_code == 302
        page = client.get(reverse("review:home", args=[person.public_id])).content.decode()
        assert "Personalised care and support plan offered" in page

    def test_the_latest_status_shows_on_the_persons_overview_panel(self, as_user, clinician, person):
        actions.do_record_offer(clinician, person, "declined")
        client = as_user(clinician)
        overview = client.get(reverse("people:person_detail", args=[person.public_id])).content.decode()
        assert reverse("review:panel", args=[person.public_id]) in overview
        panel = client.get(reverse("review:panel", args=[person.public_id]), HTTP_HX_REQUEST="true")
        assert "Personalised care and support plan declined" in panel.content.decode()

    def test_other_without_a_note_shows_the_error_by_the_note(self, as_user, clinician, person):
        response = as_user(clinician).post(reverse("review:offer", args=[person.public_id]), {"code": "other"})
        body = response.content.decode()
        assert response.status_code == 400 and 'id="offer-note-error"' in body and "Say what happened" in body

    def test_no_choice_shows_the_error_by_the_choice(self, as_user, clinician, person):
        response = as_user(clinician).post(reverse("review:offer", args=[person.public_id]), {})
        assert response.status_code == 400 and 'id="offer-code-error"' in response.content.decode()

    @pytest.mark.parametrize("who", ["other_clinician", "carer", "person"])
    def test_nobody_else_can_record_or_read_it(self, request, as_user, who, person):
        user = request.getfixturevalue(who)
        client = as_user(person.user if who == "person" else user)
        assert client.post(reverse("review:offer", args=[person.public_id]), {"code": "offered"}).status_code == 404
        assert client.get(reverse("review:panel", args=[person.public_id])).status_code == 404
        assert not OfferStatus.objects.exists()
        # Staff elsewhere reach the access check, which audits the refusal; non-staff are turned away before it.
        denied = AuditEvent.objects.filter(entity_type="OfferStatus", action="denied").exists()
        assert denied == (who == "other_clinician")
