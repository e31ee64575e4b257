"""Forms for slots and booking: parsing and field messages only; the rules live in recall.booking."""

from __future__ import annotations

from typing import Any

from django import forms

from ourplan.people.models import StaffMember
from ourplan.recall.booking import MAX_SLOT_MINUTES, MIN_SLOT_MINUTES
from ourplan.recall.models import AppointmentKind


class SlotRunForm(forms.Form):
    """A run of back-to-back slots for one staff member on one day."""

    staff = forms.ModelChoiceField(queryset=StaffMember.objects.none(), to_field_name="public_id",
                                   error_messages={"required": "Choose who the slots are with",
                                                   "invalid_choice": "Choose who the slots are with"})
    kind = forms.ChoiceField(choices=AppointmentKind.choices,
                             error_messages={"required": "Choose what the slots are for"})
    day = forms.DateField(error_messages={"required": "Enter the date", "invalid": "Enter a real date"})
    start = forms.TimeField(error_messages={"required": "Enter the time of the first slot",
                                            "invalid": "Enter a time like 09:00"})
    end = forms.TimeField(error_messages={"required": "Enter the time the last slot ends by",
                                          "invalid": "Enter a time like 12:00"})
    length = forms.IntegerField(min_value=MIN_SLOT_MINUTES, max_value=MAX_SLOT_MINUTES, error_messages={
        "required": "Enter the length of each slot in minutes",
        "invalid": "Enter the length as a whole number of minutes",
        "min_value": f"Slots must be at least {MIN_SLOT_MINUTES} minutes",
        "max_value": f"Slots can be at most {MAX_SLOT_MINUTES} minutes",
    })

    def __init__(self, *args: Any, practice_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["staff"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (StaffMember.objects.filter(organisation_id__in=practice_ids, active=True)
                          .select_related("practitioner", "organisation").order_by("practitioner__family_name"))


class BookingForm(forms.Form):
    slot = forms.UUIDField(error_messages={"required": "Choose a slot", "invalid": "Choose a slot"})
    length = forms.IntegerField(required=False, min_value=MIN_SLOT_MINUTES, max_value=MAX_SLOT_MINUTES,
                                error_messages={"invalid": "Enter the length as a whole number of minutes",
                                                "min_value": f"At least {MIN_SLOT_MINUTES} minutes",
                                                "max_value": f"At most {MAX_SLOT_MINUTES} minutes"})


def error_list(form: forms.Form, order: list[str]) -> list[dict[str, str]]:
    """Errors for the NHS.UK error summary, in the order the fields appear on the page."""
    items = []
    for name in order:
        for message in form.errors.get(name, []):
            items.append({"text": str(message), "href": f"#{name}"})
    for message in form.non_field_errors():
        items.append({"text": str(message), "href": f"#{order[0]}"})
    return items
