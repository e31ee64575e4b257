"""The outcomes dashboard: before-and-after results with honest confidence intervals and a plain caveat,
goal attainment, and what people want and need (goal categories, referrals, unmet needs)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from ourplan.clinical.models import Observation
from ourplan.insight import outcomes as out
from ourplan.insight.dashboards import OBSERVATIONAL_CAVEAT
from ourplan.insight.scope import default_period, staff_scope
from ourplan.support.models import Referral, Service, UnmetNeed
from tests import factories as f
from tests import insight_factories as inf
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db
URL = "/staff/insight/outcomes/"


def _scope(user):
    request = RequestFactory().get("/")
    request.user = user
    return staff_scope(request)


def _obs(person, measure: str, value: str, days_ago: float, source: str = "clinic"):
    o = f.obs(person, measure, value, "80" if measure == "bp" else None)
    Observation.objects.filter(pk=o.pk).update(effective_at=inf.ago(days_ago), source=source)


class TestSummarise:
    def test_mean_change_and_95_percent_t_interval_of_the_paired_differences(self):
        # Differences -2, -4, -6, -8, -10: mean -6, SD sqrt(10), SE sqrt(2), t(0.975, 4) = 2.7764451.
        pairs = [(60.0, 58.0), (60.0, 56.0), (70.0, 64.0), (70.0, 62.0), (80.0, 70.0)]
        s = out.summarise(pairs)
        half = 2.7764451052 * math.sqrt(10) / math.sqrt(5)
        assert s.n == 5 and s.before == 68 and s.after == 62 and s.change == -6
        assert s.low == pytest.approx(-6 - half, abs=1e-6) and s.high == pytest.approx(-6 + half, abs=1e-6)

    def test_fewer_than_five_pairs_give_no_estimate(self):
        s = out.summarise([(60.0, 58.0)] * 4)
        assert s.n == 4 and not s.estimated and s.low is None

    def test_identical_changes_give_a_zero_width_interval(self):
        s = out.summarise([(60.0, 58.0)] * 6)
        assert s.change == s.low == s.high == -2


class TestBeforeAndAfter:
    def test_the_latest_result_before_and_the_latest_3_to_15_months_after_are_paired(self, clinician, practice):
        p = rf.on_registers(practice, "Paired", "DM")
        inf.round_for(p, conversation_held=200)
        _obs(p, "hba1c", "70", 380)  # more than a year before: not the baseline
        _obs(p, "hba1c", "64", 210)  # the baseline
        _obs(p, "hba1c", "61", 200 - 90)  # 90 days after: too soon
        _obs(p, "hba1c", "58", 200 - 100)  # the follow-up
        _obs(p, "hba1c", "40", 20, source="home")  # a home reading: never used
        scope = _scope(clinician)
        period = default_period(timezone.localdate())
        group = out.cohort(scope.people, period)
        assert out.pairs(scope.people, period, group)["hba1c"] == {p.pk: (64.0, 58.0)}

    def test_people_without_both_results_are_left_out(self, clinician, practice):
        p = rf.on_registers(practice, "Onlybefore", "HYP")
        inf.round_for(p, conversation_held=200)
        _obs(p, "bp", "150", 210)
        scope = _scope(clinician)
        period = default_period(timezone.localdate())
        assert out.pairs(scope.people, period, out.cohort(scope.people, period))["bp"] == {}

    def test_changes_are_grouped_by_register_and_shown_with_the_caveat(self, as_user, clinician, practice):
        for i in range(6):
            p = rf.on_registers(practice, f"Sugar{i}", "DM", *(["HYP"] if i < 2 else []))
            inf.round_for(p, conversation_held=200)
            _obs(p, "hba1c", str(70 + i), 205)
            _obs(p, "hba1c", str(66 + i), 60)
        groups = out.change_groups(_scope(clinician).people, default_period(timezone.localdate()))
        assert sum(len(v) for v in groups[("hba1c", out.EVERYONE)].values()) == 6
        assert sum(len(v) for v in groups[("hba1c", "HYP")].values()) == 2
        body = as_user(clinician).get(URL).content.decode()
        assert OBSERVATIONAL_CAVEAT.split(".")[0].replace("'", "&#39;") in body
        assert "regression to the mean" in body
        assert "-4.0" in body  # the mean change for everyone, every person fell by 4
        assert "too few to estimate" in body  # the hypertension row has 2 people


class TestGoalsAndNeeds:
    def test_attainment_levels_and_t_scores_of_completed_reviews_in_the_period(self, clinician, practice):
        p = rf.on_registers(practice, "Scored", "HYP")
        plan = inf.plan_for(p, agreed_days_ago=200)
        g1, g2 = inf.goal(plan, "Walk more"), inf.goal(plan, "Sleep better")
        inf.review(p, plan, days_ago=20, levels=[(g1, 1), (g2, -1)], t_score=50.0)
        inf.review(p, plan, days_ago=10, levels=[(g1, 2)], completed=False)  # still open: not counted
        scope = _scope(clinician)
        period = default_period(timezone.localdate())
        levels = out.attainment_levels(scope.people, period)
        assert levels[1] == {practice.pk: 1} and levels[-1] == {practice.pk: 1} and levels[2] == {}
        assert out.t_scores(scope.people, period) == [(practice.pk, 50.0)]

    def test_goal_categories_support_needs_and_unmet_needs_are_counted(self, as_user, clinician, practice):
        p = rf.on_registers(practice, "Needs", "HYP")
        plan = inf.plan_for(p)
        inf.goal(plan, "Walk more", category="health")
        inf.goal(plan, "See friends", category="social")
        walking = Service.objects.create(name="Walk group", description="x", category_codes="physical-activity "
                                         "social-connection")
        Referral.objects.create(person=p, service=walking, reason="Walk more", sent_at=inf.ago(5))
        Referral.objects.create(person=p, to_name="Dr Physio", reason="Knee", sent_at=inf.ago(5))
        UnmetNeed.objects.create(person=p, category="carers", description="No respite")
        UnmetNeed.objects.create(person=None, category="carers", description="An area's need, no practice")
        scope = _scope(clinician)
        period = default_period(timezone.localdate())
        assert out.goal_categories(scope.people, period) == {"health": {practice.pk: 1}, "social": {practice.pk: 1}}
        needs = out.support_needs(scope.people, period)
        assert needs["physical-activity"] == {practice.pk: 1} and needs["social-connection"] == {practice.pk: 1}
        assert needs["carers"] == {practice.pk: 0} and needs[out.NO_SERVICE] == {practice.pk: 1}
        assert out.unmet_needs(scope.people, period) == {"carers": {practice.pk: 1}}
        body = as_user(clinician).get(URL).content.decode()
        assert "Unmet needs: no service fitted" in body and 'id="insight-chart-data"' in body

    def test_an_old_goal_is_outside_the_period(self, clinician, practice):
        p = rf.on_registers(practice, "Old", "HYP")
        inf.goal(inf.plan_for(p), "Walk more", days_ago=500)
        assert out.goal_categories(_scope(clinician).people, default_period(timezone.localdate())) == {}


def test_outcomes_page_for_staff_only(as_user, anonymous, clinician, person):
    assert reverse("insight:outcomes") == URL
    assert as_user(clinician).get(URL).status_code == 200
    assert as_user(person.user).get(URL).status_code == 404
    assert anonymous.get(URL).status_code == 302


def test_outcomes_queries_do_not_grow_with_people(as_user, clinician, practice, django_assert_max_num_queries):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            p = rf.on_registers(practice, f"Many{i}", "DM")
            inf.round_for(p, conversation_held=200)
            _obs(p, "hba1c", "70", 205)
            _obs(p, "hba1c", "66", 60)
            plan = inf.plan_for(p)
            g = inf.goal(plan, "Walk", days_ago=100)
            inf.review(p, plan, days_ago=20, levels=[(g, 1)], t_score=55.0)

    client = as_user(clinician)
    add(2, 0)
    client.get(URL)
    with django_assert_max_num_queries(25) as few:
        client.get(URL)
    add(15, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200


def test_follow_up_window_is_inclusive_at_91_days(clinician, practice):
    p = rf.on_registers(practice, "Edge", "HYP")
    inf.round_for(p, conversation_held=300)
    _obs(p, "bp", "150", 301)
    _obs(p, "bp", "140", 300 - out.AFTER_FROM_DAYS - 0.01)
    scope = _scope(clinician)
    period = default_period(timezone.localdate())
    assert out.pairs(scope.people, period, out.cohort(scope.people, period))["bp"] == {p.pk: (150.0, 140.0)}
    assert timedelta(days=out.AFTER_FROM_DAYS) > timedelta(days=90)
