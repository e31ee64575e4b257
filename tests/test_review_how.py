""""How I'm doing": goals achieved over time, the person's results against their targets, goal attainment at
reviews, self-efficacy, and what changed since the last agreed plan, in plain words with a table for every
chart. The person and carers with consent only; sensitive parts only for those the person shares them with."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ourplan.core.models import AuditEvent
from ourplan.people.models import Consent, StaffMember
from ourplan.planning import actions as planning
from ourplan.review import actions

pytestmark = pytest.mark.django_db

MY = reverse("review:my_how")


def shared(person):
    return reverse("review:shared_how", args=[person.public_id])


def chart_data(body: str) -> dict:
    start = body.index('<script type="application/json" id="chart-data">') + len(
        '<script type="application/json" id="chart-data">')
    return json.loads(body[start:body.index("</script>", start)])


def agreement():
    return actions.Agreement("Margaret Thompson", "The person", timezone.localdate() + timedelta(days=365),
                             StaffMember.objects.get(practitioner__user__username="nurse.jones"), True)


@pytest.fixture
def plan(clinician, person):
    plan = planning.do_start_plan(clinician, person)
    planning.do_add_goal(clinician, plan, {"person_words": "Walk to my daughter's house", "lifecycle_status": "active",
                                           "gas_zero": "Walk there once a week"})
    planning.do_add_goal(clinician, plan, {"person_words": "Get my sugar down", "lifecycle_status": "active",
                                           "measure": "hba1c", "comparator": "<=", "target_value": "53"})
    planning.do_add_goal(clinician, plan, {"person_words": "Feel less low", "lifecycle_status": "active",
                                           "sensitive": True})
    plan.refresh_from_db()
    planning.do_agree_plan(clinician, plan, plan.version, agreed_by_name="Margaret Thompson",
                           agreed_by_role="The person", review_date=timezone.localdate() + timedelta(days=180),
                           reviewer=StaffMember.objects.get(practitioner__user=clinician), share_with_person=True)
    return plan


@pytest.fixture
def reviewed(clinician, person, plan):
    review = actions.do_start_review(clinician, person, "formal")
    walk, sugar, low = plan.goals.order_by("created_at")
    actions.do_score_goal(clinician, review, walk, level=2, decision="achieved")
    actions.do_score_goal(clinician, review, sugar, level=0, decision="kept")
    actions.do_score_goal(clinician, review, low, level=1, decision="achieved")
    review.refresh_from_db()
    plan.refresh_from_db()
    actions.do_complete_review(clinician, review, review.version, plan_version=plan.version, agreement=agreement())
    return review


def test_the_person_sees_goals_achieved_and_the_review_score(as_user, person, reviewed):
    body = as_user(person.user).get(MY).content.decode()
    assert "You have achieved 2 goals" in body and "Walk to my daughter&#39;s house" in body
    assert 'data-testid="review-scores"' in body and "better than expected overall" in body
    data = chart_data(body)
    assert [p["y"] for p in data["goals-achieved"]["points"]] == [1, 2]
    assert "Show as a table" in body  # the chart's numbers as a table


def test_results_are_shown_against_targets_in_plain_words(as_user, person, plan):
    body = as_user(person.user).get(MY).content.decode()
    assert 'id="measure-hba1c"' in body and "hba1c" in chart_data(body)
    assert "Get my sugar down" in body and "not there yet" in body  # goal target 53, latest 64


def test_what_changed_since_the_last_plan_is_listed(as_user, person, reviewed):
    body = as_user(person.user).get(MY).content.decode()
    changes = body[body.index('data-testid="changes"'):]
    assert "Goal achieved: \u201cWalk to my daughter&#39;s house\u201d" in changes
    assert "Next review: by" in changes


def test_changes_since_a_first_agreement_are_listed(as_user, clinician, person, plan):
    planning.do_add_goal(clinician, plan, {"person_words": "Join the walking group", "lifecycle_status": "active"})
    body = as_user(person.user).get(MY).content.decode()
    assert "New goal: \u201cJoin the walking group\u201d" in body


def test_nothing_to_compare_before_a_plan_is_agreed(as_user, person):
    body = as_user(person.user).get(MY).content.decode()
    assert "There is no agreed plan to compare with yet" in body and "No goals marked as achieved yet" in body


def test_self_efficacy_over_time(as_user, person):
    actions.do_record_questionnaire(person.user, person, "semcd6", [5, 5, 5, 5, 5, 5],
                                    at=timezone.now() - timedelta(days=200))
    actions.do_record_questionnaire(person.user, person, "semcd6", [7, 8, 7, 8, 7, 8])
    body = as_user(person.user).get(MY).content.decode()
    assert "Last time: 7.5 out of 10" in body
    assert [p["y"] for p in chart_data(body)["self-efficacy"]["points"]] == [5.0, 7.5]


def test_reading_it_is_audited_as_the_person(as_user, person):
    as_user(person.user).get(MY)
    assert AuditEvent.objects.filter(person_id_ref=person.public_id, action="read", basis="self",
                                     detail__path=MY).exists()


class TestCarers:
    def test_a_carer_does_not_see_sensitive_parts_unless_shared(self, as_user, carer, person, reviewed):
        body = as_user(carer).get(shared(person)).content.decode()
        assert "Walk to my daughter" in body and "Feel less low" not in body
        assert 'id="measure-phq9"' not in body and "phq9" not in chart_data(body)
        assert "has achieved 1 goal" in body

    def test_a_carer_the_person_shares_sensitive_parts_with_sees_them(self, as_user, carer, person, reviewed):
        Consent.objects.filter(person=person, related_person__user=carer).update(include_sensitive=True)
        body = as_user(carer).get(shared(person)).content.decode()
        assert "Feel less low" in body and 'id="measure-phq9"' in body

    @pytest.mark.parametrize("who", ["carer_expired", "carer_withdrawn", "clinician", "other_clinician"])
    def test_nobody_else_can_read_it(self, request, as_user, who, person):
        assert as_user(request.getfixturevalue(who)).get(shared(person)).status_code == 404

    def test_another_person_cannot_read_it(self, as_user, other_person, person):
        assert as_user(other_person.user).get(shared(person)).status_code == 404

    def test_a_carer_without_a_record_of_their_own_is_sent_to_choose_a_person(self, as_user, carer):
        response = as_user(carer).get(MY)
        assert response.status_code == 302 and response["Location"] == reverse("people:my_home")
