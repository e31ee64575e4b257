"""The person's agenda for the conversation: their prompt-sheet answers, in their own words, with who wrote
each one. The conversation screen (planning) includes preparation/_agenda.jinja with `agenda_items`."""

from __future__ import annotations

from ourplan.people.models import Person
from ourplan.preparation.models import PromptSheetAnswer
from ourplan.preparation.prompts import QUESTION_KEYS
from ourplan.recall.cycle import open_cycle
from ourplan.recall.models import CarePlanningCycle


def agenda_for(cycle: CarePlanningCycle | None) -> list[PromptSheetAnswer]:
    """The cycle's answers that say something, in the order of the prompt sheet."""
    if cycle is None:
        return []
    answers = [a for a in PromptSheetAnswer.objects.filter(cycle=cycle).select_related("cycle") if a.answer]
    order = {key: i for i, key in enumerate(QUESTION_KEYS)}
    return sorted(answers, key=lambda a: order.get(a.question_key, len(order)))


def agenda_items_for(person: Person) -> list[PromptSheetAnswer]:
    """The agenda of the person's current round of care planning (the open cycle, else the latest)."""
    cycle = open_cycle(person) or CarePlanningCycle.objects.filter(person=person).order_by("-created_at").first()
    return agenda_for(cycle)
