"""Turning posted form fields into action arguments. Conversion problems become ActionErrors naming the
field, so views show every message the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import QueryDict

from ourplan.core.errors import ActionError

SERVICE_TEXT = ("name", "description", "eligibility", "cost", "cost_detail", "access_route", "address",
                "postcode", "opening_times", "phone", "email", "website", "accessibility", "languages",
                "maintained_by_text", "condition_registers")


def _int(data: QueryDict, name: str, label: str) -> int | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ActionError(f"{label} must be a whole number, like 65", field=name)
    return int(raw)


def _float(data: QueryDict, name: str, label: str) -> float | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ActionError(f"{label} must be a number, like 53.8", field=name) from None


def service_fields(data: QueryDict) -> dict[str, Any]:
    fields: dict[str, Any] = {name: data.get(name, "").strip() for name in SERVICE_TEXT}
    fields["category_codes"] = " ".join(data.getlist("categories"))
    fields["min_age"] = _int(data, "min_age", "Youngest age")
    fields["max_age"] = _int(data, "max_age", "Oldest age")
    fields["latitude"] = _float(data, "latitude", "Latitude")
    fields["longitude"] = _float(data, "longitude", "Longitude")
    fields["online"] = data.get("online") == "yes"
    fields["active"] = data.get("active", "yes") == "yes"
    raw = data.get("last_checked", "").strip()
    try:
        fields["last_checked"] = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ActionError("Enter the date it was last checked, like 2025-03-31", field="last_checked") from None
    if not fields["online"] and not fields["postcode"] and fields["latitude"] is None:
        raise ActionError("Give the postcode of where the service runs, or say that it is online", field="postcode")
    return fields


def version(data: QueryDict) -> int:
    raw = data.get("version", "")
    if not raw.isdigit():
        raise ActionError("This form is out of date: reload the page and try again")
    return int(raw)
