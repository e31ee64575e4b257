"""What the API knows about one resource type: its model, who may see which rows, how a row goes out as
FHIR, its search parameters and sorts, what it links to (for _include, _revinclude and chained search),
and which interactions it supports. `resources.py` assembles the table from the `types_*` modules; search,
read, write, history, $everything, bulk export and the CapabilityStatement are all driven by it, so a type
is served the same way everywhere or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Q, QuerySet

from ourplan.api.auth import Caller
from ourplan.api.search import SearchParam, as_uuid
from ourplan.people.access import Grant
from ourplan.people.models import Person

READ_INTERACTIONS = ("read", "vread", "search-type", "history-instance")
WRITE_INTERACTIONS = ("create", "update")
CREATE_ONLY = (*READ_INTERACTIONS, "create")


class Writer(Protocol):
    """Create and update for one type (api.writes_*). Both return a writes.Written."""

    def create(self, caller: Caller, resource: Any) -> Any: ...

    def update(self, caller: Caller, obj: Any, resource: Any, version: int) -> Any: ...


@dataclass(frozen=True)
class Link:
    """A reference search parameter that points at rows of another type, for `_include`/`_revinclude`
    (`Source:param`) and chained search (`param.targetparam=value`).

    `path` is the ORM path from a source row to its target rows: a foreign key ("person") or a reverse
    relation ("goals"). With `by_public_id`, `path` is a column holding the target's public id instead (a
    Referral's goal, a response's questionnaire key)."""

    param: str
    target: str
    path: str
    by_public_id: bool = False


@dataclass(frozen=True)
class ResourceType:
    name: str
    model: type[Any]
    serialize: Callable[[Any], dict[str, Any]]
    visible: Callable[[Caller], QuerySet[Any]]
    # ORM path from a row to the Person whose data it is: "" for Patient itself, None for directory data
    # (Organization, Practitioner, ...) that belongs to nobody.
    person_path: str | None
    params: dict[str, SearchParam]
    sorts: dict[str, str] = field(default_factory=dict)
    interactions: tuple[str, ...] = READ_INTERACTIONS
    profile: str | None = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = ()
    links: tuple[Link, ...] = ()
    writer: Writer | None = None
    # Types that are not database rows (Questionnaire, generated from code): every "row" as a list.
    static: Callable[[], Sequence[Any]] | None = None
    # For rows that name their person by public id rather than a foreign key (AuditEvent, Provenance).
    person_ref: str | None = None
    # Per-caller loading: what a row's output includes may depend on who asks (a plan lists only the goals
    # the caller may see). Called with whether the caller sees the sensitive sections of the row's person
    # when that is known (one row), None for lists. Defaults to `loaded`.
    prepare: Callable[[Caller, QuerySet[Any], bool | None], QuerySet[Any]] | None = None
    # The row-level form of `visible` beyond the person's grant and sensitive rows (which every type gets):
    # e.g. a plan not shared with the person. Must agree with `visible`; tests read and search both ways.
    permits: Callable[[Caller, Any, Grant], bool] | None = None
    documentation: str = ""

    @property
    def writable(self) -> bool:
        return "update" in self.interactions or "create" in self.interactions

    def parse_id(self, raw: str) -> Any:
        """The stored key for an id in a URL, or None when it cannot be one (then: 404)."""
        if self.static is not None:
            return raw if any(str(row.public_id) == raw for row in self.static()) else None
        return as_uuid(raw)

    def loaded(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """`qs` with what serialising needs joined in, so a page of results costs a fixed number of queries."""
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def rows(self, caller: Caller) -> QuerySet[Any]:
        """Every row the caller may see, loaded for output."""
        return self.prepared(caller, self.visible(caller))

    def prepared(self, caller: Caller, qs: QuerySet[Any], sees_sensitive: bool | None = None) -> QuerySet[Any]:
        return self.prepare(caller, qs, sees_sensitive) if self.prepare is not None else self.loaded(qs)

    def fetch(self, key: Any) -> Any:
        """The row with this public id, whoever may see it (callers check access on its person)."""
        if key is None:
            return None
        if self.static is not None:
            return next((row for row in self.static() if str(row.public_id) == str(key)), None)
        return self.loaded(self.model._default_manager.filter(public_id=key)).first()

    def visible_all(self) -> QuerySet[Any]:
        return self.loaded(self.model._default_manager.all())

    def person_of(self, obj: Any) -> Person | None:
        if self.person_ref is not None:
            ref = getattr(obj, self.person_ref)
            return Person.objects.select_related("practice").filter(public_id=ref).first() if ref else None
        if self.person_path is None:
            return None
        if self.person_path == "":
            return obj  # type: ignore[no-any-return]
        value = obj
        for part in self.person_path.split("__"):
            value = getattr(value, part)
            if value is None:
                return None
        return value  # type: ignore[no-any-return]

    def link(self, param: str) -> Link | None:
        return next((link for link in self.links if link.param == param), None)


def of_people(model: type[Any], path: str = "person") -> Callable[[Caller], QuerySet[Any]]:
    """Rows whose person the caller may see (people.access through api.access)."""
    from ourplan.api.access import visible_people

    def visible(caller: Caller) -> QuerySet[Any]:
        return model._default_manager.filter(**{f"{path}__in": visible_people(caller)})

    return visible


def everyone(model: type[Any]) -> Callable[[Caller], QuerySet[Any]]:
    """Directory data (organisations, practitioners, services): any token whose scopes include the type."""
    return lambda caller: model._default_manager.all()


def uuid_q(column: str) -> Callable[[str], Q]:
    def to_q(value: str) -> Q:
        found = as_uuid(value)
        return Q(**{column: found}) if found else Q(pk__in=[])
    return to_q


def choice_q(column: str, allowed: Sequence[str], system: str | None = None) -> Callable[[str], Q]:
    """A token parameter over a column holding FHIR codes; a code outside the value set matches nothing."""
    from ourplan.api.search import token

    def to_q(value: str) -> Q:
        given_system, code = token(value)
        if given_system not in (None, "", system) or code not in allowed:
            return Q(pk__in=[])
        return Q(**{column: code})
    return to_q


def new_id() -> uuid.UUID:
    return uuid.uuid4()
