"""Builders for recall tests: people on registers, past review rounds, staff and appointment slots."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ourplan.core.models import User
from ourplan.people import nhs_number
from ourplan.people.models import Organisation, Person, StaffMember
from ourplan.recall.cycle import do_close_cycle, do_start_cycle
from ourplan.recall.models import AppointmentKind, AppointmentSlot, CarePlanningCycle
from tests import factories as f

CODES = {"DM": "44054006", "HYP": "59621000", "AST": "195967001", "DEPR": "35489007", "CKD": "433144002",
         "COPD": "13645005", "CHD": "414545008"}
_numbers = itertools.count(1000)


def nhs() -> str:
    return nhs_number.generate(random.Random(next(_numbers)))


def on_registers(practice: Organisation, family: str, *registers: str, given: str = "Pat") -> Person:
    p = f.person(practice, given=given, family=family, nhs=nhs())
    for key in registers:
        f.condition(p, CODES[key])
    return p


def past_round(person: Person, months_ago: int, *, cancelled: bool = False) -> CarePlanningCycle:
    """A finished (or cancelled) round that started `months_ago` months ago."""
    cycle = do_start_cycle(None, person)
    do_close_cycle(None, cycle, cancelled=cancelled)
    started = timezone.now() - timedelta(days=round(months_ago * 30.5))
    CarePlanningCycle.objects.filter(pk=cycle.pk).update(created_at=started)
    cycle.refresh_from_db()
    return cycle


def staff_member(user: User) -> StaffMember:
    return StaffMember.objects.get(practitioner__user=user)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def slot(staff: StaffMember, start: datetime, kind: str = AppointmentKind.INFORMATION_GATHERING,
         length: int = 20) -> AppointmentSlot:
    return AppointmentSlot.objects.create(practice_id=staff.organisation_id, staff=staff, start=start,
                                          length_minutes=length, kind=kind)


def next_weekday(days_ahead: int = 1) -> date:
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
