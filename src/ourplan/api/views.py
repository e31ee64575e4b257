"""The FHIR REST endpoints under /fhir/R4/. One entry point parses the path and dispatches, so that every
request, however odd, ends as a FHIR response: the resource, a Bundle, or an OperationOutcome. Never a
500 page and never HTML. The interactions themselves live in their own modules (interactions, history,
everything, transactions, export, openapi); this module only routes and audits."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DataError, IntegrityError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ourplan.api import everything, export, history, interactions, oauth, openapi, transactions
from ourplan.api.audit import RequestAudit, denied
from ourplan.api.auth import Caller, authenticate
from ourplan.api.capability import capability_statement
from ourplan.api.errors import FhirError, outcome
from ourplan.api.formats import JSON, render, wanted_format
from ourplan.api.interactions import Context
from ourplan.api.resources import RESOURCE_TYPES, ResourceType
from ourplan.core.models import AuditAction
from ourplan.imports.fhir_read import model_class

logger = logging.getLogger(__name__)


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4/")


@csrf_exempt
def endpoint(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = JSON
    entry = RequestAudit()
    caller: Caller | None = None
    status = 500
    try:
        parts = [p for p in path.split("/") if p]
        # Before the FHIR format is negotiated: OAuth2 answers are plain JSON whatever Accept says.
        token_service = oauth.route(request, parts, _base(request))
        if token_service is not None:
            return token_service  # audited by api.oauth itself
        fmt = wanted_format(request)
        public = _public(request, parts, fmt)
        if public is not None:
            return public
        entry.entity_type = parts[0][:60] if parts else "Bundle"
        caller = authenticate(request)
        response = _dispatch(request, parts, Context(request, caller, entry, fmt, _base(request)))
        status = response.status_code
    except FhirError as exc:
        status = exc.status
        if exc.audit_denied or status in (401, 403):
            denied(entry)
        response = render(outcome(exc.diagnostics, code=exc.code, expression=exc.expression), fmt, exc.status,
                          exc.headers)
    except IntegrityError:
        # Two writes raced for the same unique record (an NHS number, a current plan): the later one loses.
        logger.warning("FHIR API: integrity conflict on %s %s", request.method, request.path)
        status = 409
        response = render(outcome("This conflicts with a record stored at the same moment; read it and try "
                                  "again", code="conflict"), JSON, 409)
    except DataError:
        # A value the database cannot store (PostgreSQL refuses a NUL character in text): the caller's input.
        status = 400
        response = render(outcome("The request holds a value that cannot be stored (such as a NUL character)",
                                  code="invalid"), JSON, 400)
    except OperationalError:
        # The database is busy beyond its timeout (SQLite's single writer under load): a retry will work.
        logger.warning("FHIR API: database busy on %s %s", request.method, request.path)
        return render(outcome("The server is busy; try again", code="transient"), JSON, 503, {"Retry-After": "1"})
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


def _public(request: HttpRequest, parts: list[str], fmt: str) -> HttpResponse | None:
    """The endpoints that need no token (no person data): the CapabilityStatement and the OpenAPI document,
    which clients read before they have a token, as FHIR and SMART expect. Not audited."""
    if parts not in (["metadata"], ["openapi.json"]):
        return None
    if request.method not in ("GET", "HEAD"):
        raise FhirError(405, f"{parts[0]} supports GET only", code="not-supported", headers={"Allow": "GET"})
    if parts == ["metadata"]:
        return render(capability_statement(_base(request)), fmt)
    return openapi.response(_base(request))


def _resource_type(name: str) -> ResourceType:
    rt = RESOURCE_TYPES.get(name)
    if rt is None:
        known = model_class(name) is not None if name[:1].isupper() and name.isalpha() else False
        what = f"Resource type {name} is not supported here" if known else f"'{name[:60]}' is not a resource type"
        raise FhirError(404, f"{what} (supported: {', '.join(RESOURCE_TYPES)})", code="not-supported")
    return rt


def _not_allowed(rt: ResourceType | None, method: str, what: str, allow: str) -> FhirError:
    name = f" for {rt.name}" if rt is not None else ""
    return FhirError(405, f"{method} on {what} is not supported{name}", code="not-supported",
                     headers={"Allow": allow})


def _allow(rt: ResourceType, what: str) -> str:
    if what == "type":
        return "GET, POST" if "create" in rt.interactions else "GET"
    if what == "instance":
        return "GET, PUT" if "update" in rt.interactions else "GET"
    return "GET"


def _method(request: HttpRequest) -> str:
    method = request.method or "GET"
    return "GET" if method == "HEAD" else method


def _dispatch(request: HttpRequest, parts: list[str], ctx: Context) -> HttpResponse:
    method = _method(request)
    if not parts:
        if method == "POST":
            return transactions.do_bundle(ctx)
        raise _not_allowed(None, method, "the base URL", "POST")
    if parts[0] == "$export" and len(parts) == 1:
        return _only_get(method, lambda: export.kick_off(ctx, "system", None))
    if parts[0] in (export.POLL, export.FILES):
        return export.serve(ctx, parts)  # GET, and DELETE to cancel
    if parts[0] == "Group" and len(parts) == 3 and parts[2] == "$export":
        return _only_get(method, lambda: export.kick_off(ctx, "group", parts[1]))
    rt = _resource_type(parts[0])
    rest = parts[1:]
    if not rest:
        if method == "GET":
            return interactions.do_search(ctx, rt)
        if method == "POST" and "create" in rt.interactions:
            return interactions.do_create(ctx, rt)
        raise _not_allowed(rt, method, "type", _allow(rt, "type"))
    if rest == ["$export"] and rt.name == "Patient":
        return _only_get(method, lambda: export.kick_off(ctx, "patient", None))
    if len(rest) == 1 and rest[0].startswith(("_", "$")):
        raise _not_allowed(rt, method, rest[0], "GET")  # _search (POST search), type history: not implemented
    ctx.entry.entity_id = rest[0][:100]
    if len(rest) == 1:
        if method == "GET":
            return interactions.read(ctx, rt, rest[0], None)
        if method == "PUT" and "update" in rt.interactions:
            return interactions.do_update(ctx, rt, rest[0])
        raise _not_allowed(rt, method, "instance", _allow(rt, "instance"))
    if rest[1:] == ["$everything"] and rt.name == "Patient":
        return _only_get(method, lambda: everything.do_everything(ctx, rest[0]))
    if rest[1] == "_history" and len(rest) in (2, 3):
        if method != "GET":
            raise _not_allowed(rt, method, "history", "GET")
        if len(rest) == 3:
            return interactions.read(ctx, rt, rest[0], rest[2])
        return _history(ctx, rt, rest[0])
    raise FhirError(404, f"No such endpoint: {request.path[:200]}", code="not-found")


def _only_get(method: str, then: Any) -> HttpResponse:
    if method != "GET":
        raise FhirError(405, f"{method} is not supported here", code="not-supported", headers={"Allow": "GET"})
    response: HttpResponse = then()
    return response


def _history(ctx: Context, rt: ResourceType, raw_id: str) -> HttpResponse:
    if "history-instance" not in rt.interactions and "read" not in rt.interactions:
        raise _not_allowed(rt, "GET", "history", "GET")
    ctx.caller.require(rt.name, "r")
    ctx.entry.action = AuditAction.READ
    obj, found = interactions.visible_object(ctx.caller, rt, raw_id, ctx.entry)
    ctx.entry.basis = found
    ctx.entry.detail["history"] = True
    return render(history.bundle(ctx.caller, rt, obj, ctx.base), ctx.fmt)
