"""Bulk data `$export` (FHIR Bulk Data Access, async pattern) to NDJSON, one file per resource type.

    GET [base]/$export                    everything the token may read (system level)
    GET [base]/Patient/$export            every person the token may see, their records
    GET [base]/Group/[id]/$export         a practice's register: [id] is the practice's Organization id

Kick-off needs `Prefer: respond-async` and answers 202 with `Content-Location`, the status URL. The job
runs as a background task (api.tasks.run_export; the worker is `ourplan db_worker`). The status URL answers
202 with `X-Progress` while it runs, and 200 with the manifest when done; DELETE cancels it. The files are
served only to the token that asked for them (`requiresAccessToken: true`): anyone else gets 404, exactly
as if the export did not exist. Rows come through each type's `rows(caller)`, the same visibility as a
search, and are written from stored data with orjson, a chunk at a time.

Access is decided again whenever a finished export is served, not only when it ran: the job keeps (beside
its files, in `people.json`) whose records each file holds and whose sensitive sections went in. If the
token may no longer see every one of those people (consent withdrawn or expired, a person who moved
practice), or no longer sees the sensitive sections of someone whose sensitive sections went in, the
manifest and every file answer 404, exactly as a job that does not exist: the same rule as reading
`Patient/<id>` now. Serving a file is audited for each person whose records it holds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.utils import timezone

from ourplan.api.access import visible_people
from ourplan.api.audit import RequestAudit
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError, not_found
from ourplan.api.everything import ABOUT_THE_RECORD
from ourplan.api.formats import JSON, render
from ourplan.api.interactions import Context
from ourplan.api.models import ExportJob
from ourplan.api.resource_type import ResourceType
from ourplan.api.scopes import parse_scopes
from ourplan.api.search import as_uuid, date_range
from ourplan.api.sensitivity import sensitive_people_for
from ourplan.core.audit import record_many
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people.access import people_for
from ourplan.people.models import Organisation

POLL = "$export-poll"
FILES = "$export-file"
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
CHUNK = 2000
KNOWN = frozenset({"_type", "_since", "_outputFormat", "_format"})
PEOPLE = "people.json"  # beside the files; never served (only files named in the job's output are)
# people.access.grant_for's order: the first basis that applies is the one recorded.
BASES_IN_ORDER = (AccessBasis.SELF, AccessBasis.DIRECT_CARE, AccessBasis.CARE_TEAM, AccessBasis.CONSENT,
                  AccessBasis.EMERGENCY)


def export_dir(job: ExportJob) -> Path:
    return Path(settings.DATA_DIR) / "exports" / str(job.public_id)


# --- What a level covers ---------------------------------------------------------------------------------

def types_for(caller: Caller, level: str, wanted: list[str]) -> list[ResourceType]:
    from ourplan.api.resources import RESOURCE_TYPES

    unknown = [n for n in wanted if n not in RESOURCE_TYPES]
    if unknown:
        raise FhirError(400, f"_type names types not served here: {', '.join(unknown)}", code="not-supported",
                        expression=["_type"])
    chosen = [RESOURCE_TYPES[n] for n in wanted] if wanted else [
        rt for rt in RESOURCE_TYPES.values() if rt.name not in ABOUT_THE_RECORD]
    if level != "system":
        # Patient and Group level: the patient compartment (records that belong to someone).
        chosen = [rt for rt in chosen if rt.person_path is not None or rt.person_ref is not None]
    return [rt for rt in chosen if caller.allows(rt.name, "r")]


def rows(caller: Caller, rt: ResourceType, level: str, group: Organisation | None) -> QuerySet[Any] | list[Any]:
    if rt.static is not None:
        return list(rt.static())
    qs = rt.rows(caller)
    if group is not None:
        people = visible_people(caller).filter(practice=group)
        if rt.person_ref is not None:
            qs = qs.filter(**{f"{rt.person_ref}__in": people.values("public_id")})
        elif rt.person_path == "":
            qs = qs.filter(pk__in=people.values("pk"))
        else:
            qs = qs.filter(**{f"{rt.person_path}__in": people})
    return qs.order_by("pk")


def _group(caller: Caller, raw: str | None) -> Organisation | None:
    if raw is None:
        return None
    found = as_uuid(raw)
    org = Organisation.objects.filter(public_id=found).first() if found else None
    if org is None or not visible_people(caller).filter(practice=org).exists():
        # A Group is a practice register the caller can see people in; anything else does not exist.
        raise not_found("Group")
    return org


# --- Kick-off, status and files --------------------------------------------------------------------------

def kick_off(ctx: Context, level: str, group_id: str | None) -> HttpResponse:
    request, caller = ctx.request, ctx.caller
    ctx.entry.entity_type = "$export"
    ctx.entry.action = AuditAction.DOWNLOAD
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise FhirError(400, "$export runs in the background: send Prefer: respond-async", code="required")
    unknown = [name for name in request.GET if name not in KNOWN]
    if unknown:
        raise FhirError(400, f"$export does not take {', '.join(unknown)}", code="not-supported",
                        expression=unknown)
    output = request.GET.get("_outputFormat", NDJSON)
    if output not in OUTPUT_FORMATS:
        raise FhirError(400, f"_outputFormat '{output[:40]}' is not supported (use {NDJSON})", code="not-supported",
                        expression=["_outputFormat"])
    wanted = [n.strip() for n in ",".join(request.GET.getlist("_type")).split(",") if n.strip()]
    types = types_for(caller, level, wanted)
    if not types:
        raise FhirError(403, "The token's scopes allow reading none of the types asked for", code="forbidden",
                        audit_denied=True)
    since = None
    if request.GET.get("_since"):
        since, _ = date_range(request.GET["_since"], "_since")
    group = _group(caller, group_id)
    job = ExportJob.objects.create(token=caller.token, request_url=request.build_absolute_uri()[:2000], level=level,
                                   group_id=str(group.public_id) if group else "", types=[rt.name for rt in types],
                                   since=since)
    ctx.entry.entity_id = str(job.public_id)
    ctx.entry.detail.update(level=level, types=job.types, group=job.group_id)
    from ourplan.api.tasks import run_export

    # Requests are not wrapped in a transaction (no ATOMIC_REQUESTS): the job row is committed, so the worker
    # finds it. (The test settings run the task at once, inside this request.)
    run_export.enqueue(str(job.public_id))
    status_url = f"{ctx.base}{POLL}/{job.public_id}"
    return render(None, JSON, 202, {"Content-Location": status_url})


def _job(ctx: Context, raw: str) -> ExportJob:
    found = as_uuid(raw)
    job = ExportJob.objects.filter(public_id=found).first() if found else None
    if job is None or job.token_id != ctx.caller.token.pk:
        raise not_found("Export")
    return job


def _ids(qs: QuerySet[Any]) -> set[str]:
    return {str(p) for p in qs.values_list("public_id", flat=True)}


def _still_allowed(caller: Caller, job: ExportJob) -> dict[str, list[str]]:
    """Whose records each file of a finished job holds, once the caller has been found to still see every
    one of them (and the sensitive sections of those whose sensitive sections went in); else 404, exactly
    as a job that does not exist."""
    try:
        kept = orjson.loads((export_dir(job) / PEOPLE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        kept = None  # files written before people were kept, or gone: nothing to vouch for them with
    if not isinstance(kept, dict):
        raise not_found("Export")
    files: dict[str, list[str]] = kept.get("files") or {}
    everyone = {p for people in files.values() for p in people}
    if everyone - _ids(visible_people(caller)):
        raise not_found("Export")
    sensitive = set(kept.get("sensitive") or [])
    allowed = sensitive_people_for(caller)
    if sensitive and allowed is not None and sensitive - _ids(allowed):
        raise not_found("Export")
    return files


def _bases(caller: Caller, people: list[str]) -> dict[str, str]:
    """Each person's basis, as people.access.grant_for would give it, in a few queries for any number."""
    if caller.context == "system":
        return dict.fromkeys(people, AccessBasis.SYSTEM)
    out: dict[str, str] = {}
    for found in BASES_IN_ORDER:
        left = {p for p in people if p not in out}
        if not left:
            break
        # One query per basis, compared in memory: an IN list of every person would outgrow SQLite's limit.
        for p in left & _ids(people_for(caller.user, (found,))):
            out[p] = found
    return out


def _audit_file(ctx: Context, job: ExportJob, item: dict[str, Any], people: list[str]) -> None:
    """Whose records a file served: one person is named on the request's own event (like a read); for
    several, the request's event lists them (api.interactions.audit_people's convention) and each person
    gets an event of their own, so the download shows on every one of their audit trails."""
    bases = _bases(ctx.caller, people)
    ctx.entry.detail["people_count"] = len(people)
    if len(people) == 1:
        ctx.entry.person, ctx.entry.basis = as_uuid(people[0]), bases.get(people[0], AccessBasis.NONE)
        return
    ctx.entry.detail["people"] = people[:200]
    record_many(RequestAudit(
        action=AuditAction.DOWNLOAD, entity_type="$export", entity_id=str(job.public_id), person=as_uuid(p),
        basis=bases.get(p, AccessBasis.NONE), detail={"file": item["file"], "type": item["type"]},
    ).event(ctx.request, ctx.caller, 200) for p in people)


def serve(ctx: Context, parts: list[str]) -> HttpResponse:
    ctx.entry.entity_type = "$export"
    ctx.entry.action = AuditAction.DOWNLOAD
    method = ctx.request.method or "GET"
    if len(parts) == 2 and parts[0] == POLL:
        job = _job(ctx, parts[1])
        ctx.entry.entity_id = str(job.public_id)
        if method == "DELETE":
            return _cancel(job)
        if job.status == ExportJob.Status.DONE:
            # The manifest lists no one's data, but it is the door to the files: the same check as they have.
            _still_allowed(ctx.caller, job)
        return _status(ctx, job)
    if len(parts) == 3 and parts[0] == FILES and method in ("GET", "HEAD"):
        job = _job(ctx, parts[1])
        ctx.entry.entity_id = str(job.public_id)
        item = next((o for o in job.output if o["file"] == parts[2]), None)
        if job.status != ExportJob.Status.DONE or item is None:
            raise not_found("Export file")
        files = _still_allowed(ctx.caller, job)
        ctx.entry.detail.update(file=item["file"], count=item["count"])
        _audit_file(ctx, job, item, sorted(files.get(item["file"]) or []))
        response: HttpResponse = FileResponse(  # type: ignore[assignment]
            (export_dir(job) / item["file"]).open("rb"), content_type=NDJSON)
        return response
    raise FhirError(405 if len(parts) in (2, 3) else 404, "Not an export endpoint or method", code="not-supported")


def _cancel(job: ExportJob) -> HttpResponse:
    ExportJob.objects.filter(pk=job.pk, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]).update(
        status=ExportJob.Status.CANCELLED, finished_at=timezone.now())
    shutil.rmtree(export_dir(job), ignore_errors=True)
    return render(None, JSON, 202)


def _status(ctx: Context, job: ExportJob) -> HttpResponse:
    if job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
        progress = f"{job.status}: {job.done:,} of {job.total:,} resources" if job.total else str(job.status)
        return render(None, JSON, 202, {"X-Progress": progress, "Retry-After": "2"})
    if job.status == ExportJob.Status.CANCELLED:
        raise not_found("Export")
    if job.status == ExportJob.Status.FAILED:
        raise FhirError(422, f"The export stopped: {job.error}"[:1000], code="exception")
    manifest = {
        "transactionTime": job.requested_at.isoformat(timespec="milliseconds"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": o["type"], "url": f"{ctx.base}{FILES}/{job.public_id}/{o['file']}", "count": o["count"]}
                   for o in job.output],
        "error": [],
    }
    response = HttpResponse(orjson.dumps(manifest), status=200, content_type="application/json")
    response["Expires"] = (job.finished_at or timezone.now()).strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


# --- The background work ---------------------------------------------------------------------------------

def caller_of(job: ExportJob) -> Caller:
    token = job.token
    if not token.is_usable or (token.user is not None and not token.user.is_active):
        raise PermissionError("the token that asked for it was revoked or has expired")
    return Caller(token, tuple(parse_scopes(token.scopes)))


def _lines(rt: ResourceType, qs: QuerySet[Any] | list[Any]) -> Iterator[bytes]:
    if isinstance(qs, list):
        for row in qs:
            yield orjson.dumps(rt.serialize(row)) + b"\n"
        return
    for row in qs.iterator(chunk_size=CHUNK):
        yield orjson.dumps(rt.serialize(row)) + b"\n"


def run_job(public_id: str) -> dict[str, int]:
    """Write the job's files; safe to run again (it starts the files afresh)."""
    from ourplan.api.resources import RESOURCE_TYPES

    job = ExportJob.objects.select_related("token__user", "token__organisation", "token__patient").get(
        public_id=public_id)
    if job.status in (ExportJob.Status.DONE, ExportJob.Status.CANCELLED):
        return {"done": job.done}
    try:
        caller = caller_of(job)
        group = Organisation.objects.filter(public_id=job.group_id).first() if job.group_id else None
        sources = []
        for name in job.types:
            rt = RESOURCE_TYPES[name]
            qs = rows(caller, rt, job.level, group)
            if job.since is not None and not isinstance(qs, list) and _has_updated(rt):
                qs = qs.filter(updated_at__gte=job.since)
            sources.append((rt, qs))
        total = sum(len(qs) if isinstance(qs, list) else qs.count() for _, qs in sources)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, total=total, done=0)
        folder = export_dir(job)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        output, done = [], 0
        kept: dict[str, list[str]] = {}
        for rt, qs in sources:
            count = 0
            path = folder / f"{rt.name}.ndjson"
            with path.open("wb") as handle:
                for line in _lines(rt, qs):
                    handle.write(line)
                    count += 1
                    if count % CHUNK == 0:
                        ExportJob.objects.filter(pk=job.pk).update(done=done + count)
            done += count
            if count:
                output.append({"type": rt.name, "file": path.name, "count": count})
                kept[path.name] = _people_in(rt, qs)
            else:
                path.unlink()
        _keep_people(caller, folder, kept)
        updated = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.DONE, done=done, output=output, finished_at=timezone.now())
        if not updated:  # cancelled while it ran
            shutil.rmtree(folder, ignore_errors=True)
        return {"done": done}
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=str(exc)[:2000],
                                                   finished_at=timezone.now())
        raise


def _people_in(rt: ResourceType, qs: QuerySet[Any] | list[Any]) -> list[str]:
    """The public ids of the people whose records the rows are (none for directory data)."""
    if isinstance(qs, list):
        return []  # generated types (Questionnaire) belong to no one
    if rt.person_ref is not None:
        column = rt.person_ref
    elif rt.person_path is None:
        return []
    else:
        column = "public_id" if rt.person_path == "" else f"{rt.person_path}__public_id"
    values = qs.prefetch_related(None).order_by().values_list(column, flat=True).distinct()
    return sorted({str(v) for v in values if v})


def _keep_people(caller: Caller, folder: Path, files: dict[str, list[str]]) -> None:
    """Whose records each file holds, and whose sensitive sections went in (the people among them whose
    sensitive sections the caller saw as it ran), for the checks when the files are served."""
    everyone = {p for people in files.values() for p in people}
    allowed = sensitive_people_for(caller)
    sensitive = everyone if allowed is None else everyone & _ids(allowed)
    (folder / PEOPLE).write_bytes(orjson.dumps({"files": files, "sensitive": sorted(sensitive)}))


def _has_updated(rt: ResourceType) -> bool:
    return any(f.name == "updated_at" for f in rt.model._meta.get_fields())
