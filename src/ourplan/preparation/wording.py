"""What a result can mean, in words that frighten nobody and hide nothing. Every sentence a person reads
about their results in a preparation pack comes from this module, so the wording is reviewed (and
tested) in one place.

Rules the sentences follow:
- say plainly whether the result is in the range agreed with the person, and if not, that it is
  something to talk about (not "abnormal", "bad", "poor control" or "risk");
- say which way it moved since last time, and call a change good only for measures where the direction
  is clear for everyone (blood sugar down, kidney function up). Weight and BMI are left neutral: a
  change can be welcome or not, depending on the person;
- where there is no target, say so, and that the nurse can explain what the number means for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# How a measure is named inside a sentence ("Your blood sugar average is ..."). Plain names on result
# cards carry the clinical name in brackets; inside a sentence that reads badly.
SENTENCE_NAMES: dict[str, str] = {
    "hba1c": "blood sugar average",
    "bp": "blood pressure",
    "cholesterol": "cholesterol",
    "non_hdl": "non-HDL cholesterol",
    "hdl": "HDL cholesterol",
    "egfr": "kidney function result",
    "acr": "urine protein result",
    "bmi": "body mass index (BMI)",
    "weight": "weight",
    "peak_flow": "peak flow",
    "phq9": "mood questionnaire score",
    "gad7": "anxiety questionnaire score",
}

# Measures where a move one way is good for (nearly) everyone, so the sentence may say so.
DIRECTIONAL: frozenset[str] = frozenset(
    {"hba1c", "bp", "cholesterol", "non_hdl", "hdl", "egfr", "acr", "peak_flow", "phq9", "gad7"}
)

NO_TARGET = "There is no target for this one. Your nurse can tell you what it means for you."
CANNOT_COMPARE = "We could not compare this result with your target. Your nurse can talk it through with you."
TALK_ABOUT = "This is something to talk about at your appointment."
FIRST_RESULT = "This is the first result we have for this, so there is nothing to compare it with yet."
SAME = "It is about the same as last time."
GOOD_CHANGE = "That is a change in the right direction."


@dataclass(frozen=True)
class ResultFacts:
    """What the wording needs to know about one result. `change` is "" (no earlier result), "went up",
    "went down" or "stayed the same"; `met` is None when there is no target or it cannot be compared."""

    key: str
    name: str  # the plain name, used when the measure has no sentence name of its own
    higher_is_better: bool
    has_target: bool
    met: bool | None
    change: str


def sentence_name(key: str, plain: str) -> str:
    if key in SENTENCE_NAMES:
        return SENTENCE_NAMES[key]
    short = re.sub(r"\s*\(.*\)\s*$", "", plain).strip()
    return short[:1].lower() + short[1:]


def target_sentence(facts: ResultFacts) -> str:
    name = sentence_name(facts.key, facts.name)
    if not facts.has_target:
        return NO_TARGET
    if facts.met is None:
        return CANNOT_COMPARE
    if facts.met:
        return f"Your {name} is in the range we agreed. Well done."
    direction = "lower" if facts.higher_is_better else "higher"
    return f"Your {name} is {direction} than the level we agreed. {TALK_ABOUT}"


def change_sentence(facts: ResultFacts) -> str:
    if not facts.change:
        return FIRST_RESULT
    if facts.change == "stayed the same":
        return SAME
    up = facts.change == "went up"
    moved = "It has gone up since last time." if up else "It has come down since last time."
    if facts.key in DIRECTIONAL and up == facts.higher_is_better:
        return f"{moved} {GOOD_CHANGE}"
    return moved


def sentences(facts: ResultFacts) -> list[str]:
    """The two sentences shown under a result: against the target, then against last time."""
    return [target_sentence(facts), change_sentence(facts)]


def all_template_sentences() -> list[str]:
    """Every sentence this module can produce, for scoring the letter wording's readability."""
    out: set[str] = set()
    for key, name in SENTENCE_NAMES.items():
        for higher in (False, True):
            for has_target, met in ((False, None), (True, None), (True, True), (True, False)):
                for change in ("", "went up", "went down", "stayed the same"):
                    out.update(sentences(ResultFacts(key, name, higher, has_target, met, change)))
    return sorted(out)
