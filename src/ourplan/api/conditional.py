"""Conditional create: `If-None-Exist: <search>` finds the record a create would duplicate, among those
the caller may see. Zero matches: create; one: return it (200, nothing created); more: 412.

`identifier=system|value` on Patient (NHS number), Condition and Observation (the business identifier the
importer keys them by) is matched as the importer matches them, so an API create and a file import of the
same record meet. Any other query is an ordinary search of the type (e.g. `patient=Patient/<id>` for a
CarePlan: one current plan per person)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from ourplan.api.access import visible_people
from ourplan.api.auth import Caller
from ourplan.api.bundles import filtered
from ourplan.api.errors import FhirError
from ourplan.api.resource_type import ResourceType
from ourplan.api.search import token
from ourplan.imports.fhir_values import NHS_NUMBER_SYSTEM
from ourplan.imports.records import fit_key
from ourplan.people import nhs_number

KEYED_BY_SOURCE = ("Condition", "Observation")


def existing_match(caller: Caller, rt: ResourceType, header: str) -> Any | None:
    params = parse_qsl(header, keep_blank_values=True)
    if not params:
        raise FhirError(400, "If-None-Exist needs a search, e.g. identifier=system|value", code="invalid",
                        expression=["If-None-Exist"])
    if len(params) == 1 and params[0][0] == "identifier" and rt.name in ("Patient", *KEYED_BY_SOURCE):
        matches = _by_identifier(caller, rt, params[0][1])
    else:
        try:
            matches = list(rt.loaded(filtered(rt, caller, params))[:2])
        except FhirError as exc:
            raise FhirError(400, f"If-None-Exist: {exc.diagnostics}", code=exc.code,
                            expression=["If-None-Exist"]) from exc
    if len(matches) > 1:
        raise FhirError(412, "If-None-Exist matches more than one record", code="multiple-matches")
    return matches[0] if matches else None


def _by_identifier(caller: Caller, rt: ResourceType, value: str) -> list[Any]:
    if "|" not in value:
        raise FhirError(400, "If-None-Exist: identifier needs system|value", code="invalid",
                        expression=["If-None-Exist"])
    system, code = token(value)
    if rt.name == "Patient":
        if system != NHS_NUMBER_SYSTEM:
            return []
        return list(rt.visible_all().filter(nhs_number=nhs_number.normalise(code),
                                            pk__in=visible_people(caller).values("pk"))[:2])
    key = fit_key(f"fhir:{rt.name}|{system}", code or "")
    # exclude(source_id="") lets SQLite use the partial unique index on the key (else it scans the table).
    rows = rt.visible(caller).filter(source_system=key[0], source_id=key[1]).exclude(source_id="")
    return list(rt.loaded(rows)[:2])
