"""Appointment slots for the demo diary: four weeks of weekday clinics, so a demo user can book the
information-gathering visit and the conversation straight away. Written in bulk like the rest of the seed
(its one summary audit event covers them); slot times come from recall.booking so they match the form."""

from __future__ import annotations

from datetime import date, time, timedelta

from ourplan.people.models import Organisation, StaffMember
from ourplan.recall.booking import slot_starts
from ourplan.recall.models import AppointmentKind, AppointmentSlot

WEEKS = 4
# (role, kind, start, end, minutes): HCA mornings for tests and measurements, nurse afternoons for
# care planning conversations (30 minutes covers most suggested lengths).
CLINICS = (
    ("hca", AppointmentKind.INFORMATION_GATHERING, time(9, 0), time(12, 0), 20),
    ("clinician", AppointmentKind.CONVERSATION, time(14, 0), time(17, 0), 30),
)


def create_demo_slots(practice: Organisation, today: date) -> int:
    staff = {s.role: s for s in StaffMember.objects.filter(organisation=practice, active=True)}
    slots = []
    for offset in range(1, WEEKS * 7 + 1):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for role, kind, start, end, minutes in CLINICS:
            member = staff.get(role)
            if member is None:
                continue
            slots += [AppointmentSlot(practice=practice, staff=member, start=s, length_minutes=minutes, kind=kind)
                      for s in slot_starts(day, start, end, minutes)]
    AppointmentSlot.objects.bulk_create(slots)
    return len(slots)
