"""SMART on FHIR v2 scopes: `<context>/<type or *>.<permissions>`, e.g. `patient/*.rs`, `user/Observation.cruds`,
`system/*.rs`. Permissions are letters from c (create), r (read), u (update), d (delete), s (search), in
that order. The v1 forms `.read`, `.write` and `.*` are understood too, because many clients still send
them."""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTEXTS = ("patient", "user", "system")
_SCOPE = re.compile(r"^(patient|user|system)/([A-Za-z]+|\*)\.([a-z*]+)$")
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}


class ScopeError(ValueError):
    """A scope string that is not a SMART scope Ourplan understands."""


@dataclass(frozen=True)
class Scope:
    context: str
    resource_type: str  # "*" for every type
    permissions: frozenset[str]

    def allows(self, resource_type: str, permission: str) -> bool:
        return self.resource_type in ("*", resource_type) and permission in self.permissions


def parse_scope(text: str) -> Scope:
    found = _SCOPE.match(text.strip())
    if found is None:
        raise ScopeError(f"'{text}' is not a SMART scope such as patient/*.rs or user/Observation.cruds")
    context, resource_type, perms = found.groups()
    perms = _V1.get(perms, perms)
    if not perms or re.fullmatch(r"c?r?u?d?s?", perms) is None:
        raise ScopeError(f"'{text}': permissions must be letters from 'cruds', in that order")
    return Scope(context, resource_type, frozenset(perms))


def parse_scopes(text: str) -> list[Scope]:
    """Every scope in a space-separated string. Raises ScopeError for any it does not understand, or when
    scopes of two contexts are mixed (a token is bound to one patient, one user or one system client)."""
    scopes = [parse_scope(part) for part in text.split()]
    if not scopes:
        raise ScopeError("no scopes given")
    contexts = {s.context for s in scopes}
    if len(contexts) > 1:
        raise ScopeError(f"scopes mix contexts ({', '.join(sorted(contexts))}); use one token per context")
    return scopes
