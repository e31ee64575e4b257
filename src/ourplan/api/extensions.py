"""Ourplan's own FHIR canonical URLs: the extensions and code systems it defines where FHIR R4 and UK Core
have no element (Goal importance and confidence, the PRSB "About me" sections of a plan, ...). Each is
described in docs/fhir-api.md; the outbound mappers write them and the inbound mappers read them, so what
Ourplan stores goes out and comes back without loss. Canonical URLs are names, not addresses: they stay
the same on every installation."""

from __future__ import annotations

from typing import Any

CANONICAL = "https://fhir.ourplan.org.uk"
STRUCTURE = f"{CANONICAL}/StructureDefinition/"
CODE_SYSTEM = f"{CANONICAL}/CodeSystem/"

# Goal
GOAL_IMPORTANCE = STRUCTURE + "goal-importance"  # valueInteger 0-10: how much the goal matters to the person
GOAL_CONFIDENCE = STRUCTURE + "goal-confidence"  # valueInteger 0-10: how sure they are they can do it
GOAL_RAISE_CONFIDENCE = STRUCTURE + "goal-what-would-raise-confidence"  # valueString
GOAL_PROGRESS_NOTES = STRUCTURE + "goal-progress-notes"  # valueString: the person's own notes on progress
GOAL_REGISTER = STRUCTURE + "goal-condition-register"  # valueCoding (ltc-register), one per linked register
GOAL_SENSITIVE = STRUCTURE + "goal-sensitive"  # valueBoolean: part of the sensitive section
GOAL_CATEGORY = CODE_SYSTEM + "goal-category"
LTC_REGISTER = CODE_SYSTEM + "ltc-register"

# HL7 Person-Centered Outcomes IG (STU1): goal attainment scaling, five levels each with its own wording.
PCO_GAS = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-attainment-scaling"
LOINC = "http://loinc.org"
GAS_MEASURE = ("107332-9", "Goal attainment scale - Reported")
# Ourplan's level field -> the LOINC answer (answer list LL6900-6) the PCO IG binds `level` to.
GAS_LEVEL_CODES: dict[str, tuple[str, str]] = {
    "gas_plus2": ("LA34479-8", "Much better than expected"),
    "gas_plus1": ("LA34480-6", "Better than expected"),
    "gas_zero": ("LA34481-4", "Expected outcome"),
    "gas_minus1": ("LA34483-0", "Less than expected"),
    "gas_minus2": ("LA34484-8", "Much less than expected"),
}

# CarePlan
PLAN_ABOUT_ME = STRUCTURE + "care-plan-about-me"  # complex: one sub-extension per PRSB "About me" section
PLAN_AGREEMENT = STRUCTURE + "care-plan-agreement"  # complex: name, role, date (who agreed the plan, when)
PLAN_REVIEW = STRUCTURE + "care-plan-review"  # complex: date, responsible (PractitionerRole)
PLAN_SHARED = STRUCTURE + "care-plan-shared-with-person"  # valueBoolean: the person sees it on My plan
ACTIVITY_DETAIL = STRUCTURE + "care-plan-activity-detail"  # complex: when, how-often, helper-kind, barriers, ...
HELPER_KIND = CODE_SYSTEM + "action-helper-kind"

# ServiceRequest
REFERRAL_KIND = CODE_SYSTEM + "referral-kind"  # referral or signposting
REFERRAL_STATUS = STRUCTURE + "referral-status"  # valueCode: Ourplan's finer status (sent, accepted, ...)
REFERRAL_CONSENT = STRUCTURE + "referral-consent-given"  # valueBoolean

# Appointment and Communication
# valueBoolean: the person also shares their sensitive sections (mental health, safeguarding) with the grantee.
# Explicit, because a consent from another system that says nothing must never share them.
CONSENT_SENSITIVE = STRUCTURE + "consent-includes-sensitive"
APPOINTMENT_KIND = CODE_SYSTEM + "appointment-kind"
COMMUNICATION_KIND = CODE_SYSTEM + "communication-kind"
QUESTIONNAIRE = f"{CANONICAL}/Questionnaire/"


def ext(url: str, **value: Any) -> dict[str, Any]:
    """{"url": url, "valueX": ...}: exactly one value, given as e.g. valueString="..."."""
    (key, v), = value.items()
    return {"url": url, key: v}


def find(extensions: Any, url: str) -> Any:
    """The first extension with `url` in a list of fhir.resources Extension models, or None."""
    return next((e for e in extensions or [] if getattr(e, "url", None) == url), None)


def find_all(extensions: Any, url: str) -> list[Any]:
    return [e for e in extensions or [] if getattr(e, "url", None) == url]


def sub(extension: Any, url: str) -> Any:
    """A sub-extension of a complex extension, or None."""
    return find(getattr(extension, "extension", None), url)
