"""Suggested conversation length: 20 minutes, more for complexity, each addition with its reason."""

from __future__ import annotations

import pytest

from ourplan.clinical.results import overview
from ourplan.people.models import Person
from ourplan.recall.length import suggest_conversation_length
from tests import factories as f
from tests import recall_factories as rf

pytestmark = pytest.mark.django_db


def suggest(p: Person):
    p.refresh_from_db()
    return suggest_conversation_length(p, overview(p))


def test_one_condition_and_nothing_else_is_the_20_minute_base(practice):
    s = suggest(rf.on_registers(practice, "Simple", "HYP"))
    assert s.minutes == 20 and s.reasons == ("20 minutes to start with",)


def test_five_minutes_per_extra_condition(practice):
    s = suggest(rf.on_registers(practice, "Three", "HYP", "DM", "AST"))
    assert s.minutes == 30 and "+10 for 3 long-term conditions" in s.reasons


def test_extra_conditions_add_at_most_15_minutes(practice):
    s = suggest(rf.on_registers(practice, "Six", "HYP", "DM", "AST", "CKD", "COPD", "CHD"))
    assert s.minutes == 35 and "+15 for 6 long-term conditions" in s.reasons


def test_two_codes_for_one_condition_count_once(practice):
    p = rf.on_registers(practice, "Twice", "DM")
    f.condition(p, "46635009")  # type 1 diabetes: same register
    assert suggest(p).minutes == 20


def test_two_results_off_target_add_five_minutes(practice):
    p = rf.on_registers(practice, "Off", "DM")
    f.obs(p, "hba1c", "70")
    assert suggest(p).minutes == 20  # one off target is not enough
    f.obs(p, "bp", "150", "95")
    s = suggest(p)
    assert s.minutes == 25 and any(r.startswith("+5 for 2 results off target") for r in s.reasons)


def test_an_interpreter_adds_ten_minutes(practice):
    p = rf.on_registers(practice, "Lang", "HYP")
    Person.objects.filter(pk=p.pk).update(interpreter_needed=True, preferred_language="pa")
    s = suggest(p)
    assert s.minutes == 30 and "+10 for an interpreter (pa)" in s.reasons


@pytest.mark.parametrize(("formats", "minutes"), [
    (["bsl"], 25), (["easy-read"], 25), (["bsl", "easy-read"], 25), (["large-print"], 20), ([], 20),
])
def test_bsl_or_easy_read_add_five_minutes_once(practice, formats, minutes):
    p = rf.on_registers(practice, "Formats", "HYP")
    Person.objects.filter(pk=p.pk).update(accessible_formats=formats)
    assert suggest(p).minutes == minutes


def test_everything_together(practice, person):
    Person.objects.filter(pk=person.pk).update(interpreter_needed=True, accessible_formats=["bsl"])
    f.obs(person, "bp", "150", "95")  # now HbA1c and BP are both off target
    s = suggest(person)
    assert s.minutes == 20 + 15 + 5 + 10 + 5
    assert len(s.reasons) == 5
