"""Pieces every outbound resource shares: meta (versionId, lastUpdated, profile) and references. Built as
plain dicts for orjson: pydantic costs about 1 ms a resource (decision 0007), too slow for the read path."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ourplan.core.models import PublicModel

UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"


def instant(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def number(value: Decimal) -> int | float:
    """A stored decimal as a JSON number, without the trailing zeros of the column's scale."""
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def meta(obj: PublicModel, profile: str) -> dict[str, Any]:
    return {"versionId": str(obj.version), "lastUpdated": instant(obj.updated_at), "profile": [UK_CORE + profile]}


def reference(resource_type: str, obj: Any, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{obj.public_id}"}
    if display:
        ref["display"] = display
    return ref


def prune(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty elements: FHIR forbids empty strings, lists and objects."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}
