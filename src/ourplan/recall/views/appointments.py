"""Slots, the diary, two-step booking and calendar files."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ourplan.clinical.results import overview
from ourplan.core import audit
from ourplan.core.decorators import refuse, staff_required
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent
from ourplan.core.roles import staff_org_ids
from ourplan.people.access import get_person_for
from ourplan.people.models import Person, StaffMember
from ourplan.recall import booking, ical
from ourplan.recall.cycle import open_cycle
from ourplan.recall.forms import BookingForm, SlotRunForm, error_list
from ourplan.recall.length import suggest_conversation_length
from ourplan.recall.models import Appointment, AppointmentKind, AppointmentSlot

GATHERING_LOOKAHEAD_DAYS = 28
MAX_OFFERED = 40
SLOT_FIELDS = ["staff", "kind", "day", "start", "end", "length"]


def _parse_day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return timezone.localdate()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@staff_required
def diary(request: HttpRequest) -> HttpResponse:
    """A day or week of slots at the user's practices, with who is booked into each."""
    day = _parse_day(request.GET.get("day"))
    week = request.GET.get("view") == "week"
    first = day - timedelta(days=day.weekday()) if week else day
    span = 7 if week else 1
    orgs = staff_org_ids(request.user)
    staff_filter = None
    if request.GET.get("staff"):
        staff_filter = _staff_for(request, request.GET["staff"])
    slots = list(booking.diary(orgs, _midnight(first), _midnight(first + timedelta(days=span)), staff_filter))
    days: dict[date, list[AppointmentSlot]] = {first + timedelta(days=i): [] for i in range(span)}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    people = {b.person.public_id for s in slots for b in getattr(s, "bookings", [])}
    audit.record_many(_read_events(request, people, "Diary"))
    return render(request, "recall/diary.jinja", {
        "page_title": "Appointments", "nav": "appointments", "days": days, "day": day, "week": week,
        "previous": first - timedelta(days=span), "next": first + timedelta(days=span),
        "staff": StaffMember.objects.filter(organisation_id__in=orgs, active=True).select_related("practitioner")
        .order_by("practitioner__family_name"),
        "staff_filter": staff_filter,
    })


def _read_events(request: HttpRequest, people: set[UUID], entity: str,
                 action: AuditAction = AuditAction.READ) -> list[AuditEvent]:
    """One audit event per person shown, so each person's access log shows who saw their appointment, after
    the one event for the page itself (the access: it carries the path)."""
    audit.record(request.user, AuditAction.SEARCH if action == AuditAction.READ else action,  # type: ignore[arg-type]
                 entity, basis=AccessBasis.DIRECT_CARE, request=request, detail={"people": len(people)})
    return [AuditEvent(actor=request.user, actor_label=audit.actor_label(request.user),  # type: ignore[misc, arg-type]
                       action=action, entity_type=entity, person_id_ref=p, basis=AccessBasis.DIRECT_CARE,
                       ip_address=request.META.get("REMOTE_ADDR") or None, detail={"via": request.path})
            for p in people]


def _staff_for(request: HttpRequest, public_id: str) -> StaffMember:
    """A staff member at one of the user's practices, else 404."""
    uuid = _uuid(public_id)
    member = None
    if uuid is not None:
        member = StaffMember.objects.filter(public_id=uuid, organisation_id__in=staff_org_ids(request.user)
                                            ).select_related("practitioner").first()
    if member is None:
        raise refuse(request)
    return member


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(str(raw))
    except ValueError:
        return None


@staff_required
def new_slots(request: HttpRequest) -> HttpResponse:
    orgs = staff_org_ids(request.user)
    form = SlotRunForm(request.POST or None, practice_ids=orgs,
                       initial={"day": timezone.localdate() + timedelta(days=1), "start": time(9, 0),
                                "end": time(12, 0), "length": 20, "kind": AppointmentKind.INFORMATION_GATHERING})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = booking.do_create_slots(request.user, staff=data["staff"], day=data["day"],  # type: ignore[arg-type]
                                          start=data["start"], end=data["end"], length=data["length"],
                                          kind=data["kind"])
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            text = f"Made {len(run.created)} slot{'s' if len(run.created) != 1 else ''}."
            if run.skipped:
                text += (f" {len(run.skipped)} clashed with slots already in the diary and were left out: "
                         + ", ".join(f"{timezone.localtime(s):%H:%M}" for s in run.skipped) + ".")
            messages.success(request, text)
            return redirect(f"{reverse('recall:diary')}?day={data['day'].isoformat()}")
    return render(request, "recall/new_slots.jinja", {
        "page_title": "Make appointment slots", "nav": "appointments", "form": form,
        "errors": error_list(form, SLOT_FIELDS) if form.is_bound else [], "kinds": AppointmentKind.choices,
    })


def _booking_context(person: Person) -> dict[str, Any]:
    cycle = open_cycle(person)
    appointments = booking.live_appointments(cycle)
    by_kind = {a.kind: a for a in appointments}
    now = timezone.now()
    gathering_slots = (
        list(booking.free_slots(person.practice_id or 0, AppointmentKind.INFORMATION_GATHERING, now,
                                now + timedelta(days=GATHERING_LOOKAHEAD_DAYS))[:MAX_OFFERED])
        if AppointmentKind.INFORMATION_GATHERING not in by_kind else []
    )
    gathered = booking.gathering_day(cycle, appointments)
    suggestion = suggest_conversation_length(person, overview(person))
    conversation_slots: list[AppointmentSlot] = []
    window = None
    if gathered is not None and AppointmentKind.CONVERSATION not in by_kind:
        window = booking.conversation_window(gathered)
        conversation_slots = booking.suggested_conversation_slots(
            person.practice_id or 0, gathered, suggestion.minutes)[:MAX_OFFERED]
    return {
        "cycle": cycle, "appointments": appointments, "gathering": by_kind.get(AppointmentKind.INFORMATION_GATHERING),
        "conversation": by_kind.get(AppointmentKind.CONVERSATION), "gathering_slots": gathering_slots,
        "conversation_slots": conversation_slots, "window": window, "suggestion": suggestion,
    }


@staff_required
def book(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Step 1: information gathering. Step 2: the conversation 1 to 3 weeks later, with a suggested length."""
    person = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="Appointment").person
    form = BookingForm(request.POST or None)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        if form.is_valid():
            slot = AppointmentSlot.objects.filter(public_id=form.cleaned_data["slot"],
                                                  practice_id=person.practice_id).first()
            try:
                if slot is None:
                    raise ActionError("That slot no longer exists. Choose another", field="slot")
                length = form.cleaned_data["length"]
                reasons: tuple[str, ...] = ()
                if slot.kind == AppointmentKind.CONVERSATION:
                    suggestion = suggest_conversation_length(person, overview(person))
                    reasons = suggestion.reasons
                    length = length or suggestion.minutes
                appointment = booking.do_book(request.user, person, slot, length=length,  # type: ignore[arg-type]
                                              length_reasons=reasons)
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                when = timezone.localtime(appointment.slot.start)
                messages.success(request, f"Booked {appointment.get_kind_display().lower()} on "
                                          f"{when:%A} {when.day} {when:%B at %H:%M}.")
                return redirect(request.path)
        errors = error_list(form, ["slot", "length"])
    return render(request, "recall/book.jinja", {
        "page_title": f"Book: {person.formal_name}", "nav": "appointments", "person": person, "form": form,
        "errors": errors, **_booking_context(person),
    })


@require_POST
@staff_required
def appointment_status(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Attended, did not attend or cancelled. Reached through the person, so access is the person's."""
    appointment = Appointment.objects.select_related("person").filter(public_id=public_id).first()
    if appointment is None:
        raise Http404("Not found")
    get_person_for(request, appointment.person.public_id, bases={AccessBasis.DIRECT_CARE},
                   entity_type="Appointment")
    try:
        booking.do_set_appointment_status(request.user, appointment, request.POST.get("status", ""))  # type: ignore[arg-type]
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{appointment.get_kind_display()}: {appointment.get_status_display().lower()}.")
    return redirect("recall:book", public_id=appointment.person.public_id)


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_required
def staff_calendar(request: HttpRequest, public_id: str) -> HttpResponse:
    """A staff member's booked appointments from 30 days ago to 6 months ahead."""
    member = _staff_for(request, public_id)
    now = timezone.now()
    slots = list(booking.diary([member.organisation_id], now - timedelta(days=30), now + timedelta(days=183),
                               staff=member))
    people = {b.person.public_id for s in slots for b in getattr(s, "bookings", [])}
    audit.record_many(_read_events(request, people, "Appointment", AuditAction.DOWNLOAD))
    name = str(member.practitioner) if member.practitioner else member.get_role_display()
    return _ics(ical.staff_diary(f"Ourplan: {name}", slots), "ourplan-diary.ics")


@staff_required
def person_calendar(request: HttpRequest, public_id: UUID) -> HttpResponse:
    person = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE}, entity_type="Appointment",
                            audit_action=AuditAction.DOWNLOAD).person
    appointments = (Appointment.objects.filter(person=person).exclude(status=Appointment.Status.CANCELLED)
                    .select_related("slot__practice", "slot__staff__practitioner").order_by("slot__start"))
    return _ics(ical.person_calendar(f"Appointments for {person.display_name}", appointments),
                "ourplan-appointments.ics")
