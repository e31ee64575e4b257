"""The unmatched-results queue, for practice admins: what is held, and discarding junk."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ourplan.core import audit
from ourplan.core.decorators import practice_admin_required
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.imports.fhir_held import discard_held, retry_held, waiting_queue


@practice_admin_required
def held_queue(request: HttpRequest) -> HttpResponse:
    held = list(waiting_queue()[:500])
    # Held resources are about people not (yet) known here: reading the queue is audited like a search.
    audit.record(request.user, AuditAction.SEARCH, "HeldResource", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={"count": len(held)})
    return render(request, "fhir/held_queue.jinja", {"page_title": "Results waiting for a person", "held": held,
                                                    "nav": "imports"})


@practice_admin_required
@require_POST
def held_retry(request: HttpRequest) -> HttpResponse:
    report = retry_held(request.user)  # type: ignore[arg-type]
    attached = len(report.items)
    messages.info(request, f"{attached} attached to their person; {report.still_held} still waiting.")
    return redirect("fhir:held_queue")


@practice_admin_required
@require_POST
def held_discard(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        held = discard_held(public_id, request.POST.get("note", ""), actor=request.user)  # type: ignore[arg-type]
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, f"{held.resource_type} discarded.")
    return redirect("fhir:held_queue")
