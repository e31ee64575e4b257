"""PHQ-9 and GAD-7: the questions, scoring and severity bands, in one place.

Scoring follows the published instruments (Kroenke, Spitzer and Williams): each item is answered 0-3
("not at all" to "nearly every day") and the total is the sum. Bands are exactly those in
shared/clinical-reference.md section 4 ("Questionnaire bands", marked V there):

- PHQ-9 (0-27): 0-4 none/minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe.
  Item 9 (thoughts of being better off dead or of self-harm) above 0 needs same-day clinical follow-up and
  a risk assessment, whatever the total: a safety flag, never filed silently.
- GAD-7 (0-21): 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.

A questionnaire with any item missing is refused rather than scored: a partial total would understate
the score and could put someone in a lower band than they belong in.

Also here, so every path scores them the same way:

- PHQ-2 (0-6): the first two PHQ-9 items. 3 or more is a positive screen: offer the full PHQ-9
  (clinical-reference.md section 4). Scored by `score` like the PHQ-9, bands "Negative/Positive screen".
- SEMCD-6, the Self-Efficacy for Managing Chronic Disease 6-item scale (Lorig, Sobel, Ritter, Laurent and
  Hobbs, Stanford Patient Education Research Center, 2001): each item 1 (not at all confident) to 10
  (totally confident); the score is the MEAN of the items answered, and the scale is not scored when more
  than two items are missing (at least 4 of 6 answered). Higher is more self-efficacy. We keep the mean to
  one decimal place (half up) because that is how it is stored (QuestionnaireResponse.score).
- collaboRATE (Elwyn et al. 2013; Barr et al., J Med Internet Res 2014;16(1):e2): 3 items, each 0 (no
  effort was made) to 9 (every effort was made). The "top score" (top-box) is whether ALL three items are
  9; the mean score is the average of the three (0-9). All three must be answered.

The item wording of these validated instruments is kept as published: rewording an item changes what the
instrument measures. Plain-language help goes around the items (stems, hints), never into them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ourplan.core.errors import ActionError

ANSWERS: tuple[tuple[int, str], ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Questionnaire:
    """A scored questionnaire: its measure key (the Observation that stores the total), the stem, the
    items, and the severity bands."""

    key: str
    name: str
    stem: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    safety_item: int | None = None  # 1-based item whose answer above 0 needs same-day follow-up

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"{self.name} total {total} is outside 0-{self.max_total}")


PHQ9 = Questionnaire(
    key="phq9",
    name="PHQ-9",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed, or the opposite: being so "
        "fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ),
    bands=(
        Band(0, 4, "None or minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 19, "Moderately severe"),
        Band(20, 27, "Severe"),
    ),
    safety_item=9,
)

GAD7 = Questionnaire(
    key="gad7",
    name="GAD-7",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 21, "Severe"),
    ),
)

PHQ2 = Questionnaire(
    key="phq2",
    name="PHQ-2",
    stem=PHQ9.stem,
    items=PHQ9.items[:2],
    bands=(
        Band(0, 2, "Negative screen"),
        Band(3, 6, "Positive screen"),
    ),
)

# A PHQ-2 total at or above this is a positive screen: the next step is the full PHQ-9.
PHQ2_POSITIVE_FROM = 3

QUESTIONNAIRES: dict[str, Questionnaire] = {q.key: q for q in (PHQ9, GAD7, PHQ2)}

SAFETY_MESSAGE = "Same-day clinical follow-up needed"


@dataclass(frozen=True)
class Score:
    questionnaire: Questionnaire
    answers: tuple[int, ...]
    total: int
    band: Band
    safety_flag: bool

    @property
    def text(self) -> str:
        return f"{self.total} out of {self.questionnaire.max_total}: {self.band.label.lower()}"


def score(questionnaire: Questionnaire, answers: Sequence[int | None]) -> Score:
    """Score a complete set of answers. Raises ActionError (field "<key>_<n>") for a missing or invalid
    item; never scores a partial questionnaire."""
    if len(answers) != len(questionnaire.items):
        raise ActionError(
            f"{questionnaire.name} has {len(questionnaire.items)} questions; got {len(answers)} answers",
            field=questionnaire.key,
        )
    checked: list[int] = []
    for number, answer in enumerate(answers, start=1):
        if answer is None:
            raise ActionError(
                f"{questionnaire.name}: answer question {number}, or leave the whole questionnaire blank",
                field=f"{questionnaire.key}_{number}",
            )
        if answer not in (0, 1, 2, 3):
            raise ActionError(
                f"{questionnaire.name}: the answer to question {number} must be 0, 1, 2 or 3",
                field=f"{questionnaire.key}_{number}",
            )
        checked.append(answer)
    total = sum(checked)
    safety = questionnaire.safety_item is not None and checked[questionnaire.safety_item - 1] > 0
    return Score(questionnaire, tuple(checked), total, questionnaire.band_for(total), safety)


def parse_answers(questionnaire: Questionnaire, data: Mapping[str, str]) -> list[int | None]:
    """Answers from form fields named "<key>_1" .. "<key>_n". A blank or unreadable answer is None and a
    number out of range stays as typed, so `score` refuses either by question number."""
    answers: list[int | None] = []
    for number in range(1, len(questionnaire.items) + 1):
        raw = str(data.get(f"{questionnaire.key}_{number}", "")).strip()
        answers.append(int(raw) if raw.isdigit() else None)
    return answers


def is_blank(answers: Sequence[int | None]) -> bool:
    return all(a is None for a in answers)


def suggests_phq9(result: Score) -> bool:
    """A positive PHQ-2 screen: offer the full PHQ-9."""
    return result.questionnaire.key == PHQ2.key and result.total >= PHQ2_POSITIVE_FROM


# ---- scales scored by a mean (SEMCD-6) or a top box (collaboRATE) -------------------------------------------


@dataclass(frozen=True)
class Scale:
    """A rating scale whose items share one range of whole numbers, with words at each end."""

    key: str
    name: str
    stem: str
    items: tuple[str, ...]
    low: int
    high: int
    low_label: str
    high_label: str
    min_answered: int  # fewer answered than this and the scale is not scored
    top_box: bool = False  # scored also as "every item at the top of the scale" (collaboRATE)

    @property
    def values(self) -> range:
        return range(self.low, self.high + 1)


SEMCD6 = Scale(
    key="semcd6",
    name="Self-efficacy for managing chronic disease (SEMCD-6)",
    stem="We would like to know how confident you are in doing certain activities. For each of the following "
         "questions, please choose the number that corresponds to your confidence that you can do the tasks "
         "regularly at the present time.",
    items=(
        "How confident are you that you can keep the fatigue caused by your disease from interfering with the "
        "things you want to do?",
        "How confident are you that you can keep the physical discomfort or pain of your disease from "
        "interfering with the things you want to do?",
        "How confident are you that you can keep the emotional distress caused by your disease from "
        "interfering with the things you want to do?",
        "How confident are you that you can keep any other symptoms or health problems you have from "
        "interfering with the things you want to do?",
        "How confident are you that you can do the different tasks and activities needed to manage your "
        "health condition so as to reduce your need to see a doctor?",
        "How confident are you that you can do things other than just taking medication to reduce how much "
        "your illness affects your everyday life?",
    ),
    low=1, high=10, low_label="Not at all confident", high_label="Totally confident",
    min_answered=4,  # Stanford: "If more than two items are missing, do not score the scale."
)

COLLABORATE = Scale(
    key="collaborate",
    name="collaboRATE",
    stem="Thinking about the appointment you have just had:",
    items=(
        "How much effort was made to help you understand your health issues?",
        "How much effort was made to listen to the things that matter most to you about your health issues?",
        "How much effort was made to include what matters most to you in choosing what to do next?",
    ),
    low=0, high=9, low_label="No effort was made", high_label="Every effort was made",
    min_answered=3, top_box=True,
)

SCALES: dict[str, Scale] = {s.key: s for s in (SEMCD6, COLLABORATE)}

TOP_BOX = "top-box"
NOT_TOP_BOX = "not top-box"
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class ScaleScore:
    scale: Scale
    answers: tuple[int | None, ...]
    total: int  # the sum of the items answered (0-27 for collaboRATE)
    mean: Decimal | None  # the mean of the items answered, to 1 decimal place; None when not scorable
    band: str

    @property
    def answered(self) -> int:
        return sum(a is not None for a in self.answers)

    @property
    def scored(self) -> bool:
        return self.mean is not None

    @property
    def top_box(self) -> bool:
        return self.band == TOP_BOX


def _mean(values: Sequence[int]) -> Decimal:
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def score_scale(scale: Scale, answers: Sequence[int | None]) -> ScaleScore:
    """Score SEMCD-6 or collaboRATE. An answer outside the item range is refused (field "<key>_<n>"). A scale
    that needs every item (collaboRATE) refuses a missing one, like the PHQ-9; one that tolerates gaps
    (SEMCD-6) gives an unscored result (mean None) below its minimum, so the answers can still be kept."""
    if len(answers) != len(scale.items):
        raise ActionError(f"{scale.name} has {len(scale.items)} questions; got {len(answers)} answers", field=scale.key)
    for number, answer in enumerate(answers, start=1):
        if answer is not None and answer not in scale.values:
            raise ActionError(f"{scale.name}: the answer to question {number} must be a number from {scale.low} "
                              f"to {scale.high}", field=f"{scale.key}_{number}")
    given = [a for a in answers if a is not None]
    if scale.min_answered == len(scale.items) and len(given) < len(scale.items):
        missing = next(n for n, a in enumerate(answers, start=1) if a is None)
        raise ActionError(f"{scale.name}: answer question {missing}", field=f"{scale.key}_{missing}")
    if len(given) < scale.min_answered:
        return ScaleScore(scale, tuple(answers), sum(given), None, "not scored")
    band = ""
    if scale.top_box:
        band = TOP_BOX if all(a == scale.high for a in given) else NOT_TOP_BOX
    return ScaleScore(scale, tuple(answers), sum(given), _mean(given), band)


def parse_scale_answers(scale: Scale, data: Mapping[str, str]) -> list[int | None]:
    """Answers from form fields "<key>_1" .. "<key>_n"; blank is None, out-of-range stays for refusal."""
    answers: list[int | None] = []
    for number in range(1, len(scale.items) + 1):
        raw = str(data.get(f"{scale.key}_{number}", "")).strip()
        answers.append(int(raw) if raw.isdigit() else None)
    return answers
