"""Shared decisions with approved decision aids, spanning visits, and the personal budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.planning import actions, rules
from ourplan.planning.models import BudgetItem, Decision, DecisionAid, PersonalBudget

pytestmark = pytest.mark.django_db


def u(name: str, *args) -> str:
    return reverse(f"planning:{name}", args=args)


@pytest.fixture
def plan(clinician, person):
    return actions.do_start_plan(clinician, person)


@pytest.fixture
def goal(clinician, plan):
    return actions.do_add_goal(clinician, plan, {"person_words": "Swim twice a week", "lifecycle_status": "active"})


@pytest.fixture
def bp_aid():
    return DecisionAid.objects.get(title="Ways to lower blood pressure")


class TestDecisionAids:
    def test_two_approved_aids_are_seeded_with_plain_options(self):
        aids = list(DecisionAid.objects.approved())
        assert {a.title for a in aids} == {"Starting a new diabetes medicine", "Ways to lower blood pressure"}
        for aid in aids:
            assert len(aid.options) >= 2 and aid.approved_at is not None
            for option in aid.options:
                assert all(option[k] for k in ("name", "pros", "cons", "evidence", "uncertainties"))

    def test_unapproved_or_retired_aids_are_not_offered_or_accepted(self, as_user, clinician, person, plan,
                                                                 bp_aid):
        draft = DecisionAid.objects.create(title="Draft aid", question="q", options=[{"name": "A"}])
        DecisionAid.objects.filter(title="Starting a new diabetes medicine").update(retired=True)
        body = as_user(clinician).get(u("decision_new", person.public_id)).content.decode()
        assert "Ways to lower blood pressure" in body and "Draft aid" not in body
        assert "Starting a new diabetes medicine" not in body
        with pytest.raises(ActionError) as exc:
            rules.clean_decision({"question": "q", "aid": draft})
        assert exc.value.field == "aid"

    def test_choosing_an_aid_shows_its_options_without_saving(self, as_user, clinician, person, plan, bp_aid):
        body = as_user(clinician).post(u("decision_new", person.public_id), {"aid": bp_aid.pk, "_refresh": "1"},
                                       HTTP_HX_REQUEST="true").content.decode()
        assert "Check my blood pressure at home first" in body and "What the evidence says" in body
        assert "What should I do about my blood pressure?" in body  # the aid's question is offered
        assert "There is a problem" not in body
        assert not Decision.objects.exists()


class TestDecisions:
    def test_clinician_records_a_decision_with_an_aid_and_a_dated_visit_note(self, as_user, clinician, person,
                                                                            plan, bp_aid):
        body = as_user(clinician).post(u("decision_new", person.public_id), {
            "aid": bp_aid.pk, "question": "What should I do about my blood pressure?",
            "options_considered": ["Change what I eat, drink and do",
                                   "Check my blood pressure at home first, then decide"],
            "what_matters": "Not taking more tablets", "status": "deferred",
            "visit_note": "Will borrow a home monitor"}, HTTP_HX_REQUEST="true").content.decode()
        decision = Decision.objects.get()
        assert decision.aid == bp_aid and decision.status == "deferred" and len(decision.options_considered) == 2
        assert decision.notes.get().text == "Will borrow a home monitor"
        assert "Deferred to the next visit" in body and "Less salt, less alcohol" in body
        snap = plan.versions.first().snapshot["decisions"][0]
        assert snap["question"].startswith("What should I do") and len(snap["options"]) == 2

    def test_a_decision_spans_visits_keeping_a_note_from_each(self, clinician, hca, plan, bp_aid):
        d = actions.do_add_decision(clinician, plan, {"question": "BP?", "aid": bp_aid, "status": "deferred"},
                                    note="Home readings first")
        actions.do_update_decision(hca, d, d.version, {"question": "BP?", "aid": bp_aid, "status": "agreed",
                                                       "decision": "Try less salt for 3 months"},
                                   note="Home average 128/78")
        notes = list(d.notes.values_list("author_label", "status", "text"))
        assert notes == [("Megan Jones", "deferred", "Home readings first"),
                         ("Ravi Patel", "agreed", "Home average 128/78")]
        assert all(n.at.date() == timezone.localdate() for n in d.notes.all())

    @pytest.mark.parametrize("status", ["agreed", "agree-to-disagree"])
    def test_agreed_and_agree_to_disagree_say_what_was_decided(self, status):
        with pytest.raises(ActionError) as exc:
            rules.clean_decision({"question": "q", "status": status, "decision": ""})
        assert exc.value.field == "decision"

    def test_deferred_and_open_decisions_need_no_decision_yet(self):
        rules.clean_decision({"question": "q", "status": "deferred", "decision": ""})
        rules.clean_decision({"question": "q", "status": "open", "decision": ""})

    def test_options_must_come_from_the_chosen_aid(self, bp_aid):
        with pytest.raises(ActionError) as exc:
            rules.clean_decision({"question": "q", "aid": bp_aid, "options_considered": ["Surgery"]})
        assert exc.value.field == "options_considered"

    def test_stale_decision_save_conflicts_and_keeps_your_text(self, as_user, clinician, hca, person, plan):
        d = actions.do_add_decision(clinician, plan, {"question": "Statins?", "status": "open"})
        url = u("decision_edit", person.public_id, d.public_id)
        base = {"question": "Statins?", "version": d.version}
        as_user(hca).post(url, {**base, "status": "deferred", "what_matters": "Muscle aches"},
                          HTTP_HX_REQUEST="true")
        body = as_user(clinician).post(url, {**base, "status": "open", "what_matters": "Living to see grandson"},
                                       HTTP_HX_REQUEST="true").content.decode()
        assert 'data-testid="conflict"' in body and "Muscle aches" in body and "Living to see grandson" in body

    def test_the_person_sees_decisions_on_their_plan(self, as_user, clinician, person, plan):
        actions.do_add_decision(clinician, plan, {"question": "Start a statin?", "status": "agree-to-disagree",
                                                  "decision": "Margaret prefers not to; nurse advised it"})
        body = as_user(person.user).get(u("my_plan")).content.decode()
        assert "Start a statin?" in body and "Agreed to disagree" in body


class TestPersonalBudget:
    def test_clinician_sets_the_budget_and_plans_items_linked_to_goals(self, as_user, clinician, person, goal):
        client = as_user(clinician)
        client.post(u("budget", person.public_id), {"funding_source": "phb", "indicative_allocation": "1200",
                                                    "spend_to_date": "150"}, HTTP_HX_REQUEST="true")
        body = client.post(u("budget_item_new", person.public_id), {
            "description": "Swimming pass", "amount": "300", "goal": goal.pk}, HTTP_HX_REQUEST="true").content.decode()
        budget = PersonalBudget.objects.get()
        assert budget.indicative_allocation == Decimal("1200") and budget.items.get().goal == goal
        assert "Swimming pass" in body and "Swim twice a week" in body and "£300.00" in body
        snap = goal.plan.versions.first().snapshot["budget"]
        assert snap["planned_total"] == "300.00" and snap["items"][0]["goal_words"] == "Swim twice a week"

    def test_planning_more_than_the_allocation_warns(self, as_user, clinician, person, plan):
        actions.do_set_budget(clinician, plan, None, {"indicative_allocation": Decimal("100")})
        actions.do_add_budget_item(clinician, plan, {"description": "Gym", "amount": Decimal("250")})
        body = as_user(clinician).get(u("plan", person.public_id)).content.decode()
        assert 'data-testid="over-budget"' in body and "£150.00 more" in body

    def test_amounts_cannot_be_negative_or_zero(self, clinician, plan):
        with pytest.raises(ActionError):
            actions.do_set_budget(clinician, plan, None, {"indicative_allocation": Decimal("-1")})
        with pytest.raises(ActionError) as exc:
            actions.do_add_budget_item(clinician, plan, {"description": "Gym", "amount": Decimal("0")})
        assert exc.value.field == "amount"

    def test_an_item_cannot_be_linked_to_another_persons_goal(self, clinician, plan, other_person):
        other_goal = actions.do_add_goal(clinician, actions.do_start_plan(clinician, other_person),
                                         {"person_words": "Other goal"})
        with pytest.raises(ActionError) as exc:
            actions.do_add_budget_item(clinician, plan, {"description": "x", "amount": Decimal(5), "goal": other_goal})
        assert exc.value.field == "goal"

    def test_removing_an_item_is_versioned(self, as_user, clinician, person, plan):
        item = actions.do_add_budget_item(clinician, plan, {"description": "Taxi to group", "amount": Decimal(40)})
        as_user(clinician).post(u("budget_item_remove", person.public_id, item.public_id), HTTP_HX_REQUEST="true")
        assert not BudgetItem.objects.exists()
        assert plan.versions.first().summary == "Budget item removed: Taxi to group"

    def test_the_person_sees_their_budget_but_cannot_change_it(self, as_user, clinician, person, plan):
        actions.do_set_budget(clinician, plan, None, {"indicative_allocation": Decimal("900")})
        client = as_user(person.user)
        body = client.get(u("my_plan")).content.decode()
        assert "£900.00" in body and "Change the budget" not in body
        assert client.post(u("budget", person.public_id), {"indicative_allocation": "5000"}).status_code == 404


class TestAccess:
    @pytest.mark.parametrize("name", ["decision_new", "budget", "budget_item_new"])
    @pytest.mark.parametrize("who", ["other_clinician", "carer"])
    def test_only_the_care_team_reaches_decisions_and_budget(self, request, as_user, person, plan, name, who):
        assert as_user(request.getfixturevalue(who)).get(u(name, person.public_id)).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, anonymous, person):
        response = anonymous.get(u("decision_new", person.public_id))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
