"""Bulk data `$export` (FHIR Bulk Data Access, async pattern) to NDJSON, one file per resource type.

    GET [base]/$export                    everything the token may read (system level)
    GET [base]/Patient/$export            every person the token may see, their records
    GET [base]/Group/[id]/$export         a practice's register: [id] is the practice's Organization id

Kick-off needs `Prefer: respond-async` and answers 202 with `Content-Location`, the status URL. The job
runs as a background task (api.tasks.run_export; the worker is `ourplan db_worker`). The status URL answers
202 with `X-Progress` while it runs, and 200 with the manifest when done; DELETE cancels it. The files are
served only to the token that asked for them (`requiresAccessToken: true`): anyone else gets 404, exactly
as if the export did not exist. Rows come through each type's `rows(caller)`, the same visibility as a
search, and are written from stored data with orjson, a chunk at a time."""

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
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError, not_found
from ourplan.api.everything import ABOUT_THE_RECORD
from ourplan.api.formats import JSON, render
from ourplan.api.interactions import Context
from ourplan.api.models import ExportJob
from ourplan.api.resource_type import ResourceType
from ourplan.api.scopes import parse_scopes
from ourplan.api.search import as_uuid, date_range
from ourplan.core.models import AuditAction
from ourplan.people.models import Organisation

POLL = "$export-poll"
FILES = "$export-file"
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
CHUNK = 2000
KNOWN = frozenset({"_type", "_since", "_outputFormat", "_format"})


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


def serve(ctx: Context, parts: list[str]) -> HttpResponse:
    ctx.entry.entity_type = "$export"
    ctx.entry.action = AuditAction.DOWNLOAD
    method = ctx.request.method or "GET"
    if len(parts) == 2 and parts[0] == POLL:
        job = _job(ctx, parts[1])
        ctx.entry.entity_id = str(job.public_id)
        if method == "DELETE":
            return _cancel(job)
        return _status(ctx, job)
    if len(parts) == 3 and parts[0] == FILES and method in ("GET", "HEAD"):
        job = _job(ctx, parts[1])
        ctx.entry.entity_id = str(job.public_id)
        item = next((o for o in job.output if o["file"] == parts[2]), None)
        if job.status != ExportJob.Status.DONE or item is None:
            raise not_found("Export file")
        ctx.entry.detail.update(file=item["file"], count=item["count"])
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
            else:
                path.unlink()
        updated = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.DONE, done=done, output=output, finished_at=timezone.now())
        if not updated:  # cancelled while it ran
            shutil.rmtree(folder, ignore_errors=True)
        return {"done": done}
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=str(exc)[:2000],
                                                   finished_at=timezone.now())
        raise


def _has_updated(rt: ResourceType) -> bool:
    return any(f.name == "updated_at" for f in rt.model._meta.get_fields())
