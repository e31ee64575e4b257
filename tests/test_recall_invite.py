"""Inviting people: one round and one invitation each, by their preferred channel, never twice."""

from __future__ import annotations

import pytest

from ourplan.core.models import AuditEvent
from ourplan.messaging.models import Communication
from ourplan.people.models import Person
from ourplan.recall.actions import do_invite, do_invite_many
from ourplan.recall.models import CarePlanningCycle
from ourplan.recall.worklist import Filters, worklist
from tests import factories as f
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(practice, person):
    email = rf.on_registers(practice, "Emailer", "HYP", "DM")
    Person.objects.filter(pk=email.pk).update(preferred_contact="email", email="e@example.com")
    sms = rf.on_registers(practice, "Texter", "AST")
    Person.objects.filter(pk=sms.pk).update(preferred_contact="sms", phone="07700 900001")
    return [person, email, sms]


def test_batch_invite_creates_one_round_and_one_invitation_each(clinician, three):
    summary = do_invite_many(clinician, Person.objects.filter(pk__in=[p.pk for p in three]))
    assert summary.invited == 3 and summary.already == 0
    assert CarePlanningCycle.objects.filter(status="open").count() == 3
    assert Communication.objects.filter(kind="invitation").count() == 3
    assert all(c.invited_at is not None for c in CarePlanningCycle.objects.all())


def test_inviting_again_adds_nothing(clinician, three):
    people = Person.objects.filter(pk__in=[p.pk for p in three])
    do_invite_many(clinician, people)
    first_times = sorted(CarePlanningCycle.objects.values_list("invited_at", flat=True))
    again = do_invite_many(clinician, people)
    assert again.invited == 0 and again.already == 3
    assert CarePlanningCycle.objects.count() == 3 and Communication.objects.count() == 3
    assert sorted(CarePlanningCycle.objects.values_list("invited_at", flat=True)) == first_times
    single = do_invite(clinician, three[0])
    assert not single.new and Communication.objects.count() == 3


def test_each_invitation_goes_by_the_persons_preferred_channel(clinician, three):
    summary = do_invite_many(clinician, Person.objects.filter(pk__in=[p.pk for p in three]))
    channels = dict(Communication.objects.values_list("person__family_name", "channel"))
    # Margaret prefers the post in the factory default; Emailer has an email, Texter a phone.
    assert channels == {"Thompson": "post", "Emailer": "email", "Texter": "sms"}
    assert dict(summary.by_channel) == {"post": 1, "email": 1, "sms": 1}


def test_invitation_marks_the_invited_stage_and_carries_no_clinical_detail(clinician, person):
    invitation = do_invite(clinician, person)
    invitation.cycle.refresh_from_db()
    assert invitation.cycle.invited_at is not None and invitation.cycle.current_stage == "invited"
    body = invitation.message.body + invitation.message.subject
    for word in ("diabetes", "blood pressure", "asthma", "depression", "HbA1c", "64"):
        assert word.lower() not in body.lower()
    assert body.startswith("Your yearly health review") or "Hello Margaret" in body
    assert invitation.message.link == "/my/"


def test_invitation_records_priority_and_registers_on_the_round(clinician, practice):
    p = rf.on_registers(practice, "Far", "DM", "CKD")
    f.obs(p, "egfr", "22")
    do_invite_many(clinician, Person.objects.filter(pk=p.pk))
    cycle = CarePlanningCycle.objects.get(person=p)
    assert cycle.priority == "high" and "eGFR" in cycle.priority_reason
    assert cycle.registers == ["CKD", "DM"]


def test_invitations_are_audited(clinician, person):
    do_invite(clinician, person)
    events = AuditEvent.objects.filter(person_id_ref=person.public_id, actor=clinician)
    kinds = {(e.entity_type, e.action) for e in events}
    assert {("CarePlanningCycle", "create"), ("CarePlanningCycle", "update"), ("Communication", "create")} <= kinds
    stage = events.get(entity_type="CarePlanningCycle", action="update")
    assert stage.detail == {"stage": "invited"}


class TestPages:
    def test_invite_selected_shows_how_many_were_invited_and_by_which_channel(self, as_user, clinician, three):
        client = as_user(clinician)
        response = client.post("/staff/recall/invite/", {"person": [str(three[1].public_id), str(three[2].public_id)],
                                                         "multimorbidity": "1"})
        assert response.status_code == 302 and response["Location"] == "/staff/recall/?multimorbidity=1"
        body = client.get(response["Location"]).content.decode()
        assert "2 people invited" in body and "Email: 1" in body and "Text message: 1" in body
        # Shown once: a reload does not repeat the panel.
        assert "people invited" not in client.get(response["Location"]).content.decode()

    def test_invite_selected_ignores_people_the_user_may_not_see(self, as_user, other_clinician, person):
        as_user(other_clinician).post("/staff/recall/invite/", {"person": [str(person.public_id)]})
        assert not CarePlanningCycle.objects.exists() and not Communication.objects.exists()

    def test_nothing_selected_says_so(self, as_user, clinician, person):
        client = as_user(clinician)
        response = client.post("/staff/recall/invite/", {})
        assert "Select at least one person" in client.get(response["Location"]).content.decode()

    def test_invite_all_asks_for_confirmation_with_the_count_then_invites_everyone_matching(
            self, as_user, clinician, three):
        client = as_user(clinician)
        confirm = client.get("/staff/recall/invite-all/", {"condition": "DM"}).content.decode()
        assert "Invite 2 people?" in confirm and not CarePlanningCycle.objects.exists()
        response = client.post("/staff/recall/invite-all/confirm/", {"condition": "DM"})
        assert response.status_code == 302
        assert set(CarePlanningCycle.objects.values_list("person__family_name", flat=True)) == {"Thompson", "Emailer"}
        assert "2 people invited" in client.get(response["Location"]).content.decode()

    def test_invite_all_counts_those_already_invited(self, as_user, clinician, three):
        do_invite(clinician, three[0])
        confirm = as_user(clinician).get("/staff/recall/invite-all/").content.decode()
        assert "Invite 2 people?" in confirm and "1 of the 3 matching is already invited" in confirm

    def test_batch_invite_uses_a_bounded_number_of_reads(self, clinician, practice, django_assert_max_num_queries):
        people = [rf.on_registers(practice, f"Batch{i}", "HYP") for i in range(10)]
        do_invite_many(clinician, Person.objects.filter(pk__in=[p.pk for p in people]))
        # Re-inviting people already invited costs the set-based reads only (people, conditions, rounds,
        # messages), the batch audit row and the transaction's savepoint: not queries per person.
        with django_assert_max_num_queries(8):
            do_invite_many(clinician, worklist(clinician, Filters()))

    def test_person_and_anonymous_cannot_invite(self, as_user, anonymous, person):
        response = as_user(person.user).post("/staff/recall/invite/", {"person": [str(person.public_id)]})
        assert response.status_code == 404
        assert anonymous.post("/staff/recall/invite/", {}).status_code == 302
        assert not CarePlanningCycle.objects.exists()
