"""An OpenAPI 3.0 description of the FHIR API, generated from the resource table (like the
CapabilityStatement), served at /fhir/R4/openapi.json and written to docs/fhir-openapi.json by
`ourplan fhir-openapi`. It describes paths, methods, search parameters and status codes; resource bodies
are described as FHIR resources (the FHIR specification is their schema)."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse

from ourplan.api.resources import RESOURCE_TYPES, ResourceType

FHIR_JSON = "application/fhir+json"
RESOURCE = {"$ref": "#/components/schemas/Resource"}
OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}
BUNDLE = {"$ref": "#/components/schemas/Bundle"}
PAGING = [("_count", "Page size (default 50, at most 200)"), ("_offset", "Where the page starts (paging links)")]
ERRORS = {
    "400": "Invalid request or resource (OperationOutcome names the element)",
    "401": "No valid bearer token", "403": "The token's scopes do not allow this",
    "404": "Not found, or not visible to this token", "405": "Interaction not supported",
    "406": "Unsupported _format", "409": "Conflicts with a stored record", "412": "Stale If-Match version",
    "413": "Body too large", "415": "Unsupported Content-Type", "422": "Refused by Ourplan's rules",
    "428": "If-Match required",
}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"description": ERRORS[code], "content": {FHIR_JSON: {"schema": OUTCOME}}} for code in codes}


def _ok(description: str, schema: dict[str, Any] = RESOURCE, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {FHIR_JSON: {"schema": schema}}}}


def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": {"type": kind}}


def _header(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "description": description,
            "schema": {"type": "string"}}


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "Resource id"}


def _type_paths(rt: ResourceType) -> dict[str, Any]:
    search_params = [_query(p.name, f"{p.type}: {p.documentation}") for p in rt.params.values()]
    if rt.static is None:
        search_params += [_query(n, d, "integer") for n, d in PAGING]
        search_params += [_query("_sort", f"Sort: {', '.join(rt.sorts) or 'none'} (prefix - for descending)"),
                          _query("_include", "<Type>:<reference parameter>"),
                          _query("_revinclude", "<Type>:<reference parameter>")]
    type_ops: dict[str, Any] = {"get": {
        "summary": f"Search {rt.name}", "operationId": f"search{rt.name}", "tags": [rt.name],
        "parameters": search_params, "responses": {**_ok("searchset Bundle", BUNDLE), **_errors("400", "401", "403")},
    }}
    instance: dict[str, Any] = {"get": {
        "summary": f"Read {rt.name}", "operationId": f"read{rt.name}", "tags": [rt.name], "parameters": [ID],
        "responses": {**_ok(rt.name), **_errors("401", "403", "404")},
    }}
    if "create" in rt.interactions:
        type_ops["post"] = {
            "summary": f"Create {rt.name}", "operationId": f"create{rt.name}", "tags": [rt.name],
            "parameters": [_header("If-None-Exist", "Conditional create: a search, e.g. identifier=system|value")],
            "requestBody": {"required": True, "content": {FHIR_JSON: {"schema": RESOURCE}}},
            "responses": {**_ok("Created", status="201"), **_ok("Found by If-None-Exist"),
                          **_errors("400", "401", "403", "409", "412", "413", "415", "422")},
        }
    if "update" in rt.interactions:
        instance["put"] = {
            "summary": f"Update {rt.name}", "operationId": f"update{rt.name}", "tags": [rt.name],
            "parameters": [ID, _header("If-Match", 'The version changed, e.g. W/"3"', required=True)],
            "requestBody": {"required": True, "content": {FHIR_JSON: {"schema": RESOURCE}}},
            "responses": {**_ok("Updated"), **_errors("400", "401", "403", "404", "412", "413", "415", "422",
                                                      "428")},
        }
    paths = {f"/{rt.name}": type_ops, f"/{rt.name}/{{id}}": instance,
             f"/{rt.name}/{{id}}/_history": {"get": {
                 "summary": f"History of a {rt.name}", "operationId": f"history{rt.name}", "tags": [rt.name],
                 "parameters": [ID], "responses": {**_ok("history Bundle", BUNDLE), **_errors("401", "403", "404")}}},
             f"/{rt.name}/{{id}}/_history/{{vid}}": {"get": {
                 "summary": f"Read a version of a {rt.name}", "operationId": f"vread{rt.name}", "tags": [rt.name],
                 "parameters": [ID, {"name": "vid", "in": "path", "required": True, "schema": {"type": "string"}}],
                 "responses": {**_ok(rt.name), **_errors("401", "403", "404")}}}}
    return paths


def _operations() -> dict[str, Any]:
    accepted = {"202": {"description": "Accepted: poll Content-Location",
                        "headers": {"Content-Location": {"schema": {"type": "string"}}}}}
    export_params = [_header("Prefer", "respond-async", required=True), _query("_type", "Types to export"),
                     _query("_since", "Only resources changed since"),
                     _query("_outputFormat", "application/fhir+ndjson")]
    return {
        "/metadata": {"get": {"summary": "CapabilityStatement", "operationId": "capabilities", "security": [],
                              "tags": ["Server"], "responses": _ok("CapabilityStatement")}},
        "/": {"post": {"summary": "Transaction or batch Bundle", "operationId": "transaction", "tags": ["Server"],
                       "requestBody": {"required": True, "content": {FHIR_JSON: {"schema": BUNDLE}}},
                       "responses": {**_ok("transaction-response or batch-response Bundle", BUNDLE),
                                     **_errors("400", "401", "403", "404", "409", "412", "413", "415", "422")}}},
        "/Patient/{id}/$everything": {"get": {
            "summary": "Everything in a person's record", "operationId": "everything", "tags": ["Patient"],
            "parameters": [ID, _query("_type", "Types"), _query("_since", "Changed since"),
                           *[_query(n, d, "integer") for n, d in PAGING]],
            "responses": {**_ok("searchset Bundle", BUNDLE), **_errors("400", "401", "403", "404")}}},
        "/$export": {"get": {"summary": "Bulk export (system)", "operationId": "exportSystem", "tags": ["Export"],
                             "parameters": export_params, "responses": {**accepted, **_errors("400", "401", "403")}}},
        "/Patient/$export": {"get": {"summary": "Bulk export (patients)", "operationId": "exportPatients",
                                     "tags": ["Export"], "parameters": export_params,
                                     "responses": {**accepted, **_errors("400", "401", "403")}}},
        "/Group/{id}/$export": {"get": {"summary": "Bulk export (a practice register)", "operationId": "exportGroup",
                                        "tags": ["Export"], "parameters": [ID, *export_params],
                                        "responses": {**accepted, **_errors("400", "401", "403", "404")}}},
    }


def document(base_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = _operations()
    for rt in RESOURCE_TYPES.values():
        paths.update(_type_paths(rt))
    fhir_object: dict[str, Any] = {"type": "object", "required": ["resourceType"], "additionalProperties": True,
                   "properties": {"resourceType": {"type": "string"}, "id": {"type": "string"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Ourplan FHIR R4 API", "version": "4.0.1",
                 "description": "FHIR R4 (UK Core) API of Ourplan. Generated from the resource table "
                                "(src/ourplan/api/resources.py); see docs/fhir-api.md."},
        "servers": [{"url": base_url.rstrip("/")}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "SMART v2 scoped token from `ourplan api-token`"}},
            "schemas": {
                "Resource": fhir_object,
                "Bundle": {**fhir_object, "properties": {**fhir_object["properties"],
                                                         "type": {"type": "string"}, "entry": {"type": "array"}}},
                "OperationOutcome": {**fhir_object, "required": ["resourceType", "issue"],
                                     "properties": {**fhir_object["properties"], "issue": {"type": "array"}}},
            },
        },
    }


def response(base_url: str) -> HttpResponse:
    return HttpResponse(orjson.dumps(document(base_url), option=orjson.OPT_INDENT_2),
                        content_type="application/json")
