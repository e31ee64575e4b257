"""Whose figures a dashboard shows and over which period.

Two kinds of viewer:
- practice staff see the practices where they have an active role, person-level drill-downs included; the
  people come from people.access.people_for(user, {DIRECT_CARE}), so a drill-down can never list someone
  the user could not open;
- a commissioner (insight.CommissionerAccess) sees the practices recorded for them, as aggregates only. No
  person row ever leaves this app for them: figures are counts, small counts are suppressed (suppress.py).

Figures are always computed for every practice in reach, grouped by practice, and only then narrowed to the
practice chosen. Suppression has to see every practice at once, or a commissioner could subtract the
practices they can see from the "all practices" total to recover a suppressed cell.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from ourplan.core.decorators import refuse
from ourplan.core.models import AccessBasis
from ourplan.core.roles import staff_org_ids
from ourplan.people.access import people_counted_for, people_for
from ourplan.people.models import Organisation, Person

ALL = "all"
EARLIEST = date(2000, 1, 1)
MAX_SPAN_DAYS = 5 * 366  # a longer window than this is a mistake, and slow
COMMISSIONER_MONTHS = 24  # month ends a commissioner can choose from


# ---- commissioners ---------------------------------------------------------------------------------------


def commissioner_practices(user: Any) -> list[Organisation]:
    """The practices a commissioner sees (none for anyone else), read once per request."""
    cached = getattr(user, "_ourplan_commissioned", None)
    if cached is not None:
        return list(cached)
    practices: list[Organisation] = []
    if getattr(user, "is_authenticated", False) and user.is_active:
        practices = list(
            Organisation.objects.filter(commissioners__user=user, commissioners__active=True)
            .order_by("name", "pk").distinct()
        )
        user._ourplan_commissioned = practices
    return practices


def is_commissioner(user: Any) -> bool:
    """Whether this login is an active commissioner with at least one practice (for routing and navigation)."""
    return bool(commissioner_practices(user))


def commissioner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Commissioners' pages. Anyone else gets "not found", audited as a refusal, like staff pages for
    non-staff."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_commissioner(request.user):
            raise refuse(request)
        return view(request, *args, **kwargs)

    return wrapper


# ---- the period ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive upper bound)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def label(self) -> str:
        return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"

    def params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def default_period(today: date) -> Period:
    """The last 12 months, today included."""
    return Period(_months_back(today, 12) + timedelta(days=1), today)


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def staff_period(params: QueryDict | dict[str, str], today: date) -> tuple[Period, list[dict[str, str]]]:
    """The period from ?from=YYYY-MM-DD&to=YYYY-MM-DD, or the last 12 months. Invalid dates are reported
    (for the error summary) and the default is used instead, so the page always shows something true."""
    default = default_period(today)
    raw_from, raw_to = str(params.get("from", "") or ""), str(params.get("to", "") or "")
    if not raw_from and not raw_to:
        return default, []
    errors: list[dict[str, str]] = []
    start = _parse_date(raw_from) if raw_from else default.start
    end = _parse_date(raw_to) if raw_to else default.end
    if start is None:
        errors.append({"text": "Enter the start date as a real date, for example 2025-04-01", "href": "#from"})
    if end is None:
        errors.append({"text": "Enter the end date as a real date, for example 2026-03-31", "href": "#to"})
    if start is not None and end is not None:
        if end > today:
            errors.append({"text": "The end date must be today or in the past", "href": "#to"})
        elif start > end:
            errors.append({"text": "The start date must be on or before the end date", "href": "#from"})
        elif start < EARLIEST:
            errors.append({"text": f"The start date must be after {EARLIEST:%Y}", "href": "#from"})
        elif (end - start).days > MAX_SPAN_DAYS:
            errors.append({"text": "Choose a period of 5 years or less", "href": "#from"})
    if errors or start is None or end is None:
        return default, errors
    return Period(start, end), []


def month_choices(today: date) -> list[date]:
    """The month ends a commissioner can choose: the last complete month and the 23 before it."""
    last = today.replace(day=1) - timedelta(days=1)
    out = []
    for _ in range(COMMISSIONER_MONTHS):
        out.append(last)
        last = last.replace(day=1) - timedelta(days=1)
    return out


def commissioner_period(params: QueryDict | dict[str, str], today: date) -> tuple[Period, list[dict[str, str]]]:
    """Twelve whole calendar months ending with ?month=YYYY-MM (default: the last complete month).

    Commissioners choose from whole months only: with free dates, two overlapping periods a day apart
    would differ by that day's events, and their difference could recover a count the suppression hid."""
    choices = month_choices(today)
    raw = str(params.get("month", "") or "")
    errors: list[dict[str, str]] = []
    end = choices[0]
    if raw:
        picked = next((m for m in choices if m.strftime("%Y-%m") == raw.strip()), None)
        if picked is None:
            errors.append({"text": "Choose a month from the list", "href": "#month"})
        else:
            end = picked
    start = _months_back(end.replace(day=1), 11)
    return Period(start, end), errors


# ---- the scope -------------------------------------------------------------------------------------------


@dataclass
class Scope:
    """The practices in reach, the one chosen (None = all of them), and the people registered at them."""

    user: Any
    aggregate_only: bool
    practices: list[Organisation]
    chosen: Organisation | None
    people: QuerySet[Person]  # everyone at every practice in reach: figures group by practice
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def practice_ids(self) -> list[int]:
        return [p.pk for p in self.practices]

    @property
    def chosen_ids(self) -> list[int]:
        return [self.chosen.pk] if self.chosen else self.practice_ids

    @property
    def chosen_key(self) -> str:
        return str(self.chosen.public_id) if self.chosen else ALL

    @property
    def chosen_label(self) -> str:
        if self.chosen:
            return self.chosen.name
        return "All practices" if len(self.practices) > 1 else (self.practices[0].name if self.practices else "")

    @property
    def can_choose(self) -> bool:
        return len(self.practices) > 1

    def chosen_people(self) -> QuerySet[Person]:
        return self.people.filter(practice_id__in=self.chosen_ids)

    def params(self) -> dict[str, str]:
        return {"practice": self.chosen_key} if self.can_choose else {}


def _choose(practices: list[Organisation], raw: str) -> tuple[Organisation | None, list[dict[str, str]]]:
    if len(practices) == 1:
        return practices[0], []
    if not raw or raw == ALL:
        return None, []
    picked = next((p for p in practices if str(p.public_id) == raw), None)
    if picked is None:
        return None, [{"text": "Choose a practice from the list", "href": "#practice"}]
    return picked, []


def staff_scope(request: HttpRequest) -> Scope:
    """Staff: their practices, with people through people_for on the direct-care basis."""
    ids = staff_org_ids(request.user)
    practices = list(Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.GP_PRACTICE).order_by("name", "pk"))
    if not practices:
        # A staff role at an organisation that is not a GP practice (a clinic, a charity) has no register.
        raise refuse(request)
    chosen, errors = _choose(practices, str(request.GET.get("practice", "")))
    people = people_for(request.user, bases={AccessBasis.DIRECT_CARE}).filter(practice_id__in=[p.pk for p in practices])
    return Scope(request.user, False, practices, chosen, people, errors)


def commissioner_scope(request: HttpRequest) -> Scope:
    """Commissioners: their practices' people, for counting only. This queryset never reaches a template or
    an export: every function that receives it returns counts, means or medians, never rows."""
    practices = commissioner_practices(request.user)
    chosen, errors = _choose(practices, str(request.GET.get("practice", "")))
    people = people_counted_for(request.user).filter(practice_id__in=[p.pk for p in practices])
    return Scope(request.user, True, practices, chosen, people, errors)


__all__ = [
    "ALL", "Period", "Scope", "commissioner_period", "commissioner_practices", "commissioner_required",
    "commissioner_scope", "default_period", "is_commissioner", "month_choices", "staff_period", "staff_scope",
]
