"""What care planning achieves: results before and after the conversation, goal attainment, and the goals,
support and unmet needs that commissioners fund services from. Each function is a fixed number of
set-based queries grouped by practice (no query per person); the arithmetic is done in Python on the rows.

Before and after (for each person whose care planning conversation was held in the period, from their
first such conversation, the "index"):
- before: their latest result in the year up to the conversation (the information gathering results that
  went into it);
- after: their latest result from 91 days to 456 days (3 to 15 months) after it, and not in the future;
- only clinic, laboratory or imported results: home readings run lower and are not comparable.
The change is after minus before, per person; the mean change has a 95% confidence interval from the
t distribution of the paired differences (scipy.stats.t). Fewer than 5 pairs: no estimate.

This is observational. There is no comparison group, and people often come to a review when their results
are at their worst, so some improvement is expected anyway (regression to the mean).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from ourplan.clinical.models import Condition, Observation
from ourplan.people.models import Person
from ourplan.planning.models import Goal, LifecycleStatus
from ourplan.recall.models import CarePlanningCycle
from ourplan.review.models import GoalAttainment, PlanReview
from ourplan.support.models import Category, Referral, UnmetNeed

from .fidelity import ACTIVE_CONDITION
from .scope import Period

BEFORE_DAYS = 365
AFTER_FROM_DAYS = 91
AFTER_TO_DAYS = 456
MIN_PAIRS = 5  # fewer pairs than this and a mean or an interval says more about a person than a group
CONFIDENCE = 0.95
EVERYONE = ""  # the register key of the "everyone in care planning" row
NO_SERVICE = "__none__"


@dataclass(frozen=True)
class ChangeMeasure:
    key: str  # clinical.Observation.measure
    title: str
    unit: str
    lower_is_better: bool = True


CHANGE_MEASURES: tuple[ChangeMeasure, ...] = (
    ChangeMeasure("hba1c", "HbA1c", "mmol/mol"),
    ChangeMeasure("bp", "Systolic blood pressure", "mmHg"),
    ChangeMeasure("phq9", "PHQ-9 depression score", "points"),
)


@dataclass(frozen=True)
class Change:
    """Summary of paired before/after results for one group of people."""

    n: int
    before: float | None = None
    after: float | None = None
    change: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def estimated(self) -> bool:
        return self.change is not None


def summarise(pairs: list[tuple[float, float]]) -> Change:
    """Means and the 95% t-interval of the mean paired difference (after - before)."""
    # Imported here: scipy.stats takes a few hundred milliseconds to load, and only this function needs it.
    from scipy import stats

    n = len(pairs)
    if n < MIN_PAIRS:
        return Change(n)
    diffs = [after - before for before, after in pairs]
    mean = statistics.fmean(diffs)
    sd = statistics.stdev(diffs)
    if sd == 0:
        low = high = mean
    else:
        low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return Change(n, statistics.fmean(b for b, _ in pairs), statistics.fmean(a for _, a in pairs), mean,
                  float(low), float(high))


# ---- the cohort and its before/after pairs ---------------------------------------------------------------


def _held_in(people: QuerySet[Person], period: Period) -> QuerySet[CarePlanningCycle]:
    return CarePlanningCycle.objects.filter(person__in=people.values("pk"), conversation_held_at__gte=period.start_at,
                                            conversation_held_at__lt=period.end_at)


def cohort(people: QuerySet[Person], period: Period) -> dict[int, tuple[int, datetime]]:
    """person id -> (practice id, their first conversation in the period)."""
    out: dict[int, tuple[int, datetime]] = {}
    rows = _held_in(people, period).order_by().values_list("person_id", "person__practice_id", "conversation_held_at")
    for person_id, practice_id, held in rows:
        if held is None or practice_id is None:
            continue  # the query asks for held conversations; this keeps the type checker sure of it
        if person_id not in out or held < out[person_id][1]:
            out[person_id] = (practice_id, held)
    return out


def pairs(people: QuerySet[Person], period: Period, group: dict[int, tuple[int, datetime]],
          now: datetime | None = None) -> dict[str, dict[int, tuple[float, float]]]:
    """measure -> person id -> (before, after), for the people in `group` who have both (one query)."""
    now = now or timezone.now()
    out: dict[str, dict[int, tuple[float, float]]] = {m.key: {} for m in CHANGE_MEASURES}
    if not group:
        return out
    earliest = min(at for _, at in group.values()) - timedelta(days=BEFORE_DAYS)
    rows = (Observation.objects.filter(person__in=_held_in(people, period).values("person_id"),
                                       measure__in=[m.key for m in CHANGE_MEASURES], value__isnull=False,
                                       effective_at__gte=earliest, effective_at__lte=now)
            .exclude(source=Observation.Source.HOME).order_by()
            .values_list("person_id", "measure", "effective_at", "value"))
    before: dict[tuple[str, int], tuple[datetime, Decimal]] = {}
    after: dict[tuple[str, int], tuple[datetime, Decimal]] = {}
    for person_id, measure, at, value in rows:
        if person_id not in group or value is None:
            continue
        index = group[person_id][1]
        key = (measure, person_id)
        if index - timedelta(days=BEFORE_DAYS) <= at <= index:
            if key not in before or at > before[key][0]:
                before[key] = (at, value)
        elif (index + timedelta(days=AFTER_FROM_DAYS) <= at <= index + timedelta(days=AFTER_TO_DAYS)
              and (key not in after or at > after[key][0])):
            after[key] = (at, value)
    for key, (_, b) in before.items():
        if key in after:
            out[key[0]][key[1]] = (float(b), float(after[key][1]))
    return out


def registers_of(people: QuerySet[Person], period: Period) -> dict[int, set[str]]:
    """The active registers of everyone whose conversation was held in the period (one query)."""
    out: dict[int, set[str]] = defaultdict(set)
    rows = (Condition.objects.filter(person__in=_held_in(people, period).values("person_id"),
                                     clinical_status__in=ACTIVE_CONDITION).exclude(register="")
            .order_by().values_list("person_id", "register").distinct())
    for person_id, register in rows:
        out[person_id].add(register)
    return out


def change_groups(people: QuerySet[Person], period: Period, now: datetime | None = None
                  ) -> dict[tuple[str, str], dict[int, list[tuple[float, float]]]]:
    """(measure, register or EVERYONE) -> practice id -> the before/after pairs of its people."""
    group = cohort(people, period)
    by_measure = pairs(people, period, group, now)
    registers = registers_of(people, period)
    out: dict[tuple[str, str], dict[int, list[tuple[float, float]]]] = {}
    for m in CHANGE_MEASURES:
        out[(m.key, EVERYONE)] = defaultdict(list)
        for person_id, pair in sorted(by_measure[m.key].items()):
            practice = group[person_id][0]
            out[(m.key, EVERYONE)][practice].append(pair)
            for register in registers.get(person_id, ()):
                out.setdefault((m.key, register), defaultdict(list))[practice].append(pair)
    return out


# ---- goal attainment -------------------------------------------------------------------------------------


def _reviews(people: QuerySet[Person], period: Period) -> QuerySet[PlanReview]:
    return PlanReview.objects.filter(person__in=people.values("pk"), completed=True, held_at__gte=period.start_at,
                                     held_at__lt=period.end_at)


def attainment_levels(people: QuerySet[Person], period: Period) -> dict[int, dict[int, int]]:
    """GAS level (-2..+2) -> practice id -> goals scored at that level at reviews in the period."""
    rows = (GoalAttainment.objects.filter(review__in=_reviews(people, period)).order_by()
            .values("level", practice=F("review__person__practice_id")).annotate(n=Count("pk")))
    out: dict[int, dict[int, int]] = {level: {} for level in (-2, -1, 0, 1, 2)}
    for r in rows:
        out[r["level"]][r["practice"]] = r["n"]
    return out


def attainment_decisions(people: QuerySet[Person], period: Period) -> dict[str, dict[int, int]]:
    rows = (GoalAttainment.objects.filter(review__in=_reviews(people, period)).order_by()
            .values("decision", practice=F("review__person__practice_id")).annotate(n=Count("pk")))
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for r in rows:
        out[r["decision"]][r["practice"]] = r["n"]
    return out


T_BANDS: tuple[tuple[str, float, float], ...] = (
    ("Below 40", -math.inf, 40), ("40 to 44.9", 40, 45), ("45 to 49.9", 45, 50), ("50 (as expected) to 54.9", 50, 55),
    ("55 to 59.9", 55, 60), ("60 and above", 60, math.inf),
)


def t_scores(people: QuerySet[Person], period: Period) -> list[tuple[int, float]]:
    """(practice id, T-score) of every completed review in the period that scored goals (one query)."""
    return [(p, float(t)) for p, t in _reviews(people, period).filter(t_score__isnull=False).order_by()
            .values_list("person__practice_id", "t_score") if p is not None and t is not None]


def t_bands(scores: list[tuple[int, float]]) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {label: defaultdict(int) for label, _, _ in T_BANDS}
    for practice, t in scores:
        label = next(label for label, low, high in T_BANDS if low <= t < high)
        out[label][practice] += 1
    return {k: dict(v) for k, v in out.items()}


# ---- what people want and need ----------------------------------------------------------------------------


def goal_categories(people: QuerySet[Person], period: Period) -> dict[str, dict[int, int]]:
    """Goal category -> practice id -> goals set in the period."""
    rows = (Goal.objects.filter(plan__person__in=people.values("pk"), created_at__gte=period.start_at,
                                created_at__lt=period.end_at)
            .exclude(lifecycle_status=LifecycleStatus.ENTERED_IN_ERROR).order_by()
            .values("category", practice=F("plan__person__practice_id")).annotate(n=Count("pk")))
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for r in rows:
        out[r["category"]][r["practice"]] = r["n"]
    return out


def support_needs(people: QuerySet[Person], period: Period) -> dict[str, dict[int, int]]:
    """Service category (or NO_SERVICE for a named professional outside the directory) -> practice id ->
    referrals and signposting in the period. A service in several categories counts in each, so the rows do
    not add up to the number of referrals."""
    padded = Concat(Value(" "), "service__category_codes", Value(" "))
    counts = {c.value: Count("pk", filter=Q(codes__contains=f" {c.value} ")) for c in Category}
    rows = (Referral.objects.filter(person__in=people.values("pk"), sent_at__gte=period.start_at,
                                    sent_at__lt=period.end_at)
            .annotate(codes=padded).order_by().values(practice=F("person__practice_id"))
            .annotate(**counts, **{NO_SERVICE: Count("pk", filter=Q(service__isnull=True))}))
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for r in rows:
        for key in [*counts, NO_SERVICE]:
            out[key][r["practice"]] = r[key]
    return out


def unmet_needs(people: QuerySet[Person], period: Period) -> dict[str, dict[int, int]]:
    """Need category -> practice id -> needs recorded in the period where no service fitted. Needs recorded
    without a person (an area's need) belong to no practice and are not counted here."""
    rows = (UnmetNeed.objects.filter(person__in=people.values("pk"), created_at__gte=period.start_at,
                                     created_at__lt=period.end_at).order_by()
            .values("category", practice=F("person__practice_id")).annotate(n=Count("pk")))
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for r in rows:
        out[r["category"]][r["practice"]] = r["n"]
    return out


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


__all__ = [
    "CHANGE_MEASURES", "EVERYONE", "MIN_PAIRS", "NO_SERVICE", "T_BANDS", "Change", "ChangeMeasure",
    "attainment_decisions", "attainment_levels", "change_groups", "cohort", "goal_categories", "median_or_none",
    "pairs", "registers_of", "summarise", "support_needs", "t_bands", "t_scores", "unmet_needs",
]
