"""Reading a person's progress: questionnaire scores for staff, and the person's "How I'm doing" page (goals
achieved over time, measures against targets, goal attainment at reviews, self-efficacy, and what changed
since the last agreed plan, in plain words). Read-only; a fixed number of queries per page."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from markupsafe import Markup

from ourplan.clinical import charts
from ourplan.clinical.questionnaires import QUESTIONNAIRES, SCALES, SEMCD6
from ourplan.clinical.results import MeasureSummary, overview
from ourplan.clinical.sensitivity import (
    SENSITIVE_CONTINGENCY_KINDS,
    is_sensitive_measure,
    sensitive_questionnaire_q,
)
from ourplan.clinical.terminology import MEASURES
from ourplan.people.models import Person
from ourplan.planning.models import AchievementStatus, Goal, LifecycleStatus, PlanVersion
from ourplan.planning.models.plan import ABOUT_ME_FIELDS, COMPARATORS
from ourplan.recall.models import QuestionnaireResponse
from ourplan.review import gas
from ourplan.review.models import GoalAttainment, GoalDecision, PlanReview

MAX_VERSIONS_SCANNED = 500
NAMES: dict[str, str] = {**{k: q.name for k, q in QUESTIONNAIRES.items()}, **{k: s.name for k, s in SCALES.items()}}
_OPS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "=": operator.eq}


# ---- staff ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseRow:
    response: QuestionnaireResponse
    name: str

    @property
    def result(self) -> str:
        r = self.response
        if r.questionnaire == SEMCD6.key:
            return f"{r.score} out of 10" if r.score is not None else "Not scored (too few answers)"
        if r.questionnaire in SCALES:
            return f"{r.band}, mean {r.score} out of 9 (total {r.total} of 27)"
        return f"{r.total}: {r.band.lower()}"


def _responses(person: Person, sensitive: bool) -> QuerySet[QuestionnaireResponse]:
    rows = QuestionnaireResponse.objects.filter(person=person)
    return rows if sensitive else rows.exclude(sensitive_questionnaire_q())


def staff_responses(person: Person, *, sensitive: bool, limit: int = 30) -> list[ResponseRow]:
    """The person's questionnaires, newest first; mood and anxiety ones only for readers of the sensitive
    sections (practice admin staff see self-efficacy and collaboRATE only)."""
    rows = _responses(person, sensitive).select_related("recorded_by").order_by("-authored_at")
    return [ResponseRow(r, NAMES.get(r.questionnaire, r.questionnaire)) for r in rows[:limit]]


def latest_responses(person: Person, *, sensitive: bool) -> list[ResponseRow]:
    """The newest response to each questionnaire, in a fixed order (one query)."""
    seen: dict[str, QuestionnaireResponse] = {}
    for r in _responses(person, sensitive).order_by("-authored_at")[:200]:
        seen.setdefault(r.questionnaire, r)
    return [ResponseRow(seen[k], NAMES[k]) for k in NAMES if k in seen]


def last_answered(person: Person, keys: Iterable[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for key, at in (QuestionnaireResponse.objects.filter(person=person, questionnaire__in=list(keys))
                    .order_by("-authored_at").values_list("questionnaire", "authored_at")[:200]):
        found.setdefault(key, at)
    return found


# ---- the person: "How I'm doing" --------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalTarget:
    goal: Goal
    text: str
    latest: str
    met: bool | None


@dataclass
class Doing:
    achieved: list[tuple[Goal, date]] = field(default_factory=list)
    active_goals: int = 0
    results: list[MeasureSummary] = field(default_factory=list)
    goal_targets: list[GoalTarget] = field(default_factory=list)
    reviews: list[PlanReview] = field(default_factory=list)
    self_efficacy: list[QuestionnaireResponse] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    changes_since: date | None = None
    chart_data: Markup = field(default_factory=lambda: Markup("{}"))

    def describe(self, t: Decimal) -> str:
        return gas.describe(t)


def _achieved(person: Person, sensitive: bool) -> list[tuple[Goal, date]]:
    """Goals achieved, each dated by the review that decided it, else by its last change."""
    goals = Goal.objects.filter(plan__person=person, achievement_status=AchievementStatus.ACHIEVED)
    if not sensitive:
        goals = goals.filter(sensitive=False)
    decided: dict[int, datetime] = {}
    for goal_id, held_at in (PlanReview.objects.filter(person=person, completed=True,
                                                       attainments__decision=GoalDecision.ACHIEVED)
                             .values_list("attainments__goal_id", "held_at")):
        decided.setdefault(goal_id, held_at)
    rows = [(g, timezone.localtime(decided.get(g.pk, g.updated_at)).date()) for g in goals]
    return sorted(rows, key=lambda row: row[1])


def _goal_targets(person: Person, summaries: dict[str, MeasureSummary], sensitive: bool) -> list[GoalTarget]:
    goals = Goal.objects.filter(plan__person=person, measure__gt="", target_value__isnull=False,
                                lifecycle_status__in=(LifecycleStatus.ACTIVE, LifecycleStatus.ACCEPTED,
                                                      LifecycleStatus.PLANNED, LifecycleStatus.ON_HOLD))
    if not sensitive:
        goals = goals.filter(sensitive=False)
    out = []
    for g in goals:
        if not sensitive and is_sensitive_measure(g.measure):
            continue
        m = MEASURES[g.measure]
        summary = summaries.get(g.measure)
        latest = summary.latest.value if summary else None
        target = g.target_value
        assert target is not None  # filtered above
        met = _OPS[g.comparator or "="](latest, target) if latest is not None else None
        text = f"{m.plain} {COMPARATORS.get(g.comparator or '=', '')} {target.normalize():f} {m.unit_label}"
        out.append(GoalTarget(g, text.strip(), f"{summary.fmt(summary.latest)} {m.unit_label}" if summary else "", met))
    return out


def _series(label: str, unit: str, points: list[dict[str, object]]) -> dict[str, Any]:
    # The same shape as clinical.charts.chart_payload, so static/ourplan/charts.js draws these too.
    return {"label": label, "unit": unit, "paired": False, "points": points, "target": None, "target2": None,
            "targetText": None}


def _charts(results_payload: Markup, doing: Doing) -> Markup:
    data = orjson.loads(str(results_payload))
    if doing.achieved:
        points: list[dict[str, object]] = [
            {"t": d.isoformat(), "y": n, "y2": None} for n, (_, d) in enumerate(doing.achieved, start=1)]
        data["goals-achieved"] = _series("Goals achieved so far", "goals", points)
    scored = [r for r in doing.reviews if r.t_score is not None]
    if scored:
        data["goal-attainment"] = _series("Goal attainment score (50 is as expected)", "score", [
            {"t": timezone.localtime(r.held_at).date().isoformat(), "y": float(r.t_score or 0), "y2": None}
            for r in scored])
    if doing.self_efficacy:
        data["self-efficacy"] = _series("How sure you feel about managing your health (1 to 10)", "out of 10", [
            {"t": timezone.localtime(r.authored_at).date().isoformat(), "y": float(r.score or 0), "y2": None}
            for r in doing.self_efficacy])
    return Markup(orjson.dumps(data).decode().replace("<", "\\u003c"))  # noqa: S704 - our numbers, "<" escaped


def _without_sensitive_goals(reviews: list[PlanReview]) -> None:
    """Recompute each review's T-score from the goals this viewer may see: a score that folds in a hidden
    goal would leak how that goal went."""
    rows = GoalAttainment.objects.filter(review__in=reviews, goal__sensitive=False).values_list(
        "review_id", "level", "weight")
    by_review: dict[int, list[tuple[int, int]]] = {}
    for review_id, level, weight in rows:
        by_review.setdefault(review_id, []).append((level, weight))
    for review in reviews:
        scored = by_review.get(review.pk)
        review.t_score = gas.t_score_decimal(scored) if scored else None


def how_im_doing(person: Person, *, sensitive: bool) -> Doing:
    results = overview(person)
    if not sensitive:
        results.summaries = [s for s in results.summaries if not is_sensitive_measure(s.key)]
    doing = Doing(results=results.summaries)
    doing.achieved = _achieved(person, sensitive)
    active = Goal.objects.filter(plan__person=person, lifecycle_status=LifecycleStatus.ACTIVE)
    doing.active_goals = (active if sensitive else active.filter(sensitive=False)).count()
    doing.goal_targets = _goal_targets(person, {s.key: s for s in results.summaries}, sensitive)
    doing.reviews = list(PlanReview.objects.filter(person=person, completed=True).order_by("held_at"))
    if not sensitive:
        _without_sensitive_goals(doing.reviews)
    doing.self_efficacy = list(QuestionnaireResponse.objects.filter(
        person=person, questionnaire=SEMCD6.key, score__isnull=False).order_by("authored_at"))
    doing.changes, doing.changes_since = plan_changes(person, sensitive=sensitive)
    doing.chart_data = _charts(charts.chart_payload(results), doing)
    return doing


# ---- what changed since the last plan ----------------------------------------------------------------------


def _agreed_versions(person: Person) -> tuple[PlanVersion | None, PlanVersion | None]:
    """(the plan as last agreed before this one, the plan now). The person's "last plan" is the previous
    agreement when there have been two; with one agreement, changes since it was agreed are shown."""
    latest = (PlanVersion.objects.filter(plan__person=person, plan__status__in=("active", "draft", "on-hold"))
              .order_by("-number").first())
    if latest is None:
        return None, None
    rows = list(PlanVersion.objects.filter(plan_id=latest.plan_id).order_by("-number")
                .values_list("number", "changed")[:MAX_VERSIONS_SCANNED])
    agreed = [number for number, changed in rows if "plan.agreed_at" in (changed or [])]
    if not agreed:
        return None, latest
    base_number = agreed[1] if len(agreed) > 1 else agreed[0]
    base = PlanVersion.objects.filter(plan_id=latest.plan_id, number=base_number).first()
    return base, latest


def _words(text: str) -> str:
    text = (text or "").strip()
    return f"\u201c{text[:120]}{'...' if len(text) > 120 else ''}\u201d"


def plan_changes(person: Person, *, sensitive: bool) -> tuple[list[str], date | None]:
    """Plain sentences for what changed between the last agreed plan and the plan now."""
    base, latest = _agreed_versions(person)
    if base is None or latest is None or base.number == latest.number:
        return [], timezone.localtime(base.at).date() if base else None
    hidden = set() if sensitive else {str(p) for p in Goal.objects.filter(plan_id=latest.plan_id, sensitive=True)
                                      .values_list("public_id", flat=True)}
    before, after = base.snapshot, latest.snapshot
    old_goals = {g["public_id"]: g for g in before.get("goals", [])}
    out: list[str] = []
    for g in after.get("goals", []):
        if g["public_id"] in hidden:
            continue
        old = old_goals.get(g["public_id"])
        if old is None:
            out.append(f"New goal: {_words(g['person_words'])}")
            continue
        if g.get("achievement_status") == "achieved" and old.get("achievement_status") != "achieved":
            out.append(f"Goal achieved: {_words(g['person_words'])}")
        elif g.get("lifecycle_status") == "cancelled" and old.get("lifecycle_status") != "cancelled":
            out.append(f"Goal stopped: {_words(g['person_words'])}")
        elif g.get("person_words") != old.get("person_words"):
            out.append(f"Goal changed: {_words(g['person_words'])}")
        if g.get("target") and g.get("target") != old.get("target"):
            out.append(f"New target for {_words(g['person_words'])}: {g['target']}")
    for name, (_, heading) in ABOUT_ME_FIELDS.items():
        if (after.get("about", {}).get(name) or "") != (before.get("about", {}).get(name) or ""):
            out.append(f"\u201c{heading}\u201d was updated")
    old_contingencies = {c["public_id"] for c in before.get("contingencies", [])}
    for c in after.get("contingencies", []):
        if c["public_id"] not in old_contingencies and (sensitive or c.get("kind") not in SENSITIVE_CONTINGENCY_KINDS):
            out.append(f"New plan for if things get worse: {c.get('title') or c.get('kind_label', '')}")
    new_review = parse_date(after.get("plan", {}).get("review_date") or "")
    if new_review and after.get("plan", {}).get("review_date") != before.get("plan", {}).get("review_date"):
        out.append(f"Next review: by {date_format(new_review, 'j F Y')}")
    return out, timezone.localtime(base.at).date()
