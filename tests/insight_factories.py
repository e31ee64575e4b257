"""Builders for insight tests: rounds with chosen stage times, plans with goals written in different ways,
reviews and questionnaire responses, written directly so each test controls exactly what a figure sees."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from ourplan.clinical.questionnaires import COLLABORATE, score_scale
from ourplan.core.models import User
from ourplan.insight.models import CommissionerAccess
from ourplan.people.models import Organisation, Person
from ourplan.planning.models import CarePlan, Goal, PlanStatus, PlanVersion
from ourplan.recall.models import CarePlanningCycle, QuestionnaireResponse
from ourplan.review.models import GoalAttainment, PlanReview, ReviewKind
from tests import factories as f


def ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def round_for(person: Person, *, status: str = "completed", review_due: date | None = None,
              **stages_days_ago: float | None) -> CarePlanningCycle:
    """A round with each given stage `n` days ago, e.g. round_for(p, invited=40, conversation_held=10)."""
    fields: dict[str, Any] = {f"{stage}_at": ago(days) for stage, days in stages_days_ago.items() if days is not None}
    return CarePlanningCycle.objects.create(person=person, practice_id=person.practice_id, status=status,
                                            review_due=review_due, **fields)


def plan_for(person: Person, *, agreed_days_ago: float | None = None) -> CarePlan:
    return CarePlan.objects.create(person=person, status=PlanStatus.ACTIVE,
                                   agreed_at=ago(agreed_days_ago) if agreed_days_ago is not None else None)


def goal(plan: CarePlan, words: str, *, translation: str = "", days_ago: float = 30, **extra: Any) -> Goal:
    return Goal.objects.create(plan=plan, person_words=words, clinical_translation=translation,
                               created_at=ago(days_ago), **extra)


def version(plan: CarePlan, number: int, *, kind: str, changed: list[str], days_ago: float) -> PlanVersion:
    return PlanVersion.objects.create(plan=plan, number=number, author_label="x", author_kind=kind,
                                      summary="change", changed=changed, snapshot={}, at=ago(days_ago))


def review(person: Person, plan: CarePlan, *, days_ago: float, kind: str = ReviewKind.FORMAL,
           completed: bool = True, levels: list[tuple[Goal, int]] | None = None,
           t_score: float | None = None) -> PlanReview:
    r = PlanReview.objects.create(person=person, plan=plan, kind=kind, held_at=ago(days_ago), completed=completed,
                                  t_score=t_score)
    for g, level in levels or []:
        GoalAttainment.objects.create(review=r, goal=g, level=level)
    return r


def collaborate(person: Person, answers: list[int | None], *, days_ago: float = 5) -> QuestionnaireResponse:
    result = score_scale(COLLABORATE, answers)
    return QuestionnaireResponse.objects.create(
        person=person, questionnaire=COLLABORATE.key, answers=answers, total=result.total, score=result.mean,
        band=result.band, authored_at=ago(days_ago))


def commissioner(username: str, *practices: Organisation, active: bool = True) -> User:
    user = f.user(username, "Chris", "Morgan")
    access = CommissionerAccess.objects.create(user=user, active=active, body="Test ICB")
    access.organisations.add(*practices)
    return user
