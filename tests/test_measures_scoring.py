"""PHQ-2, SEMCD-6 and collaboRATE scoring against the published rules, including every boundary:
PHQ-2 >= 3 is a positive screen (then the PHQ-9); SEMCD-6 is the mean of the items answered, 1-10, and is not
scored with more than two items missing (Lorig et al., Stanford); collaboRATE's top score is all three items
at 9, with the mean beside it (Barr et al. 2014)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ourplan.clinical.questionnaires import (
    COLLABORATE,
    PHQ2,
    PHQ9,
    SEMCD6,
    parse_scale_answers,
    score,
    score_scale,
    suggests_phq9,
)
from ourplan.core.errors import ActionError


class TestPhq2:
    @pytest.mark.parametrize(("answers", "total", "band", "positive"), [
        ([0, 0], 0, "Negative screen", False),
        ([1, 1], 2, "Negative screen", False),
        ([2, 0], 2, "Negative screen", False),
        ([2, 1], 3, "Positive screen", True),
        ([0, 3], 3, "Positive screen", True),
        ([3, 3], 6, "Positive screen", True),
    ])
    def test_total_band_and_the_suggestion_of_a_phq9(self, answers, total, band, positive):
        result = score(PHQ2, answers)
        assert (result.total, result.band.label, suggests_phq9(result)) == (total, band, positive)

    def test_its_questions_are_the_first_two_of_the_phq9(self):
        assert PHQ2.items == PHQ9.items[:2] and PHQ2.max_total == 6

    def test_it_has_no_safety_item(self):
        assert not score(PHQ2, [3, 3]).safety_flag

    def test_a_missing_answer_is_refused(self):
        with pytest.raises(ActionError, match="answer question 2"):
            score(PHQ2, [1, None])

    def test_a_phq9_result_never_suggests_another_phq9(self):
        assert not suggests_phq9(score(PHQ9, [3] * 8 + [0]))


class TestSemcd6:
    def test_the_score_is_the_mean_of_all_six_items(self):
        result = score_scale(SEMCD6, [1, 2, 3, 4, 5, 6])
        assert result.mean == Decimal("3.5") and result.total == 21 and result.scored

    @pytest.mark.parametrize(("answers", "mean"), [
        ([10] * 6, Decimal("10.0")),
        ([1] * 6, Decimal("1.0")),
        ([7, 8, 7, 8, 7, 7], Decimal("7.3")),  # 44/6 = 7.333...
        ([6, 7, 7, 7, 7, 7], Decimal("6.8")),  # 41/6 = 6.8333...
        ([1, 1, 1, 1, 1, 2], Decimal("1.2")),  # 7/6 = 1.1666... rounds up
        ([5, 6, None, None, 5, 6], Decimal("5.5")),  # mean of the four answered
    ])
    def test_means_to_one_decimal_place(self, answers, mean):
        assert score_scale(SEMCD6, answers).mean == mean

    def test_a_mean_exactly_half_way_rounds_up(self):
        # 5, 6, 5, 5 -> 21/4 = 5.25 -> 5.3 (half up, not banker's 5.2)
        assert score_scale(SEMCD6, [5, 6, None, 5, 5, None]).mean == Decimal("5.3")

    def test_four_answers_are_enough_to_score(self):
        result = score_scale(SEMCD6, [8, None, 8, None, 8, 8])
        assert result.scored and result.answered == 4 and result.mean == Decimal("8.0")

    @pytest.mark.parametrize("answers", [
        [8, None, None, None, 8, 8],
        [None] * 6,
        [10, None, None, None, None, None],
    ])
    def test_with_more_than_two_missing_the_scale_is_not_scored(self, answers):
        result = score_scale(SEMCD6, answers)
        assert not result.scored and result.mean is None and result.band == "not scored"

    @pytest.mark.parametrize("bad", [0, 11, -1])
    def test_an_answer_outside_1_to_10_is_refused_by_question(self, bad):
        with pytest.raises(ActionError, match="number from 1 to 10") as exc:
            score_scale(SEMCD6, [5, 5, bad, 5, 5, 5])
        assert exc.value.field == "semcd6_3"

    def test_the_wrong_number_of_answers_is_refused(self):
        with pytest.raises(ActionError, match="has 6 questions"):
            score_scale(SEMCD6, [5] * 5)


class TestCollaborate:
    def test_all_three_at_9_is_top_box_with_mean_9_and_total_27(self):
        result = score_scale(COLLABORATE, [9, 9, 9])
        assert result.top_box and result.band == "top-box"
        assert result.mean == Decimal("9.0") and result.total == 27

    @pytest.mark.parametrize("answers", [[9, 9, 8], [8, 9, 9], [9, 0, 9], [0, 0, 0]])
    def test_anything_less_than_9_on_any_item_is_not_top_box(self, answers):
        result = score_scale(COLLABORATE, answers)
        assert not result.top_box and result.band == "not top-box"

    @pytest.mark.parametrize(("answers", "mean", "total"), [
        ([0, 0, 0], Decimal("0.0"), 0),
        ([9, 9, 8], Decimal("8.7"), 26),
        ([5, 6, 6], Decimal("5.7"), 17),
        ([1, 0, 0], Decimal("0.3"), 1),
    ])
    def test_mean_and_total(self, answers, mean, total):
        result = score_scale(COLLABORATE, answers)
        assert (result.mean, result.total) == (mean, total)

    def test_every_item_must_be_answered(self):
        with pytest.raises(ActionError, match="answer question 2") as exc:
            score_scale(COLLABORATE, [9, None, 9])
        assert exc.value.field == "collaborate_2"

    @pytest.mark.parametrize("bad", [10, -1])
    def test_an_answer_outside_0_to_9_is_refused(self, bad):
        with pytest.raises(ActionError, match="number from 0 to 9"):
            score_scale(COLLABORATE, [9, 9, bad])


def test_form_answers_are_read_by_question_and_blanks_stay_missing():
    data = {"semcd6_1": "10", "semcd6_2": "", "semcd6_3": "x", "semcd6_4": "1", "semcd6_6": "12"}
    assert parse_scale_answers(SEMCD6, data) == [10, None, None, 1, None, 12]
