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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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

QUESTIONNAIRES: dict[str, Questionnaire] = {q.key: q for q in (PHQ9, GAD7)}

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
