"""Search parameters: parsing FHIR search values (token, reference, date with prefixes, string) into
queryset filters. Repeated parameters AND together; comma-separated values within one OR together, as
the FHIR search specification says. A value that cannot be parsed is a 400 naming the parameter."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ourplan.api.errors import FhirError

Filter = Callable[[str], Q]  # one value (no commas) -> condition


@dataclass(frozen=True)
class SearchParam:
    """One search parameter as the CapabilityStatement lists it, and how it filters."""

    name: str
    type: str  # FHIR search param type: token, reference, date, string
    documentation: str
    to_q: Filter
    # For types that are not database rows (Questionnaire): does this row match one value?
    match: Callable[[Any, str], bool] | None = None

    def apply(self, qs: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        for value in values:  # repeated parameter: AND
            if value == "":
                raise bad(self.name, "has no value")
            either = Q(pk__in=[])
            for part in _split_commas(value):  # comma: OR
                either |= self.to_q(part)
            qs = qs.filter(either)
        return qs

    def keep(self, rows: list[Any], values: list[str]) -> list[Any]:
        """`apply` for rows held in memory: AND over repeats, OR over commas."""
        assert self.match is not None
        for value in values:
            if value == "":
                raise bad(self.name, "has no value")
            parts = _split_commas(value)
            rows = [row for row in rows if any(self.match(row, part) for part in parts)]
        return rows


def bad(name: str, problem: str) -> FhirError:
    return FhirError(400, f"Search parameter '{name}' {problem}", code="invalid", expression=[name])


def _split_commas(value: str) -> list[str]:
    # "\," escapes a comma inside a value.
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",") for p in parts]


def token(value: str) -> tuple[str | None, str]:
    """(system or None when not given, code). "|code" means "no system" and gives ("", code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def reference_id(value: str, resource_type: str) -> uuid.UUID | None:
    """The public id in "Type/id", a bare id, or an absolute URL ending in Type/id; None if it cannot name
    a record of `resource_type` (the search then matches nothing, like a reference to a missing record)."""
    parts = [p for p in value.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2:
        if parts[-2] != resource_type:
            return None
        return as_uuid(parts[-1])
    return as_uuid(value)


def reference_q(field: str, resource_type: str) -> Filter:
    def to_q(value: str) -> Q:
        found = reference_id(value, resource_type)
        return Q(**{field: found}) if found else Q(pk__in=[])
    return to_q


# --- Dates -----------------------------------------------------------------------------------------------

PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def date_range(value: str, name: str) -> tuple[datetime, datetime]:
    """[start, end) of a FHIR date or dateTime at its precision: "2024" is the whole year, "2024-05-01" the
    whole (local) day, a dateTime its second."""
    zone = timezone.get_current_timezone()
    if _DATE.match(value):
        parts = [int(p) for p in value.split("-")]
        try:
            if len(parts) == 1:
                start, end = date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
            elif len(parts) == 2:
                start = date(parts[0], parts[1], 1)
                end = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
            else:
                start = date(parts[0], parts[1], parts[2])
                end = start + timedelta(days=1)
        except (ValueError, OverflowError) as exc:
            raise bad(name, f"value '{value}' is not a date") from exc
        return (timezone.make_aware(datetime.combine(start, time()), zone),
                timezone.make_aware(datetime.combine(end, time()), zone))
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise bad(name, f"value '{value}' is not a FHIR date or dateTime (e.g. 2024-05-01 or "
                  "2024-05-01T10:00:00+01:00)")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    moment = moment.replace(microsecond=0)
    return moment, moment + timedelta(seconds=1)


def date_q(field: str, name: str, *, date_only: bool = False) -> Filter:
    """A date parameter on a DateTimeField (or DateField, with `date_only`) with FHIR prefixes."""

    def to_q(value: str) -> Q:
        prefix = value[:2] if value[:2].isalpha() else "eq"
        if value[:2].isalpha() and prefix not in PREFIXES:
            raise bad(name, f"prefix '{prefix}' is not supported (use {', '.join(PREFIXES)})")
        raw = value[2:] if value[:2].isalpha() else value
        start_dt, end_dt = date_range(raw, name)
        start: date | datetime = start_dt
        end: date | datetime = end_dt
        if date_only:
            start, end = start_dt.date(), end_dt.date() if end_dt.time() == time() else end_dt.date() + timedelta(1)
        conditions = {
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "ne": ~Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "lt": Q(**{f"{field}__lt": start}),
            "le": Q(**{f"{field}__lt": end}),
            "gt": Q(**{f"{field}__gte": end}),
            "ge": Q(**{f"{field}__gte": start}),
        }
        return conditions[prefix]

    return to_q


def id_q(value: str) -> Q:
    found = as_uuid(value)
    return Q(public_id=found) if found else Q(pk__in=[])


def string_q(field: str) -> Filter:
    # FHIR string search: case-insensitive, matching the start of the value.
    return lambda value: Q(**{f"{field}__istartswith": value})


def common_params(extra: list[SearchParam]) -> dict[str, SearchParam]:
    base = [
        SearchParam("_id", "token", "The resource id (its Ourplan public id)", id_q),
        SearchParam("_lastUpdated", "date", "When the resource last changed (prefixes eq, ne, lt, le, gt, ge)",
                    date_q("updated_at", "_lastUpdated")),
    ]
    return {p.name: p for p in base + extra}
