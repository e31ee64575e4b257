"""CarePlan and Goal in the resource table.

Who sees a plan follows the website: a plan the care team has not shared with the person (on "My plan")
is not shown to the person or to those they share their record with; sensitive goals are shown only to
those who may see the person's sensitive sections, and a plan lists only the goals the caller may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from ourplan.api import out_planning
from ourplan.api.access import visible_people
from ourplan.api.auth import Caller
from ourplan.api.resource_type import (
    READ_INTERACTIONS,
    WRITE_INTERACTIONS,
    Link,
    ResourceType,
    choice_q,
)
from ourplan.api.search import SearchParam, common_params, date_q, reference_q, token
from ourplan.api.sensitivity import without_hidden
from ourplan.api.types_people import patient_param
from ourplan.core.models import AccessBasis
from ourplan.people.access import Grant, people_for
from ourplan.people.models import Person
from ourplan.planning.models import AchievementStatus, CarePlan, Goal, GoalAction, GoalCategory, LifecycleStatus
from ourplan.planning.models.plan import PlanStatus

PERSON_SIDE = (AccessBasis.SELF, AccessBasis.CONSENT)


def _person_side(caller: Caller) -> QuerySet[Person]:
    """People the caller sees as the person or someone they share with (who see "My plan", not the
    care team's view). System clients act for the practice: nobody."""
    if caller.context == "system" or caller.user is None:
        return Person.objects.none()
    return people_for(caller.user, PERSON_SIDE)


def _plans(caller: Caller) -> QuerySet[CarePlan]:
    return CarePlan.objects.filter(person__in=visible_people(caller)).exclude(
        Q(shared_with_person=False) & Q(person__in=_person_side(caller)))


def _goals(caller: Caller) -> QuerySet[Goal]:
    qs = Goal.objects.filter(plan__person__in=visible_people(caller)).exclude(
        Q(plan__shared_with_person=False) & Q(plan__person__in=_person_side(caller)))
    return without_hidden("Goal", qs, caller)


def _prepare_plans(caller: Caller, qs: QuerySet[CarePlan], sees_sensitive: bool | None) -> QuerySet[CarePlan]:
    from ourplan.coordination.models import Task

    goals = without_hidden("Goal", Goal.objects.all(), caller, sees_sensitive).prefetch_related(
        Prefetch("actions", queryset=GoalAction.objects.order_by("created_at", "id")))
    tasks = without_hidden("Task", Task.objects.all(), caller, sees_sensitive).order_by("created_at", "id")
    return qs.select_related("person__care_team", "agreed_with__practitioner", "review_responsible__practitioner",
                             "review_responsible__organisation").prefetch_related(
        Prefetch("goals", queryset=goals), Prefetch("tasks", queryset=tasks))


def _shared_with(caller: Caller, row: Any, grant: Grant) -> bool:
    """The row-level form of the unshared-plan rule in _plans and _goals."""
    plan = row if isinstance(row, CarePlan) else row.plan
    return bool(plan.shared_with_person) or grant.basis not in PERSON_SIDE


def _category(value: str) -> Q:
    from ourplan.api import extensions as X

    system, code = token(value)
    if system not in (None, "", X.GOAL_CATEGORY) or code not in GoalCategory.values:
        return Q(pk__in=[])
    return Q(category=code)


def _achievement(value: str) -> Q:
    system, code = token(value)
    if system not in (None, "", out_planning.GOAL_ACHIEVEMENT) or code not in AchievementStatus.values:
        return Q(pk__in=[])
    return Q(achievement_status=code)


def _goal_ref(column: str) -> Callable[[str], Q]:
    return reference_q(column, "Goal")


def _planning_types(create_plan: Any, create_goal: Any) -> tuple[ResourceType, ResourceType]:
    plan = ResourceType(
        "CarePlan", CarePlan, out_planning.care_plan, _plans, "person",
        common_params([
            patient_param("person__public_id", "Whose plan: Patient/<id>"),
            patient_param("person__public_id", "Whose plan: Patient/<id>", name="subject"),
            SearchParam("status", "token", "draft, active, on-hold, revoked, completed, entered-in-error",
                        choice_q("status", PlanStatus.values, "http://hl7.org/fhir/request-status")),
            SearchParam("intent", "token", "plan (every Ourplan plan)",
                        choice_q("intent", ("plan",), "http://hl7.org/fhir/request-intent")),
            SearchParam("date", "date", "When the plan was agreed (period start; prefixes eq, ne, lt, le, gt, ge)",
                        date_q("agreed_at", "date")),
            SearchParam("goal", "reference", "Plans with this goal: Goal/<id>", _goal_ref("goals__public_id")),
            SearchParam("care-team", "reference", "The person's care team: CareTeam/<id>",
                        reference_q("person__care_team__public_id", "CareTeam")),
        ]),
        sorts={"_lastUpdated": "updated_at", "date": "agreed_at"},
        interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, profile=out_planning.CAREPLAN_PROFILE,
        links=(Link("patient", "Patient", "person"), Link("subject", "Patient", "person"),
               Link("goal", "Goal", "goals"), Link("care-team", "CareTeam", "person__care_team")),
        prepare=_prepare_plans, permits=_shared_with, writer=create_plan,
    )
    goal = ResourceType(
        "Goal", Goal, out_planning.goal, _goals, "plan__person",
        common_params([
            patient_param("plan__person__public_id", "Whose goal: Patient/<id>"),
            patient_param("plan__person__public_id", "Whose goal: Patient/<id>", name="subject"),
            SearchParam("lifecycle-status", "token", "proposed, planned, accepted, active, on-hold, completed, "
                        "cancelled, entered-in-error, rejected",
                        choice_q("lifecycle_status", LifecycleStatus.values, "http://hl7.org/fhir/goal-status")),
            SearchParam("achievement-status", "token", "in-progress, improving, ... (goal-achievement)",
                        _achievement),
            SearchParam("category", "token", "health, daily-living, social, work, wellbeing", _category),
            SearchParam("target-date", "date", "The target date (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("target_date", "target-date", date_only=True)),
            SearchParam("start-date", "date", "When the goal was set (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("created_at", "start-date")),
        ]),
        sorts={"_lastUpdated": "updated_at", "target-date": "target_date", "start-date": "created_at"},
        interactions=READ_INTERACTIONS + WRITE_INTERACTIONS,
        select_related=("plan__person",), permits=_shared_with,
        links=(Link("patient", "Patient", "plan__person"), Link("subject", "Patient", "plan__person")),
        writer=create_goal,
    )
    return plan, goal


def types() -> tuple[ResourceType, ...]:
    from ourplan.api import writes_planning

    return _planning_types(writes_planning.CAREPLAN, writes_planning.GOAL)
