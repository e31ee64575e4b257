"""The person's (and a consenting carer's) pages: their referrals in plain words, and logging readings
with trend charts and the agreed action when a reading crosses a trigger."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people.access import PersonAccess, get_person_for, own_person
from ourplan.people.models import Consent
from ourplan.support import readings, triggers
from ourplan.support.measures import HOME_MEASURES
from ourplan.support.models import Referral

PERSON_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}


def _own_id(request: HttpRequest) -> UUID:
    own = own_person(request.user)
    if own is None:
        raise Http404("Not found")
    return own.public_id


def _can_contribute(request: HttpRequest, access: PersonAccess) -> bool:
    if access.basis == AccessBasis.SELF:
        return True
    return Consent.objects.filter(Consent.in_force_q(), person=access.person, related_person__user=request.user.pk,
                                  related_person__active=True, can_contribute=True).exists()


@login_required
def my_support(request: HttpRequest) -> HttpResponse:
    return _support(request, _own_id(request))


@login_required
def shared_support(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _support(request, public_id)


def _support(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases=PERSON_BASES, entity_type="Referral")
    return render(request, "support/my_support.jinja", {
        "page_title": "Support and services", "nav": "my_support", "person": access.person,
        "is_self": access.basis == AccessBasis.SELF,
        "referrals": Referral.objects.filter(person=access.person).select_related("service"),
        "triggers": triggers.current_triggers(access.person),
    })


@login_required
def my_readings(request: HttpRequest) -> HttpResponse:
    return _readings(request, _own_id(request))


@login_required
def shared_readings(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _readings(request, public_id)


def _readings(request: HttpRequest, public_id: UUID) -> HttpResponse:
    posting = request.method == "POST"
    access = get_person_for(request, public_id, bases=PERSON_BASES, entity_type="Observation",
                            audit_action=AuditAction.CREATE if posting else AuditAction.READ)
    can_add = _can_contribute(request, access)
    measure = request.POST.get("measure") if posting else request.GET.get("measure", "peak_flow")
    if measure not in HOME_MEASURES:
        measure = "peak_flow"
    errors: dict[str, str] = {}
    upload_errors: list[str] = []
    if posting:
        if not can_add:
            raise Http404("Not found")
        try:
            upload = request.FILES.get("file")
            if upload is not None:
                result = readings.upload_csv(request.user, access.person, access.basis,  # type: ignore[arg-type]
                                             upload.read(),
                                             confirm_unusual=request.POST.get("confirm") == "yes")
                upload_errors = result.errors
                messages.success(request, f"{result.stored} readings saved")
                if not result.errors:
                    return redirect(request.path)
            else:
                readings.do_log_reading(
                    request.user, access.person, access.basis, measure,  # type: ignore[arg-type]
                    request.POST.get("value"), request.POST.get("value2"), request.POST.get("unit") or None,
                    text=request.POST.get("text", ""), confirm=request.POST.get("confirm") == "yes")
                messages.success(request, f"Your {HOME_MEASURES[measure].plain.lower()} reading was saved")
                return redirect(f"{request.path}?measure={measure}")
        except ActionError as exc:
            errors[exc.field or "value"] = exc.message
    chart_data, rows = readings.chart_payload(access.person)
    return render(request, "support/readings.jinja", {
        "page_title": "My readings" if access.basis == AccessBasis.SELF else "Readings", "nav": "my_readings",
        "person": access.person, "is_self": access.basis == AccessBasis.SELF, "can_add": can_add,
        "measures": HOME_MEASURES, "measure": HOME_MEASURES[measure], "errors": errors,
        "data": request.POST if posting else None, "ask_confirm": errors.get("confirm"),
        "upload_errors": upload_errors, "triggers": triggers.current_triggers(access.person),
        "chart_data": chart_data, "rows": rows,
    }, status=400 if errors else 200)
