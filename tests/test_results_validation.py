"""Results are checked before they are stored: known codes, units that fit, plausible values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ourplan.clinical.actions import do_record_observation
from ourplan.clinical.terminology import LOINC, SNOMED
from ourplan.clinical.validation import check_value, find_measure
from ourplan.core.errors import ActionError


def test_known_snomed_and_loinc_codes_resolve_to_measures():
    assert find_measure(SNOMED, "999791000000106").key == "hba1c"
    assert find_measure(LOINC, "59261-8").key == "hba1c"
    assert find_measure(SNOMED, "75367002").key == "bp"


def test_unknown_code_is_refused_naming_it():
    with pytest.raises(ActionError, match="Unknown result code 12345"):
        find_measure(SNOMED, "12345")


def test_missing_unit_gives_a_clear_message():
    with pytest.raises(ActionError, match=r"unit is missing\. Expected mmol/mol"):
        check_value("hba1c", "53", "")


def test_wrong_unit_is_refused():
    with pytest.raises(ActionError, match=r"unit '%' does not fit"):
        check_value("hba1c", "7.1", "%")


def test_height_in_metres_is_converted_to_centimetres():
    assert check_value("height", "1.72", "m").value == Decimal("172.00")


@pytest.mark.parametrize(("measure", "value"), [("hba1c", "530"), ("hba1c", "5"), ("bp", "14")])
def test_implausible_values_are_refused(measure, value):
    with pytest.raises(ActionError, match="outside the possible range"):
        check_value(measure, value, "mmol/mol" if measure == "hba1c" else "mm[Hg]", "80")


def test_blood_pressure_needs_both_numbers_and_diastolic_below_systolic():
    with pytest.raises(ActionError, match=r"diastolic .* is missing"):
        check_value("bp", "140", "mm[Hg]")
    with pytest.raises(ActionError, match="must be lower than the systolic"):
        check_value("bp", "90", "mm[Hg]", "95")


def test_not_a_number():
    with pytest.raises(ActionError, match="must be a number"):
        check_value("hba1c", "abc", "mmol/mol")


@pytest.mark.django_db
def test_recording_a_result_writes_an_audit_event(clinician, person):
    obs = do_record_observation(clinician, person, "hba1c", "58", "mmol/mol")
    from ourplan.core.models import AuditEvent

    event = AuditEvent.objects.get(entity_id=str(obs.public_id))
    assert event.action == "create" and event.actor == clinician and event.person_id_ref == person.public_id
