"""`_include` and `_revinclude`: the resources a page of search results points at, or that point at it.
Every included resource is fetched through its own type's `rows(caller)`, the same visibility as a direct
read or search, so an include can never show what the caller could not read (another person's goal, a
sensitive goal, an unshared plan). Types outside the token's scopes are left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ourplan.api.auth import Caller
from ourplan.api.resource_type import Link, ResourceType
from ourplan.api.search import bad

# An include is for a page of results, not a way round paging: at most this many resources ride along.
MAX_INCLUDED = 1000
PROVENANCE_TARGET = ("Provenance", "target")


@dataclass(frozen=True)
class IncludeSpec:
    parameter: str  # _include or _revinclude
    text: str  # as sent, e.g. "CarePlan:goal"
    source: ResourceType  # the type holding the reference
    link: Link | None  # None for Provenance:target, which points at any type
    target: str


def _parse(rt: ResourceType, parameter: str, text: str) -> IncludeSpec:
    from ourplan.api.resources import RESOURCE_TYPES

    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise bad(parameter, f"'{text}' is not <Type>:<parameter> (e.g. CarePlan:goal)")
    source = RESOURCE_TYPES.get(parts[0])
    if source is None:
        raise bad(parameter, f"'{parts[0]}' is not a type served here")
    if parameter == "_revinclude" and (parts[0], parts[1]) == PROVENANCE_TARGET:
        return IncludeSpec(parameter, text, source, None, rt.name)
    link = source.link(parts[1])
    if link is None:
        links = ", ".join(f"{source.name}:{lk.param}" for lk in source.links) or "none"
        raise bad(parameter, f"'{text}': {source.name} has no reference parameter '{parts[1]}' to include "
                  f"(known: {links})")
    if len(parts) == 3 and parts[2] != link.target:
        raise bad(parameter, f"'{text}': {source.name}:{link.param} points at {link.target}, not {parts[2]}")
    if parameter == "_include" and source.name != rt.name:
        raise bad(parameter, f"'{text}': _include names the searched type ({rt.name}:<parameter>)")
    if parameter == "_revinclude" and link.target != rt.name:
        raise bad(parameter, f"'{text}': {source.name}:{link.param} points at {link.target}, not {rt.name}")
    return IncludeSpec(parameter, text, source, link, link.target)


def parse_includes(rt: ResourceType, query: Any, *, lenient: bool = False) -> list[IncludeSpec]:
    specs = []
    for parameter in ("_include", "_revinclude"):
        for text in query.getlist(parameter):
            try:
                specs.append(_parse(rt, parameter, text.replace(":iterate", "")))
            except Exception:
                if not lenient:
                    raise
    return specs


def _forward(caller: Caller, spec: IncludeSpec, rows: list[Any]) -> list[tuple[ResourceType, Any]]:
    from ourplan.api.resources import RESOURCE_TYPES

    link = spec.link
    assert link is not None
    target = RESOURCE_TYPES[link.target]
    if link.by_public_id:
        keys = {getattr(row, link.path) for row in rows} - {None, ""}
        if target.static is not None:
            return [(target, row) for row in target.static() if row.public_id in keys]
        found = target.rows(caller).filter(public_id__in=keys)
    else:
        pks = spec.source.model._default_manager.filter(pk__in=[row.pk for row in rows]).values(link.path)
        found = target.rows(caller).filter(pk__in=pks)
    return [(target, row) for row in found[:MAX_INCLUDED]]


def _reverse(caller: Caller, spec: IncludeSpec, rt: ResourceType, rows: list[Any]) -> list[tuple[ResourceType, Any]]:
    source = spec.source
    if spec.link is None:  # Provenance:target
        found = source.rows(caller).filter(resource_type=rt.name, resource_id__in=[row.public_id for row in rows])
    elif spec.link.by_public_id:
        found = source.rows(caller).filter(**{f"{spec.link.path}__in": [row.public_id for row in rows]})
    else:
        found = source.rows(caller).filter(**{f"{spec.link.path}__in": [row.pk for row in rows]}).distinct()
    return [(source, row) for row in found[:MAX_INCLUDED]]


def included(caller: Caller, rt: ResourceType, rows: list[Any], specs: list[IncludeSpec]
             ) -> list[tuple[ResourceType, Any]]:
    """The resources the specs add to `rows`, each once and never one already among the matches."""
    if not rows or not specs:
        return []
    seen = {(rt.name, str(row.public_id)) for row in rows}
    out: list[tuple[ResourceType, Any]] = []
    for spec in specs:
        other = spec.target if spec.parameter == "_include" else spec.source.name
        if not caller.allows(other, "r"):
            continue
        found = _forward(caller, spec, rows) if spec.parameter == "_include" else _reverse(caller, spec, rt, rows)
        for kind, row in found:
            key = (kind.name, str(row.public_id))
            if key not in seen and len(out) < MAX_INCLUDED:
                seen.add(key)
                out.append((kind, row))
    return out
