"""Routing people to the right home page, and a health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from ourplan.core.roles import is_staff_member
from ourplan.people.access import own_person, people_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_staff_member(request.user):
        return redirect("people:register")
    from ourplan.insight.scope import is_commissioner

    if is_commissioner(request.user):
        return redirect("insight:c_fidelity")
    if own_person(request.user) is not None or people_for(request.user).exists():
        return redirect("people:my_home")
    return render(request, "core/no_record.jinja", {"page_title": "No record linked"}, status=200)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
