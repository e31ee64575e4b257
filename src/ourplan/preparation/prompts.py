"""The prompt sheet: the questions that help a person think about what they want from their care planning
conversation. Practices may reword the questions (PromptSheetTemplate); the five keys stay fixed, so that
answers can be compared across practices and years, and the planning screen knows what each answer is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ourplan.documents.readability import Readability, score

if TYPE_CHECKING:
    from ourplan.people.models import Organisation
    from ourplan.preparation.models import PromptSheetTemplate

MAX_ANSWER_CHARS = 1000  # about a side of A4 in handwriting; long enough for anyone, short enough to read


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    hint: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "text": self.text, "hint": self.hint}


DEFAULT_INTRO = (
    "Your appointment is a time to talk about what matters to you. "
    "These questions can help you get ready. "
    "Write as much or as little as you like. You can leave any question blank."
)

DEFAULT_QUESTIONS: tuple[Question, ...] = (
    Question("what_matters", "What matters to you?",
             "For example, your family, your work, a hobby, or how you want to feel."),
    Question("talk_about", "What would you like to talk about?",
             "It can be anything about your health or your life. It does not have to be about your tests."),
    Question("since_last_time", "How have things been since last time?",
             "Think about your health, your mood, your sleep and your day-to-day life."),
    Question("questions", "Questions you want to ask",
             "Write down anything you want to know. No question is too small."),
    Question("change", "Anything you want to change",
             "For example, a medicine, a habit, or the help you get."),
)
QUESTION_KEYS: tuple[str, ...] = tuple(q.key for q in DEFAULT_QUESTIONS)
DEFAULT_BY_KEY = {q.key: q for q in DEFAULT_QUESTIONS}


@dataclass(frozen=True)
class PromptSheet:
    intro: str
    questions: tuple[Question, ...]

    @property
    def text(self) -> str:
        """Everything the person reads on the sheet, one line each, for scoring readability."""
        lines = [self.intro]
        for q in self.questions:
            lines += [q.text, q.hint]
        return "\n".join(line for line in lines if line)

    @property
    def readability(self) -> Readability:
        return score(self.text)


DEFAULT_SHEET = PromptSheet(DEFAULT_INTRO, DEFAULT_QUESTIONS)


def sheet_from_template(template: PromptSheetTemplate | None) -> PromptSheet:
    """The practice's wording, falling back to the default for anything it has not set."""
    if template is None:
        return DEFAULT_SHEET
    stored = {q.get("key"): q for q in template.questions if isinstance(q, dict)}
    questions = []
    for default in DEFAULT_QUESTIONS:
        q = stored.get(default.key) or {}
        questions.append(Question(default.key, str(q.get("text") or default.text), str(q.get("hint") or "")
                                  if q else default.hint))
    return PromptSheet(template.intro or DEFAULT_INTRO, tuple(questions))


def sheet_for(organisation: Organisation | None) -> PromptSheet:
    from ourplan.preparation.models import PromptSheetTemplate

    if organisation is None:
        return DEFAULT_SHEET
    return sheet_from_template(PromptSheetTemplate.objects.filter(organisation=organisation).first())
