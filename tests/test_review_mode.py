"""Review mode: starting a formal or informal review, scoring each goal for attainment with the running
Kiresuk-Sherman T-score, completing it (goal decisions applied through planning's actions, the plan
re-agreed as a new version, the care planning round closed and the next one started), stale edits refused,
access for every persona and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AuditEvent
from ourplan.people.models import StaffMember
from ourplan.planning import actions as planning
from ourplan.planning.models import Goal, PlanVersion
from ourplan.recall import cycle as cycles
from ourplan.recall.models import CarePlanningCycle
from ourplan.review import actions, gas
from ourplan.review.models import GoalAttainment, PlanReview

pytestmark = pytest.mark.django_db

GAS = {"gas_minus2": "Cannot get to the end of the road", "gas_minus1": "Can get to the corner shop",
       "gas_zero": "Can walk to my daughter's house", "gas_plus1": "Walk there and back",
       "gas_plus2": "Walk there and back twice a week"}


def reviewer():
    return StaffMember.objects.get(practitioner__user__username="nurse.jones")


def agreement(**overrides):
    fields = {"agreed_by_name": "Margaret Thompson", "agreed_by_role": "The person",
              "review_date": timezone.localdate() + timedelta(days=365), "reviewer": reviewer(),
              "share_with_person": True, **overrides}
    return actions.Agreement(**fields)


@pytest.fixture
def plan(clinician, person):
    return planning.do_start_plan(clinician, person)


@pytest.fixture
def goals(clinician, plan):
    walk = planning.do_add_goal(clinician, plan, {"person_words": "Walk to my daughter's house",
                                                  "lifecycle_status": "active", **GAS})
    garden = planning.do_add_goal(clinician, plan, {"person_words": "Get back to my allotment",
                                                    "lifecycle_status": "active", "gas_zero": "Dig one bed"})
    sleep = planning.do_add_goal(clinician, plan, {"person_words": "Sleep through the night",
                                                   "lifecycle_status": "active"})
    return walk, garden, sleep


@pytest.fixture
def agreed(clinician, plan, goals):
    plan.refresh_from_db()
    return planning.do_agree_plan(clinician, plan, plan.version, agreed_by_name="Margaret Thompson",
                                  agreed_by_role="The person", review_date=timezone.localdate() + timedelta(days=180),
                                  reviewer=reviewer(), share_with_person=True)


@pytest.fixture
def review(clinician, person, agreed):
    return actions.do_start_review(clinician, person, "formal")


def score_all(clinician, review, goals, levels=(1, 1, 1), decisions=("kept", "kept", "kept"), weights=(1, 1, 1)):
    for goal, level, decision, weight in zip(goals, levels, decisions, weights, strict=True):
        actions.do_score_goal(clinician, review, goal, level=level, weight=weight, decision=decision)


def complete(clinician, review, **kwargs):
    review.refresh_from_db()
    plan = review.plan
    plan.refresh_from_db()
    return actions.do_complete_review(clinician, review, review.version, plan_version=plan.version,
                                      summary=kwargs.pop("summary", "Went well"),
                                      agreement=kwargs.pop("agreement", agreement()), **kwargs)


class TestStarting:
    def test_a_formal_review_needs_an_agreed_plan(self, clinician, person, goals):
        with pytest.raises(ActionError, match="Agree the plan before"):
            actions.do_start_review(clinician, person, "formal")

    def test_a_check_in_can_be_recorded_before_the_plan_is_agreed(self, clinician, person, goals):
        review = actions.do_start_review(clinician, person, "informal-checkin")
        assert review.kind == "informal-checkin" and not review.completed

    def test_there_is_nothing_to_review_without_a_plan(self, clinician, person):
        with pytest.raises(ActionError, match="no care plan"):
            actions.do_start_review(clinician, person, "informal-phone")

    def test_starting_again_joins_the_review_in_progress(self, clinician, hca, person, review):
        again = actions.do_start_review(hca, person, "informal-phone")
        assert again.pk == review.pk and PlanReview.objects.filter(person=person).count() == 1

    def test_the_database_refuses_two_reviews_in_progress(self, person, review):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanReview.objects.create(person=person, plan=review.plan, kind="informal-phone",
                                      held_at=timezone.now())

    def test_the_review_is_of_the_round_whose_plan_was_agreed(self, person, review):
        cycle = CarePlanningCycle.objects.get(person=person)
        assert review.cycle_id == cycle.pk and cycle.plan_agreed_at is not None

    def test_an_unknown_kind_is_refused(self, clinician, person, agreed):
        with pytest.raises(ActionError, match="kind of review"):
            actions.do_start_review(clinician, person, "by-carrier-pigeon")


class TestScoring:
    def test_the_running_t_score_follows_the_formula(self, clinician, review, goals):
        assert actions.running_t(review) is None
        score_all(clinician, review, goals, levels=(1, 1, 1))
        assert actions.running_t(review) == pytest.approx(63.6931, abs=1e-4)

    def test_a_changed_score_needs_the_version_the_editor_saw(self, clinician, hca, review, goals):
        first = actions.do_score_goal(clinician, review, goals[0], level=0)
        actions.do_score_goal(hca, review, goals[0], level=2, expected_version=first.version)
        with pytest.raises(EditConflict):
            actions.do_score_goal(clinician, review, goals[0], level=-1, expected_version=first.version)
        assert GoalAttainment.objects.get(goal=goals[0]).level == 2

    def test_scoring_a_goal_someone_else_has_just_scored_is_a_conflict_not_an_overwrite(self, clinician, hca, review,
                                                                                       goals):
        actions.do_score_goal(hca, review, goals[0], level=2)
        with pytest.raises(EditConflict):
            actions.do_score_goal(clinician, review, goals[0], level=-2, expected_version=None)
        assert GoalAttainment.objects.get(goal=goals[0]).level == 2

    @pytest.mark.parametrize(("level", "weight"), [(3, 1), (-3, 1), (1, 0), (1, 11)])
    def test_out_of_range_levels_and_weights_are_refused(self, clinician, review, goals, level, weight):
        with pytest.raises(ActionError):
            actions.do_score_goal(clinician, review, goals[0], level=level, weight=weight)
        assert not GoalAttainment.objects.exists()

    def test_the_database_refuses_a_level_outside_minus_2_to_plus_2(self, review, goals):
        with pytest.raises(IntegrityError), transaction.atomic():
            GoalAttainment.objects.create(review=review, goal=goals[0], level=3)

    def test_a_goal_of_another_plan_cannot_be_scored(self, clinician, review, other_person):
        other_plan = planning.do_start_plan(clinician, other_person)
        other_goal = planning.do_add_goal(clinician, other_plan, {"person_words": "Not yours",
                                                                  "lifecycle_status": "active"})
        with pytest.raises(ActionError, match="not part of the plan"):
            actions.do_score_goal(clinician, review, other_goal, level=0)

    def test_a_score_can_be_removed_with_the_version_seen(self, clinician, review, goals):
        row = actions.do_score_goal(clinician, review, goals[0], level=1)
        with pytest.raises(EditConflict):
            actions.do_clear_score(clinician, review, goals[0], row.version + 1)
        actions.do_clear_score(clinician, review, goals[0], row.version)
        assert not GoalAttainment.objects.exists()


class TestCompletingAFormalReview:
    def test_every_goal_must_be_scored_first(self, clinician, review, goals):
        actions.do_score_goal(clinician, review, goals[0], level=0)
        with pytest.raises(ActionError, match="Not scored yet") as exc:
            complete(clinician, review)
        assert "Get back to my allotment" in exc.value.message and "Sleep through" in exc.value.message
        review.refresh_from_db()
        assert not review.completed

    def test_decisions_are_applied_to_the_goals_with_a_plan_version_each(self, clinician, review, goals):
        walk, garden, sleep = goals
        before = PlanVersion.objects.filter(plan=review.plan).count()
        score_all(clinician, review, goals, levels=(2, -1, 0), decisions=("achieved", "dropped", "changed"))
        complete(clinician, review)
        walk.refresh_from_db(), garden.refresh_from_db(), sleep.refresh_from_db()
        assert (walk.achievement_status, walk.lifecycle_status) == ("achieved", "completed")
        assert garden.lifecycle_status == "cancelled"
        assert (sleep.lifecycle_status, sleep.achievement_status) == ("active", "")  # left to edit
        summaries = list(PlanVersion.objects.filter(plan=review.plan).order_by("number")
                         .values_list("summary", flat=True))[before:]
        assert summaries[0].startswith("Goal changed: Walk") and summaries[1].startswith("Goal changed: Get back")
        assert summaries[-1].startswith("Plan agreed with Margaret Thompson") and len(summaries) == 3

    def test_the_plan_is_re_agreed_with_the_new_review_date(self, clinician, review, goals):
        score_all(clinician, review, goals)
        next_review = timezone.localdate() + timedelta(days=300)
        complete(clinician, review, agreement=agreement(review_date=next_review))
        plan = review.plan
        plan.refresh_from_db()
        assert plan.review_date == next_review and plan.status == "active"
        review.refresh_from_db()
        assert review.completed and review.outcome == "re-agreed" and review.summary == "Went well"

    def test_the_t_score_is_stored_to_one_decimal_place(self, clinician, review, goals):
        score_all(clinician, review, goals, levels=(2, -1, 0), weights=(3, 1, 2))
        complete(clinician, review)
        review.refresh_from_db()
        assert str(review.t_score) == "61.0"
        assert review.t_score == gas.t_score_decimal([(2, 3), (-1, 1), (0, 2)])

    def test_the_reviewed_round_closes_and_the_next_starts_with_the_plan_agreed(self, clinician, person, review,
                                                                                 goals):
        reviewed = review.cycle
        score_all(clinician, review, goals)
        next_review = timezone.localdate() + timedelta(days=365)
        complete(clinician, review, agreement=agreement(review_date=next_review))
        reviewed.refresh_from_db()
        assert reviewed.status == "completed" and reviewed.closed_at is not None
        new = cycles.open_cycle(person)
        assert new is not None and new.pk != reviewed.pk
        assert new.conversation_held_at and new.plan_agreed_at and new.plan_shared_at
        assert new.review_due == next_review

    def test_a_round_opened_for_this_review_is_continued_not_replaced(self, clinician, person, review, goals):
        # Recall invited the person for their annual review: the agreed round was closed, a new one is open.
        cycles.do_close_cycle(clinician, review.cycle)
        invited = cycles.do_start_cycle(clinician, person)
        cycles.do_mark_stage(clinician, invited, "invited")
        score_all(clinician, review, goals)
        complete(clinician, review)
        invited.refresh_from_db()
        assert invited.status == "open" and invited.plan_agreed_at is not None
        assert CarePlanningCycle.objects.filter(person=person).count() == 2

    def test_a_plan_changed_since_review_mode_opened_is_not_agreed(self, clinician, review, goals):
        score_all(clinician, review, goals, decisions=("achieved", "kept", "kept"))
        review.refresh_from_db()
        plan = review.plan
        plan.refresh_from_db()
        seen = plan.version
        planning.do_update_about(clinician, plan, plan.version, {"what_matters": "My grandchildren"})
        with pytest.raises(planning.PlanConflict):
            actions.do_complete_review(clinician, review, review.version, plan_version=seen, agreement=agreement())
        goals[0].refresh_from_db()
        review.refresh_from_db()
        assert goals[0].lifecycle_status == "active" and not review.completed

    def test_a_completed_review_cannot_be_scored_or_completed_again(self, clinician, review, goals):
        score_all(clinician, review, goals)
        complete(clinician, review)
        with pytest.raises(ActionError, match="has been completed"):
            actions.do_score_goal(clinician, review, goals[0], level=-2)
        with pytest.raises(ActionError, match="has been completed"):
            complete(clinician, review)

    def test_todays_booked_review_appointment_is_marked_attended_but_not_a_later_one(self, clinician, person,
                                                                                    review, goals):
        from ourplan.recall.models import Appointment, AppointmentSlot
        from tests.recall_factories import at, staff_member

        staff = staff_member(clinician)
        today = timezone.localdate(review.held_at)

        def booked(day):
            slot = AppointmentSlot.objects.create(practice_id=staff.organisation_id, staff=staff, start=at(day, 0, 1),
                                                  kind="review")
            return Appointment.objects.create(cycle=review.cycle, person=person, slot=slot, kind="review",
                                              length_minutes=20)

        todays, later = booked(today), booked(today + timedelta(days=7))
        score_all(clinician, review, goals)
        complete(clinician, review)
        todays.refresh_from_db(), later.refresh_from_db()
        assert todays.status == "fulfilled" and later.status == "booked"

    def test_completion_is_audited(self, clinician, review, goals):
        score_all(clinician, review, goals)
        complete(clinician, review)
        event = AuditEvent.objects.filter(entity_type="PlanReview", entity_id=str(review.public_id),
                                          action="update").get()
        assert event.detail["outcome"] == "re-agreed" and event.basis == "direct-care"
        assert AuditEvent.objects.filter(entity_type="GoalAttainment", action="create").count() == 3


class TestInformalReviews:
    def test_a_phone_call_is_recorded_without_re_agreeing_or_moving_the_round(self, clinician, person, agreed,
                                                                               goals):
        cycle = cycles.open_cycle(person)
        plan = planning.current_plan(person)
        review = actions.do_start_review(clinician, person, "informal-phone")
        complete(clinician, review, agreement=None, summary="Rang to check on the walking")
        review.refresh_from_db()
        assert review.completed and review.outcome == "continued" and review.t_score is None
        after = planning.current_plan(person)
        assert after.version == plan.version and after.agreed_at == plan.agreed_at
        assert cycles.open_cycle(person).pk == cycle.pk

    def test_a_check_in_may_score_goals_and_apply_decisions(self, clinician, person, agreed, goals):
        review = actions.do_start_review(clinician, person, "informal-checkin")
        actions.do_score_goal(clinician, review, goals[1], level=2, decision="achieved")
        complete(clinician, review, agreement=None)
        goals[1].refresh_from_db()
        review.refresh_from_db()
        assert goals[1].achievement_status == "achieved" and review.t_score == 70


# ---- pages -------------------------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"review:{name}", args=args)


class TestPages:
    def test_the_clinician_starts_review_mode_and_sees_each_goals_levels(self, as_user, clinician, person, agreed):
        client = as_user(clinician)
        response = client.post(url("start", person.public_id), {"kind": "formal"})
        review = PlanReview.objects.get(person=person)
        assert response.status_code == 302 and response["Location"] == url("mode", person.public_id,
                                                                            review.public_id)
        page = client.get(response["Location"]).content.decode()
        assert "Walk to my daughter&#39;s house" in page and "Walk there and back twice a week" in page
        assert "No goals scored yet" in page

    def test_starting_without_a_kind_shows_the_error_by_the_field(self, as_user, clinician, person, agreed):
        response = as_user(clinician).post(url("start", person.public_id), {})
        assert response.status_code == 400 and 'id="start-kind-error"' in response.content.decode()

    def test_scoring_with_htmx_returns_the_goal_and_the_running_score(self, as_user, clinician, person, review,
                                                                      goals):
        response = as_user(clinician).post(url("score", person.public_id, review.public_id, goals[0].public_id),
                                           {"level": "1", "weight": "1", "decision": "kept", "version": ""},
                                           HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200 and 'hx-swap-oob="true"' in body and "T = 60.0" in body
        assert GoalAttainment.objects.get(goal=goals[0]).level == 1

    def test_a_missing_level_is_shown_beside_the_goal(self, as_user, clinician, person, review, goals):
        response = as_user(clinician).post(url("score", person.public_id, review.public_id, goals[0].public_id),
                                           {"weight": "1", "decision": "kept"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        # 200 so that htmx swaps the card in: it swaps nothing on an error status.
        assert response.status_code == 200 and 'id="goal-' in body
        assert f'id="goal-{goals[0].public_id}-level-error"' in body and "Choose the level this goal reached" in body
        assert not GoalAttainment.objects.exists()

    def test_without_htmx_the_error_is_shown_in_the_page_beside_the_goal(self, as_user, clinician, person, review,
                                                                         goals):
        response = as_user(clinician).post(url("score", person.public_id, review.public_id, goals[1].public_id),
                                           {"level": "1", "weight": "12", "decision": "kept"})
        body = response.content.decode()
        assert response.status_code == 400 and f'id="goal-{goals[1].public_id}-weight-error"' in body
        assert "Enter a weight from 1 to 10" in body

    def test_a_stale_score_shows_the_other_persons_score(self, as_user, clinician, hca, person, review, goals):
        actions.do_score_goal(hca, review, goals[0], level=-2)
        response = as_user(clinician).post(url("score", person.public_id, review.public_id, goals[0].public_id),
                                           {"level": "2", "weight": "1", "decision": "kept", "version": ""},
                                           HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200 and 'data-testid="conflict"' in body and "Scored -2" in body
        assert GoalAttainment.objects.get(goal=goals[0]).level == -2

    def test_completing_needs_the_re_agreement_fields(self, as_user, clinician, person, review, goals):
        score_all(clinician, review, goals)
        review.refresh_from_db()
        response = as_user(clinician).post(url("complete", person.public_id, review.public_id), {
            "version": review.version, "plan_version": review.plan.version, "summary": "x"})
        body = response.content.decode()
        assert response.status_code == 400 and "Enter the next review date" in body
        assert 'id="complete-review_date-error"' in body

    def test_completing_from_the_page_re_agrees_the_plan(self, as_user, clinician, person, review, goals):
        score_all(clinician, review, goals)
        review.refresh_from_db()
        plan = review.plan
        plan.refresh_from_db()
        response = as_user(clinician).post(url("complete", person.public_id, review.public_id), {
            "version": review.version, "plan_version": plan.version, "summary": "Good year",
            "agreed_by_name": "Margaret Thompson", "agreed_by_role": "The person",
            "review_date": (timezone.localdate() + timedelta(days=200)).isoformat(), "reviewer": reviewer().pk,
            "share_with_person": "on"})
        assert response.status_code == 302
        review.refresh_from_db()
        assert review.completed and review.outcome == "re-agreed"

    def test_unscored_goals_are_named_when_completing(self, as_user, clinician, person, review, goals):
        review.refresh_from_db()
        response = as_user(clinician).post(url("complete", person.public_id, review.public_id), {
            "version": review.version, "plan_version": review.plan.version, "agreed_by_name": "M",
            "agreed_by_role": "The person", "reviewer": reviewer().pk,
            "review_date": (timezone.localdate() + timedelta(days=200)).isoformat()})
        assert response.status_code == 400 and "Not scored yet" in response.content.decode()

    def test_the_workspace_offers_review_mode_once_the_plan_is_agreed(self, as_user, clinician, person, agreed):
        page = as_user(clinician).get(reverse("planning:workspace", args=[person.public_id])).content.decode()
        assert 'data-testid="review-mode"' in page and url("home", person.public_id) in page

    def test_opening_review_mode_is_audited_as_a_read_with_direct_care(self, as_user, clinician, person, review):
        as_user(clinician).get(url("mode", person.public_id, review.public_id))
        assert AuditEvent.objects.filter(entity_type="PlanReview", action="read", basis="direct-care",
                                         person_id_ref=person.public_id).exists()

    @pytest.mark.parametrize("who", ["other_clinician", "person", "carer", "other_person"])
    def test_nobody_without_direct_care_can_open_or_score(self, request, as_user, who, person, review, goals):
        user = request.getfixturevalue(who)
        user = user.user if who in ("person", "other_person") else user  # the Person's login
        client = as_user(user)
        assert client.get(url("home", person.public_id)).status_code == 404
        assert client.get(url("mode", person.public_id, review.public_id)).status_code == 404
        response = client.post(url("score", person.public_id, review.public_id, goals[0].public_id),
                               {"level": "2", "weight": "1", "decision": "kept"})
        assert response.status_code == 404 and not GoalAttainment.objects.exists()

    def test_anonymous_is_sent_to_log_in(self, anonymous, person):
        response = anonymous.get(url("home", person.public_id))
        assert response.status_code == 302 and "login" in response["Location"]

    def test_a_review_of_another_person_is_not_found_through_this_persons_url(self, as_user, clinician, person,
                                                                              other_person, review):
        response = as_user(clinician).get(url("mode", other_person.public_id, review.public_id))
        assert response.status_code == 404

    def test_a_goal_outside_the_review_is_not_found(self, as_user, clinician, person, review, other_person):
        other_plan = planning.do_start_plan(clinician, other_person)
        stranger = planning.do_add_goal(clinician, other_plan, {"person_words": "x", "lifecycle_status": "active"})
        response = as_user(clinician).post(url("score", person.public_id, review.public_id, stranger.public_id),
                                           {"level": "1", "weight": "1", "decision": "kept"})
        assert response.status_code == 404 and not Goal.objects.filter(attainments__isnull=False).exists()


class TestPracticeAdmin:
    """Admin staff record offers and see the review history (direct care includes the sensitive parts), but
    review mode is clinical work, for clinical staff."""

    def test_admin_sees_the_review_tab_without_review_mode_or_mood_scores(self, as_user, practice_admin, person,
                                                                           review, goals):
        actions.do_record_questionnaire(person.user, person, "phq9", [1] * 9, basis="self")
        actions.do_record_questionnaire(person.user, person, "semcd6", [6] * 6, basis="self")
        page = as_user(practice_admin).get(url("home", person.public_id)).content.decode()
        assert 'data-testid="clinical-only"' in page and url("start", person.public_id) not in page
        assert "SEMCD-6" in page and "PHQ-9" in page

    def test_admin_cannot_open_or_score_review_mode(self, as_user, practice_admin, person, review, goals):
        client = as_user(practice_admin)
        assert client.get(url("mode", person.public_id, review.public_id)).status_code == 404
        response = client.post(url("score", person.public_id, review.public_id, goals[0].public_id),
                               {"level": "1", "weight": "1", "decision": "kept"})
        assert response.status_code == 404 and not GoalAttainment.objects.exists()
        assert client.post(url("start", person.public_id), {"kind": "formal"}).status_code == 404
        assert AuditEvent.objects.filter(actor=practice_admin, action="denied", entity_type="GoalAttainment").exists()

    def test_the_clinician_sees_mood_scores(self, as_user, clinician, person):
        actions.do_record_questionnaire(person.user, person, "phq9", [1] * 9, basis="self")
        assert "PHQ-9" in as_user(clinician).get(url("home", person.public_id)).content.decode()
