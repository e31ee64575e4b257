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
    """meta for a type with a UK Core profile, named by the part after "UKCore-"."""
    return {"versionId": str(obj.version), "lastUpdated": instant(obj.updated_at), "profile": [UK_CORE + profile]}


def reference(resource_type: str, obj: Any, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{obj.public_id}"}
    if display:
        ref["display"] = display
    return ref


def prune(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty elements: FHIR forbids empty strings, lists and objects."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def meta_base(obj: PublicModel, profile: str | None) -> dict[str, Any]:
    """meta for any type: the UK Core profile where one exists (a full URL), none otherwise."""
    out: dict[str, Any] = {"versionId": str(obj.version), "lastUpdated": instant(obj.updated_at)}
    if profile:
        out["profile"] = [profile]
    return out


def user_reference(user: Any) -> dict[str, str] | None:
    """A login as a FHIR reference: the Practitioner it belongs to, else just a display name."""
    if user is None:
        return None
    practitioner = getattr(user, "practitioner", None) if hasattr(user, "practitioner") else None
    if practitioner is not None:
        return reference("Practitioner", practitioner, str(practitioner))
    name = user.get_full_name() or user.username
    return {"display": name}


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    coding = prune({"system": system, "code": code, "display": display})
    return prune({"coding": [coding], "text": text})
