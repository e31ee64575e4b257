"""Referrals and signposting: rules, the worklist, unmet needs, the person's view, and access per persona."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.support import referrals
from ourplan.support.models import Referral, UnmetNeed
from ourplan.support.services import do_create_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(db):
    return do_create_service(None, name="Riverside Befriending Service", description="Weekly visits",
                             category_codes="social-connection", postcode="RV2 1AA")


def _refer(clinician, person, service, **extra):
    args = {"kind": "referral", "reason": "Lonely since her husband died", "service": service,
            "consent_given": True} | extra
    return referrals.do_make_referral(clinician, person, **args)


def test_an_empty_reason_is_refused_with_a_clear_message(clinician, person, service):
    with pytest.raises(ActionError, match="Enter the reason for the referral"):
        _refer(clinician, person, service, reason="  ")


def test_a_referral_needs_the_persons_agreement_but_signposting_does_not(clinician, person, service):
    with pytest.raises(ActionError, match="The person agreed to this referral"):
        _refer(clinician, person, service, consent_given=False)
    assert _refer(clinician, person, service, kind="signposting", consent_given=False).status == "sent"


def test_status_moves_only_along_allowed_transitions_with_dates(clinician, person, service):
    referral = _refer(clinician, person, service)
    with pytest.raises(ActionError, match=r"cannot become attended\. It can become: accepted, declined"):
        referrals.do_update_referral(clinician, referral, referral.version, status="attended")
    referrals.do_update_referral(clinician, referral, referral.version, status="accepted")
    referrals.do_update_referral(clinician, referral, referral.version, status="attended")
    referrals.do_update_referral(clinician, referral, referral.version, status="finished", outcome="Goes weekly")
    referral.refresh_from_db()
    assert referral.status == "finished" and referral.accepted_at and referral.attended_at and referral.finished_at
    assert referral.outcome == "Goes weekly" and referrals.FHIR_STATUS[referral.status] == "completed"
    with pytest.raises(ActionError, match="closed"):
        referrals.do_update_referral(clinician, referral, referral.version, status="accepted")
    declined = _refer(clinician, person, service)
    referrals.do_update_referral(clinician, declined, declined.version, status="declined")
    assert AuditEvent.objects.filter(entity_type="Referral", action="update").count() == 4


def test_worklist_lists_referrals_with_no_answer_after_two_weeks(as_user, clinician, person, service):
    old = _refer(clinician, person, service, reason="Old one")
    Referral.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=15))
    _refer(clinician, person, service, reason="New one")
    answered = _refer(clinician, person, service, reason="Answered")
    Referral.objects.filter(pk=answered.pk).update(sent_at=timezone.now() - timedelta(days=20), status="accepted")
    assert list(referrals.no_answer(Referral.objects.all())) == [old]
    page = as_user(clinician).get("/staff/referrals/").content.decode()
    assert "15 days ago" in page and "THOMPSON, Margaret" in page and page.count("Riverside Befriending") == 1


def test_worklist_mine_shows_only_my_referrals(as_user, clinician, hca, person, service):
    _refer(clinician, person, service)
    assert "Riverside Befriending" not in as_user(hca).get("/staff/referrals/?show=all&whose=mine").content.decode()
    assert "Riverside Befriending" in as_user(hca).get("/staff/referrals/?show=all&whose=all").content.decode()


def test_staff_refer_from_the_support_page_with_messages(as_user, clinician, person, service):
    client = as_user(clinician)
    url = f"/staff/people/{person.public_id}/referrals/"
    response = client.post(url, {"service": str(service.public_id), "kind": "referral", "reason": ""})
    assert response.status_code == 400 and "Enter the reason for the referral" in response.content.decode()
    response = client.post(url, {"service": str(service.public_id), "kind": "referral", "reason": "Lonely"})
    assert "The person agreed to this referral" in response.content.decode()
    response = client.post(url, {"service": str(service.public_id), "kind": "referral", "reason": "Lonely",
                                 "consent_given": "yes"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    response = client.post(f"/staff/referrals/{referral.public_id}/", {"version": "1", "status": "accepted"})
    referral.refresh_from_db()
    assert referral.status == "accepted"
    page = client.get(f"/staff/people/{person.public_id}/support/?q=befriending").content.decode()
    assert "Riverside Befriending Service" in page and "No service fits: record an unmet need" in page


def test_recording_an_unmet_need(as_user, clinician, person):
    response = as_user(clinician).post("/staff/unmet-needs/", {
        "category": "social-connection", "description": "A men's group in Northwood", "area": "RV6 2AB",
        "person": str(person.public_id)})
    assert response.status_code == 302
    need = UnmetNeed.objects.get()
    assert need.area == "RV6" and need.person == person and need.recorded_by == clinician
    with pytest.raises(ActionError, match="Describe the need"):
        referrals.do_record_unmet_need(clinician, category="carers", description="")


def test_the_person_and_their_carer_see_referrals_in_plain_words(as_user, clinician, person, carer, service):
    _refer(clinician, person, service)
    page = as_user(person.user).get("/my/support/").content.decode()
    assert "Riverside Befriending Service" in page and "We are waiting to hear back" in page
    page = as_user(carer).get(f"/my/people/{person.public_id}/support/").content.decode()
    assert "Riverside Befriending Service" in page


@pytest.mark.parametrize("who", ["other_clinician", "other_person", "carer_expired", "carer_withdrawn"])
def test_people_without_access_get_not_found(request, as_user, who, person, clinician, service):
    referral = _refer(clinician, person, service)
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    client = as_user(user)
    assert client.get(f"/my/people/{person.public_id}/support/").status_code == 404
    assert client.get(f"/my/people/{person.public_id}/readings/").status_code == 404
    assert client.get(f"/staff/people/{person.public_id}/support/").status_code == 404
    assert client.post(f"/staff/referrals/{referral.public_id}/", {"version": "1", "status": "accepted"}
                       ).status_code == 404
    assert AuditEvent.objects.filter(action="denied").exists()


def test_anonymous_is_sent_to_log_in(anonymous, person):
    for url in ("/my/support/", "/my/readings/", f"/staff/people/{person.public_id}/support/", "/staff/referrals/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_person_cannot_open_staff_support_pages(as_user, person):
    assert as_user(person.user).get(f"/staff/people/{person.public_id}/support/").status_code == 404


def _goal(clinician, person, words="feel less lonely", category="social"):
    from ourplan.planning import actions

    plan = actions.do_start_plan(clinician, person)
    return actions.do_add_goal(clinician, plan, {"person_words": words, "category": category,
                                                 "lifecycle_status": "active"})


def test_a_referral_from_a_goal_is_followed_through_and_the_person_sees_it_with_their_words(
        as_user, clinician, person, service):
    goal = _goal(clinician, person)
    client = as_user(clinician)
    page = client.get(f"/staff/people/{person.public_id}/support/").content.decode()
    assert "feel less lonely" in page
    suggested = page.split(f'data-testid="suggestions-{goal.public_id}"')[1].split("</ul>")[0]
    assert "Riverside Befriending Service" in suggested
    response = client.post(f"/staff/people/{person.public_id}/referrals/", {
        "service": str(service.public_id), "goal": str(goal.public_id), "kind": "referral",
        "reason": "Lonely since her husband died", "consent_given": "yes"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.goal_public_id == goal.public_id
    assert AuditEvent.objects.filter(entity_type="Referral", action="create",
                                     detail__goal=str(goal.public_id)).exists()
    client.post(f"/staff/referrals/{referral.public_id}/", {"version": "1", "status": "accepted"})
    client.post(f"/staff/referrals/{referral.public_id}/", {"version": "2", "status": "attended",
                                                            "outcome": "Sees her befriender every Tuesday"})
    referral.refresh_from_db()
    assert referral.status == "attended" and referral.outcome == "Sees her befriender every Tuesday"
    staff_page = client.get(f"/staff/people/{person.public_id}/support/").content.decode()
    assert "For goal: &#39;feel less lonely&#39;" not in staff_page and "For goal: 'feel less lonely'" in staff_page
    page = as_user(person.user).get("/my/support/").content.decode()
    assert "For your goal: 'feel less lonely'" in page
    assert "Riverside Befriending Service" in page and "You have started going." in page
    assert "What happened: Sees her befriender every Tuesday" in page


def test_a_goal_from_someone_elses_plan_is_refused_with_a_clear_message(as_user, clinician, person, other_person,
                                                                       service):
    theirs = _goal(clinician, other_person, words="walk the dog")
    with pytest.raises(ActionError, match="That goal is not in Margaret Thompson's current care plan"):
        _refer(clinician, person, service, goal_public_id=theirs.public_id)
    response = as_user(clinician).post(f"/staff/people/{person.public_id}/referrals/", {
        "service": str(service.public_id), "goal": "not-a-uuid", "kind": "referral", "reason": "Lonely",
        "consent_given": "yes"})
    assert response.status_code == 400 and "is not in" in response.content.decode()
    assert not Referral.objects.exists()
