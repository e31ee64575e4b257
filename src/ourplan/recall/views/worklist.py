"""The recall worklist and batch invitations."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ourplan.clinical.terminology import REGISTERS
from ourplan.core import audit
from ourplan.core.decorators import staff_required
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.messaging.api import choose_channel
from ourplan.messaging.models import Communication
from ourplan.people.models import Person
from ourplan.recall import worklist as wl
from ourplan.recall.actions import do_invite_many

PAGE_SIZE = 50
SESSION_KEY = "recall_invited"


def _back(filters: wl.Filters) -> str:
    query = urlencode(filters.params())
    return reverse("recall:worklist") + (f"?{query}" if query else "")


@staff_required
def worklist(request: HttpRequest) -> HttpResponse:
    filters = wl.Filters.from_params(request.GET)
    people = wl.with_registers(wl.worklist(request.user, filters))
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(request.user, AuditAction.SEARCH, "RecallWorklist", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={**filters.params(), "page": page.number})
    context = {
        "page_title": "Recall", "nav": "recall", "page": page, "rows": wl.rows(list(page.object_list)),
        "filters": filters, "paging_query": urlencode(filters.params()), "registers": REGISTERS.values(),
        "priorities": wl.PRIORITIES, "invited": request.session.pop(SESSION_KEY, None),
    }
    template = "recall/_worklist_results.jinja" if request.headers.get("HX-Request") else "recall/worklist.jinja"
    return render(request, template, context)


def _selected_ids(request: HttpRequest) -> list[UUID]:
    ids = []
    for raw in request.POST.getlist("person"):
        try:
            ids.append(UUID(raw))
        except ValueError:
            continue
    return ids


@require_POST
@staff_required
def invite_selected(request: HttpRequest) -> HttpResponse:
    filters = wl.Filters.from_params(request.POST)
    ids = _selected_ids(request)
    if not ids:
        messages.error(request, "Select at least one person to invite.")
        return redirect(_back(filters))
    # Only people on this user's worklist can be invited from it, whatever ids the form sends.
    people = wl.due_people(request.user).filter(public_id__in=ids)
    summary = do_invite_many(request.user, people)  # type: ignore[arg-type]
    request.session[SESSION_KEY] = summary.as_dict()
    return redirect(_back(filters))


def _expected_channels(people: list[Any]) -> list[tuple[str, int]]:
    """How the invitations would go, for the confirmation step (from a values() query, not per person)."""
    counts: Counter[str] = Counter()
    for row in people:
        probe = Person(preferred_contact=row["preferred_contact"], email=row["email"], phone=row["phone"],
                       user_id=row["user_id"])
        counts[choose_channel(probe)] += 1
    labels = dict(Communication.Channel.choices)
    return [(str(labels.get(c, c)), n) for c, n in counts.most_common()]


@staff_required
def invite_all_confirm(request: HttpRequest) -> HttpResponse:
    filters = wl.Filters.from_params(request.GET)
    people = wl.worklist(request.user, filters)
    to_invite = list(
        people.filter(Q(invited_at__isnull=True)).values("preferred_contact", "email", "phone", "user_id"))
    total = people.count()
    return render(request, "recall/invite_all_confirm.jinja", {
        "page_title": "Invite everyone matching", "nav": "recall", "filters": filters, "total": total,
        "to_invite": len(to_invite), "already": total - len(to_invite), "channels": _expected_channels(to_invite),
        "back": _back(filters),
    })


@require_POST
@staff_required
def invite_all(request: HttpRequest) -> HttpResponse:
    filters = wl.Filters.from_params(request.POST)
    summary = do_invite_many(request.user, wl.worklist(request.user, filters))  # type: ignore[arg-type]
    request.session[SESSION_KEY] = summary.as_dict()
    return redirect(_back(filters))
