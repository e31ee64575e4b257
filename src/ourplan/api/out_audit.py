"""The audit trail and write provenance to FHIR: AuditEvent (core.AuditEvent, every read, search, change
and refused attempt) and Provenance (api.WriteRecord, every write made over the API). Both are read-only.
The access basis Ourplan records becomes `purposeOfEvent` (AuditEvent) and `reason` (Provenance)."""

from __future__ import annotations

from typing import Any

from ourplan.api.models import WriteRecord
from ourplan.api.out_common import UK_CORE, concept, instant, prune, reference, user_reference
from ourplan.core.models import AccessBasis, AuditEvent

ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
# Why someone could see the record -> the v3 purpose of use it corresponds to.
PURPOSE = {
    AccessBasis.SELF: ("PATRQT", "patient requested"),
    AccessBasis.DIRECT_CARE: ("TREAT", "treatment"),
    AccessBasis.CARE_TEAM: ("CAREMGT", "care management"),
    AccessBasis.CONSENT: ("FAMRQT", "family requested"),
    AccessBasis.EMERGENCY: ("ETREAT", "emergency treatment"),
    AccessBasis.SYSTEM: ("HOPERAT", "healthcare operations"),
}
# AuditEvent.action (C R U D E) for each Ourplan action.
ACTION = {"read": "R", "search": "E", "create": "C", "update": "U", "delete": "D", "import": "C",
          "download": "R", "denied": "E", "login": "E"}
AUDIT_TYPE = ("http://dicom.nema.org/resources/ontology/DCM", "110110", "Patient Record")
REST_TYPE = ("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation")
OURPLAN_ACTION = "https://fhir.ourplan.org.uk/CodeSystem/audit-action"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PROVENANCE_ROLE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
FHIR_TYPES_WITH_IDS = frozenset({
    "Patient", "Condition", "Observation", "CarePlan", "Goal", "RelatedPerson", "QuestionnaireResponse",
    "ServiceRequest", "Appointment", "Communication", "CareTeam", "Consent", "Task", "Organization",
    "Practitioner", "PractitionerRole", "HealthcareService"})


def _purpose(basis: str) -> list[dict[str, Any]]:
    found = PURPOSE.get(basis)  # type: ignore[call-overload]
    if found is None:
        return []
    return [concept(ACT_REASON, found[0], found[1], AccessBasis(basis).label)]


def _outcome(e: AuditEvent) -> str:
    status = (e.detail or {}).get("status")
    if e.action == "denied" or (isinstance(status, int) and 400 <= status < 500):
        return "4"
    if isinstance(status, int) and status >= 500:
        return "8"
    return "0"


def audit_event(e: AuditEvent) -> dict[str, Any]:
    detail = e.detail or {}
    api = str(detail.get("path", "")).startswith("/fhir/")
    kind = REST_TYPE if api else AUDIT_TYPE
    who = user_reference(e.actor) or {"display": e.actor_label}
    if who.get("display") is None:
        who["display"] = e.actor_label
    agent = prune({"who": who, "requestor": True,
                   "network": {"address": e.ip_address, "type": "2"} if e.ip_address else None})
    entities = []
    if e.entity_id and e.entity_type in FHIR_TYPES_WITH_IDS:
        entities.append({"what": {"reference": f"{e.entity_type}/{e.entity_id}"}})
    elif e.entity_type or e.entity_id:
        entities.append({"what": {"display": f"{e.entity_type} {e.entity_id}".strip()}})
    if e.person_id_ref:
        entities.append({"what": {"reference": f"Patient/{e.person_id_ref}"},
                         "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1",
                                  "display": "Patient"}})
    return prune({
        "resourceType": "AuditEvent",
        "id": str(e.public_id),
        "meta": {"versionId": "1", "lastUpdated": instant(e.at)},
        "type": {"system": kind[0], "code": kind[1], "display": kind[2]},
        "subtype": [{"system": OURPLAN_ACTION, "code": e.action, "display": e.get_action_display()}],
        "action": ACTION.get(e.action, "E"),
        "recorded": instant(e.at),
        "outcome": _outcome(e),
        "outcomeDesc": f"HTTP {detail['status']}" if isinstance(detail.get("status"), int) else None,
        "purposeOfEvent": _purpose(e.basis),
        "agent": [agent],
        "source": {"observer": {"display": "Ourplan"}},
        "entity": entities,
    })


def provenance(w: WriteRecord) -> dict[str, Any]:
    who = user_reference(w.agent_user) if w.agent_user else None
    if who is None and w.organisation is not None:
        who = reference("Organization", w.organisation, w.organisation.name)
    agent: dict[str, Any] = {
        "type": concept(PROVENANCE_ROLE, "author", "Author"),
        "who": who or {"display": w.agent_label},
    }
    if w.organisation is not None and who is not None and "Practitioner" in who.get("reference", ""):
        agent["onBehalfOf"] = reference("Organization", w.organisation, w.organisation.name)
    activity = "CREATE" if w.activity == WriteRecord.Activity.CREATE else "UPDATE"
    return prune({
        "resourceType": "Provenance",
        "id": str(w.public_id),
        "meta": {"versionId": "1", "lastUpdated": instant(w.recorded), "profile": [UK_CORE + "Provenance"]},
        "target": [{"reference": f"{w.resource_type}/{w.resource_id}/_history/{w.version}"}],
        "recorded": instant(w.recorded),
        "reason": _purpose(w.basis),
        "activity": concept(DATA_OPERATION, activity, activity.lower()),
        "agent": [agent],
        "entity": [{"role": "source", "what": {"identifier": {"system": "urn:ietf:rfc:3986",
                                                               "value": f"urn:uuid:{w.transaction_id}"},
                                                "display": "The transaction Bundle it came in"}}]
        if w.transaction_id else [],
    })
