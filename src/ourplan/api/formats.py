"""JSON and XML on the wire. JSON is built with orjson straight from dicts (the fast path); XML, off the
hot path, goes through fhir.resources, which knows FHIR's XML rules (attributes, ordering, primitives)."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from ourplan.api.errors import FhirError
from ourplan.imports.fhir_read import model_class

JSON = "application/fhir+json"
XML = "application/fhir+xml"
_FORMATS = {
    "json": JSON, "application/json": JSON, "application/fhir+json": JSON, "application/json+fhir": JSON,
    "xml": XML, "text/xml": XML, "application/xml": XML, "application/fhir+xml": XML, "application/xml+fhir": XML,
}


def wanted_format(request: HttpRequest) -> str:
    """From `_format` (which wins, for browsers and curl) or the Accept header; JSON by default."""
    requested = request.GET.get("_format")
    if requested is not None:
        found = _FORMATS.get(requested.split(";")[0].strip().lower())
        if found is None:
            raise FhirError(406, f"_format '{requested}' is not supported: use json or xml", code="not-supported",
                            expression=["_format"])
        return found
    accept = request.headers.get("Accept", "").lower()
    if "xml" in accept and "json" not in accept:
        return XML
    return JSON


def body_format(request: HttpRequest) -> str:
    content_type = request.content_type.split(";")[0].strip().lower() if request.content_type else ""
    found = _FORMATS.get(content_type)
    if found is None or content_type in ("json", "xml"):
        raise FhirError(415, f"Content-Type '{content_type or '(none)'}' is not supported: send "
                        "application/fhir+json or application/fhir+xml", code="not-supported")
    return found


def render(data: dict[str, Any] | None, fmt: str, status: int = 200,
           headers: dict[str, str] | None = None) -> HttpResponse:
    if data is None:
        body = b""
    elif fmt == XML:
        body = to_xml(data)
    else:
        body = orjson.dumps(data)
    response = HttpResponse(body, status=status, content_type=f"{fmt}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def to_xml(data: dict[str, Any]) -> bytes:
    cls = model_class(str(data.get("resourceType", "")))
    if cls is None:  # cannot happen for what the API builds; a guard rather than a crash
        raise FhirError(406, "This response cannot be given as XML", code="not-supported")
    xml = cls.model_validate(data).model_dump_xml()
    return xml if isinstance(xml, bytes) else str(xml).encode()
