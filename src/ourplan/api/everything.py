"""`Patient/[id]/$everything`: the person's record as one paged searchset Bundle: the Patient, their GP
practice, then every resource of every type whose rows belong to them, in the resource table's order.
Each type's rows come through `rt.rows(caller)`, the same visibility as a search of that type, and only
types in the token's scopes are included. The audit trail (AuditEvent) and write provenance are left out
unless asked for with `_type`: they are about the record rather than part of it, and the audit trail of an
active record grows with every read.

Parameters: `_type` (comma-separated types), `_since` (changed since), `_count` and `_offset` (paging over
the whole result in a fixed order, so pages never overlap)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse

from ourplan.api.auth import Caller
from ourplan.api.bundles import DEFAULT_COUNT, MAX_COUNT, entry, paging_links
from ourplan.api.errors import FhirError
from ourplan.api.formats import render
from ourplan.api.interactions import Context, audit_people, visible_object
from ourplan.api.resource_type import ResourceType
from ourplan.api.search import bad, date_range
from ourplan.core.models import AuditAction
from ourplan.people.models import Person

ABOUT_THE_RECORD = frozenset({"AuditEvent", "Provenance"})
KNOWN = frozenset({"_type", "_since", "_count", "_offset", "_format", "_pretty"})


def rows_of(caller: Caller, rt: ResourceType, person: Person) -> QuerySet[Any] | None:
    """The rows of `rt` that belong to `person`, as the caller may see them; None for types that belong to
    nobody (directory data)."""
    qs = rt.rows(caller)
    if rt.person_ref is not None:
        return qs.filter(**{rt.person_ref: person.public_id})
    if rt.person_path is None or rt.static is not None:
        return None
    if rt.person_path == "":
        return qs.filter(pk=person.pk)
    return qs.filter(**{rt.person_path: person})


def types_for(caller: Caller, wanted: str | None) -> list[ResourceType]:
    from ourplan.api.resources import RESOURCE_TYPES

    if wanted:
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        unknown = [n for n in names if n not in RESOURCE_TYPES]
        if unknown:
            raise bad("_type", f"names types not served here: {', '.join(unknown)}")
        chosen = [RESOURCE_TYPES[n] for n in names]
    else:
        chosen = [rt for rt in RESOURCE_TYPES.values() if rt.name not in ABOUT_THE_RECORD]
    return [rt for rt in chosen if caller.allows(rt.name, "r")]


def _since(qs: QuerySet[Any], rt: ResourceType, raw: str | None) -> QuerySet[Any]:
    if not raw:
        return qs
    start, _ = date_range(raw, "_since")
    field = "updated_at" if any(f.name == "updated_at" for f in rt.model._meta.get_fields()) else None
    return qs.filter(**{f"{field}__gte": start}) if field else qs


def do_everything(ctx: Context, raw_id: str) -> HttpResponse:
    from ourplan.api.resources import RESOURCE_TYPES

    caller, query = ctx.caller, ctx.request.GET
    patient_rt = RESOURCE_TYPES["Patient"]
    caller.require("Patient", "r")
    ctx.entry.action = AuditAction.READ
    ctx.entry.detail["operation"] = "$everything"
    unknown = [name for name in query if name not in KNOWN]
    if unknown:
        raise FhirError(400, f"$everything does not take {', '.join(unknown)} (it takes {', '.join(sorted(KNOWN))})",
                        code="not-supported", expression=unknown)
    person, found = visible_object(caller, patient_rt, raw_id, ctx.entry)
    ctx.entry.basis = found
    count = min(_int(query.get("_count"), DEFAULT_COUNT, "_count"), MAX_COUNT)
    offset = _int(query.get("_offset"), 0, "_offset")
    sources: list[tuple[ResourceType, QuerySet[Any] | list[Any]]] = []
    for rt in types_for(caller, query.get("_type")):
        qs = rows_of(caller, rt, person)
        if qs is not None:
            sources.append((rt, _since(qs, rt, query.get("_since")).order_by("pk")))
        elif rt.name == "Organization" and person.practice_id is not None:
            sources.append((rt, rt.rows(caller).filter(pk=person.practice_id)))
    page: list[tuple[ResourceType, Any]] = []
    total = 0
    for rt, rows in sources:
        size = rows.count() if isinstance(rows, QuerySet) else len(rows)
        start, stop = max(offset - total, 0), max(offset + count - total, 0)
        if stop > start and start < size:
            page += [(rt, row) for row in rows[start:min(stop, size)]]
        total += size
    kept = [(k, v) for k, v in query.items() if k in ("_type", "_since")]

    links = paging_links(f"{ctx.base}Patient/{person.public_id}/$everything", kept, count, offset, total)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if page:
        bundle["entry"] = [entry(ctx.base, rt, row, "match") for rt, row in page]
    ctx.entry.detail.update(count=total, returned=len(page))
    audit_people(ctx, {person.public_id: person})
    return render(bundle, ctx.fmt)


def _int(raw: str | None, default: int, name: str) -> int:
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad(name, f"must be a whole number, not '{raw[:20]}'")
    return int(raw)
