"""The person's agenda for the conversation, from the preparation app when it is installed. Planning must
work without it (apps are built in parallel), so every import and lookup here is optional."""

from __future__ import annotations

from typing import Any

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from ourplan.people.models import Person

AGENDA_TEMPLATE = "preparation/_agenda.jinja"


def agenda_items(person: Person) -> list[Any]:
    """Objects with question_text, answer and written_by_label. The seam is
    `ourplan.preparation.agenda.agenda_items_for(person)`; without it, there is no agenda."""
    try:
        from ourplan.preparation import agenda as preparation_agenda
    except ImportError:
        return []
    getter = getattr(preparation_agenda, "agenda_items_for", None)
    return list(getter(person)) if callable(getter) else []


def has_agenda_template() -> bool:
    try:
        get_template(AGENDA_TEMPLATE)
    except TemplateDoesNotExist:
        return False
    return True
