"""Ourplan's conditions and results to FHIR (UK Core): Condition and Observation. Blood pressure, stored as
one row (systolic `value`, diastolic `value2`), goes out as the FHIR blood pressure panel: LOINC 85354-9
with systolic (8480-6) and diastolic (8462-4) components, each also coded in SNOMED CT."""

from __future__ import annotations

from typing import Any

from ourplan.api.out_common import day, instant, meta, number, prune, reference
from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.terminology import LOINC, MEASURES, SNOMED, UCUM, Measure

CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# The observation category of each measure (searchable with `category`).
LABORATORY = frozenset({"hba1c", "cholesterol", "non_hdl", "hdl", "egfr", "acr", "creatinine", "albumin"})
SURVEY = frozenset({"phq9", "phq2", "gad7", "news2"})
VITAL_SIGNS = frozenset({"bp", "bmi", "weight", "height", "heart_rate", "resp_rate", "spo2", "temperature"})
# Everything else (peak flow, ACVPU, inspired air) is an examination finding.
CATEGORIES = ("vital-signs", "laboratory", "survey", "exam")

BP_PANEL = ("85354-9", "75367002")
BP_SYSTOLIC = ("8480-6", "72313002", "Systolic blood pressure")
BP_DIASTOLIC = ("8462-4", "1091811000000102", "Diastolic blood pressure")


def category_of(measure: str) -> str:
    if measure in VITAL_SIGNS:
        return "vital-signs"
    if measure in LABORATORY:
        return "laboratory"
    if measure in SURVEY:
        return "survey"
    return "exam"


def measures_in(category: str) -> list[str]:
    return [key for key in MEASURES if category_of(key) == category]


def condition(c: Condition) -> dict[str, Any]:
    verification = [{"coding": [{"system": VERIFICATION_STATUS, "code": c.verification_status}]}] \
        if c.verification_status else []
    return prune({
        "resourceType": "Condition",
        "id": str(c.public_id),
        "meta": meta(c, "Condition"),
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": c.clinical_status}]},
        "verificationStatus": verification[0] if verification else None,
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": {"coding": [prune({"system": c.code_system, "code": c.code, "display": c.display})]},
        "subject": reference("Patient", c.person),
        "onsetDateTime": day(c.onset_date),
        "recordedDate": day(c.recorded_date),
    })


def _codings(o: Observation, measure: Measure) -> list[dict[str, str]]:
    """The stored coding first, then the measure's SNOMED CT and LOINC codes, so a client that knows only
    one of the two systems still recognises the result."""
    out = [prune({"system": o.code_system, "code": o.code, "display": o.display})]
    if measure.paired:
        wanted = [(LOINC, BP_PANEL[0]), (SNOMED, BP_PANEL[1])]
    else:
        wanted = [(SNOMED, measure.code)] + ([(LOINC, measure.loinc[0])] if measure.loinc else [])
    for system, code in wanted:
        if (system, code) != (o.code_system, o.code):
            out.append({"system": system, "code": code, "display": measure.display})
    return out


def _quantity(value: Any, unit: str, label: str) -> dict[str, Any]:
    return prune({"value": number(value), "unit": label or unit, "system": UCUM, "code": unit})


def _component(codes: tuple[str, str, str], value: Any, measure: Measure) -> dict[str, Any]:
    loinc, sct, display = codes
    return {"code": {"coding": [{"system": LOINC, "code": loinc, "display": display},
                                {"system": SNOMED, "code": sct, "display": display}]},
            "valueQuantity": _quantity(value, measure.unit, measure.unit_label)}


def observation(o: Observation) -> dict[str, Any]:
    measure = MEASURES[o.measure]
    category = category_of(o.measure)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(o.public_id),
        "meta": meta(o, "Observation"),
        "status": o.status,
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "code": {"coding": _codings(o, measure), "text": measure.display},
        "subject": reference("Patient", o.person),
        "effectiveDateTime": instant(o.effective_at),
    }
    if measure.paired and o.value is not None and o.value2 is not None:
        resource["component"] = [_component(BP_SYSTOLIC, o.value, measure),
                                 _component(BP_DIASTOLIC, o.value2, measure)]
    elif measure.coded:
        resource["valueCodeableConcept"] = {
            "coding": [prune({"system": SNOMED, "code": o.value_code, "display": o.value_display})]
        } if o.value_code else {"text": o.value_display or measure.display}
    elif o.value is not None:
        resource["valueQuantity"] = _quantity(o.value, o.unit or measure.unit, measure.unit_label)
    return resource
