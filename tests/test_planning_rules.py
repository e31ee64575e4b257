"""Rules of the care plan that need no pages: asthma zones, SMART suggestions, and what goals, actions and
contingency plans accept."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.planning import asthma, rules, smart
from ourplan.planning.models import ContingencyPlan

TODAY = timezone.localdate()


class TestAsthmaZones:
    @pytest.mark.parametrize(("reading", "zone"), [
        (400, "green"), (320, "green"),  # exactly 80% of 400 is green
        (319, "amber"), (Decimal("319.9"), "amber"), (200, "amber"),  # exactly 50% is amber
        (Decimal("199.6"), "red"), (199, "red"), (50, "red"),  # 49.9% is red
    ])
    def test_zone_boundaries_at_80_and_50_percent_of_personal_best(self, reading, zone):
        assert asthma.zone_for(reading, 400) == zone

    def test_exact_boundaries_with_a_personal_best_that_does_not_divide_evenly(self):
        # 80% of 333 is 266.4: 266.4 is green, 266.3 amber; 50% is 166.5: 166.5 amber, 166.4 red.
        assert asthma.zone_for(Decimal("266.4"), 333) == "green"
        assert asthma.zone_for(Decimal("266.3"), 333) == "amber"
        assert asthma.zone_for(Decimal("166.5"), 333) == "amber"
        assert asthma.zone_for(Decimal("166.4"), 333) == "red"

    def test_written_thresholds_match_the_zone_rule(self):
        t = asthma.thresholds(333)
        assert (t.green_from, t.amber_from) == (267, 167)
        assert asthma.zone_for(t.green_from, 333) == "green" and asthma.zone_for(t.green_from - 1, 333) == "amber"
        assert asthma.zone_for(t.amber_from, 333) == "amber" and asthma.zone_for(t.amber_from - 1, 333) == "red"

    def test_personal_best_must_be_positive(self):
        with pytest.raises(ValueError):
            asthma.zone_for(100, 0)

    @pytest.mark.django_db
    def test_default_personal_best_is_the_latest_best_ever_peak_flow(self, person):
        from tests import factories as f

        assert asthma.default_personal_best(person) is None
        f.obs(person, "peak_flow_best", "400", days_ago=300)
        f.obs(person, "peak_flow_best", "450", days_ago=30)
        assert asthma.default_personal_best(person) == 450


class TestSmartSuggestions:
    def test_no_number_and_no_time_asks_how_much_and_when(self):
        assert smart.suggestions("Walk more with the dog") == [smart.ASK_HOW_MUCH, smart.ASK_WHEN]

    def test_a_frequency_and_a_date_need_no_suggestions(self):
        assert smart.suggestions("Walk the dog for 20 minutes a day", target_date=TODAY) == []

    def test_a_time_word_counts_as_when(self):
        assert smart.ASK_WHEN not in smart.suggestions("Swim twice a week by the summer")

    def test_very_short_goals_ask_for_more(self):
        assert smart.ASK_MORE in smart.suggestions("Walk")

    def test_negative_goals_ask_what_to_do_instead(self):
        assert smart.ASK_INSTEAD in smart.suggestions("Stop eating biscuits at night by March")

    def test_a_measure_without_a_number_asks_for_the_target(self):
        assert smart.ASK_TARGET in smart.suggestions("Get my sugar down by Christmas", measure="hba1c")

    def test_empty_text_gets_no_suggestions(self):
        assert smart.suggestions("  ") == []


class TestGoalRules:
    def test_confidence_below_7_asks_what_would_make_it_a_7(self):
        assert rules.asks_what_would_make_it_seven(6)
        assert not rules.asks_what_would_make_it_seven(7)
        assert not rules.asks_what_would_make_it_seven(None)

    def test_the_persons_words_are_required(self):
        with pytest.raises(ActionError) as exc:
            rules.clean_goal({"person_words": "  "}, today=TODAY, is_new=True)
        assert exc.value.field == "person_words"

    @pytest.mark.parametrize("name", ["importance", "confidence"])
    def test_importance_and_confidence_are_0_to_10(self, name):
        rules.clean_goal({"person_words": "x", name: 0}, today=TODAY, is_new=True)
        rules.clean_goal({"person_words": "x", name: 10}, today=TODAY, is_new=True)
        with pytest.raises(ActionError):
            rules.clean_goal({"person_words": "x", name: 11}, today=TODAY, is_new=True)

    def test_a_measurable_target_needs_measure_comparator_and_a_plausible_value(self):
        ok = rules.clean_goal({"person_words": "x", "measure": "hba1c", "comparator": "<=",
                               "target_value": Decimal("58")}, today=TODAY, is_new=True)
        assert ok["target_value"] == Decimal("58")
        for bad, field in [
            ({"measure": "hba1c", "comparator": "", "target_value": Decimal("58")}, "comparator"),
            ({"measure": "hba1c", "comparator": "<=", "target_value": None}, "target_value"),
            ({"measure": "hba1c", "comparator": "<=", "target_value": Decimal("5800")}, "target_value"),
            ({"measure": "", "comparator": "<=", "target_value": Decimal("58")}, "measure"),
        ]:
            with pytest.raises(ActionError) as exc:
                rules.clean_goal({"person_words": "x", **bad}, today=TODAY, is_new=True)
            assert exc.value.field == field

    def test_linked_conditions_must_be_known_registers(self):
        rules.clean_goal({"person_words": "x", "registers": ["DM", "HYP", "AST"]}, today=TODAY, is_new=True)
        with pytest.raises(ActionError):
            rules.clean_goal({"person_words": "x", "registers": ["XYZ"]}, today=TODAY, is_new=True)

    def test_a_new_goal_cannot_have_a_target_date_in_the_past(self):
        with pytest.raises(ActionError) as exc:
            rules.clean_goal({"person_words": "x", "target_date": TODAY - timedelta(days=1)}, today=TODAY,
                             is_new=True)
        assert exc.value.field == "target_date"

    def test_an_old_target_date_that_has_passed_can_be_kept(self):
        past = TODAY - timedelta(days=10)
        rules.clean_goal({"person_words": "x", "target_date": past}, today=TODAY, is_new=False, old_target_date=past)

    def test_achievement_is_only_recorded_once_the_goal_is_taken_on(self):
        with pytest.raises(ActionError) as exc:
            rules.clean_goal({"person_words": "x", "lifecycle_status": "proposed", "achievement_status": "improving"},
                             today=TODAY, is_new=True)
        assert exc.value.field == "achievement_status"
        rules.clean_goal({"person_words": "x", "lifecycle_status": "active", "achievement_status": "improving"},
                         today=TODAY, is_new=True)

    def test_goal_attainment_levels_need_the_expected_outcome(self):
        with pytest.raises(ActionError) as exc:
            rules.clean_goal({"person_words": "x", "gas_plus2": "Walks 2 miles"}, today=TODAY, is_new=True)
        assert exc.value.field == "gas_zero"
        rules.clean_goal({"person_words": "x", "gas_zero": "Walks 1 mile", "gas_plus2": "2 miles"}, today=TODAY,
                         is_new=True)


class TestActionRules:
    def test_an_action_says_what_will_be_done(self):
        with pytest.raises(ActionError) as exc:
            rules.clean_action({"what": ""})
        assert exc.value.field == "what"

    @pytest.mark.parametrize("kind", ["carer", "professional", "service"])
    def test_a_helper_other_than_the_person_must_be_named(self, kind):
        with pytest.raises(ActionError) as exc:
            rules.clean_action({"what": "Walk", "helper_kind": kind, "who_helps": ""})
        assert exc.value.field == "who_helps"
        rules.clean_action({"what": "Walk", "helper_kind": kind, "who_helps": "Walking for Health group"})

    def test_the_person_doing_it_alone_needs_no_helper(self):
        rules.clean_action({"what": "Walk", "helper_kind": "self", "who_helps": ""})


ASTHMA_OK = {
    "title": "Asthma", "personal_best": 400, "amber_actions": "One\nTwo", "red_actions": "One\nTwo\nThree",
    "urgent_help": "Call 999 if lips go blue",
}


class TestContingencyRules:
    def test_asthma_plan_needs_a_plausible_personal_best(self):
        rules.clean_contingency(ContingencyPlan.Kind.ASTHMA, ASTHMA_OK)
        for best in (None, 20, 1000):
            with pytest.raises(ActionError) as exc:
                rules.clean_contingency(ContingencyPlan.Kind.ASTHMA, {**ASTHMA_OK, "personal_best": best})
            assert exc.value.field == "personal_best"

    @pytest.mark.parametrize("text", ["Only one", "1\n2\n3\n4\n5"])
    def test_asthma_zones_have_2_to_4_action_points(self, text):
        with pytest.raises(ActionError) as exc:
            rules.clean_contingency(ContingencyPlan.Kind.ASTHMA, {**ASTHMA_OK, "amber_actions": text})
        assert exc.value.field == "amber_actions"

    def test_asthma_plan_says_when_to_call_999(self):
        with pytest.raises(ActionError) as exc:
            rules.clean_contingency(ContingencyPlan.Kind.ASTHMA, {**ASTHMA_OK, "urgent_help": "Ring the GP"})
        assert exc.value.field == "urgent_help"

    def test_copd_rescue_pack_says_when_what_and_who_to_tell(self):
        full = {"title": "COPD", "rescue_when": "w", "rescue_contents": "c", "rescue_tell": "t"}
        rules.clean_contingency(ContingencyPlan.Kind.COPD, full)
        for missing in ("rescue_when", "rescue_contents", "rescue_tell"):
            with pytest.raises(ActionError) as exc:
                rules.clean_contingency(ContingencyPlan.Kind.COPD, {**full, missing: ""})
            assert exc.value.field == missing

    @pytest.mark.parametrize("kind", ["general", "mental-health"])
    def test_general_and_mental_health_plans_need_a_trigger_and_what_to_do(self, kind):
        with pytest.raises(ActionError):
            rules.clean_contingency(kind, {"title": "t", "triggers": "", "what_to_do": "x"})
        rules.clean_contingency(kind, {"title": "t", "triggers": "Not sleeping", "what_to_do": "Call the GP"})


@pytest.mark.django_db
def test_a_partial_contingency_update_is_checked_against_the_whole_plan(clinician, person):
    from ourplan.planning import actions

    plan = actions.do_start_plan(clinician, person)
    item = actions.do_add_contingency(clinician, plan, "asthma")  # the template has 3 amber and 3 red points
    actions.do_update_contingency(clinician, item, item.version, {"personal_best": 420})
    item.refresh_from_db()
    assert item.personal_best == 420 and item.amber_actions.count("\n") == 2
