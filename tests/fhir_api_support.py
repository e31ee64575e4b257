"""Helpers for the FHIR API tests: tokens for the personas, requests with a bearer token, and an assertion
that what the API returns is valid FHIR R4 (validated with fhir.resources R4B)."""

from __future__ import annotations

from typing import Any

import orjson
from django.test import Client

from ourplan.api.tokens import issue
from ourplan.imports.fhir_read import model_class

BASE = "/fhir/R4/"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def token_for(user: Any = None, scopes: str = "user/*.rs", **kwargs: Any) -> str:
    return issue(name="test client", scopes=scopes, days=1, user=user, **kwargs).value


class Api:
    """A test client that sends a bearer token and speaks application/fhir+json."""

    def __init__(self, token: str | None, client: Client | None = None) -> None:
        self.token = token
        self.client = client or Client()

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/fhir+json",
                **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if self.token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        data = body if isinstance(body, (bytes, str)) or body is None else orjson.dumps(body)
        url = path if path.startswith("/") or path.startswith("http") else BASE + path
        return self.client.generic(method, url, data or b"", content_type=content_type, **extra)

    def get(self, path: str, **headers: str) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.request("POST", path, body, **headers)

    def put(self, path: str, body: Any, **headers: str) -> Any:
        return self.request("PUT", path, body, **headers)


def json_of(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(response.content)
    return data


def assert_valid_fhir(data: dict[str, Any]) -> dict[str, Any]:
    """Validate with the fhir.resources R4B model of its type (a Bundle validates its entries too)."""
    cls = model_class(data["resourceType"])
    assert cls is not None, data["resourceType"]
    cls.model_validate(data)
    return data


def assert_outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    data = json_of(response)
    assert data["resourceType"] == "OperationOutcome"
    assert_valid_fhir(data)
    return data


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", [])]
