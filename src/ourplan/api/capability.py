"""GET /metadata: the CapabilityStatement, generated from the resource table so that it lists exactly the
types, interactions and search parameters that are implemented, and nothing else."""

from __future__ import annotations

from typing import Any

from ourplan.api.oauth import token_url
from ourplan.api.resources import RESOURCE_TYPES

RELEASED = "2026-01-01"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
SUPPORTED_SCOPES = (
    "patient/*.rs", "patient/<Type>.rs", "user/*.rs", "user/*.cruds", "user/<Type>.<cruds>", "system/*.rs",
    "system/*.cruds", "system/<Type>.<cruds>",
)
SECURITY = (
    "Every request needs `Authorization: Bearer <token>`. Backend services registered with `ourplan api-client` "
    "get short-lived system/ tokens from the token endpoint (OAuth2 client credentials, client_secret_basic or "
    "client_secret_post; see .well-known/smart-configuration). Other tokens are issued by an administrator "
    "with `ourplan api-token` (there is no authorization endpoint for SMART App Launch). Tokens carry SMART "
    "v2 scopes: "
    + ", ".join(SUPPORTED_SCOPES) + ". The v1 suffixes .read, .write and .* are accepted. A patient/ token "
    "sees one person; a user/ token sees what its user sees on the website; a system/ token sees the people "
    "registered at its organisation. Updates (create, update) need the c/u permissions and are for practice "
    "staff and system clients. Every write records a Provenance."
)
SEARCH_DOC = (
    "Every search type also takes _count (page size, default 50, at most 200), _offset (used by the paging "
    "links), _sort (the sorts listed per type, prefixed '-' for descending) and _format (json or xml). "
    "Unknown parameters are refused (400) unless the request sends `Prefer: handling=lenient`. Reference "
    "parameters chain (e.g. Observation?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|<number>) and "
    "take _include/_revinclude; every included or chained resource obeys the same access rules."
)


BULK_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
# Versions kept beyond the current one: writes over the API (all writable types), and PlanVersion
# snapshots (CarePlan, Goal); see api.history.
HISTORY_KEPT = frozenset({"CarePlan", "Goal"})


def _revincludes(name: str) -> list[str]:
    found = [f"{rt.name}:{link.param}" for rt in RESOURCE_TYPES.values() for link in rt.links if link.target == name]
    return [*found, "Provenance:target"] if "Provenance" in RESOURCE_TYPES else found


def _resource(name: str) -> dict[str, Any]:
    rt = RESOURCE_TYPES[name]
    documentation = f"_sort: {', '.join(rt.sorts)} (and -<sort>)" if rt.sorts else "No sorts."
    if rt.documentation:
        documentation = f"{rt.documentation} {documentation}"
    entry: dict[str, Any] = {
        "type": name,
        "profile": rt.profile or f"http://hl7.org/fhir/StructureDefinition/{name}",
        "interaction": [{"code": code} for code in rt.interactions],
        "versioning": "versioned-update" if "update" in rt.interactions else "versioned",
        "readHistory": "update" in rt.interactions or name in HISTORY_KEPT,
        "updateCreate": False,
        "conditionalCreate": "create" in rt.interactions,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": [f"{name}:{link.param}" for link in rt.links],
        "searchRevInclude": _revincludes(name),
        "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                        for p in rt.params.values()],
        "documentation": documentation,
    }
    if name == "Patient":
        entry["operation"] = [{"name": "everything", "definition": EVERYTHING},
                              {"name": "export", "definition": BULK_EXPORT + "patient-export"}]
    return {k: v for k, v in entry.items() if v != []}


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "Ourplan",
        "kind": "instance",
        "software": {"name": "Ourplan"},
        "implementation": {"description": "Ourplan FHIR R4 API (UK Core)", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["json", "xml", "application/fhir+json", "application/fhir+xml"],
        "rest": [{
            "mode": "server",
            "documentation": SEARCH_DOC,
            "security": {
                "extension": [{"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": token_url(base_url)}]}],
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}], "text": "Bearer tokens with SMART v2 scopes; OAuth2 client credentials "
                                                 "for backend services"}],
                "description": SECURITY,
            },
            "resource": [_resource(name) for name in RESOURCE_TYPES],
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
            "operation": [{"name": "export", "definition": BULK_EXPORT + "export"},
                          {"name": "group-export", "definition": BULK_EXPORT + "group-export",
                           "documentation": "Group/[id]/$export: [id] is a GP practice's Organization id"}],
        }],
    }
