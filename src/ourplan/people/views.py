"""The staff register and person page, and the person's own home page. Thin: access through
people.access, data through clinical.results."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ourplan.clinical import charts
from ourplan.clinical.models import Condition
from ourplan.clinical.results import overview
from ourplan.clinical.sensitivity import SENSITIVE_REGISTERS
from ourplan.clinical.terminology import REGISTERS
from ourplan.core import audit
from ourplan.core.decorators import staff_required
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people import nhs_number
from ourplan.people.access import (
    PERSON_BASES,
    STAFF_BASES,
    get_person_for,
    own_person,
    people_for,
    people_with_sensitive_for,
)
from ourplan.people.models import Person
from ourplan.support.alerts import open_alerts_for

PAGE_SIZE = 50


def _search(queryset: QuerySet[Person], query: str) -> QuerySet[Person]:
    query = query.strip()
    digits = nhs_number.normalise(query)
    if digits.isdigit() and len(digits) >= 3:
        return queryset.filter(nhs_number__startswith=digits)
    for word in query.split():
        queryset = queryset.filter(Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return queryset


@staff_required
def register(request: HttpRequest) -> HttpResponse:
    """Everyone on the registers of the user's practices. Search by name or NHS number, filter by condition."""
    query = request.GET.get("q", "")
    register_key = request.GET.get("condition", "")
    # The practice's registered people, and anyone who shared their record through their care team (staff
    # outside the practice find them by name or NHS number like anyone else).
    people = people_for(request.user, bases={AccessBasis.DIRECT_CARE, AccessBasis.CARE_TEAM})
    if query:
        people = _search(people, query)
    if register_key in SENSITIVE_REGISTERS:
        # Filtering by a sensitive register would show who is on it: only among those whose sensitive
        # sections this user sees.
        people = people.filter(pk__in=people_with_sensitive_for(request.user).values("pk"))
    if register_key in REGISTERS:
        # A subquery, not a join, so a person with two codes on one register is listed once.
        people = people.filter(pk__in=Condition.objects.filter(
            register=register_key, clinical_status="active").values("person_id"))
    people = people.order_by("family_name", "given_name", "id").prefetch_related(
        Prefetch("conditions", queryset=Condition.objects.exclude(register="")
                 .exclude(Q(register__in=SENSITIVE_REGISTERS)
                          & ~Q(person__in=people_with_sensitive_for(request.user).values("pk")))
                 .filter(clinical_status="active"), to_attr="register_conditions")
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(request.user, AuditAction.SEARCH, "Person", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={"q": query, "condition": register_key, "page": page.number})
    context = {
        "page_title": "Register", "nav": "register", "page": page, "query": query,
        "register_key": register_key, "registers": REGISTERS.values(),
        # Alerts lead the page staff land on, so a safety alert is seen the same day.
        "alerts": [] if request.headers.get("HX-Request") else list(open_alerts_for(request.user)[:20]),
    }
    template = "people/_register_results.jinja" if request.headers.get("HX-Request") else "people/register.jinja"
    return render(request, template, context)


@staff_required
def person_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    from ourplan.sharing import redact

    access = get_person_for(request, public_id, bases=STAFF_BASES)
    results = redact.results(overview(access.person), access.sees_sensitive)
    return render(request, "people/person_detail.jinja", {
        "page_title": access.person.formal_name, "nav": "register", "person": access.person,
        "direct_care": access.basis == AccessBasis.DIRECT_CARE,
        "results": results, "chart_data": charts.chart_payload(results),
    })


@login_required
def my_home(request: HttpRequest) -> HttpResponse:
    """A person's own page; for a carer, the list of people who have shared their record with them."""
    own = own_person(request.user)
    if own is not None:
        return _person_home(request, own.public_id)
    from ourplan.insight.scope import is_commissioner

    if is_commissioner(request.user):
        return redirect("insight:c_fidelity")  # no record of their own and no one shares with them
    shared = people_for(request.user, bases={AccessBasis.CONSENT}).order_by("family_name")
    audit.record(request.user, AuditAction.SEARCH, "Person", basis=AccessBasis.CONSENT,  # type: ignore[arg-type]
                 request=request, detail={"shared_with_me": True})
    return render(request, "people/my_people.jinja",
                  {"page_title": "People you support", "people": shared, "nav": "my_home"})


@login_required
def shared_person(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _person_home(request, public_id)


def _person_home(request: HttpRequest, public_id: UUID) -> HttpResponse:
    from ourplan.sharing import redact

    access = get_person_for(request, public_id, bases=PERSON_BASES)
    results = redact.results(overview(access.person), access.sees_sensitive)
    return render(request, "people/my_home.jinja", {
        "page_title": "My health" if access.basis == AccessBasis.SELF else access.person.display_name, "nav": "my_home",
        "person": access.person, "results": results, "is_self": access.basis == AccessBasis.SELF,
        "chart_data": charts.chart_payload(results),
    })
