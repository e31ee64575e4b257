"""Forms parse and type-check what was posted; the rules and the saving live in rules.py and actions.py.
Forms are always unbound to an instance, so a failed or conflicting save never touches a model object."""

from __future__ import annotations

from typing import Any

from django import forms

from ourplan.clinical.terminology import REGISTERS
from ourplan.people.models import StaffMember
from ourplan.planning.models import BudgetItem, ContingencyPlan, Decision, DecisionAid, Goal, GoalAction, PersonalBudget
from ourplan.planning.models.plan import ABOUT_ME_FIELDS


class AboutForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (label, _plain) in ABOUT_ME_FIELDS.items():
            self.fields[name] = forms.CharField(label=label, required=False, widget=forms.Textarea)


class GoalForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    registers = forms.MultipleChoiceField(choices=[(k, r.display) for k, r in REGISTERS.items()], required=False)
    importance = forms.IntegerField(min_value=0, max_value=10, required=False)
    confidence = forms.IntegerField(min_value=0, max_value=10, required=False)

    class Meta:
        model = Goal
        fields = [
            "person_words", "clinical_translation", "category", "registers", "measure", "comparator",
            "target_value", "target_date", "importance", "confidence", "what_would_make_it_seven",
            "lifecycle_status", "achievement_status", "gas_minus2", "gas_minus1", "gas_zero", "gas_plus1",
            "gas_plus2", "sensitive",
        ]


class PersonGoalForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Goal
        fields = ["person_words", "progress_notes"]


class ActionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = GoalAction
        fields = ["what", "when", "where", "how_often", "who_helps", "helper_kind", "barriers", "solutions",
                  "support_needed", "status"]


class PersonActionForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = GoalAction
        fields = ["what", "when", "where", "how_often"]


COMMON_CONTINGENCY = ["title", "triggers", "what_to_do", "who_to_contact", "coping_strategies",
                      "early_warning_signs"]
CONTINGENCY_FIELDS: dict[str, list[str]] = {
    ContingencyPlan.Kind.GENERAL: COMMON_CONTINGENCY,
    ContingencyPlan.Kind.MENTAL_HEALTH: COMMON_CONTINGENCY,
    ContingencyPlan.Kind.ASTHMA: ["title", "personal_best", "green_medicines", "amber_medicines", "amber_actions",
                                  "red_medicines", "red_actions", "urgent_help", "who_to_contact"],
    ContingencyPlan.Kind.COPD: ["title", "rescue_when", "rescue_contents", "rescue_tell", "urgent_help",
                                "who_to_contact"],
}


def contingency_form(kind: str, *args: Any, **kwargs: Any) -> forms.ModelForm:
    """A form with only the fields this kind of plan shows, so unshown fields are never blanked."""
    form_class = forms.modelform_factory(ContingencyPlan, fields=CONTINGENCY_FIELDS[kind])
    form = form_class(*args, **kwargs)
    form.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
    return form


class AgreeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agreed_by_name = forms.CharField(label="Name of the person agreeing the plan", max_length=200)
    agreed_by_role = forms.CharField(label="Who they are", max_length=100, initial="The person",
                                     help_text="The person themselves, or their representative's role "
                                               "(for example, lasting power of attorney)")
    review_date = forms.DateField(label="Review date")
    reviewer = forms.ModelChoiceField(queryset=StaffMember.objects.none(), label="Responsible for the review")
    share_with_person = forms.BooleanField(required=False, initial=True,
                                           label="The person can see this plan on My plan")

    def __init__(self, *args: Any, practice_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reviewer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = StaffMember.objects.filter(organisation_id=practice_id or 0, active=True).select_related(
            "practitioner")
        field.label_from_instance = _staff_label  # type: ignore[method-assign,assignment]


def _staff_label(member: StaffMember) -> str:
    p = member.practitioner
    name = f"{p.given_name} {p.family_name}".strip() if p else ""
    return f"{name} ({member.get_role_display()})" if name else member.get_role_display()


class DecisionForm(forms.Form):
    """A shared decision. The options offered are those of the chosen (approved) aid."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    question = forms.CharField(label="The question", max_length=300)
    aid = forms.ModelChoiceField(queryset=DecisionAid.objects.approved(), required=False, label="Decision aid",
                                 empty_label="No decision aid")
    options_considered = forms.MultipleChoiceField(required=False, label="Options talked about")
    what_matters = forms.CharField(label="What matters to the person in this choice", required=False)
    decision = forms.CharField(label="The decision, or each side's view", required=False)
    status = forms.ChoiceField(choices=Decision.Status.choices, label="Where it got to")
    visit_note = forms.CharField(label="Note from this visit", required=False,
                                 help_text="Kept with today's date, beside notes from earlier visits")

    def __init__(self, *args: Any, aid: DecisionAid | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["options_considered"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(n, n) for n in aid.option_names] if aid else []


class BudgetForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PersonalBudget
        fields = ["indicative_allocation", "funding_source", "spend_to_date"]


class BudgetItemForm(forms.ModelForm):
    class Meta:
        model = BudgetItem
        fields = ["description", "amount", "goal"]

    def __init__(self, *args: Any, plan_id: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["goal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Goal.objects.filter(plan_id=plan_id)
        field.label_from_instance = lambda g: g.person_words[:80]  # type: ignore[method-assign,assignment]


class DecisionAidForm(forms.Form):
    """The aid as a whole; its options are posted as option-<n>-<key> and read by planning.aid_views."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label="Title", max_length=200, required=False)
    question = forms.CharField(label="The question it helps with", max_length=300, required=False)
    source = forms.CharField(label="Guidance it draws on", max_length=300, required=False)
