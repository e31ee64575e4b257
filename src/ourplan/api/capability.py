"""GET /metadata: the CapabilityStatement, generated from the resource table so that it lists exactly the
types, interactions and search parameters that are implemented, and nothing else."""

from __future__ import annotations

from typing import Any

from ourplan.api.out_common import UK_CORE
from ourplan.api.resources import RESOURCE_TYPES

RELEASED = "2026-01-01"
SUPPORTED_SCOPES = (
    "patient/*.rs", "patient/<Type>.rs", "user/*.rs", "user/*.cruds", "user/<Type>.<cruds>", "system/*.rs",
    "system/*.cruds", "system/<Type>.<cruds>",
)
SECURITY = (
    "Every request needs `Authorization: Bearer <token>`. Tokens are issued by an administrator with "
    "`ourplan api-token` (there is no OAuth authorization endpoint yet) and carry SMART v2 scopes: "
    + ", ".join(SUPPORTED_SCOPES) + ". The v1 suffixes .read, .write and .* are accepted. A patient/ token "
    "sees one person; a user/ token sees what its user sees on the website; a system/ token sees the people "
    "registered at its organisation. Updates (create, update) need the c/u permissions and are for practice "
    "staff and system clients."
)
SEARCH_DOC = (
    "Every search type also takes _count (page size, default 50, at most 200), _offset (used by the paging "
    "links), _sort (the sorts listed per type, prefixed '-' for descending) and _format (json or xml). "
    "Unknown parameters are refused (400) unless the request sends `Prefer: handling=lenient`."
)


def _resource(name: str) -> dict[str, Any]:
    rt = RESOURCE_TYPES[name]
    entry: dict[str, Any] = {
        "type": name,
        "profile": UK_CORE + name,
        "interaction": [{"code": code} for code in rt.interactions],
        "versioning": "versioned-update" if "update" in rt.interactions else "versioned",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": "create" in rt.interactions,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                        for p in rt.params.values()],
        "documentation": f"_sort: {', '.join(rt.sorts)} (and -<sort>)",
    }
    return entry


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
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}], "text": "Bearer tokens with SMART v2 scopes"}],
                "description": SECURITY,
            },
            "resource": [_resource(name) for name in RESOURCE_TYPES],
        }],
    }
