"""The person's (and a consenting carer's) pages: their referrals in plain words, and logging readings
with trend charts and the agreed action when a reading crosses a trigger."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ourplan.clinical.sensitivity import is_sensitive_goal, is_sensitive_measure, sensitive_goal_q
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people.access import Grant, PersonAccess, audit_denied, get_person_for, own_person
from ourplan.people.models import Consent
from ourplan.planning.models import Goal
from ourplan.support import checkins, goals, readings, referrals, triggers
from ourplan.support.measures import HOME_MEASURES
from ourplan.support.models import CheckInSchedule, Referral

PERSON_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}


def _own_id(request: HttpRequest) -> UUID:
    own = own_person(request.user)
    if own is None:
        audit_denied(request, "Person", "")
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
    return _support_page(request, access)


def _support_page(request: HttpRequest, access: PersonAccess, errors: dict[str, str] | None = None,
                  goal_id: str = "") -> HttpResponse:
    """Referrals in plain words (with the goal each came from), and the person's goals with check-ins."""
    person = access.person
    goal_list = goals.open_goals(person, for_person=True)
    items = Referral.objects.filter(person=person).select_related("service")
    if not access.sees_sensitive:
        # Sensitive goals, and the referrals made for them, are not shown to someone not shared them.
        hidden = set(Goal.objects.filter(sensitive_goal_q(), plan__person=person).values_list("public_id", flat=True))
        goal_list = [g for g in goal_list if g.public_id not in hidden]
        items = items.exclude(goal_public_id__in=hidden)
    history, schedules = checkins.history(person, goal_list), checkins.schedules(person)
    return render(request, "support/my_support.jinja", {
        "page_title": "Support and services", "nav": "my_support", "person": person,
        "is_self": access.basis == AccessBasis.SELF, "can_contribute": _can_contribute(request, access),
        "referrals": referrals.with_goal_words(person, items),
        "triggers": triggers.current_triggers(person),
        "goal_rows": [{"goal": g, "checkins": history[str(g.public_id)], "schedule": schedules.get(str(g.public_id))}
                      for g in goal_list],
        "rhythms": CheckInSchedule.Rhythm.choices, "errors": errors or {}, "error_goal": goal_id,
        "data": request.POST if errors else None,
    }, status=400 if errors else 200)


def _goal_post(request: HttpRequest, public_id: UUID, goal_id: UUID, entity_type: str) \
        -> tuple[PersonAccess, Goal]:
    found = Goal.objects.filter(public_id=goal_id, plan__person__public_id=public_id).first()

    def allow(grant: Grant) -> bool:
        # A check-in needs consent to contribute, and a sensitive goal needs the sensitive parts shared.
        return found is not None and (grant.sees_sensitive or not is_sensitive_goal(
            found.sensitive, found.measure, found.registers))

    access = get_person_for(request, public_id, bases=PERSON_BASES, entity_type=entity_type,
                            audit_action=AuditAction.CREATE, require_contribute=True, allow=allow)
    try:
        goal = goals.goal_in_plan(access.person, goal_id, for_person=True)
    except ActionError:
        raise Http404("Not found") from None
    return access, goal


def _back(access: PersonAccess) -> HttpResponse:
    if access.basis == AccessBasis.SELF:
        return redirect("support:my_support")
    return redirect("support:shared_support", public_id=access.person.public_id)


@login_required
@require_POST
def goal_checkin(request: HttpRequest, public_id: UUID, goal_id: UUID) -> HttpResponse:
    access, goal = _goal_post(request, public_id, goal_id, "GoalCheckIn")
    try:
        checkins.do_check_in(request.user, access.person, goal,  # type: ignore[arg-type]
                             progress=request.POST.get("progress"), note=request.POST.get("note", ""),
                             basis=access.basis)
    except ActionError as exc:
        return _support_page(request, access, {f"{exc.field or 'progress'}-{goal.public_id}": exc.message},
                             str(goal.public_id))
    messages.success(request, "Thank you. Your check-in was saved")
    return _back(access)


@login_required
@require_POST
def goal_rhythm(request: HttpRequest, public_id: UUID, goal_id: UUID) -> HttpResponse:
    access, goal = _goal_post(request, public_id, goal_id, "CheckInSchedule")
    try:
        schedule = checkins.do_set_schedule(request.user, access.person, goal,  # type: ignore[arg-type]
                                            request.POST.get("rhythm", ""), basis=access.basis)
    except ActionError as exc:
        return _support_page(request, access, {f"{exc.field or 'rhythm'}-{goal.public_id}": exc.message},
                             str(goal.public_id))
    messages.success(request, f"Saved. Your next check-in is on {schedule.next_due:%-d %B %Y}")
    return _back(access)


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
    # Mood scores are sensitive: someone not shared the sensitive parts neither sees nor adds them.
    shown = {k: m for k, m in HOME_MEASURES.items() if access.sees_sensitive or not is_sensitive_measure(k)}
    measure = request.POST.get("measure") if posting else request.GET.get("measure", "peak_flow")
    if measure not in shown:
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
    chart_data, rows = readings.chart_payload(access.person, hide=set(HOME_MEASURES) - set(shown))
    return render(request, "support/readings.jinja", {
        "page_title": "My readings" if access.basis == AccessBasis.SELF else "Readings", "nav": "my_readings",
        "person": access.person, "is_self": access.basis == AccessBasis.SELF, "can_add": can_add,
        "measures": shown, "measure": HOME_MEASURES[measure], "errors": errors,
        "data": request.POST if posting else None, "ask_confirm": errors.get("confirm"),
        "upload_errors": upload_errors, "triggers": triggers.current_triggers(access.person),
        "chart_data": chart_data, "rows": rows,
    }, status=400 if errors else 200)
