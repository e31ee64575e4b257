"""Forms for review mode, the offer status and the questionnaires completed online. Errors are shown next to
their field (planning/_macros.jinja for staff pages, the NHS.UK radios macro for the person's pages)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms

from ourplan.clinical.questionnaires import (
    ANSWERS,
    QUESTIONNAIRES,
    SCALES,
    Questionnaire,
    Scale,
    parse_answers,
    parse_scale_answers,
)
from ourplan.core.errors import ActionError
from ourplan.people.models import StaffMember
from ourplan.review import gas
from ourplan.review.models import GoalDecision, OfferCode, ReviewKind

LEVEL_CHOICES = [(str(level), f"{level:+d} {gas.LEVEL_LABELS[level]}" if level else f"0 {gas.LEVEL_LABELS[0]}")
                 for level in gas.LEVELS]


class StartReviewForm(forms.Form):
    kind = forms.ChoiceField(choices=ReviewKind.choices, label="What kind of review is this?",
                             error_messages={"required": "Choose the kind of review"})


class ScoreForm(forms.Form):
    """One goal's score at a review. `version` is the score row's version the editor saw (blank: none)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    level = forms.TypedChoiceField(choices=LEVEL_CHOICES, coerce=int, label="Where did this goal get to?",
                                   error_messages={"required": "Choose the level this goal reached"})
    weight = forms.IntegerField(min_value=1, max_value=gas.MAX_WEIGHT, initial=1, label="Weight",
                                help_text=f"1 to {gas.MAX_WEIGHT}: how much this goal counts. Leave 1 if all goals "
                                          "count the same.",
                                error_messages={"required": "Enter a weight from 1 to 10",
                                                "min_value": "Enter a weight from 1 to 10",
                                                "max_value": "Enter a weight from 1 to 10",
                                                "invalid": "Enter a weight from 1 to 10"})
    decision = forms.ChoiceField(choices=GoalDecision.choices, initial=GoalDecision.KEPT,
                                 label="What happens to this goal now?")
    note = forms.CharField(required=False, max_length=2000, label="Note (optional)")


def _staff_label(member: StaffMember) -> str:
    p = member.practitioner
    name = f"{p.given_name} {p.family_name}".strip() if p else ""
    return f"{name} ({member.get_role_display()})" if name else member.get_role_display()


class CompleteReviewForm(forms.Form):
    """Completing review mode. A formal review re-agrees the plan (the same questions as agreeing it in the
    workspace); an informal one needs only its summary."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    plan_version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(required=False, max_length=5000, label="Summary of the review")
    agreed_by_name = forms.CharField(required=False, max_length=200, label="Name of the person agreeing the plan")
    agreed_by_role = forms.CharField(required=False, max_length=100, label="Who they are")
    review_date = forms.DateField(required=False, label="Next review date",
                                  error_messages={"invalid": "Enter the next review date as a real date"})
    reviewer = forms.ModelChoiceField(queryset=StaffMember.objects.none(), required=False,
                                      label="Responsible for the next review")
    share_with_person = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, practice_id: int | None = None, formal: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.formal = formal
        reviewer = self.fields["reviewer"]
        assert isinstance(reviewer, forms.ModelChoiceField)
        reviewer.queryset = StaffMember.objects.filter(organisation_id=practice_id or 0, active=True).select_related(
            "practitioner")
        reviewer.label_from_instance = _staff_label  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.formal:
            required = {"agreed_by_name": "Enter the name of the person agreeing the plan",
                        "agreed_by_role": "Say who they are: the person, or their representative's role",
                        "review_date": "Enter the next review date",
                        "reviewer": "Choose who is responsible for the next review"}
            for name, message in required.items():
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
        elif not (data.get("summary") or "").strip():
            self.add_error("summary", "Say briefly what was talked about")
        return data


class OfferForm(forms.Form):
    code = forms.ChoiceField(choices=OfferCode.choices, label="Care and support plan offer",
                             error_messages={"required": "Choose the offer status"})
    note = forms.CharField(required=False, max_length=2000, label="Note (optional)",
                           help_text="Needed for \u201cother\u201d: say what happened")


@dataclass
class MeasureForm:
    """The answers to one questionnaire, as posted, with an error per question. Not a Django form: the items
    are the instrument's own, and `score`/`score_scale` are the one place that decides what is valid."""

    key: str
    instrument: Questionnaire | Scale
    data: Mapping[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_key(cls, key: str, data: Mapping[str, str] | None = None) -> MeasureForm:
        instrument: Questionnaire | Scale = QUESTIONNAIRES[key] if key in QUESTIONNAIRES else SCALES[key]
        # items(), not dict(): a QueryDict's items() gives each field's value, dict() would give lists.
        return cls(key, instrument, dict((data or {}).items()))

    @property
    def answers(self) -> list[int | None]:
        if isinstance(self.instrument, Scale):
            return parse_scale_answers(self.instrument, self.data)
        return parse_answers(self.instrument, self.data)

    def options(self) -> list[tuple[int, str]]:
        """The answer choices for every item, each with its words."""
        if isinstance(self.instrument, Scale):
            s = self.instrument
            return [(v, f"{v} {s.low_label.lower()}" if v == s.low else (f"{v} {s.high_label.lower()}"
                                                                           if v == s.high else str(v)))
                    for v in s.values]
        return list(ANSWERS)

    def check(self) -> bool:
        """Mark each unanswered question (a partial questionnaire is never scored: see questionnaires.py)."""
        answers = self.answers
        required = len(answers) if not isinstance(self.instrument, Scale) else self.instrument.min_answered
        if sum(a is not None for a in answers) < required:
            for number, answer in enumerate(answers, start=1):
                if answer is None:
                    self.errors[f"{self.key}_{number}"] = (
                        f"Answer question {number}" if required == len(answers) else
                        f"Answer question {number}: at least {required} of the {len(answers)} questions are needed")
        return not self.errors

    def add_action_error(self, exc: ActionError) -> None:
        self.errors[exc.field or f"{self.key}_1"] = exc.message

    @property
    def error_list(self) -> list[dict[str, str]]:
        return [{"text": message, "href": f"#{name}"} for name, message in self.errors.items()]
