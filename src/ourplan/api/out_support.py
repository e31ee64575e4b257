"""Referrals and the services directory to FHIR: ServiceRequest and HealthcareService (UK Core).

A referral's FHIR status is the required-binding code (support.referrals.FHIR_STATUS); Ourplan's finer
status (sent, accepted, attended, ...) goes beside it in an extension, with the date it reached each one.
Signposting (telling the person about a service) is intent "proposal"; a referral is an "order"."""

from __future__ import annotations

from typing import Any

from ourplan.api import extensions as X
from ourplan.api.out_common import UK_CORE, concept, day, instant, meta_base, prune, reference, user_reference
from ourplan.support.models import AccessRoute, Category, Cost, Referral, Service
from ourplan.support.referrals import FHIR_STATUS

SNOMED = "http://snomed.info/sct"
# SNOMED CT 3457005 "Patient referral"; signposting has no code of its own.
REFERRAL_CATEGORY = ("3457005", "Patient referral")
SERVICE_CATEGORY = X.CODE_SYSTEM + "service-category"
PROVISION = "http://terminology.hl7.org/CodeSystem/service-provision-conditions"
REFERRAL_METHOD = "http://terminology.hl7.org/CodeSystem/service-referral-method"
COST_CODES = {Cost.FREE: "free", Cost.LOW: "disc", Cost.PAID: "cost"}
STATUS_DATES = ("sent_at", "accepted_at", "declined_at", "attended_at", "finished_at")


def _status_extension(r: Referral) -> dict[str, Any]:
    parts = [X.ext("status", valueCode=r.status)]
    for name in STATUS_DATES:
        when = getattr(r, name)
        if when is not None:
            parts.append(X.ext(name.removesuffix("_at"), valueDateTime=instant(when)))
    return {"url": X.REFERRAL_STATUS, "extension": parts}


def service_request(r: Referral) -> dict[str, Any]:
    performer = (reference("HealthcareService", r.service, r.service.name) if r.service
                 else {"display": r.to_name})
    category = (concept(SNOMED, *REFERRAL_CATEGORY) if r.kind == Referral.Kind.REFERRAL
                else {"text": r.get_kind_display()})
    category["coding"] = [*category.get("coding", []),
                          {"system": X.REFERRAL_KIND, "code": r.kind, "display": r.get_kind_display()}]
    notes = [{"text": f"{label}: {text}"} for label, text in (("Outcome", r.outcome), ("Feedback", r.feedback))
             if text]
    return prune({
        "resourceType": "ServiceRequest",
        "id": str(r.public_id),
        "meta": meta_base(r, UK_CORE + "ServiceRequest"),
        "extension": [_status_extension(r), X.ext(X.REFERRAL_CONSENT, valueBoolean=r.consent_given)],
        "status": FHIR_STATUS[Referral.Status(r.status)],
        "intent": "order" if r.kind == Referral.Kind.REFERRAL else "proposal",
        "category": [category],
        "code": {"text": f"{r.get_kind_display()} to {r.destination}"},
        "subject": reference("Patient", r.person),
        "authoredOn": instant(r.sent_at),
        "requester": user_reference(r.created_by),
        "performer": [performer],
        "reasonCode": [{"text": r.reason}],
        "supportingInfo": [{"reference": f"Goal/{r.goal_public_id}"}] if r.goal_public_id else [],
        "note": notes,
    })


def _telecom(s: Service) -> list[dict[str, str]]:
    out = []
    for system, value in (("phone", s.phone), ("email", s.email), ("url", s.website)):
        if value:
            out.append({"system": system, "value": value})
    return out


def healthcare_service(s: Service) -> dict[str, Any]:
    labels = dict(Category.choices)
    categories = [concept(SERVICE_CATEGORY, code, str(labels.get(code, code))) for code in s.categories]
    methods = [] if s.access_route == AccessRoute.SELF else [concept(REFERRAL_METHOD, "elec", "Secure Messaging")]
    eligibility = [{"comment": s.eligibility}] if s.eligibility else []
    location = prune({"line": [ln for ln in s.address.splitlines() if ln.strip()], "postalCode": s.postcode})
    return prune({
        "resourceType": "HealthcareService",
        "id": str(s.public_id),
        "meta": meta_base(s, UK_CORE + "HealthcareService"),
        "identifier": [{"system": f"{X.CANONICAL}/Id/service-source/{s.source_system}", "value": s.source_id}]
        if s.source_id and s.source_system else [],
        "active": s.active,
        "providedBy": reference("Organization", s.maintained_by, s.maintained_by.name) if s.maintained_by
        else ({"display": s.maintained_by_text} if s.maintained_by_text else None),
        "category": categories,
        "name": s.name,
        "comment": s.description,
        "extraDetails": "\n".join(p for p in (
            f"Address: {', '.join(location.get('line', []) + [s.postcode] * bool(s.postcode))}"
            if location else "", "Online" if s.online else "", f"Cost: {s.cost_detail}" if s.cost_detail else "",
            f"Accessibility: {s.accessibility}" if s.accessibility else "",
            f"Last checked: {day(s.last_checked)}" if s.last_checked else "") if p),
        "telecom": _telecom(s),
        "serviceProvisionCode": [concept(PROVISION, COST_CODES[Cost(s.cost)], s.get_cost_display())],
        "eligibility": eligibility,
        "communication": [{"text": lang.strip()} for lang in s.languages.split(",") if lang.strip()],
        "referralMethod": methods,
        "appointmentRequired": s.access_route == AccessRoute.PROFESSIONAL,
        "availabilityExceptions": s.opening_times,
    })
