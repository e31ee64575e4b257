"""PHQ-9 and GAD-7 scoring against the published rules (bands as in shared/clinical-reference.md)."""

from __future__ import annotations

import pytest

from ourplan.clinical.questionnaires import GAD7, PHQ9, Questionnaire, parse_answers, score
from ourplan.core.errors import ActionError


def answers_totalling(q: Questionnaire, total: int, *, safety: int = 0) -> list[int | None]:
    """Answers that add up to `total`, filling items in order, with the safety item (if any) fixed."""
    items: list[int | None] = [0] * len(q.items)
    remaining = total
    if q.safety_item:
        items[q.safety_item - 1] = safety
        remaining -= safety
    for i in range(len(items)):
        if q.safety_item and i == q.safety_item - 1:
            continue
        take = min(3, remaining)
        items[i] = take
        remaining -= take
    assert remaining == 0
    return items


@pytest.mark.parametrize(("total", "band"), [
    (0, "None or minimal"), (4, "None or minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
    (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"), (20, "Severe"), (24, "Severe"),
])
def test_phq9_bands_at_each_boundary(total, band):
    result = score(PHQ9, answers_totalling(PHQ9, total))
    assert result.total == total and result.band.label == band


def test_phq9_maximum_is_27_and_severe():
    result = score(PHQ9, [3] * 9)
    assert result.total == 27 and result.band.label == "Severe" and result.safety_flag


@pytest.mark.parametrize(("total", "band"), [
    (0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"),
    (15, "Severe"), (21, "Severe"),
])
def test_gad7_bands_at_each_boundary(total, band):
    result = score(GAD7, answers_totalling(GAD7, total))
    assert result.total == total and result.band.label == band


def test_phq9_item_9_above_zero_sets_the_safety_flag_whatever_the_total():
    low = score(PHQ9, answers_totalling(PHQ9, 1, safety=1))
    assert low.total == 1 and low.band.label == "None or minimal" and low.safety_flag


def test_phq9_item_9_at_zero_raises_no_flag_even_when_severe():
    assert not score(PHQ9, answers_totalling(PHQ9, 24)).safety_flag


def test_gad7_has_no_safety_item():
    assert not score(GAD7, [3] * 7).safety_flag


@pytest.mark.parametrize("q", [PHQ9, GAD7])
def test_a_missing_item_is_refused_not_scored(q):
    answers: list[int | None] = [1] * len(q.items)
    answers[2] = None
    with pytest.raises(ActionError, match="answer question 3") as exc:
        score(q, answers)
    assert exc.value.field == f"{q.key}_3"


def test_an_answer_outside_0_to_3_is_refused():
    with pytest.raises(ActionError, match="must be 0, 1, 2 or 3"):
        score(GAD7, [0, 1, 2, 3, 4, 0, 0])


def test_the_wrong_number_of_answers_is_refused():
    with pytest.raises(ActionError, match="has 9 questions"):
        score(PHQ9, [0] * 8)


def test_form_answers_are_read_by_question_number():
    data = {"gad7_1": "2", "gad7_2": "", "gad7_3": "x", "gad7_4": "3", "gad7_5": "0", "gad7_6": "1", "gad7_7": "7"}
    assert parse_answers(GAD7, data) == [2, None, None, 3, 0, 1, 7]
