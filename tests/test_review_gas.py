"""Goal attainment scaling: the Kiresuk-Sherman T-score (rho = 0.3) against worked examples, with equal and
unequal weights, and its properties (50 exactly when the weighted sum is 0; rising with any goal's level)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ourplan.core.errors import ActionError
from ourplan.review import gas


def test_three_goals_all_as_expected_score_exactly_50():
    assert gas.t_score([(0, 1), (0, 1), (0, 1)]) == 50


def test_three_equally_weighted_goals_all_at_plus_one():
    # 50 + 10*3 / sqrt(0.7*3 + 0.3*9) = 50 + 30 / sqrt(4.8)
    assert gas.t_score([(1, 1), (1, 1), (1, 1)]) == pytest.approx(63.6931, abs=1e-4)


def test_five_equally_weighted_goals_all_at_minus_two():
    # 50 + 10*(-10) / sqrt(0.7*5 + 0.3*25) = 50 - 100 / sqrt(11)
    assert gas.t_score([(-2, 1)] * 5) == pytest.approx(19.8489, abs=1e-4)


def test_unequal_weights_worked_example():
    # levels 2, -1, 0 with weights 3, 1, 2: sum(wx) = 5, sum(w^2) = 14, (sum w)^2 = 36
    # T = 50 + 50 / sqrt(0.7*14 + 0.3*36) = 50 + 50 / sqrt(20.6)
    assert gas.t_score([(2, 3), (-1, 1), (0, 2)]) == pytest.approx(61.0163, abs=1e-4)


def test_weights_change_the_score_when_goals_differ():
    heavy_on_success = gas.t_score([(2, 5), (-2, 1)])
    heavy_on_failure = gas.t_score([(2, 1), (-2, 5)])
    assert heavy_on_success > 50 > heavy_on_failure
    assert heavy_on_success - 50 == pytest.approx(50 - heavy_on_failure)


@pytest.mark.parametrize(("level", "expected"), [(-2, 30), (-1, 40), (0, 50), (1, 60), (2, 70)])
@pytest.mark.parametrize("weight", [1, 4, 10])
def test_a_single_goal_scores_50_plus_10_per_level_whatever_its_weight(level, weight, expected):
    assert gas.t_score([(level, weight)]) == pytest.approx(expected)


def test_the_stored_score_is_rounded_to_one_decimal_place_half_up():
    assert gas.t_score_decimal([(1, 1), (1, 1), (1, 1)]) == Decimal("63.7")
    assert gas.t_score_decimal([(2, 3), (-1, 1), (0, 2)]) == Decimal("61.0")


def test_an_empty_set_of_goals_is_refused_not_given_50():
    with pytest.raises(ActionError, match="at least one goal"):
        gas.t_score([])


@pytest.mark.parametrize("level", [-3, 3, 10, True, 1.5, "1"])
def test_a_level_outside_minus_2_to_plus_2_is_refused(level):
    with pytest.raises(ActionError, match="level") as exc:
        gas.t_score([(0, 1), (level, 1)])
    assert exc.value.field == "level"


@pytest.mark.parametrize("weight", [0, -1, 11, 2.5])
def test_a_weight_outside_1_to_10_is_refused(weight):
    with pytest.raises(ActionError, match="weight") as exc:
        gas.t_score([(1, weight)])
    assert exc.value.field == "weight"


def test_words_say_only_which_side_of_50():
    assert gas.describe(50) == "As expected overall"
    assert gas.describe(Decimal("50.04")) == "As expected overall"
    assert gas.describe(63.7) == "Better than expected overall"
    assert gas.describe(Decimal("49.9")) == "Less well than expected overall"


goal = st.tuples(st.sampled_from(gas.LEVELS), st.integers(min_value=1, max_value=gas.MAX_WEIGHT))
goal_sets = st.lists(goal, min_size=1, max_size=12)


@given(goal_sets)
def test_t_is_50_exactly_when_the_weighted_sum_is_0(goals):
    weighted = sum(level * weight for level, weight in goals)
    t = gas.t_score(goals)
    assert (math.isclose(t, 50, abs_tol=1e-9)) == (weighted == 0)
    assert (t > 50) == (weighted > 0)


@given(goal_sets, st.data())
def test_raising_any_one_goal_never_lowers_t(goals, data):
    index = data.draw(st.integers(min_value=0, max_value=len(goals) - 1))
    level, weight = goals[index]
    if level == 2:
        return
    raised = [*goals[:index], (level + 1, weight), *goals[index + 1:]]
    assert gas.t_score(raised) > gas.t_score(goals)


@given(goal_sets)
def test_t_stays_within_the_bounds_of_all_minus_2_and_all_plus_2(goals):
    weights = [w for _, w in goals]
    lowest = gas.t_score([(-2, w) for w in weights])
    highest = gas.t_score([(2, w) for w in weights])
    assert lowest - 1e-9 <= gas.t_score(goals) <= highest + 1e-9
