"""FHIR Condition and Observation to Ourplan's conditions and results.

fhir.resources checks structure but accepts any string in a code element, so the required bindings Ourplan
relies on (Condition clinical and verification status, Observation status) are checked here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.terminology import (
    SNOMED,
    Measure,
    bp_component,
    condition_names,
    measure_for_code,
    register_for_code,
)
from ourplan.clinical.validation import check_value
from ourplan.core.errors import ActionError
from ourplan.imports.fhir_read import Entry
from ourplan.imports.fhir_refs import FhirRun, Imported, source_key
from ourplan.imports.fhir_subject import Checked, import_checked
from ourplan.imports.fhir_values import Code, codings, concept_text, to_date, to_datetime
from ourplan.imports.records import aware, check_not_future, describe_result, name_for_person
from ourplan.imports.snomed import sctid_problem
from ourplan.people.models import Person

CLINICAL_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
VERIFICATION_STATUSES = ("unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error")
OBSERVATION_STATUSES = ("registered", "preliminary", "final", "amended", "corrected", "cancelled",
                        "entered-in-error", "unknown")
# A condition someone recorded in error, or ruled out, must not put the person on a register.
NOT_A_DIAGNOSIS = frozenset({"refuted", "entered-in-error"})


def _bound_code(concept: Any, system: str, allowed: tuple[str, ...], element: str) -> str | None:
    """The code of a required-binding element, or None if absent. A code outside the binding is refused."""
    found = codings(concept)
    if not found:
        return None
    for code in found:
        if code.system in (system, "") and code.code in allowed:
            return code.code
    shown = ", ".join(f"'{c.code}'" for c in found)
    raise ActionError(f"{element} {shown} is not one of the FHIR codes: {', '.join(allowed)}", field=element)


def _conflict(entry: Entry) -> str:
    return (f"{entry.resource_type} {entry.resource_id or ''} has the same identifier as one imported before "
            "for a different person. Not changed: check which system this file came from")


# --- Condition -------------------------------------------------------------------------------------------

def _onset(res: Any) -> date | None:
    if res.onsetDateTime is not None:
        return to_date(res.onsetDateTime, "Condition.onsetDateTime")
    if res.onsetPeriod is not None and res.onsetPeriod.start is not None:
        return to_date(res.onsetPeriod.start, "Condition.onsetPeriod.start")
    return None  # onsetAge / onsetRange / onsetString cannot be turned into a date


def check_condition(res: Any, entry: Entry) -> Checked:
    """Everything but the subject: see fhir_subject for why that comes last."""
    notes: list[str] = []
    code = next((c for c in codings(res.code) if c.system == SNOMED), None)
    if code is None:
        shown = ", ".join(f"{c.system}|{c.code}" for c in codings(res.code)) or concept_text(res.code) or "none"
        raise ActionError(f"Condition.code has no SNOMED CT coding (found: {shown}). Ourplan records "
                          "conditions by SNOMED CT code", field="code")
    problem = sctid_problem(code.code)
    if problem:
        raise ActionError(f"Condition.code: {problem}", field="code")
    clinical = _bound_code(res.clinicalStatus, CLINICAL_STATUS_SYSTEM, tuple(Condition.ClinicalStatus.values),
                           "Condition.clinicalStatus")
    verification = _bound_code(res.verificationStatus, VERIFICATION_STATUS_SYSTEM, VERIFICATION_STATUSES,
                               "Condition.verificationStatus")
    if clinical is None:
        notes.append("no clinicalStatus, recorded as active")
    fields: dict[str, Any] = {
        "code_system": SNOMED,
        "code": code.code,
        "display": (code.display or concept_text(res.code) or condition_names(code.code)[0])[:255],
        "register": "" if verification in NOT_A_DIAGNOSIS else register_for_code(code.code),
        "clinical_status": clinical or Condition.ClinicalStatus.ACTIVE,
        "verification_status": verification or "",
    }
    onset = _onset(res)
    if onset:
        fields["onset_date"] = onset
    recorded = to_date(res.recordedDate, "Condition.recordedDate")
    if recorded:
        fields["recorded_date"] = recorded

    def describe(record: Any, person: Person | None) -> str:
        register = f", {record.register} register" if record.register else ", on no register"
        return f"Condition {record.code} {record.display}{register}"

    return Checked(entry, Condition, source_key(entry, res), res.subject, "Condition.subject", fields, describe,
                   _conflict(entry), notes)


def import_condition(res: Any, entry: Entry, run: FhirRun) -> Imported:
    return import_checked(check_condition(res, entry), run)


# --- Observation -----------------------------------------------------------------------------------------

def _measure(concept: Any) -> tuple[Measure, Code]:
    """The measure for the first coding Ourplan knows (SNOMED CT or LOINC), and that coding."""
    found = codings(concept)
    for code in found:
        measure = measure_for_code(code.system, code.code)
        if measure is not None:
            return measure, code
    shown = ", ".join(f"{c.code} ({c.display or c.system})" for c in found) or concept_text(concept) or "none"
    raise ActionError(
        f"Observation.code {shown} is not a result Ourplan knows. It accepts the SNOMED CT and LOINC codes "
        "listed in docs/csv-import.md", field="code")


def _unit(quantity: Any) -> str | None:
    return (quantity.code or quantity.unit or None) if quantity is not None else None


def _effective(res: Any) -> datetime:
    when: date | datetime | None = None
    if res.effectiveDateTime is not None:
        when = to_datetime(res.effectiveDateTime, "Observation.effectiveDateTime")
    elif res.effectiveInstant is not None:
        when = res.effectiveInstant
    elif res.effectivePeriod is not None and res.effectivePeriod.start is not None:
        when = to_datetime(res.effectivePeriod.start, "Observation.effectivePeriod.start")
    elif res.issued is not None:
        when = res.issued  # a lab result often carries only the time it was reported
    if when is None:
        raise ActionError("Observation has no effective date or time (effective[x] or issued)",
                          field="effective")
    moment = aware(when)
    check_not_future(moment, "Observation.effective", "effective")
    return moment


def _values(res: Any, measure: Measure, code: Code) -> dict[str, Any]:
    if measure.coded:
        # A coded result (ACVPU) carries its answer in valueCodeableConcept; a finding such as "breathing
        # room air" is its own answer.
        answer = codings(res.valueCodeableConcept)
        chosen = answer[0] if answer else code
        return {"value_code": chosen.code[:30], "value_display": (chosen.display or concept_text(
            res.valueCodeableConcept))[:255], "unit": ""}
    if measure.paired:
        parts: dict[int, Any] = {}
        for component in res.component or []:
            for c in codings(component.code):
                index = bp_component(c.system, c.code)
                if index is not None and component.valueQuantity is not None:
                    parts.setdefault(index, component.valueQuantity)
        if 0 not in parts or 1 not in parts:
            missing = " and ".join(n for i, n in ((0, "systolic"), (1, "diastolic")) if i not in parts)
            raise ActionError(f"{measure.display}: no {missing} component with a value", field="component")
        unit = _unit(parts[0])
        if _unit(parts[1]) not in (unit, None):
            raise ActionError(f"{measure.display}: systolic and diastolic are in different units", field="unit")
        checked = check_value(measure.key, parts[0].value, unit, parts[1].value)
        return {"value": checked.value, "value2": checked.value2, "unit": checked.unit}
    if res.valueQuantity is None:
        reason = concept_text(res.dataAbsentReason)
        raise ActionError(f"{measure.display}: no value" + (f" ({reason})" if reason else
                          " (Ourplan imports this result as a valueQuantity)"), field="value")
    checked = check_value(measure.key, res.valueQuantity.value, _unit(res.valueQuantity))
    return {"value": checked.value, "value2": None, "unit": checked.unit}


def check_observation(res: Any, entry: Entry) -> Checked:
    """Everything but the subject: see fhir_subject for why that comes last."""
    status = res.status or ""
    if status not in OBSERVATION_STATUSES:
        raise ActionError(f"Observation.status '{status}' is not one of the FHIR codes: "
                          f"{', '.join(OBSERVATION_STATUSES)}", field="status")
    measure, code = _measure(res.code)
    fields: dict[str, Any] = {
        "measure": measure.key,
        "code_system": code.system,
        "code": code.code,
        "display": (code.display or concept_text(res.code) or measure.display)[:255],
        "effective_at": _effective(res),
        "status": status,
        "source": Observation.Source.IMPORT,
        **_values(res, measure, code),
    }

    def describe(record: Any, person: Person | None) -> str:
        return f"Result {describe_result(record)}" + (f" for {name_for_person(person)}" if person else "")

    return Checked(entry, Observation, source_key(entry, res), res.subject, "Observation.subject", fields,
                   describe, _conflict(entry))


def import_observation(res: Any, entry: Entry, run: FhirRun) -> Imported:
    return import_checked(check_observation(res, entry), run)
