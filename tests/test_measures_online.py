"""Questionnaires completed online: the person (or a carer whose consent lets them contribute) answers
PHQ-2, PHQ-9, GAD-7 and SEMCD-6 before a review, and collaboRATE once per round after the plan is agreed.
A PHQ-9 question 9 answer above 0 raises the urgent alert to the care team at once, on every path, and
shows the person where to get help now."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ourplan.clinical.models import Observation
from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.people.models import Consent, StaffMember
from ourplan.planning import actions as planning
from ourplan.recall import cycle as cycles
from ourplan.recall.models import QuestionnaireResponse
from ourplan.review import actions
from ourplan.support.models import SupportAlert

pytestmark = pytest.mark.django_db


def my(key: str) -> str:
    return reverse("review:my_measure", args=[key])


def shared(person, key: str) -> str:
    return reverse("review:shared_measure", args=[person.public_id, key])


def answers(key: str, values: list[int | None]) -> dict[str, str]:
    return {f"{key}_{n}": str(v) for n, v in enumerate(values, start=1) if v is not None}


@pytest.fixture
def contributing_carer(carer, person):
    # Mood questionnaires are sensitive: answering them for someone needs both contributing and sensitive sharing.
    Consent.objects.filter(person=person, related_person__user=carer).update(can_contribute=True,
                                                                             include_sensitive=True)
    return carer


@pytest.fixture
def agreed_plan(clinician, person):
    plan = planning.do_start_plan(clinician, person)
    planning.do_add_goal(clinician, plan, {"person_words": "Walk to the shops", "lifecycle_status": "active"})
    plan.refresh_from_db()
    return planning.do_agree_plan(
        clinician, plan, plan.version, agreed_by_name="Margaret Thompson", agreed_by_role="The person",
        review_date=timezone.localdate() + timedelta(days=180),
        reviewer=StaffMember.objects.get(practitioner__user=clinician), share_with_person=True)


class TestSelfHarmAnswer:
    def test_the_person_answering_question_9_above_0_alerts_the_care_team_at_once(self, as_user, person):
        response = as_user(person.user).post(my("phq9"), answers("phq9", [0, 1, 0, 0, 0, 0, 0, 0, 1]))
        body = response.content.decode()
        assert response.status_code == 200 and 'data-testid="urgent-help"' in body
        assert "999" in body and "116 123" in body and "mental health option" in body
        alert = SupportAlert.objects.get(person=person, trigger="phq9-item9")
        assert alert.level == "red" and alert.acknowledged_at is None
        stored = QuestionnaireResponse.objects.get(person=person, questionnaire="phq9")
        assert stored.safety_flag and stored.total == 2

    def test_the_alert_is_raised_by_the_system_not_as_direct_care(self, as_user, person):
        as_user(person.user).post(my("phq9"), answers("phq9", [0] * 8 + [2]))
        event = AuditEvent.objects.get(entity_type="SupportAlert")
        assert event.basis == "system"

    def test_a_carer_entering_the_answers_raises_it_too(self, as_user, contributing_carer, person):
        as_user(contributing_carer).post(shared(person, "phq9"), answers("phq9", [1] * 8 + [3]))
        assert SupportAlert.objects.filter(person=person, trigger="phq9-item9").count() == 1
        stored = QuestionnaireResponse.objects.get(person=person)
        assert stored.recorded_by == contributing_carer

    def test_staff_recording_through_the_same_action_raise_it(self, clinician, person):
        actions.do_record_questionnaire(clinician, person, "phq9", [0] * 8 + [1])
        event = AuditEvent.objects.get(entity_type="SupportAlert")
        assert event.basis == "direct-care" and event.actor == clinician

    def test_question_9_at_0_raises_no_alert_whatever_the_total(self, as_user, person):
        as_user(person.user).post(my("phq9"), answers("phq9", [3] * 8 + [0]))
        assert not SupportAlert.objects.exists()
        assert QuestionnaireResponse.objects.get(person=person).band == "Severe"

    def test_an_alert_is_never_raised_without_the_answers_being_stored(self, person):
        with pytest.raises(ActionError):
            actions.do_record_questionnaire(person.user, person, "phq9", [0] * 7 + [None, 2])
        assert not SupportAlert.objects.exists() and not QuestionnaireResponse.objects.exists()


class TestBeforeAReview:
    def test_the_get_ready_page_links_to_the_questions(self, as_user, person):
        page = as_user(person.user).get(reverse("preparation:my_pack")).content.decode()
        assert reverse("review:my_measures") in page

    def test_the_person_sees_the_four_questionnaires(self, as_user, person):
        page = as_user(person.user).get(reverse("review:my_measures")).content.decode()
        for key in ("phq2", "phq9", "gad7", "semcd6"):
            assert my(key) in page

    def test_a_negative_phq2_is_stored_with_its_total_as_a_home_observation(self, as_user, person):
        response = as_user(person.user).post(my("phq2"), answers("phq2", [1, 1]))
        assert response.status_code == 302 and response["Location"] == reverse("review:my_measures")
        stored = QuestionnaireResponse.objects.get(person=person, questionnaire="phq2")
        assert (stored.total, stored.band, stored.answers) == (2, "Negative screen", [1, 1])
        obs = stored.observation
        assert obs.measure == "phq2" and obs.value == 2 and obs.source == Observation.Source.HOME
        assert obs.code == "836541000000100"

    def test_a_positive_phq2_leads_on_to_the_phq9(self, as_user, person):
        response = as_user(person.user).post(my("phq2"), answers("phq2", [2, 1]))
        assert response.status_code == 302 and response["Location"] == my("phq9")

    def test_answers_are_audited_as_the_person_themselves(self, as_user, person):
        as_user(person.user).post(my("gad7"), answers("gad7", [1] * 7))
        event = AuditEvent.objects.get(entity_type="QuestionnaireResponse", action="create")
        assert event.basis == "self" and event.detail["questionnaire"] == "gad7"

    def test_unanswered_questions_are_shown_next_to_each_and_nothing_is_stored(self, as_user, person):
        response = as_user(person.user).post(my("gad7"), answers("gad7", [1, 1, None, 1, 1, None, 1]))
        body = response.content.decode()
        assert response.status_code == 400
        assert 'id="gad7_3-error"' in body and 'id="gad7_6-error"' in body and 'href="#gad7_3"' in body
        assert 'value="1" checked' in body  # what was answered is kept
        assert not QuestionnaireResponse.objects.exists()

    def test_semcd6_with_four_answers_stores_the_mean(self, as_user, person):
        as_user(person.user).post(my("semcd6"), answers("semcd6", [7, None, 8, 6, None, 9]))
        stored = QuestionnaireResponse.objects.get(person=person, questionnaire="semcd6")
        assert stored.score == Decimal("7.5") and stored.total == 30 and stored.observation is None
        assert stored.answers == [7, None, 8, 6, None, 9]

    def test_semcd6_with_three_answers_asks_for_more(self, as_user, person):
        response = as_user(person.user).post(my("semcd6"), answers("semcd6", [7, None, 8, None, None, 9]))
        assert response.status_code == 400 and "at least 4 of the 6 questions are needed" in response.content.decode()
        assert not QuestionnaireResponse.objects.exists()

    def test_the_answers_belong_to_the_open_round(self, as_user, clinician, person):
        cycle = cycles.do_start_cycle(clinician, person)
        as_user(person.user).post(my("phq2"), answers("phq2", [0, 0]))
        assert QuestionnaireResponse.objects.get(person=person).cycle == cycle

    def test_staff_see_the_scores_on_the_persons_review_page(self, as_user, clinician, person):
        as_user(person.user).post(my("semcd6"), answers("semcd6", [7, 8, 8, 6, 7, 9]))
        page = as_user(clinician).get(reverse("review:home", args=[person.public_id])).content.decode()
        assert "SEMCD-6" in page and "7.5 out of 10" in page

    def test_an_unknown_questionnaire_is_not_found(self, as_user, person):
        assert as_user(person.user).get(my("phq99")).status_code == 404


class TestCarers:
    def test_a_carer_allowed_to_contribute_answers_for_the_person(self, as_user, contributing_carer, person):
        response = as_user(contributing_carer).post(shared(person, "phq2"), answers("phq2", [0, 1]))
        assert response.status_code == 302
        event = AuditEvent.objects.get(entity_type="QuestionnaireResponse", action="create")
        assert event.basis == "consent" and event.actor == contributing_carer

    def test_a_contributing_carer_without_the_sensitive_parts_cannot_answer_mood_questions(
            self, as_user, carer, person):
        Consent.objects.filter(person=person, related_person__user=carer).update(can_contribute=True)
        assert as_user(carer).post(shared(person, "phq2"), answers("phq2", [0, 1])).status_code == 404
        assert not QuestionnaireResponse.objects.exists()

    def test_a_carer_who_may_only_view_cannot_answer(self, as_user, carer, person):
        client = as_user(carer)
        page = client.get(reverse("review:shared_measures", args=[person.public_id])).content.decode()
        assert shared(person, "phq2") not in page and "has not asked for you to answer" in page
        assert client.post(shared(person, "phq2"), answers("phq2", [0, 1])).status_code == 404
        assert not QuestionnaireResponse.objects.exists()

    @pytest.mark.parametrize("who", ["carer_expired", "carer_withdrawn"])
    def test_a_carer_without_consent_in_force_sees_nothing(self, request, as_user, who, person):
        client = as_user(request.getfixturevalue(who))
        assert client.get(reverse("review:shared_measures", args=[person.public_id])).status_code == 404
        assert client.post(shared(person, "phq2"), answers("phq2", [0, 1])).status_code == 404

    def test_another_person_cannot_answer_for_someone_else(self, as_user, other_person, person):
        client = as_user(other_person.user)
        assert client.post(shared(person, "phq2"), answers("phq2", [0, 1])).status_code == 404
        assert not QuestionnaireResponse.objects.exists()

    def test_staff_do_not_use_the_persons_pages(self, as_user, clinician, person):
        assert as_user(clinician).get(reverse("review:shared_measures", args=[person.public_id])).status_code == 404


class TestCollaborate:
    def test_nothing_to_ask_before_a_plan_is_agreed(self, as_user, person):
        response = as_user(person.user).post(my("collaborate"), answers("collaborate", [9, 9, 9]))
        assert response.status_code == 302 and response["Location"] == reverse("planning:my_plan")
        assert not QuestionnaireResponse.objects.exists()

    def test_my_plan_offers_it_once_the_plan_is_agreed(self, as_user, person, agreed_plan):
        client = as_user(person.user)
        assert reverse("review:my_collaborate_offer") in client.get(reverse("planning:my_plan")).content.decode()
        offer = client.get(reverse("review:my_collaborate_offer"), HTTP_HX_REQUEST="true").content.decode()
        assert 'data-testid="collaborate-offer"' in offer and my("collaborate") in offer

    def test_it_is_stored_against_the_round_with_top_box_and_mean(self, as_user, person, agreed_plan):
        as_user(person.user).post(my("collaborate"), answers("collaborate", [9, 9, 9]))
        stored = QuestionnaireResponse.objects.get(person=person, questionnaire="collaborate")
        cycle = cycles.open_cycle(person)
        assert stored.cycle == cycle and stored.band == "top-box" and stored.total == 27
        assert stored.score == Decimal("9.0")

    def test_it_is_asked_once_per_round(self, as_user, person, agreed_plan):
        client = as_user(person.user)
        client.post(my("collaborate"), answers("collaborate", [9, 8, 9]))
        assert client.get(reverse("review:my_collaborate_offer")).content == b""
        client.post(my("collaborate"), answers("collaborate", [9, 9, 9]))
        assert QuestionnaireResponse.objects.filter(questionnaire="collaborate").get().band == "not top-box"

    def test_the_action_refuses_a_second_answer_for_the_same_round(self, person, agreed_plan):
        actions.do_record_questionnaire(person.user, person, "collaborate", [5, 5, 5])
        with pytest.raises(ActionError, match="answered already"):
            actions.do_record_questionnaire(person.user, person, "collaborate", [9, 9, 9])

    def test_a_carer_cannot_answer_it_for_the_person(self, as_user, contributing_carer, person, agreed_plan):
        response = as_user(contributing_carer).post(shared(person, "collaborate"), answers("collaborate", [9, 9, 9]))
        assert response.status_code == 404 and not QuestionnaireResponse.objects.exists()


class TestPlainWords:
    def test_our_wording_around_the_questionnaires_reads_at_age_11_or_below(self):
        from ourplan.documents.readability import TARGET_READING_AGE, score
        from ourplan.review.views import INTRO

        text = " ".join(f"{title}. {intro}" for title, intro in INTRO.values())
        result = score(text)
        assert result.reading_age is not None and result.reading_age <= TARGET_READING_AGE

    def test_the_urgent_help_page_reads_at_age_11_or_below(self, as_user, person):
        import re

        from ourplan.documents.readability import TARGET_READING_AGE, score

        body = as_user(person.user).post(my("phq9"), answers("phq9", [0] * 8 + [1])).content.decode()
        main = body[body.index("<h1>"):body.index("Back to the questions")]
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&amp;", "and")
        result = score(text)
        assert result.reading_age is not None and result.reading_age <= TARGET_READING_AGE


def test_a_carer_not_shared_the_sensitive_section_does_not_see_when_mood_questions_were_answered(
        as_user, contributing_carer, person):
    actions.do_record_questionnaire(person.user, person, "phq2", [0, 0], basis="self")
    actions.do_record_questionnaire(person.user, person, "semcd6", [5] * 6, basis="self")
    client = as_user(contributing_carer)
    Consent.objects.filter(person=person, related_person__user=contributing_carer).update(include_sensitive=False)
    page = client.get(reverse("review:shared_measures", args=[person.public_id])).content.decode()
    assert page.count("Last answered on") == 1  # SEMCD-6 only
    Consent.objects.filter(person=person, related_person__user=contributing_carer).update(include_sensitive=True)
    page = client.get(reverse("review:shared_measures", args=[person.public_id])).content.decode()
    assert page.count("Last answered on") == 2


def test_the_collaborate_invitation_is_only_for_someone_with_their_own_record(as_user, carer, clinician):
    assert as_user(carer).get(reverse("review:my_collaborate_offer")).status_code == 404
    assert as_user(clinician).get(reverse("review:my_collaborate_offer")).status_code == 404
