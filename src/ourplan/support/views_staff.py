"""Staff pages: the directory (search, add, edit), a person's support page (referrals, alerts, refer or
signpost), the referrals worklist, and recording unmet needs. Thin: logic lives in the action modules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ourplan.core import audit
from ourplan.core.decorators import staff_required
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people.access import get_person_for, people_for
from ourplan.people.models import Person
from ourplan.support import checkins, directory, goals, referrals
from ourplan.support.access import get_referral_for
from ourplan.support.forms import service_fields, version
from ourplan.support.models import AccessRoute, Category, Cost, Referral, Service, SupportAlert
from ourplan.support.services import do_create_service, do_update_service


def _search_context(request: HttpRequest, default_near: str = "") -> dict[str, Any]:
    q = request.GET.get("q", "").strip()
    near = request.GET.get("near", default_near).strip()
    cats = request.GET.getlist("category")
    cost, route = request.GET.get("cost", ""), request.GET.get("access_route", "")
    stale = request.GET.get("stale") == "1"
    error = ""
    try:
        hits = directory.search(q, near=near, categories=cats, cost=cost, access_route=route, stale_only=stale)
    except ActionError as exc:
        error = exc.message
        hits = directory.search(q, categories=cats, cost=cost, access_route=route, stale_only=stale)
    return {"q": q, "near": near, "selected_categories": cats, "cost": cost, "access_route": route, "stale": stale,
            "hits": hits, "near_error": error, "categories": Category.choices, "costs": Cost.choices,
            "routes": AccessRoute.choices, "searched": bool(q or near or cats or cost or route or stale)}


@staff_required
def services(request: HttpRequest) -> HttpResponse:
    context = _search_context(request) | {"page_title": "Services directory", "nav": "services"}
    template = "support/_service_results.jinja" if request.headers.get("HX-Request") else "support/services.jinja"
    return render(request, template, context)


def _service_form(request: HttpRequest, service: Service | None, errors: dict[str, str] | None = None,
                  conflict: bool = False) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    return render(request, "support/service_form.jinja", {
        "page_title": "Edit service" if service else "Add a service", "nav": "services", "service": service,
        "data": data, "errors": errors or {}, "conflict": conflict, "categories": Category.choices,
        "costs": Cost.choices, "routes": AccessRoute.choices,
    }, status=400 if errors else 200)


@staff_required
def service_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            service = do_create_service(request.user, **service_fields(request.POST))  # type: ignore[arg-type]
        except ActionError as exc:
            return _service_form(request, None, {exc.field or "form": exc.message})
        messages.success(request, f"{service.name} was added to the directory")
        return redirect("support:services")
    return _service_form(request, None)


@staff_required
def service_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    service = Service.objects.filter(public_id=public_id).first()
    if service is None:
        raise Http404("Not found")
    if request.method == "POST":
        try:
            do_update_service(request.user, service, version(request.POST),  # type: ignore[arg-type]
                              **service_fields(request.POST))
        except EditConflict as exc:
            service.refresh_from_db()
            return _service_form(request, service, {"form": exc.message}, conflict=True)
        except ActionError as exc:
            return _service_form(request, service, {exc.field or "form": exc.message})
        messages.success(request, f"{service.name} was saved")
        return redirect("support:services")
    return _service_form(request, service)


def _person_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    """The staff support page: referrals (with the goal each came from), alerts, and the person's goals
    with their check-in history and services suggested for each goal's category."""
    goal_list = goals.open_goals(person)
    history, schedules = checkins.history(person, goal_list), checkins.schedules(person)
    goal_rows = [{
        "goal": g, "checkins": history[str(g.public_id)], "schedule": schedules.get(str(g.public_id)),
        "suggestions": directory.suggestions(goals.directory_categories(g), person.postcode, limit=3,
                                             register_keys=g.registers or ()),
    } for g in goal_list]
    items = Referral.objects.filter(person=person).select_related("service", "created_by")
    return _search_context(request, default_near=person.postcode) | {
        "page_title": f"Support - {person.formal_name}", "nav": "register", "person": person,
        "referrals": referrals.with_goal_words(person, items),
        "alerts": SupportAlert.objects.filter(person=person, acknowledged_at__isnull=True),
        "statuses": Referral.Status.choices, "allowed": referrals.ALLOWED, "kinds": Referral.Kind.choices,
        "goal_rows": goal_rows, "errors": {}, "data": None,
    }


@staff_required
def person_support(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="Referral")
    context = _person_context(request, access.person)
    if request.headers.get("HX-Request"):
        return render(request, "support/_service_results.jinja", context)
    return render(request, "support/person_support.jinja", context)


@staff_required
@require_POST
def referral_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="Referral",
                            audit_action=AuditAction.CREATE)
    chosen = request.POST.get("service", "")
    try:
        service = Service.objects.filter(public_id=chosen).first() if chosen else None
    except ValidationError:  # a malformed id: treat as no service chosen
        service = None
    try:
        referrals.do_make_referral(
            request.user, access.person, kind=request.POST.get("kind", ""),  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""), service=service, to_name=request.POST.get("to_name", ""),
            consent_given=request.POST.get("consent_given") == "yes",
            goal_public_id=request.POST.get("goal", "").strip() or None,
        )
    except ActionError as exc:
        context = _person_context(request, access.person) | {
            "errors": {exc.field or "form": exc.message}, "data": request.POST, "chosen_service": service,
        }
        return render(request, "support/person_support.jinja", context, status=400)
    messages.success(request, "The referral was recorded")
    return redirect("support:person_support", public_id=access.person.public_id)


@staff_required
@require_POST
def referral_update(request: HttpRequest, public_id: UUID) -> HttpResponse:
    referral = get_referral_for(request, public_id)
    try:
        referrals.do_update_referral(request.user, referral, version(request.POST),  # type: ignore[arg-type]
                                     status=request.POST.get("status", ""), outcome=request.POST.get("outcome"),
                                     feedback=request.POST.get("feedback"))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Referral to {referral.destination} updated")
    return redirect(request.POST.get("next") or f"/staff/people/{referral.person.public_id}/support/")


@staff_required
@require_POST
def alert_acknowledge(request: HttpRequest, public_id: UUID) -> HttpResponse:
    alert = SupportAlert.objects.select_related("person").filter(public_id=public_id).first()
    if alert is None:
        raise Http404("Not found")
    get_person_for(request, alert.person.public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="SupportAlert",
                   audit_action=AuditAction.UPDATE)
    SupportAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=request.user)
    return redirect("support:person_support", public_id=alert.person.public_id)


@staff_required
def referral_worklist(request: HttpRequest) -> HttpResponse:
    """Referrals for people at the user's practices. "No answer after 2 weeks" first if chosen."""
    show = request.GET.get("show", "no-answer")
    whose = request.GET.get("whose", "all")
    items = Referral.objects.filter(person__in=people_for(request.user, bases={AccessBasis.DIRECT_CARE}))
    if whose == "mine":
        items = items.filter(created_by=request.user.pk)
    if show == "no-answer":
        items = referrals.no_answer(items)
    elif show == "open":
        items = items.filter(~Q(status__in=[Referral.Status.DECLINED, Referral.Status.FINISHED]))
    items = items.select_related("person", "service", "created_by").order_by("sent_at")
    audit.record(request.user, AuditAction.SEARCH, "Referral", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={"show": show, "whose": whose})
    return render(request, "support/referrals.jinja", {
        "page_title": "Referrals", "nav": "referrals", "referrals": items, "show": show, "whose": whose,
        "now": timezone.now(),
    })


@staff_required
@require_POST
def unmet_need_create(request: HttpRequest) -> HttpResponse:
    person = None
    if request.POST.get("person"):
        person = get_person_for(request, request.POST["person"], bases={AccessBasis.DIRECT_CARE},
                                entity_type="UnmetNeed", audit_action=AuditAction.CREATE).person
    try:
        referrals.do_record_unmet_need(request.user, category=request.POST.get("category", ""),  # type: ignore[arg-type]
                                       description=request.POST.get("description", ""),
                                       area=request.POST.get("area", ""), person=person)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The unmet need was recorded. Thank you: it helps show what services are missing")
    if person is not None:
        return redirect("support:person_support", public_id=person.public_id)
    return redirect("support:services")
