"""The FHIR REST endpoints under /fhir/R4/. One entry point parses the path and dispatches, so that every
request, however odd, ends as a FHIR response: the resource, a Bundle, or an OperationOutcome. Never a
500 page and never HTML."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ourplan.api import writes
from ourplan.api.access import basis
from ourplan.api.audit import RequestAudit, denied
from ourplan.api.auth import Caller, authenticate
from ourplan.api.bundles import search
from ourplan.api.capability import capability_statement
from ourplan.api.errors import FhirError, not_found, outcome
from ourplan.api.formats import JSON, body_format, render, wanted_format
from ourplan.api.resources import RESOURCE_TYPES, ResourceType
from ourplan.api.search import as_uuid
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.imports.fhir_read import model_class

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # one resource; Bundles (batch/transaction) are not accepted


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4/")


def _headers(obj: Any) -> dict[str, str]:
    return {"ETag": f'W/"{obj.version}"', "Last-Modified": obj.updated_at.strftime("%a, %d %b %Y %H:%M:%S GMT")}


@csrf_exempt
def endpoint(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = JSON
    entry = RequestAudit()
    caller: Caller | None = None
    status = 500
    try:
        fmt = wanted_format(request)
        parts = [p for p in path.split("/") if p]
        if parts == ["metadata"]:
            # Public, as FHIR and SMART expect: clients read it before they have a token. No person data.
            if request.method not in ("GET", "HEAD"):
                raise FhirError(405, "metadata supports GET only", code="not-supported")
            status = 200
            return render(capability_statement(_base(request)), fmt)
        rt = _resource_type(parts)
        entry.entity_type = rt.name
        caller = authenticate(request)
        response = _dispatch(request, rt, parts[1:], caller, entry, fmt)
        status = response.status_code
    except FhirError as exc:
        status = exc.status
        if exc.audit_denied or status in (401, 403):
            denied(entry)
        response = render(outcome(exc.diagnostics, code=exc.code, expression=exc.expression), fmt, exc.status,
                          exc.headers)
    except OperationalError:
        # The database is busy beyond its timeout (SQLite's single writer under load): a retry will work.
        logger.warning("FHIR API: database busy on %s %s", request.method, request.path)
        status = 503
        response = render(outcome("The server is busy; try again", code="transient"), JSON, 503,
                          {"Retry-After": "1"})
        return response
    except Exception:
        # A bug, not the caller's fault: log it for a developer and still answer in FHIR.
        logger.exception("FHIR API error on %s %s", request.method, request.path)
        status = 500
        response = render(outcome("Unexpected server error; it has been logged", code="exception"), JSON, 500)
    if entry.entity_type or caller is not None or status in (401, 403):
        try:
            # A savepoint, so a failed audit write cannot leave the connection unusable for the next request.
            with transaction.atomic():
                entry.write(request, caller, status)
        except Exception:
            logger.exception("Could not write the audit event for %s", request.path)
            return render(outcome("The request could not be audited, so it was refused", code="exception"),
                          JSON, 503)
    return response


def _resource_type(parts: list[str]) -> ResourceType:
    if not parts:
        raise FhirError(404, "No resource type in the URL (e.g. /fhir/R4/Patient); batch and transaction "
                        "Bundles are not supported", code="not-supported")
    name = parts[0]
    rt = RESOURCE_TYPES.get(name)
    if rt is None:
        known = model_class(name) is not None if name[:1].isupper() and name.isalpha() else False
        what = f"Resource type {name} is not supported here" if known else f"'{name[:60]}' is not a resource type"
        raise FhirError(404, f"{what} (supported: {', '.join(RESOURCE_TYPES)})", code="not-supported")
    return rt


def _not_allowed(rt: ResourceType, method: str, what: str) -> FhirError:
    return FhirError(405, f"{method} on {what} is not supported for {rt.name}", code="not-supported",
                     headers={"Allow": _allow(rt, what)})


def _allow(rt: ResourceType, what: str) -> str:
    writable = "update" in rt.interactions
    if what == "type":
        return "GET, POST" if writable else "GET"
    if what == "instance":
        return "GET, PUT" if writable else "GET"
    return "GET"


def _dispatch(request: HttpRequest, rt: ResourceType, rest: list[str], caller: Caller, entry: RequestAudit,
              fmt: str) -> HttpResponse:
    method = request.method or "GET"
    if method == "HEAD":
        method = "GET"
    if not rest:
        if method == "GET":
            return _search(request, rt, caller, entry, fmt)
        if method == "POST" and "create" in rt.interactions:
            return _create(request, rt, caller, entry, fmt)
        raise _not_allowed(rt, method, "type")
    if len(rest) == 1 and rest[0].startswith("_"):
        # _search (POST search), _history: not implemented.
        raise _not_allowed(rt, method, rest[0])
    public_id = as_uuid(rest[0])
    entry.entity_id = rest[0][:100]
    if len(rest) == 1:
        if method == "GET":
            return _read(rt, public_id, None, caller, entry, fmt)
        if method == "PUT" and "update" in rt.interactions:
            return _update(request, rt, public_id, caller, entry, fmt)
        raise _not_allowed(rt, method, "instance")
    if len(rest) == 3 and rest[1] == "_history" and method == "GET":
        if not rest[2].isdigit():
            raise not_found(f"{rt.name} version")
        return _read(rt, public_id, int(rest[2]), caller, entry, fmt)
    if len(rest) in (2, 3) and rest[1] == "_history":
        raise _not_allowed(rt, method, "history")
    raise FhirError(404, f"No such endpoint: {request.path[:200]}", code="not-found")


def _visible_object(rt: ResourceType, public_id: Any, caller: Caller, entry: RequestAudit) -> tuple[Any, str]:
    obj = rt.fetch(public_id) if public_id is not None else None
    if obj is None:
        raise not_found(rt.name)
    person = rt.person_of(obj)
    if person is None:
        return obj, AccessBasis.SYSTEM if caller.context == "system" else "directory"
    entry.person = person.public_id
    found = basis(caller, person)
    if found == AccessBasis.NONE:
        raise not_found(rt.name)
    return obj, found


def _read(rt: ResourceType, public_id: Any, version: int | None, caller: Caller, entry: RequestAudit,
          fmt: str) -> HttpResponse:
    caller.require(rt.name, "r")
    entry.action = AuditAction.READ
    obj, found = _visible_object(rt, public_id, caller, entry)
    entry.basis = found if found != "directory" else AccessBasis.NONE
    if version is not None:
        entry.detail["version"] = version
        if version != obj.version:
            # Only the current version is kept; earlier versions live in the audit trail, not as resources.
            raise FhirError(404, f"{rt.name} version {version} not found: only the current version "
                            f"({obj.version}) can be read", code="not-found")
    return render(rt.serialize(obj), fmt, 200, _headers(obj))


def _search(request: HttpRequest, rt: ResourceType, caller: Caller, entry: RequestAudit, fmt: str) -> HttpResponse:
    caller.require(rt.name, "s")
    entry.action = AuditAction.SEARCH
    result = search(request, rt, caller, _base(request))
    people = {p.public_id: p for row in result.rows if (p := rt.person_of(row)) is not None}
    entry.detail.update(count=result.total, returned=len(result.rows), query=request.GET.urlencode()[:500])
    if len(people) == 1:
        entry.person, = people
        entry.basis = basis(caller, next(iter(people.values())))
    elif people:
        entry.detail["people"] = [str(p) for p in people]
        entry.basis = _widest_basis(caller)
    else:
        entry.basis = _widest_basis(caller) if rt.person_of is not None else AccessBasis.NONE
    return render(result.bundle, fmt)


def _widest_basis(caller: Caller) -> str:
    if caller.context == "system":
        return AccessBasis.SYSTEM
    if caller.context == "patient":
        return AccessBasis.SELF if caller.token.patient and caller.token.patient.user_id == caller.token.user_id \
            else AccessBasis.CONSENT
    from ourplan.core.roles import staff_org_ids

    return AccessBasis.DIRECT_CARE if staff_org_ids(caller.user) else AccessBasis.CONSENT


def _body(request: HttpRequest, rt: ResourceType) -> Any:
    fmt = body_format(request)
    raw = request.body
    if len(raw) > MAX_BODY:
        raise FhirError(413, "The body is too large for one resource", code="too-costly")
    if not raw.strip():
        raise FhirError(400, "The body is empty: send a FHIR resource", code="required")
    return writes.parse_body(raw, fmt, rt.name)


def _written(rt: ResourceType, done: writes.Written, entry: RequestAudit, request: HttpRequest,
             fmt: str) -> HttpResponse:
    entry.entity_id = str(done.obj.public_id)
    entry.person = done.person.public_id
    entry.basis = done.basis
    headers = _headers(done.obj)
    headers["Location"] = f"{_base(request)}{rt.name}/{done.obj.public_id}/_history/{done.obj.version}"
    status = 201 if done.created else 200
    if "return=minimal" in request.headers.get("Prefer", "").replace(" ", ""):
        return render(None, fmt, status, headers)
    fresh = rt.fetch(done.obj.public_id)
    return render(rt.serialize(fresh), fmt, status, headers)


def _create(request: HttpRequest, rt: ResourceType, caller: Caller, entry: RequestAudit, fmt: str) -> HttpResponse:
    caller.require(rt.name, "c")
    entry.action = AuditAction.CREATE
    header = request.headers.get("If-None-Exist")
    if header is not None:
        existing = writes.existing_match(caller, rt.name, header)
        if existing is not None:
            # Conditional create found the record: nothing is created (FHIR: 200 with the existing one).
            entry.action = AuditAction.READ
            entry.detail["if_none_exist"] = header[:200]
            person = rt.person_of(existing)
            assert person is not None
            done = writes.Written(existing, person, basis(caller, person), False)
            return _written(rt, done, entry, request, fmt)
    res = _body(request, rt)
    create = writes.create_patient if rt.name == "Patient" else None
    done = create(caller, res) if create else writes.create_clinical(caller, rt.name, res)
    return _written(rt, done, entry, request, fmt)


def _update(request: HttpRequest, rt: ResourceType, public_id: Any, caller: Caller, entry: RequestAudit,
            fmt: str) -> HttpResponse:
    caller.require(rt.name, "u")
    entry.action = AuditAction.UPDATE
    obj, _found = _visible_object(rt, public_id, caller, entry)
    version = writes.if_match(request.headers.get("If-Match"))
    entry.detail["if_match"] = version
    res = _body(request, rt)
    if res.id is None or res.id != str(obj.public_id):
        raise FhirError(400, f"{rt.name}.id must be the id in the URL ({obj.public_id})", code="invalid",
                        expression=[f"{rt.name}.id"])
    if rt.name == "Patient":
        done = writes.update_patient(caller, obj, res, version)
    else:
        done = writes.update_clinical(caller, rt.name, obj, res, version)
    return _written(rt, done, entry, request, fmt)
