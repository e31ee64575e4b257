"""Search: filters from the query string, a stable sort, and a searchset Bundle with self/next/previous
links. Paging is by offset over a total order (the requested sort, then the primary key), so a page never
repeats or skips a row while the data is unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest

from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError
from ourplan.api.resources import SELECT_RELATED, ResourceType
from ourplan.api.search import bad

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters about the result rather than the match. _pretty and _format change only the rendering.
CONTROL = frozenset({"_count", "_offset", "_sort", "_format", "_pretty"})


@dataclass
class SearchResult:
    rows: list[Any]
    total: int
    bundle: dict[str, Any]


def _int(name: str, raw: str, low: int, high: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad(name, f"must be a whole number, not '{raw}'") from exc
    if value < low:
        raise bad(name, f"must be at least {low}")
    return min(value, high) if high is not None else value


def _order(rt: ResourceType, raw: str | None) -> list[str]:
    if not raw:
        return ["pk"]
    order = []
    for part in raw.split(","):
        name = part.strip()
        descending = name.startswith("-")
        column = rt.sorts.get(name.lstrip("-"))
        if column is None:
            raise bad("_sort", f"'{name}' is not a sort for {rt.name} (use {', '.join(rt.sorts)})")
        order.append(("-" if descending else "") + column)
    # The primary key last makes the order total, so offset paging is stable.
    return [*order, "-pk" if order[-1].startswith("-") else "pk"]


def search(request: HttpRequest, rt: ResourceType, caller: Caller, base: str) -> SearchResult:
    lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "").lower()
    qs: QuerySet[Any] = rt.visible(caller)
    kept: list[tuple[str, str]] = []
    for name in request.GET:
        values = request.GET.getlist(name)
        if name in CONTROL:
            continue
        param = rt.params.get(name)
        if param is None:
            if lenient:
                continue
            raise FhirError(400, f"Unknown search parameter '{name}' for {rt.name} (known: "
                            f"{', '.join(rt.params)}; send Prefer: handling=lenient to ignore unknown ones)",
                            code="not-supported", expression=[name])
        qs = param.apply(qs, values)
        kept.extend((name, v) for v in values)
    count = _int("_count", request.GET.get("_count", str(DEFAULT_COUNT)), 0, MAX_COUNT)
    offset = _int("_offset", request.GET.get("_offset", "0"), 0)
    sort = request.GET.get("_sort")
    if sort:
        kept.append(("_sort", sort))
    qs = qs.order_by(*_order(rt, sort))
    total = qs.count()
    rows = list(qs.select_related(*SELECT_RELATED.get(rt.name, ()))[offset:offset + count]) if count else []

    def link(relation: str, at: int) -> dict[str, str]:
        query = urlencode([*kept, ("_count", str(count)), ("_offset", str(at))])
        return {"relation": relation, "url": f"{base}{rt.name}?{query}"}

    links = [link("self", offset)]
    if count and offset + count < total:
        links.append(link("next", offset + count))
    if count and offset > 0:
        links.append(link("previous", max(offset - count, 0)))
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [{"fullUrl": f"{base}{rt.name}/{row.public_id}", "resource": rt.serialize(row),
                   "search": {"mode": "match"}} for row in rows],
    }
    if not bundle["entry"]:
        del bundle["entry"]
    return SearchResult(rows, total, bundle)


