"""What a result can mean, in words that frighten nobody and hide nothing: one test per branch of
preparation.wording, and the readability of the default wording."""

from __future__ import annotations

import pytest

from ourplan.documents.readability import TARGET_READING_AGE, score
from ourplan.preparation import wording
from ourplan.preparation.pack import LETTER_INTRO, SAFETY_NET
from ourplan.preparation.prompts import DEFAULT_SHEET
from ourplan.preparation.wording import ResultFacts, change_sentence, sentences, target_sentence


def facts(key="hba1c", *, higher_is_better=False, has_target=True, met=None, change="went down"):
    return ResultFacts(key, "Blood sugar average (HbA1c)", higher_is_better, has_target, met, change)


class TestAgainstTheTarget:
    def test_above_target_says_it_is_higher_and_something_to_talk_about(self):
        assert target_sentence(facts(met=False)) == (
            "Your blood sugar average is higher than the level we agreed. "
            "This is something to talk about at your appointment.")

    def test_within_target_says_well_done(self):
        assert target_sentence(facts("bp", met=True)) == "Your blood pressure is in the range we agreed. Well done."

    def test_no_target_says_the_nurse_can_explain(self):
        assert target_sentence(facts("phq9", has_target=False)) == (
            "There is no target for this one. Your nurse can tell you what it means for you.")

    def test_higher_is_better_measure_below_its_target_says_lower(self):
        sentence = target_sentence(facts("egfr", higher_is_better=True, met=False))
        assert sentence.startswith("Your kidney function result is lower than the level we agreed.")

    def test_a_target_that_cannot_be_compared_says_so_plainly(self):
        assert target_sentence(facts(met=None)) == wording.CANNOT_COMPARE


class TestAgainstLastTime:
    def test_went_down_for_a_lower_is_better_measure_is_a_good_change(self):
        assert change_sentence(facts(change="went down")) == (
            "It has come down since last time. That is a change in the right direction.")

    def test_went_up_for_a_lower_is_better_measure_is_said_without_alarm(self):
        assert change_sentence(facts(change="went up")) == "It has gone up since last time."

    def test_went_up_for_a_higher_is_better_measure_is_a_good_change(self):
        assert change_sentence(facts("peak_flow", higher_is_better=True, change="went up")).endswith(
            "That is a change in the right direction.")

    def test_went_down_for_a_higher_is_better_measure_is_said_plainly(self):
        assert change_sentence(facts("egfr", higher_is_better=True, change="went down")) == (
            "It has come down since last time.")

    def test_stayed_the_same(self):
        assert change_sentence(facts(change="stayed the same")) == "It is about the same as last time."

    def test_first_result_has_nothing_to_compare_with(self):
        assert change_sentence(facts(change="")) == wording.FIRST_RESULT

    @pytest.mark.parametrize("change", ["went up", "went down"])
    def test_weight_changes_are_never_called_good_or_bad(self, change):
        assert "right direction" not in change_sentence(facts("weight", change=change))


def test_a_result_gets_the_target_sentence_then_the_change_sentence():
    assert sentences(facts(met=False, change="went down")) == [
        target_sentence(facts(met=False)), change_sentence(facts(change="went down"))]


def test_no_sentence_uses_frightening_or_clinical_words():
    words = " ".join(wording.all_template_sentences()).lower()
    for word in ("abnormal", "bad", "poor", "danger", "risk", "failed", "worse", "uncontrolled"):
        assert word not in words


def test_unknown_measures_get_a_short_plain_name():
    assert wording.sentence_name("temperature", "Temperature (body)") == "temperature"


class TestReadability:
    def test_default_prompt_sheet_is_at_most_reading_age_11(self):
        result = DEFAULT_SHEET.readability
        assert result.reading_age is not None and result.reading_age <= TARGET_READING_AGE

    def test_letter_wording_is_at_most_reading_age_11(self):
        result = score("\n".join([LETTER_INTRO, SAFETY_NET, *wording.all_template_sentences()]))
        assert result.reading_age is not None and result.reading_age <= TARGET_READING_AGE

    def test_hard_clinical_prose_scores_as_hard_to_read(self):
        result = score("Glycated haemoglobin concentrations exceeding individualised therapeutic thresholds "
                       "necessitate multidisciplinary pharmacological intensification considerations.")
        assert result.reading_age is not None and result.reading_age > 14 and not result.ok

    def test_very_short_text_is_not_scored(self):
        assert score("What matters?").reading_age is None

    def test_reading_age_is_the_flesch_kincaid_grade_plus_five(self):
        result = score(DEFAULT_SHEET.text)
        assert result.reading_age == max(5, round(result.grade + 5))
