"""Search: filters from the query string (chained parameters too), a stable sort, and a searchset Bundle
with self/next/previous links and the `_include`/`_revinclude` resources. Paging is by offset over a total
order (the requested sort, then the primary key), so a page never repeats or skips a row while the data is
unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet

from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError
from ourplan.api.include import IncludeSpec, included, parse_includes
from ourplan.api.resource_type import ResourceType
from ourplan.api.search import bad

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters about the result rather than the match. _pretty and _format change only the rendering.
CONTROL = frozenset({"_count", "_offset", "_sort", "_format", "_pretty", "_include", "_revinclude", "_total"})


@dataclass
class SearchResult:
    rows: list[Any]
    total: int
    bundle: dict[str, Any]
    included: list[tuple[ResourceType, Any]] = field(default_factory=list)



def paging_links(url: str, kept: Sequence[tuple[str, Any]], count: int, offset: int, total: int
                 ) -> list[dict[str, str]]:
    """self, next and previous links of a searchset page: the query kept, with _count and _offset."""
    def link(relation: str, at: int) -> dict[str, str]:
        query = urlencode([*kept, ("_count", str(count)), ("_offset", str(at))])
        return {"relation": relation, "url": f"{url}?{query}"}

    links = [link("self", offset)]
    if count and offset + count < total:
        links.append(link("next", offset + count))
    if count and offset > 0:
        links.append(link("previous", max(offset - count, 0)))
    return links

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
            known = ", ".join(rt.sorts) or "none"
            raise bad("_sort", f"'{name}' is not a sort for {rt.name} (use {known})")
        order.append(("-" if descending else "") + column)
    # The primary key last makes the order total, so offset paging is stable.
    return [*order, "-pk" if order[-1].startswith("-") else "pk"]


def _unknown(rt: ResourceType, name: str) -> FhirError:
    return FhirError(400, f"Unknown search parameter '{name}' for {rt.name} (known: {', '.join(rt.params)}; "
                     "send Prefer: handling=lenient to ignore unknown ones)", code="not-supported",
                     expression=[name])


def _chained(rt: ResourceType, caller: Caller, name: str, values: list[str], lenient: bool) -> QuerySet[Any] | None:
    """`patient.identifier=...`: rows whose linked `patient` matches `identifier` among the targets the
    caller may see (so chaining can never reach a record the caller could not search directly)."""
    from ourplan.api.resources import RESOURCE_TYPES

    head, _, rest = name.partition(".")
    head = head.split(":")[0]
    link = rt.link(head)
    target = RESOURCE_TYPES.get(link.target) if link is not None else None
    if link is None or target is None or target.static is not None:
        if lenient:
            return None
        raise bad(name, f"cannot be chained: '{head}' is not a reference parameter of {rt.name} that chains "
                  f"(chainable: {', '.join(sorted({lk.param for lk in rt.links})) or 'none'})")
    caller.require(target.name, "s")
    inner = filtered(target, caller, [(rest, v) for v in values], lenient=lenient)
    column = "public_id" if link.by_public_id else "pk"
    return rt.visible(caller).filter(**{f"{link.path}__in": inner.values(column)})


def filtered(rt: ResourceType, caller: Caller, pairs: Iterable[tuple[str, str]], *, lenient: bool = False,
             kept: list[tuple[str, str]] | None = None) -> QuerySet[Any]:
    """The rows of `rt` the caller may see that match every (name, value) pair."""
    qs: QuerySet[Any] = rt.visible(caller)
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        if name in CONTROL:
            continue
        if "." in name:
            chained = _chained(rt, caller, name, values, lenient)
            if chained is not None:
                qs = qs.filter(pk__in=chained.values("pk"))
                if kept is not None:
                    kept.extend((name, v) for v in values)
            continue
        param = rt.params.get(name)
        if param is None:
            if lenient:
                continue
            raise _unknown(rt, name)
        qs = param.apply(qs, values)
        if kept is not None:
            kept.extend((name, v) for v in values)
    return qs


def _static_rows(rt: ResourceType, pairs: list[tuple[str, str]], lenient: bool,
                 kept: list[tuple[str, str]]) -> list[Any]:
    assert rt.static is not None
    rows = list(rt.static())
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in CONTROL:
            grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        param = rt.params.get(name)
        if param is None or param.match is None:
            if lenient:
                continue
            raise _unknown(rt, name)
        rows = param.keep(rows, values)
        kept.extend((name, v) for v in values)
    return rows


def entry(base: str, rt: ResourceType, row: Any, mode: str) -> dict[str, Any]:
    return {"fullUrl": f"{base}{rt.name}/{row.public_id}", "resource": rt.serialize(row), "search": {"mode": mode}}


def search(request_get: Any, headers: Any, rt: ResourceType, caller: Caller, base: str) -> SearchResult:
    """`request_get` is a QueryDict (or anything with .lists()); `headers` the request headers."""
    lenient = "handling=lenient" in headers.get("Prefer", "").replace(" ", "").lower()
    pairs = [(name, value) for name, values in request_get.lists() for value in values]
    kept: list[tuple[str, str]] = []
    count = _int("_count", request_get.get("_count", str(DEFAULT_COUNT)), 0, MAX_COUNT)
    offset = _int("_offset", request_get.get("_offset", "0"), 0)
    includes: list[IncludeSpec] = parse_includes(rt, request_get, lenient=lenient)
    sort = request_get.get("_sort")
    if rt.static is not None:
        if sort:
            raise bad("_sort", f"{rt.name} has no sorts")
        matched = _static_rows(rt, pairs, lenient, kept)
        total, rows = len(matched), matched[offset:offset + count] if count else []
    else:
        qs = filtered(rt, caller, pairs, lenient=lenient, kept=kept).order_by(*_order(rt, sort))
        total = qs.count()
        prepared = rt.prepared(caller, qs)
        rows = list(prepared[offset:offset + count]) if count else []
    if sort:
        kept.append(("_sort", sort))
    kept.extend((spec.parameter, spec.text) for spec in includes)
    extra = included(caller, rt, rows, includes)

    links = paging_links(f"{base}{rt.name}", kept, count, offset, total)
    entries = [entry(base, rt, row, "match") for row in rows]
    entries += [entry(base, other, row, "include") for other, row in extra]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        bundle["entry"] = entries
    return SearchResult(rows, total, bundle, extra)
