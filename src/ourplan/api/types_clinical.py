"""Condition and Observation in the resource table."""

from __future__ import annotations

from django.db.models import Q

from ourplan.api import out_clinical, writes
from ourplan.api.out_common import UK_CORE
from ourplan.api.resource_type import READ_INTERACTIONS, WRITE_INTERACTIONS, Link, ResourceType
from ourplan.api.search import SearchParam, bad, common_params, date_q, token
from ourplan.api.sensitivity import visible_clinical
from ourplan.api.types_people import patient_param
from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.terminology import LOINC, SNOMED, measure_for_code


def _condition_code(value: str) -> Q:
    system, code = token(value)
    if not code:
        raise bad("code", "needs a code (system|code or code)")
    return Q(code=code) & (Q(code_system=system) if system else Q())


def _observation_code(value: str) -> Q:
    """A code matches the measure it stands for, whichever of its SNOMED CT or LOINC codes was stored."""
    system, code = token(value)
    if not code:
        raise bad("code", "needs a code (system|code or code)")
    systems = [system] if system else [SNOMED, LOINC]
    keys = {m.key for s in systems if (m := measure_for_code(s, code)) is not None}
    if keys:
        return Q(measure__in=keys)
    return Q(code=code) & (Q(code_system=system) if system else Q())


def _category(value: str) -> Q:
    system, code = token(value)
    if system not in (None, out_clinical.OBSERVATION_CATEGORY) or code not in out_clinical.CATEGORIES:
        return Q(pk__in=[])
    return Q(measure__in=out_clinical.measures_in(code))


def _clinical_status(value: str) -> Q:
    system, code = token(value)
    if system not in (None, out_clinical.CLINICAL_STATUS):
        return Q(pk__in=[])
    return Q(clinical_status=code)


def _observation_status(value: str) -> Q:
    system, code = token(value)
    return Q(status=code) if system in (None, "", "http://hl7.org/fhir/observation-status") else Q(pk__in=[])


def _condition_category(value: str) -> Q:
    # Every Condition Ourplan holds is a problem-list item (the LTC registers are built from them).
    system, code = token(value)
    ok = system in (None, out_clinical.CONDITION_CATEGORY) and code == "problem-list-item"
    return Q() if ok else Q(pk__in=[])


TYPES = (
    ResourceType(
        "Condition", Condition, out_clinical.condition, visible_clinical("Condition"), "person",
        common_params([
            patient_param("person__public_id", "Whose condition: Patient/<id>"),
            patient_param("person__public_id", "Whose condition: Patient/<id>", name="subject"),
            SearchParam("code", "token", "SNOMED CT code: http://snomed.info/sct|<code>", _condition_code),
            SearchParam("clinical-status", "token", "active, recurrence, relapse, inactive, remission, "
                        "resolved", _clinical_status),
            SearchParam("category", "token", "problem-list-item (every condition Ourplan holds)",
                        _condition_category),
            SearchParam("onset-date", "date", "Onset date (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("onset_date", "onset-date", date_only=True)),
        ]),
        sorts={"_lastUpdated": "updated_at", "onset-date": "onset_date", "recorded-date": "recorded_date"},
        interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, profile=UK_CORE + "Condition",
        select_related=("person",),
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person")),
        writer=writes.CONDITION,
    ),
    ResourceType(
        "Observation", Observation, out_clinical.observation, visible_clinical("Observation"), "person",
        common_params([
            patient_param("person__public_id", "Whose result: Patient/<id>"),
            patient_param("person__public_id", "Whose result: Patient/<id>", name="subject"),
            SearchParam("code", "token", "SNOMED CT or LOINC code (either finds the result whichever was "
                        "stored)", _observation_code),
            SearchParam("category", "token", "vital-signs, laboratory, survey or exam", _category),
            SearchParam("date", "date", "effective date and time (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("effective_at", "date")),
            SearchParam("status", "token", "final, amended, corrected, ...", _observation_status),
        ]),
        sorts={"_lastUpdated": "updated_at", "date": "effective_at"},
        interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, profile=UK_CORE + "Observation",
        select_related=("person",),
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person")),
        writer=writes.OBSERVATION,
    ),
)
