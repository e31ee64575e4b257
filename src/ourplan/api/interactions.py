"""The instance and type interactions: read, vread, search, create and update. Each has a core that works
on parsed resources (used by single requests and by transaction and batch Bundles alike) and a thin HTTP
layer. Access is always `visible_object` (the row-level form of `rt.visible`), so a record the caller may
not see is exactly a record that does not exist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict

from ourplan.api import history, writes
from ourplan.api.access import basis, grant
from ourplan.api.audit import RequestAudit
from ourplan.api.auth import Caller
from ourplan.api.bundles import search
from ourplan.api.conditional import existing_match
from ourplan.api.errors import FhirError, not_found
from ourplan.api.formats import body_format, render
from ourplan.api.provenance import record_write
from ourplan.api.resource_type import ResourceType
from ourplan.api.sensitivity import is_hidden
from ourplan.core.models import AccessBasis, AuditAction

MAX_BODY = 1_000_000  # one resource; Bundles have their own limit (api.transactions)


@dataclass
class Context:
    """One HTTP request: who asks, what is audited, the response format and the server's base URL."""

    request: HttpRequest
    caller: Caller
    entry: RequestAudit
    fmt: str
    base: str


@dataclass
class Done:
    """What a create or update did."""

    status: int  # 201 created, 200 updated or found by If-None-Exist
    rt: ResourceType
    obj: Any
    resource: dict[str, Any]
    person: Any
    basis: str
    created: bool

    def location(self, base: str) -> str:
        return f"{base}{self.rt.name}/{self.obj.public_id}/_history/{self.resource['meta']['versionId']}"


def version_of(obj: Any) -> str:
    return str(getattr(obj, "version", 1))


def headers_for(obj: Any) -> dict[str, str]:
    updated = getattr(obj, "updated_at", None) or getattr(obj, "at", None) or getattr(obj, "recorded", None)
    out = {"ETag": f'W/"{version_of(obj)}"'}
    if updated is not None:
        out["Last-Modified"] = updated.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return out


def visible_object(caller: Caller, rt: ResourceType, raw_id: str, entry: RequestAudit | None = None
                   ) -> tuple[Any, str]:
    """The row and the caller's basis, or 404 (identical whether it does not exist or may not be seen).

    The row-level form of `rt.visible(caller)`: the caller's grant for the row's person
    (people.access), its sensitive rows, and the type's own rule (`rt.permits`). Checked on the one row
    rather than by filtering through every person the caller may see, so a read costs a few indexed
    queries whatever the size of the practice."""
    key = rt.parse_id(raw_id)
    if key is None:
        raise not_found(rt.name)
    system = AccessBasis.SYSTEM if caller.context == "system" else AccessBasis.NONE
    if rt.static is not None:
        found = rt.fetch(key)
        if found is None:
            raise not_found(rt.name)
        return found, system
    obj = rt.model._default_manager.filter(public_id=key).select_related(*rt.select_related).first()
    if obj is None:
        raise not_found(rt.name)
    person = rt.person_of(obj)
    if person is None:
        if not rt.visible(caller).filter(pk=obj.pk).exists():
            raise not_found(rt.name)
        return rt.prepared(caller, rt.model._default_manager.filter(pk=obj.pk)).first(), system
    if entry is not None:
        # The audit trail says whose record someone tried to open; the answer never does.
        entry.person = person.public_id
    given = grant(caller, person)
    if (not given.allowed or is_hidden(rt.name, rt.model, obj.pk, given.sees_sensitive)
            or (rt.permits is not None and not rt.permits(caller, obj, given))):
        raise not_found(rt.name)
    loaded = rt.prepared(caller, rt.model._default_manager.filter(pk=obj.pk), given.sees_sensitive).first()
    return loaded, given.basis


def serialized(caller: Caller, rt: ResourceType, obj: Any) -> dict[str, Any]:
    """The resource as the caller reads it now (fresh from the database; the caller just wrote it).
    A clinical record the importer just saved has its person loaded: reading its own row again is enough
    (values come back as stored, e.g. times in UTC)."""
    if rt.name in ("Condition", "Observation"):
        person = obj.person
        obj.refresh_from_db()
        obj.person = person  # refresh_from_db forgets related rows; the person has not changed
        return rt.serialize(obj)
    person = rt.person_of(obj)
    sees = grant(caller, person).sees_sensitive if person is not None else None
    fresh = rt.prepared(caller, rt.model._default_manager.filter(pk=obj.pk), sees).first()
    return rt.serialize(fresh)


# --- read and vread --------------------------------------------------------------------------------------

def read_audited(ctx: Context, rt: ResourceType, raw_id: str) -> Any:
    """The row a read returns, with the read audited on `ctx.entry` (the person even when refused). Used by
    single reads and by GET entries of batch and transaction Bundles, so both audit the same way."""
    ctx.caller.require(rt.name, "r")
    ctx.entry.action = AuditAction.READ
    obj, found = visible_object(ctx.caller, rt, raw_id, ctx.entry)
    ctx.entry.basis = found
    return obj


def read(ctx: Context, rt: ResourceType, raw_id: str, version: str | None) -> HttpResponse:
    obj = read_audited(ctx, rt, raw_id)
    if version is None or version == version_of(obj):
        return render(rt.serialize(obj), ctx.fmt, 200, headers_for(obj))
    ctx.entry.detail["version"] = version[:20]
    earlier = history.version(ctx.caller, rt, obj, version)
    if earlier is None and not history.shows_earlier(ctx.caller, rt, obj):
        # The same answer whatever the earlier version held, so it says nothing about sensitive sections.
        raise FhirError(404, f"Earlier versions of this {rt.name} are given only to those who see the whole "
                        f"record; the current version is {version_of(obj)}", code="not-found")
    if earlier is None:
        raise FhirError(404, f"{rt.name} version {version[:20]} is not kept (see docs/fhir-api.md, History); the "
                        f"current version is {version_of(obj)}", code="not-found")
    return render(earlier.resource, ctx.fmt, 200, {"ETag": f'W/"{earlier.version}"'})


# --- search ----------------------------------------------------------------------------------------------

def widest_basis(caller: Caller) -> str:
    if caller.context == "system":
        return AccessBasis.SYSTEM
    if caller.context == "patient":
        token = caller.token
        return AccessBasis.SELF if token.patient and token.patient.user_id == token.user_id else AccessBasis.CONSENT
    from ourplan.core.roles import staff_org_ids

    return AccessBasis.DIRECT_CARE if staff_org_ids(caller.user) else AccessBasis.CONSENT


def audit_people(ctx: Context, people: dict[Any, Any]) -> None:
    """Record whose data a search, history or $everything showed: one person with their basis, or the list."""
    if len(people) == 1:
        (ctx.entry.person, person), = people.items()
        ctx.entry.basis = basis(ctx.caller, person)
    elif people:
        ctx.entry.detail["people"] = [str(p) for p in list(people)[:200]]
        ctx.entry.basis = widest_basis(ctx.caller)
    else:
        ctx.entry.basis = AccessBasis.NONE


def search_audited(ctx: Context, rt: ResourceType, params: QueryDict) -> dict[str, Any]:
    """The searchset Bundle, with the search audited on `ctx.entry` (count, and whose data it showed).
    Used by single searches and by GET entries of batch and transaction Bundles alike."""
    ctx.caller.require(rt.name, "s")
    ctx.entry.action = AuditAction.SEARCH
    result = search(params, ctx.request.headers, rt, ctx.caller, ctx.base)
    shown = [(rt, row) for row in result.rows] + result.included
    people = {p.public_id: p for kind, row in shown if (p := kind.person_of(row)) is not None}
    ctx.entry.detail.update(count=result.total, returned=len(result.rows), included=len(result.included),
                            query=params.urlencode()[:500])
    audit_people(ctx, people)
    return result.bundle


def do_search(ctx: Context, rt: ResourceType) -> HttpResponse:
    return render(search_audited(ctx, rt, ctx.request.GET), ctx.fmt)


# --- create and update -----------------------------------------------------------------------------------

def _writer(rt: ResourceType, interaction: str) -> Any:
    if rt.writer is None or interaction not in rt.interactions:
        raise FhirError(405, f"{interaction} is not supported for {rt.name}", code="not-supported")
    return rt.writer


def create_resource(caller: Caller, rt: ResourceType, resource: Any, if_none_exist: str | None,
                    transaction_id: uuid.UUID | None = None, pending: list[Any] | None = None) -> Done:
    caller.require(rt.name, "c")
    writer = _writer(rt, "create")
    if if_none_exist is not None:
        existing = existing_match(caller, rt, if_none_exist)
        if existing is not None:
            person = rt.person_of(existing)
            found = basis(caller, person) if person is not None else AccessBasis.SYSTEM
            return Done(200, rt, existing, rt.serialize(existing), person, found, False)
    # The write and its Provenance commit or roll back together. Inside a transaction Bundle (`pending`
    # given) any failure rolls back the whole Bundle, so no savepoint is needed per entry.
    with transaction.atomic(savepoint=pending is None):
        done: writes.Written = writer.create(caller, resource)
        resource_json = serialized(caller, rt, done.obj)
        record_write(caller, rt.name, resource_json, created=True, person=done.person, basis=done.basis,
                     transaction_id=transaction_id, pending=pending)
    return Done(201, rt, done.obj, resource_json, done.person, done.basis, True)


def update_resource(caller: Caller, rt: ResourceType, raw_id: str, resource: Any, if_match: str | None,
                    transaction_id: uuid.UUID | None = None, pending: list[Any] | None = None) -> Done:
    caller.require(rt.name, "u")
    writer = _writer(rt, "update")
    obj, _found = visible_object(caller, rt, raw_id)
    version = writes.if_match(if_match)
    if resource.id is None or resource.id != str(obj.public_id):
        raise FhirError(400, f"{rt.name}.id must be the id in the URL ({obj.public_id})", code="invalid",
                        expression=[f"{rt.name}.id"])
    # The write and its Provenance commit or roll back together. Inside a transaction Bundle (`pending`
    # given) any failure rolls back the whole Bundle, so no savepoint is needed per entry.
    with transaction.atomic(savepoint=pending is None):
        done: writes.Written = writer.update(caller, obj, resource, version)
        resource_json = serialized(caller, rt, done.obj)
        record_write(caller, rt.name, resource_json, created=False, person=done.person, basis=done.basis,
                     transaction_id=transaction_id, pending=pending)
    return Done(200, rt, done.obj, resource_json, done.person, done.basis, False)


def body(request: HttpRequest, resource_type: str, limit: int = MAX_BODY) -> Any:
    fmt = body_format(request)
    raw = request.body
    if len(raw) > limit:
        raise FhirError(413, f"The body is larger than {limit:,} bytes", code="too-costly")
    if not raw.strip():
        raise FhirError(400, "The body is empty: send a FHIR resource", code="required")
    return writes.parse_body(raw, fmt, resource_type)


def audit_written(entry: RequestAudit, done: Done) -> None:
    """What a create or update (or a conditional create that found its match) wrote, on its audit entry."""
    entry.entity_id = str(done.obj.public_id)
    if done.person is not None:
        entry.person = done.person.public_id
    entry.basis = done.basis


def create_audited(ctx: Context, rt: ResourceType, resource: Any, if_none_exist: str | None,
                   transaction_id: uuid.UUID | None = None, pending: list[Any] | None = None) -> Done:
    """create_resource, audited on `ctx.entry` as a single POST is (a Bundle's POST entries use it)."""
    ctx.entry.action = AuditAction.CREATE
    if if_none_exist is not None:
        ctx.entry.detail["if_none_exist"] = if_none_exist[:200]
    done = create_resource(ctx.caller, rt, resource, if_none_exist, transaction_id, pending)
    if not done.created:
        ctx.entry.action = AuditAction.READ  # conditional create found the record: nothing was created
    audit_written(ctx.entry, done)
    return done


def update_audited(ctx: Context, rt: ResourceType, raw_id: str, resource: Any, if_match: str | None,
                   transaction_id: uuid.UUID | None = None, pending: list[Any] | None = None) -> Done:
    """update_resource, audited on `ctx.entry` as a single PUT is: whose record it was, even when refused
    (a Bundle's PUT entries use it)."""
    ctx.caller.require(rt.name, "u")
    ctx.entry.action = AuditAction.UPDATE
    ctx.entry.detail["if_match"] = (if_match or "")[:40]
    visible_object(ctx.caller, rt, raw_id, ctx.entry)
    done = update_resource(ctx.caller, rt, raw_id, resource, if_match, transaction_id, pending)
    audit_written(ctx.entry, done)
    return done


def _respond(ctx: Context, done: Done) -> HttpResponse:
    audit_written(ctx.entry, done)
    headers = {"ETag": f'W/"{done.resource["meta"]["versionId"]}"', "Location": done.location(ctx.base)}
    if "return=minimal" in ctx.request.headers.get("Prefer", "").replace(" ", ""):
        return render(None, ctx.fmt, done.status, headers)
    return render(done.resource, ctx.fmt, done.status, headers)


def do_create(ctx: Context, rt: ResourceType) -> HttpResponse:
    ctx.caller.require(rt.name, "c")
    ctx.entry.action = AuditAction.CREATE
    header = ctx.request.headers.get("If-None-Exist")
    if header is not None:
        ctx.entry.detail["if_none_exist"] = header[:200]
        existing = existing_match(ctx.caller, rt, header)
        if existing is not None:
            # Conditional create found the record: nothing is created (FHIR: 200 with the existing one).
            ctx.entry.action = AuditAction.READ
            return _respond(ctx, create_resource(ctx.caller, rt, None, header))
    done = create_resource(ctx.caller, rt, body(ctx.request, rt.name), None)
    return _respond(ctx, done)


def do_update(ctx: Context, rt: ResourceType, raw_id: str) -> HttpResponse:
    ctx.caller.require(rt.name, "u")
    ctx.entry.action = AuditAction.UPDATE
    visible_object(ctx.caller, rt, raw_id, ctx.entry)
    ctx.entry.detail["if_match"] = (ctx.request.headers.get("If-Match") or "")[:40]
    writes.if_match(ctx.request.headers.get("If-Match"))
    resource = body(ctx.request, rt.name)
    return _respond(ctx, update_resource(ctx.caller, rt, raw_id, resource, ctx.request.headers.get("If-Match")))
