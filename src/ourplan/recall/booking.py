"""Two-step booking: slots made in runs, an information-gathering appointment, then the care planning
conversation 1 to 3 weeks later (time for lab results to come back and for the person to get their
results and prompt sheet 1 to 2 weeks before the conversation). Every change takes the acting user, runs in
a transaction and writes an audit row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.people.models import Person, StaffMember
from ourplan.recall.cycle import do_mark_stage, do_start_cycle, open_cycle
from ourplan.recall.models import Appointment, AppointmentKind, AppointmentSlot, CarePlanningCycle

MIN_GAP_DAYS = 7
MAX_GAP_DAYS = 21
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 120
LIVE = (Appointment.Status.BOOKED, Appointment.Status.ATTENDED)


def _basis(actor: User | None) -> AccessBasis:
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


def _day(value: datetime) -> date:
    return timezone.localtime(value).date()


def _words(value: date | datetime, fmt: str = "j F") -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return date_format(value, fmt)


@dataclass(frozen=True)
class SlotRun:
    created: list[AppointmentSlot]
    skipped: list[datetime]  # starts that clashed with a slot the staff member already has


def slot_starts(day: date, start: time, end: time, length: int) -> list[datetime]:
    """Start times of back-to-back slots of `length` minutes from `start` that finish by `end`."""
    tz = timezone.get_current_timezone()
    first = datetime.combine(day, start, tzinfo=tz)
    last_end = datetime.combine(day, end, tzinfo=tz)
    starts = []
    current = first
    while current + timedelta(minutes=length) <= last_end:
        starts.append(current)
        current += timedelta(minutes=length)
    return starts


@transaction.atomic
def do_create_slots(
    actor: User | None, *, staff: StaffMember, day: date, start: time, end: time, length: int, kind: str,
) -> SlotRun:
    """Make a run of slots for one staff member. Starts that overlap a slot they already have are skipped
    and reported, so running the same form twice makes no duplicates."""
    if kind not in AppointmentKind.values:
        raise ActionError("Choose what the slots are for", field="kind")
    if not MIN_SLOT_MINUTES <= length <= MAX_SLOT_MINUTES:
        raise ActionError(f"Slot length must be {MIN_SLOT_MINUTES} to {MAX_SLOT_MINUTES} minutes", field="length")
    if day < timezone.localdate():
        raise ActionError("The date must be today or in the future", field="day")
    if end <= start:
        raise ActionError("The end time must be after the start time", field="end")
    starts = slot_starts(day, start, end, length)
    if not starts:
        raise ActionError(f"There is not enough time between {start:%H:%M} and {end:%H:%M} for a "
                          f"{length}-minute slot", field="end")
    existing = list(AppointmentSlot.objects.filter(
        staff=staff, start__lt=starts[-1] + timedelta(minutes=length),
        start__gte=starts[0] - timedelta(minutes=MAX_SLOT_MINUTES),
    ))

    def clashes(begin: datetime) -> bool:
        finish = begin + timedelta(minutes=length)
        return any(s.start < finish and begin < s.end for s in existing)

    fresh = [s for s in starts if not clashes(s)]
    skipped = [s for s in starts if clashes(s)]
    slots = [AppointmentSlot(practice_id=staff.organisation_id, staff=staff, start=s, length_minutes=length,
                             kind=kind, created_by=actor) for s in fresh]
    try:
        with transaction.atomic():
            AppointmentSlot.objects.bulk_create(slots)
    except IntegrityError:
        raise ActionError("Someone else made slots for this person at the same time. Check the diary and try "
                          "again") from None
    if slots:
        audit.record(actor, AuditAction.CREATE, "AppointmentSlot", basis=_basis(actor),
                     detail={"count": len(slots), "staff": str(staff.public_id), "day": day.isoformat(),
                             "kind": kind})
    return SlotRun(slots, skipped)


def free_slots(practice_id: int, kind: str, start: datetime, end: datetime) -> QuerySet[AppointmentSlot]:
    """Slots of `kind` at the practice between `start` and `end` that nobody has booked."""
    booked = Appointment.objects.filter(slot=OuterRef("pk"), status__in=LIVE)
    return (
        AppointmentSlot.objects.filter(practice_id=practice_id, kind=kind, start__gte=start, start__lt=end)
        .exclude(Exists(booked)).select_related("staff__practitioner").order_by("start", "staff_id")
    )


def live_appointments(cycle: CarePlanningCycle | None) -> list[Appointment]:
    if cycle is None:
        return []
    return list(cycle.appointments.filter(status__in=LIVE).select_related("slot__staff__practitioner")
                .order_by("slot__start"))


def gathering_day(cycle: CarePlanningCycle | None, appointments: list[Appointment]) -> date | None:
    """The day information gathering happens (the live appointment) or happened (the stage), if known."""
    for appointment in appointments:
        if appointment.kind == AppointmentKind.INFORMATION_GATHERING:
            return _day(appointment.slot.start)
    if cycle is not None and cycle.information_gathered_at is not None:
        return _day(cycle.information_gathered_at)
    return None


def conversation_window(gathered: date) -> tuple[date, date]:
    return gathered + timedelta(days=MIN_GAP_DAYS), gathered + timedelta(days=MAX_GAP_DAYS)


def suggested_conversation_slots(practice_id: int, gathered: date, minutes: int) -> list[AppointmentSlot]:
    """Free conversation slots 1 to 3 weeks after information gathering, long enough ones first."""
    first, last = conversation_window(gathered)
    tz = timezone.get_current_timezone()
    start = max(datetime.combine(first, time.min, tzinfo=tz), timezone.now())
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    slots = list(free_slots(practice_id, AppointmentKind.CONVERSATION, start, end))
    return sorted(slots, key=lambda s: (s.length_minutes < minutes, s.start))


def _check_gap(cycle: CarePlanningCycle, appointments: list[Appointment], slot: AppointmentSlot) -> None:
    gathered = gathering_day(cycle, appointments)
    if gathered is None:
        raise ActionError("Book the information-gathering appointment first: the conversation needs the "
                          "results", field="slot")
    first, last = conversation_window(gathered)
    if not first <= _day(slot.start) <= last:
        raise ActionError(
            f"The conversation must be 1 to 3 weeks after information gathering ({_words(gathered)}): choose a "
            f"slot from {_words(first)} to {_words(last)}", field="slot")


@transaction.atomic
def do_book(
    actor: User | None, person: Person, slot: AppointmentSlot, *, length: int | None = None,
    length_reasons: tuple[str, ...] = (),
) -> Appointment:
    """Book `person` into `slot` for the step the slot is for. Booking the conversation marks the round's
    "conversation booked" stage. Refuses a slot someone else has, a past slot, a second live appointment
    of the same kind in the round, and a conversation outside 1-3 weeks after information gathering."""
    slot = AppointmentSlot.objects.select_for_update().select_related("staff").get(pk=slot.pk)
    if slot.practice_id != person.practice_id:
        raise ActionError("That slot is at another practice", field="slot")
    if slot.start <= timezone.now():
        raise ActionError("That slot has already started. Choose a later one", field="slot")
    if Appointment.objects.filter(slot=slot, status__in=LIVE).exists():
        raise ActionError("Someone else has just booked that slot. Choose another", field="slot")
    length = length or slot.length_minutes
    if length > slot.length_minutes:
        raise ActionError(f"The slot is {slot.length_minutes} minutes but the appointment needs {length}: choose "
                          "a longer slot, or a shorter length", field="length")
    cycle = open_cycle(person) or do_start_cycle(actor, person)
    appointments = live_appointments(cycle)
    same = [a for a in appointments if a.kind == slot.kind]
    if same:
        when = _words(same[0].slot.start, "j F \\a\\t H:i")
        raise ActionError(f"{person.display_name} is already booked for {slot.get_kind_display().lower()} on "
                          f"{when}. Cancel that appointment first to move it", field="slot")
    if slot.kind == AppointmentKind.CONVERSATION:
        _check_gap(cycle, appointments, slot)
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                cycle=cycle, person=person, slot=slot, kind=slot.kind, length_minutes=length,
                length_reasons=list(length_reasons), booked_by=actor,
            )
    except IntegrityError:
        # The unique constraint caught a booking made between our check and our insert.
        raise ActionError("Someone else has just booked that slot. Choose another", field="slot") from None
    audit.record(actor, AuditAction.CREATE, "Appointment", appointment.public_id, person=person.public_id,
                 basis=_basis(actor), detail={"kind": slot.kind, "start": slot.start.isoformat()})
    if slot.kind == AppointmentKind.CONVERSATION:
        do_mark_stage(actor, cycle, "conversation_booked")
    return appointment


@transaction.atomic
def do_set_appointment_status(actor: User | None, appointment: Appointment, status: str) -> Appointment:
    """Attended, did not attend, or cancelled (which frees the slot for someone else)."""
    if status not in Appointment.Status.values:
        raise ActionError("Unknown appointment status")
    if appointment.status == status:
        return appointment
    if appointment.status == Appointment.Status.CANCELLED:
        raise ActionError("This appointment was cancelled. Book a new one instead")
    now = timezone.now()
    Appointment.objects.filter(pk=appointment.pk).update(status=status, updated_at=now)
    appointment.status = status
    audit.record(actor, AuditAction.UPDATE, "Appointment", appointment.public_id,
                 person=appointment.person.public_id, basis=_basis(actor), detail={"status": status})
    return appointment


def diary(practice_ids: list[int], start: datetime, end: datetime, staff: StaffMember | None = None
          ) -> QuerySet[AppointmentSlot]:
    """Slots between `start` and `end` with their live appointment (and person) prefetched as `booking`."""
    slots = AppointmentSlot.objects.filter(practice_id__in=practice_ids, start__gte=start, start__lt=end)
    if staff is not None:
        slots = slots.filter(staff=staff)
    return slots.select_related("staff__practitioner", "practice").prefetch_related(
        Prefetch("appointments", to_attr="bookings",
                 queryset=Appointment.objects.filter(status__in=LIVE).select_related("person"))
    ).order_by("start", "staff_id")
