"""The care planning cycle: one open round per person, stages set once, in a sensible order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ourplan.core.errors import ActionError
from ourplan.core.models import AuditEvent
from ourplan.recall.cycle import do_close_cycle, do_mark_stage, do_set_review_due, do_start_cycle

pytestmark = pytest.mark.django_db


def test_one_combined_cycle_per_person_whatever_the_number_of_conditions(clinician, person):
    first = do_start_cycle(clinician, person, registers=["DM", "HYP", "AST", "DEPR"])
    assert do_start_cycle(clinician, person) == first
    assert person.cycles.count() == 1


def test_marking_a_stage_twice_keeps_the_first_time(clinician, person):
    cycle = do_start_cycle(clinician, person)
    first = timezone.now() - timedelta(days=2)
    do_mark_stage(clinician, cycle, "invited", at=first)
    do_mark_stage(clinician, cycle, "invited")
    cycle.refresh_from_db()
    assert cycle.invited_at == first
    assert AuditEvent.objects.filter(entity_type="CarePlanningCycle", detail__stage="invited").count() == 1


def test_preparation_cannot_be_sent_before_the_tests_are_done(clinician, person):
    cycle = do_start_cycle(clinician, person)
    with pytest.raises(ActionError, match="needs 'Tests and measurements done' first"):
        do_mark_stage(clinician, cycle, "preparation_sent")
    do_mark_stage(clinician, cycle, "information_gathered")
    assert do_mark_stage(clinician, cycle, "preparation_sent").preparation_sent_at is not None


def test_a_closed_cycle_cannot_move_and_a_new_one_can_start(clinician, person):
    cycle = do_start_cycle(clinician, person)
    do_close_cycle(clinician, cycle)
    with pytest.raises(ActionError, match="closed"):
        do_mark_stage(clinician, cycle, "invited")
    assert do_start_cycle(clinician, person) != cycle


def test_review_date_must_be_in_the_future(clinician, person):
    cycle = do_start_cycle(clinician, person)
    with pytest.raises(ActionError, match="future"):
        do_set_review_due(clinician, cycle, timezone.localdate())
    assert do_set_review_due(clinician, cycle, timezone.localdate() + timedelta(days=365)).review_due


def test_current_stage_is_the_latest_reached(clinician, person):
    cycle = do_start_cycle(clinician, person)
    assert cycle.current_stage == ""
    do_mark_stage(clinician, cycle, "invited")
    do_mark_stage(clinician, cycle, "information_gathered")
    assert cycle.current_stage == "information_gathered"
