"""Transaction and batch Bundles (`POST [base]` with a Bundle).

- transaction: all or nothing. Every entry runs in one database transaction; the first entry that fails
  rolls everything back and the answer is that entry's OperationOutcome (its status), naming the entry
  (`Bundle.entry[n]...`). Entries may refer to each other by `fullUrl` (`urn:uuid:...`): creates run in
  the order their references need (a Patient before its results), whatever order they are listed in, and
  every reference to an entry's fullUrl is rewritten to the id it was given. A reference may also be a
  conditional one (`Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|...`), resolved by search among
  what the caller may see (exactly one match, else the transaction fails).
- batch: each entry on its own (its own savepoint); the answer lists each entry's outcome. Batch entries
  may not depend on each other (FHIR), so their references are not rewritten.

Each entry is an ordinary interaction (create, conditional create, update with If-Match, read, search)
with the same access, validation, Provenance and audit as the single request would have. Delete and patch
are not supported (405 for that entry)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from django.db import transaction
from django.http import HttpResponse, QueryDict
from fhir.resources.R4B.careplan import CarePlanActivity
from pydantic import ValidationError

from ourplan.api import writes
from ourplan.api.audit import RequestAudit, denied
from ourplan.api.conditional import existing_match
from ourplan.api.errors import FhirError, outcome
from ourplan.api.formats import XML, body_format, render
from ourplan.api.interactions import (
    Context,
    Done,
    create_audited,
    headers_for,
    read_audited,
    search_audited,
    update_audited,
)
from ourplan.api.models import WriteRecord
from ourplan.api.out_common import instant
from ourplan.api.resource_type import ResourceType
from ourplan.core.audit import record_many
from ourplan.core.models import AccessBasis, AuditAction

# A Bundle carries many resources; 20 MB and 10,000 entries keeps one request to seconds, not minutes.
MAX_BUNDLE_BODY = 20_000_000
MAX_ENTRIES = 10_000
METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
STATUS_TEXT = {200: "200 OK", 201: "201 Created"}


@dataclass
class Item:
    index: int
    full_url: str
    method: str
    url: str
    resource: dict[str, Any] | None
    if_none_exist: str | None
    if_match: str | None
    response: dict[str, Any] | None = None
    done: Done | None = None
    deferred: list[dict[str, Any]] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"Bundle.entry[{self.index}]"

    @property
    def names(self) -> list[str]:
        """What other entries may call this one: its fullUrl and, for an absolute fullUrl ending in
        Type/id, the relative "Type/id" (FHIR resolves relative references against the entry's base)."""
        if not self.full_url:
            return []
        parts = self.full_url.split("/")
        if self.full_url.startswith(("http://", "https://")) and len(parts) >= 2 and parts[-2][:1].isupper():
            return [self.full_url, f"{parts[-2]}/{parts[-1]}"]
        return [self.full_url]


def _parse(raw: bytes, fmt: str) -> dict[str, Any]:
    if len(raw) > MAX_BUNDLE_BODY:
        raise FhirError(413, f"The Bundle is larger than {MAX_BUNDLE_BODY:,} bytes: split it", code="too-costly")
    if not raw.strip():
        raise FhirError(400, "The body is empty: send a transaction or batch Bundle", code="required")
    if fmt == XML:
        model = writes.parse_body(raw, fmt, "Bundle")
        data: Any = orjson.loads(model.model_dump_json())
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise FhirError(400, f"The body is not valid JSON: {exc}", code="structure") from exc
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirError(400, "POST to the base URL takes a Bundle of type transaction or batch", code="invalid",
                        expression=["Bundle"])
    if data.get("type") not in ("transaction", "batch"):
        raise FhirError(400, f"Bundle.type must be transaction or batch, not '{data.get('type')}'",
                        code="invalid", expression=["Bundle.type"])
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise FhirError(400, "Bundle.entry must be a list", code="structure", expression=["Bundle.entry"])
    if len(entries) > MAX_ENTRIES:
        raise FhirError(413, f"The Bundle has more than {MAX_ENTRIES:,} entries: split it", code="too-costly")
    return data


def _item(index: int, raw: Any) -> Item:
    where = f"Bundle.entry[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("request"), dict):
        raise FhirError(400, f"{where} needs a request (method and url)", code="required",
                        expression=[f"{where}.request"])
    request = raw["request"]
    method, url = str(request.get("method", "")).upper(), str(request.get("url", "")).strip()
    if method not in METHOD_ORDER or not url:
        raise FhirError(400, f"{where}.request needs a method (GET, POST, PUT) and a url", code="required",
                        expression=[f"{where}.request"])
    resource = raw.get("resource")
    if resource is not None and not isinstance(resource, dict):
        raise FhirError(400, f"{where}.resource must be a resource", code="structure",
                        expression=[f"{where}.resource"])
    return Item(index, str(raw.get("fullUrl") or ""), method, url.removeprefix("/"), resource,
                request.get("ifNoneExist"), request.get("ifMatch"))


# --- Reference rewriting ---------------------------------------------------------------------------------

def _references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                found.append(inner)
            else:
                found.extend(_references(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_references(inner))
    return found


def _rewrite(value: Any, resolve: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: (resolve(v) if k == "reference" and isinstance(v, str) else _rewrite(v, resolve))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, resolve) for v in value]
    return value


def _order(items: list[Item]) -> list[Item]:
    """FHIR's order (DELETE, POST, PUT, GET) and, among creates, each after the entries it refers to.

    A plan's goals belong to the plan: a Goal waits for a CarePlan of the same subject in the Bundle, and a
    CarePlan's own references to the Bundle's Goals (CarePlan.goal, activity.detail.goal) do not make it
    wait (its activities are applied once the goals exist)."""
    creates = [i for i in items if i.method == "POST"]
    by_url = {name: i for i in creates for name in i.names}
    plans_by_subject: dict[str, list[Item]] = {}
    for i in creates:
        if i.resource and i.resource.get("resourceType") == "CarePlan":
            subject = str((i.resource.get("subject") or {}).get("reference", ""))
            plans_by_subject.setdefault(subject, []).append(i)
    needs: dict[int, set[int]] = {}
    for i in creates:
        kind = (i.resource or {}).get("resourceType")
        wanted = set()
        for ref in _references(i.resource or {}):
            other = by_url.get(ref)
            if other is None or other is i:
                continue
            if kind == "CarePlan" and (other.resource or {}).get("resourceType") == "Goal":
                continue
            wanted.add(other.index)
        if kind == "Goal":
            subject = str(((i.resource or {}).get("subject") or {}).get("reference", ""))
            wanted |= {p.index for p in plans_by_subject.get(subject, [])}
        needs[i.index] = wanted
    ordered: list[Item] = []
    placed: set[int] = set()
    pending = list(creates)
    while pending:
        ready = [i for i in pending if needs[i.index] <= placed]
        if not ready:
            raise FhirError(400, "The Bundle's creates refer to each other in a circle, so none can go first",
                            code="invalid", expression=[pending[0].where])
        for i in ready:
            ordered.append(i)
            placed.add(i.index)
        pending = [i for i in pending if i.index not in placed]
    rest = sorted((i for i in items if i.method != "POST"), key=lambda i: (METHOD_ORDER[i.method], i.index))
    return [i for i in items if i.method == "DELETE"] + ordered + [i for i in rest if i.method != "DELETE"]


# --- One entry -------------------------------------------------------------------------------------------

def _type_and_id(url: str, where: str) -> tuple[ResourceType, str | None, str]:
    from ourplan.api.resources import RESOURCE_TYPES

    path, _, query = url.partition("?")
    parts = [p for p in urlsplit(path).path.split("/") if p]
    if parts and parts[0] not in RESOURCE_TYPES:
        # An absolute URL to this server ([base]/Patient/...): keep from the type on.
        found = next((n for n, p in enumerate(parts) if p in RESOURCE_TYPES), None)
        parts = parts[found:] if found is not None else parts
    if not parts or parts[0] not in RESOURCE_TYPES:
        raise FhirError(404, f"{where}.request.url '{url[:100]}' names no resource type served here",
                        code="not-supported", expression=[f"{where}.request.url"])
    return RESOURCE_TYPES[parts[0]], parts[1] if len(parts) > 1 else None, query


class Run:
    """One Bundle being processed: the caller, what each fullUrl became, and the audit rows of entries."""

    def __init__(self, ctx: Context, kind: str) -> None:
        self.ctx = ctx
        self.kind = kind
        self.transaction_id = uuid.uuid4()
        self.resolved: dict[str, str] = {}
        self.names: set[str] = set()  # what the Bundle's entries may be called (fullUrls and aliases)
        # Each entry's own audit event and its status, as if the entry had been sent alone. `refused` is
        # the entry that failed a transaction: the only one still audited once the rest rolls back.
        self.audits: list[tuple[RequestAudit, int]] = []
        self.refused: tuple[RequestAudit, int] | None = None
        # A transaction saves its Provenance records in one statement at the end (batch: as it goes).
        self.pending: list[WriteRecord] | None = [] if kind == "transaction" else None

    def resolve(self, ref: str) -> str:
        if ref in self.resolved:
            return self.resolved[ref]
        if self.kind == "transaction" and "?" in ref and not ref.startswith(("#", "urn:")):
            return self._conditional(ref)
        return ref

    def _conditional(self, ref: str) -> str:
        from ourplan.api.resources import RESOURCE_TYPES

        name, _, query = ref.partition("?")
        rt = RESOURCE_TYPES.get(name.rsplit("/", 1)[-1])
        if rt is None:
            raise FhirError(400, f"Conditional reference '{ref[:100]}' names no type served here", code="invalid")
        found = existing_match(self.ctx.caller, rt, query)
        if found is None:
            raise FhirError(422, f"Conditional reference '{ref[:100]}' matches nothing you may see",
                            code="not-found")
        resolved = f"{rt.name}/{found.public_id}"
        self.resolved[ref] = resolved
        return resolved

    def run(self, item: Item) -> dict[str, Any]:
        """One entry, audited exactly as the same request sent alone would be (api.interactions' audited
        helpers fill in the entry's own RequestAudit): reads and searches with the person and basis, writes,
        and refusals as denied with whose record it was. The entry's event also names the Bundle."""
        first = urlsplit(item.url.partition("?")[0]).path.split("/")
        entry = RequestAudit(entity_type=next((p for p in first if p), "Bundle")[:60], detail={
            "bundle": str(self.transaction_id), "bundle_type": self.kind, "entry": item.index,
            "request": f"{item.method} {item.url[:300]}"})
        ctx = replace(self.ctx, entry=entry)
        try:
            out, status = self._run(item, ctx)
        except FhirError as exc:
            # The same rule as the view applies to a single request (api.views.endpoint).
            if exc.audit_denied or exc.status in (401, 403):
                denied(entry)
            self.refused = (entry, exc.status)
            if self.kind == "batch":
                self.audits.append(self.refused)
            raise
        self.audits.append((entry, status))
        return out

    def _run(self, item: Item, ctx: Context) -> tuple[dict[str, Any], int]:
        rt, raw_id, query = _type_and_id(item.url, item.where)
        ctx.entry.entity_type = rt.name
        if item.method == "GET":
            return self._get(ctx, rt, raw_id, query), 200
        if item.method in ("DELETE", "PATCH"):
            raise FhirError(405, f"{item.method} is not supported", code="not-supported",
                            expression=[f"{item.where}.request.method"])
        if item.resource is None:
            raise FhirError(400, f"{item.where} needs a resource to {item.method}", code="required",
                            expression=[f"{item.where}.resource"])
        payload = _rewrite(item.resource, self.resolve) if self.kind == "transaction" else item.resource
        if payload.get("resourceType") != rt.name:
            raise FhirError(400, f"{item.where}.resource is a {payload.get('resourceType')}, the url names "
                            f"{rt.name}", code="invalid", expression=[f"{item.where}.resource.resourceType"])
        if item.method == "POST":
            if raw_id is not None:
                raise FhirError(400, f"{item.where}: POST goes to the type ({rt.name}), not an instance",
                                code="invalid", expression=[f"{item.where}.request.url"])
            payload = self._defer_activities(item, payload)
            payload = {k: v for k, v in payload.items() if k != "id"}  # the server assigns ids on create
            resource = writes.parse_resource(payload, rt.name)
            done = create_audited(ctx, rt, resource, item.if_none_exist, self.transaction_id, self.pending)
        else:
            if raw_id is None:
                raise FhirError(400, f"{item.where}: PUT names the instance ({rt.name}/<id>)", code="invalid",
                                expression=[f"{item.where}.request.url"])
            resource = writes.parse_resource(payload, rt.name)
            done = update_audited(ctx, rt, raw_id, resource, item.if_match, self.transaction_id, self.pending)
        item.done = done
        for name in item.names:
            self.resolved[name] = f"{rt.name}/{done.obj.public_id}"
        return self._written(done), done.status

    def _defer_activities(self, item: Item, payload: dict[str, Any]) -> dict[str, Any]:
        """A new CarePlan's activities that name Goals of this Bundle wait until those goals exist."""
        if self.kind != "transaction" or payload.get("resourceType") != "CarePlan":
            return payload
        activities = payload.get("activity") or []
        # References already resolved were rewritten; one left naming an entry is an entry not created yet.
        waiting = [a for a in activities if any(r in self.names for r in _references(a))]
        if not waiting:
            return payload
        item.deferred = waiting
        return {**payload, "activity": [a for a in activities if a not in waiting]}

    def finish_deferred(self, item: Item) -> None:
        from ourplan.api import writes_planning
        from ourplan.api.interactions import serialized
        from ourplan.api.provenance import record_write

        assert item.done is not None
        done = item.done
        try:
            activities = [CarePlanActivity.model_validate(_rewrite(a, self.resolve)) for a in item.deferred]
        except (ValidationError, ValueError) as exc:
            raise FhirError(400, f"Not a valid CarePlan.activity: {exc}"[:500], code="structure",
                            expression=["CarePlan.activity"]) from exc
        writes_planning.apply_activities(self.ctx.caller, done.obj, activities, AccessBasis(done.basis))
        resource = serialized(self.ctx.caller, done.rt, done.obj)
        record_write(self.ctx.caller, done.rt.name, resource, created=False, person=done.person,
                     basis=done.basis, transaction_id=self.transaction_id, pending=self.pending)
        item.done = Done(done.status, done.rt, done.obj, resource, done.person, done.basis, done.created)
        item.response = self._written(item.done)

    def _written(self, done: Done) -> dict[str, Any]:
        version = done.resource["meta"]["versionId"]
        response = {"status": STATUS_TEXT[done.status],
                    "location": f"{done.rt.name}/{done.obj.public_id}/_history/{version}",
                    "etag": f'W/"{version}"', "lastModified": done.resource["meta"]["lastUpdated"]}
        out: dict[str, Any] = {"fullUrl": f"{self.ctx.base}{done.rt.name}/{done.obj.public_id}",
                               "response": response}
        if "return=minimal" not in self.ctx.request.headers.get("Prefer", "").replace(" ", ""):
            out["resource"] = done.resource
        return out

    def _get(self, ctx: Context, rt: ResourceType, raw_id: str | None, query: str) -> dict[str, Any]:
        if raw_id is None:
            params = QueryDict(mutable=True)
            for name, value in parse_qsl(query, keep_blank_values=True):
                params.appendlist(name, value)
            return {"resource": search_audited(ctx, rt, params), "response": {"status": "200 OK"}}
        obj = read_audited(ctx, rt, raw_id)
        ctx.entry.entity_id = str(obj.public_id)
        headers = headers_for(obj)
        return {"fullUrl": f"{self.ctx.base}{rt.name}/{obj.public_id}", "resource": rt.serialize(obj),
                "response": {"status": "200 OK", "etag": headers["ETag"],
                             "lastModified": instant(getattr(obj, "updated_at", None) or obj.at)}}


def _error_entry(exc: FhirError) -> dict[str, Any]:
    return {"response": {"status": str(exc.status),
                         "outcome": outcome(exc.diagnostics, code=exc.code, expression=exc.expression)}}


def _prefixed(exc: FhirError, item: Item) -> FhirError:
    """The error with its element paths and message naming the entry it came from."""
    paths = [p if p.startswith("Bundle.") else f"{item.where}.resource.{p.split('.', 1)[1]}" if "." in p
             else f"{item.where}.resource" for p in exc.expression] or [item.where]
    return FhirError(exc.status, f"{item.where} ({item.method} {item.url[:80]}): {exc.diagnostics}", code=exc.code,
                     expression=paths, headers=exc.headers)


def _transaction(run: Run, items: list[Item]) -> None:
    with transaction.atomic():
        for item in _order(items):
            try:
                item.response = run.run(item)
            except FhirError as exc:
                raise _prefixed(exc, item) from exc
        for item in items:
            if item.deferred:
                try:
                    run.finish_deferred(item)
                except FhirError as exc:
                    raise _prefixed(exc, item) from exc
        WriteRecord.objects.bulk_create(run.pending or [], batch_size=500)
        record_many(audit.event(run.ctx.request, run.ctx.caller, status) for audit, status in run.audits)


def do_bundle(ctx: Context) -> HttpResponse:
    fmt = body_format(ctx.request)
    data = _parse(ctx.request.body, fmt)
    kind = str(data["type"])
    ctx.entry.entity_type = "Bundle"
    ctx.entry.action = AuditAction.CREATE
    items = [_item(i, raw) for i, raw in enumerate(data.get("entry") or [])]
    run = Run(ctx, kind)
    run.names = {name for item in items for name in item.names}
    ctx.entry.detail.update(bundle=str(run.transaction_id), bundle_type=kind, entries=len(items))
    if kind == "transaction":
        try:
            _transaction(run, items)
        except FhirError:
            # Everything else rolled back (and nothing was returned but the OperationOutcome); the entry that
            # failed is audited as it would be alone, a refusal included.
            if run.refused is not None:
                record_many([run.refused[0].event(ctx.request, ctx.caller, run.refused[1])])
            raise
    else:
        for item in _order(items):
            try:
                with transaction.atomic():
                    item.response = run.run(item)
            except FhirError as exc:
                item.response = _error_entry(_prefixed(exc, item))
        record_many(audit.event(ctx.request, ctx.caller, status) for audit, status in run.audits)
    people = {a.person for a, status in run.audits if a.person is not None and status < 400}
    if len(people) == 1:
        ctx.entry.person = next(iter(people))
    ctx.entry.detail["people"] = [str(p) for p in list(people)[:200]]
    response = {"resourceType": "Bundle", "type": f"{kind}-response",
                "entry": [item.response or {"response": {"status": "500"}} for item in items]}
    return render(response, ctx.fmt, 200)
