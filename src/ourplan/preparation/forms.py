"""Reading and checking the prompt-sheet forms. The answers form is shared by the person's page, a carer's
and the staff paper-reply page; the template form is the practice's prompt-sheet editor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ourplan.preparation.actions import answer_problems, normalise_answer
from ourplan.preparation.models import PromptSheetAnswer
from ourplan.preparation.prompts import MAX_ANSWER_CHARS, PromptSheet, Question


@dataclass
class AnswersForm:
    """What is in each box, the version each answer was at when the page was drawn, and problems."""

    questions: list[Question]
    values: dict[str, str]
    versions: dict[str, int]
    errors: dict[str, str] = field(default_factory=dict)
    theirs: dict[str, PromptSheetAnswer] = field(default_factory=dict)  # after a conflict: what is saved now
    max_chars: int = MAX_ANSWER_CHARS

    @classmethod
    def initial(cls, questions: list[Question], answers: Iterable[PromptSheetAnswer]) -> AnswersForm:
        by_key = {a.question_key: a for a in answers}
        return cls(questions, {q.key: by_key[q.key].answer if q.key in by_key else "" for q in questions},
                   {q.key: by_key[q.key].version if q.key in by_key else 0 for q in questions})

    @classmethod
    def from_post(cls, questions: list[Question], data: Mapping[str, str]) -> AnswersForm:
        def version(key: str) -> int:
            raw = data.get(f"{key}-version", "0")
            return int(raw) if raw.isdigit() else 0

        form = cls(questions, {q.key: normalise_answer(data.get(q.key, "")) for q in questions},
                   {q.key: version(q.key) for q in questions})
        form.errors = answer_problems(form.values, questions)
        return form

    def changes(self) -> dict[str, tuple[str, int]]:
        return {q.key: (self.values[q.key], self.versions[q.key]) for q in self.questions}

    def show_conflict(self, keys: list[str], saved: Iterable[PromptSheetAnswer]) -> None:
        """After a conflict: keep what was typed, show what is saved now, and move each conflicting answer's
        version on so that sending again (deliberately) replaces it."""
        by_key = {a.question_key: a for a in saved}
        for key in keys:
            if key in by_key:
                self.theirs[key] = by_key[key]
                self.versions[key] = by_key[key].version

    @property
    def error_list(self) -> list[dict[str, str]]:
        return [{"text": message, "href": f"#{key}"} for key, message in self.errors.items()]


def sheet_from_post(sheet: PromptSheet, data: Mapping[str, str]) -> PromptSheet:
    """The editor's fields (intro, <key>-text, <key>-hint) as a sheet, for saving or scoring."""
    questions = tuple(
        Question(q.key, data.get(f"{q.key}-text", q.text).strip(), data.get(f"{q.key}-hint", q.hint).strip())
        for q in sheet.questions
    )
    return PromptSheet(data.get("intro", sheet.intro).strip(), questions)
