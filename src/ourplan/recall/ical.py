"""Appointments as iCalendar (RFC 5545), for a staff member's diary or a person's own calendar.

Times are written in UTC, which every calendar program converts to local time, so no VTIMEZONE block is
needed. Events say what the appointment is for in general terms only: no condition or result, because a
calendar file leaves Ourplan and may be synced to a phone or shared diary."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from ourplan.recall.models import Appointment, AppointmentSlot

PRODID = "-//Ourplan//Care and support planning//EN"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(uid: str, start: datetime, minutes: int, summary: str, location: str, description: str,
           *, cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", f"{uid}@ourplan")
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(UTC))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def staff_diary(name: str, slots: Iterable[AppointmentSlot]) -> bytes:
    """A staff member's diary: booked slots show who is coming (formal name, to avoid mixing up people
    with similar names); free slots are left out."""
    calendar = _calendar(name)
    for slot in slots:
        for appointment in getattr(slot, "bookings", []):
            calendar.add_component(_event(
                str(appointment.public_id), slot.start, appointment.length_minutes,
                f"{appointment.get_kind_display()}: {appointment.person.formal_name}",
                slot.practice.name,
                f"{appointment.length_minutes} minutes",
            ))
    return calendar.to_ical()


def person_calendar(name: str, appointments: Iterable[Appointment]) -> bytes:
    """A person's own appointments, with the practice and who they will see."""
    calendar = _calendar(name)
    for appointment in appointments:
        slot = appointment.slot
        who = str(slot.staff.practitioner) if slot.staff.practitioner else ""
        description = f"{appointment.length_minutes} minutes" + (f" with {who}" if who else "")
        calendar.add_component(_event(
            str(appointment.public_id), slot.start, appointment.length_minutes,
            f"{appointment.get_kind_display()} at {slot.practice.name}", slot.practice.name, description,
            cancelled=appointment.status == Appointment.Status.CANCELLED,
        ))
    return calendar.to_ical()
