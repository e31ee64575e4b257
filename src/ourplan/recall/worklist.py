"""The recall worklist as ONE set-based query: people on at least one LTC register at the user's practices
who are due for their combined review, one row each however many conditions they have.

Due (rules and thresholds in recall.priority):
- no completed care planning round started in the last 12 months (cancelled rounds do not count), or
- high priority (a result far from target) and no completed round started in the last 6 months.
A person whose round is open stays on the list, marked as invited, so the list shows the whole recall
round; the "not yet invited" filter hides them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import QueryDict
from django.utils import timezone

from ourplan.clinical.models import Condition
from ourplan.clinical.terminology import REGISTERS
from ourplan.core.models import AccessBasis
from ourplan.people import nhs_number
from ourplan.people.access import people_for
from ourplan.people.models import Person
from ourplan.recall import priority
from ourplan.recall.models import CarePlanningCycle

# FHIR condition-clinical codes that mean the condition is current (Condition.is_active).
ACTIVE_STATUSES = ("active", "recurrence", "relapse")
PRIORITIES = {"high": "High", "routine": "Routine"}


@dataclass(frozen=True)
class Filters:
    """What the user asked the worklist to show. Built from the query string; unknown values are ignored
    rather than refused, so an old bookmark still opens."""

    query: str = ""
    register: str = ""
    priority: str = ""
    multimorbidity: bool = False
    not_invited: bool = False

    @classmethod
    def from_params(cls, params: QueryDict | dict[str, Any]) -> Filters:
        register = str(params.get("condition", ""))
        level = str(params.get("priority", ""))
        return cls(
            query=str(params.get("q", "")).strip()[:100],
            register=register if register in REGISTERS else "",
            priority=level if level in PRIORITIES else "",
            multimorbidity=str(params.get("multimorbidity", "")) in {"1", "on", "true"},
            not_invited=str(params.get("not_invited", "")) in {"1", "on", "true"},
        )

    def params(self) -> dict[str, str]:
        """The non-empty filters as query-string parameters (for paging links and hidden fields)."""
        out = {"q": self.query, "condition": self.register, "priority": self.priority,
               "multimorbidity": "1" if self.multimorbidity else "", "not_invited": "1" if self.not_invited else ""}
        return {k: v for k, v in out.items() if v}

    @property
    def any(self) -> bool:
        return bool(self.params())


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _active_register_conditions() -> QuerySet[Condition]:
    return Condition.objects.filter(clinical_status__in=ACTIVE_STATUSES).exclude(register="")


def due_people(user: Any, *, today: date | None = None) -> QuerySet[Person]:
    """Everyone due for review whom `user` may see for direct care, annotated with n_registers,
    last_review_at, invited_at (of the open round, if any), the latest values the priority rules use,
    and is_high (1 or 0)."""
    today = today or timezone.localdate()
    year_ago = _start_of(priority.months_before(today, priority.REVIEW_INTERVAL_MONTHS))
    high_cutoff = _start_of(priority.months_before(today, priority.HIGH_PRIORITY_MONTHS))
    register_conditions = _active_register_conditions().filter(person=OuterRef("pk"))
    completed = CarePlanningCycle.objects.filter(person=OuterRef("pk"), status=CarePlanningCycle.Status.COMPLETED)
    open_cycle = CarePlanningCycle.objects.filter(person=OuterRef("pk"), status=CarePlanningCycle.Status.OPEN)
    n_registers = (
        register_conditions.order_by().values("person")
        .annotate(n=Count("register", distinct=True)).values("n")[:1]
    )
    last_review = completed.order_by("-created_at").values("created_at")[:1]
    people = (
        people_for(user, bases={AccessBasis.DIRECT_CARE})
        .filter(Exists(register_conditions))
        .annotate(
            n_registers=Subquery(n_registers, output_field=IntegerField()),
            last_review_at=Subquery(last_review),
            invited_at=Subquery(open_cycle.values("invited_at")[:1]),
            has_open_cycle=Exists(open_cycle),
            **priority.latest_values(),
        )
        .annotate(
            is_high=Case(When(priority.high_priority_q(), then=Value(1)), default=Value(0),
                         output_field=IntegerField())
        )
    )
    return people.filter(
        Q(last_review_at__isnull=True)
        | Q(last_review_at__lt=year_ago)
        | (Q(is_high=1) & Q(last_review_at__lt=high_cutoff))
    )


def search(people: QuerySet[Person], query: str) -> QuerySet[Person]:
    """By NHS number (3 or more digits, spaces allowed) or by words of the name."""
    digits = nhs_number.normalise(query)
    if digits.isdigit() and len(digits) >= 3:
        return people.filter(nhs_number__startswith=digits)
    for word in query.split():
        people = people.filter(Q(family_name__icontains=word) | Q(given_name__icontains=word)
                               | Q(preferred_name__icontains=word))
    return people


def apply(people: QuerySet[Person], filters: Filters) -> QuerySet[Person]:
    if filters.query:
        people = search(people, filters.query)
    if filters.register:
        people = people.filter(Exists(_active_register_conditions().filter(
            person=OuterRef("pk"), register=filters.register)))
    if filters.priority:
        # Q objects because the type checker cannot see annotations (is_high, n_registers, invited_at).
        people = people.filter(Q(is_high=1 if filters.priority == "high" else 0))
    if filters.multimorbidity:
        people = people.filter(Q(n_registers__gte=2))
    if filters.not_invited:
        people = people.filter(Q(invited_at__isnull=True))
    return people


def worklist(user: Any, filters: Filters, *, today: date | None = None) -> QuerySet[Person]:
    """The filtered worklist in display order: high priority first, then the longest since review (never
    reviewed first), then by name."""
    return apply(due_people(user, today=today), filters).order_by(
        F("is_high").desc(), F("last_review_at").asc(nulls_first=True), "family_name", "given_name", "id"
    )


def with_registers(people: QuerySet[Person]) -> QuerySet[Person]:
    """Prefetch each person's active register conditions (one query for the page) as `register_conditions`."""
    return people.prefetch_related(
        Prefetch("conditions", queryset=_active_register_conditions().order_by("register"),
                 to_attr="register_conditions")
    )


@dataclass
class Row:
    """One worklist row, ready for the template."""

    person: Person
    registers: list[str]
    reasons: list[str] = field(default_factory=list)

    @property
    def is_high(self) -> bool:
        return bool(self.reasons)


def rows(people: list[Person]) -> list[Row]:
    """Rows for a page of people from due_people (already fetched): registers and plain-word reasons."""
    out = []
    for p in people:
        registers = sorted({c.register for c in getattr(p, "register_conditions", [])})
        values = {rule.field: getattr(p, rule.field, None) for rule in priority.RULES}
        out.append(Row(p, registers, priority.reasons(values)))
    return out
