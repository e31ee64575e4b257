"""The person's goals as support sees them: the goals in their current care plan, checking that a goal
named in a form belongs to that plan, the goal's own words for referrals, and which directory categories
fit a goal's category (for suggesting services)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import ValidationError

from ourplan.core.errors import ActionError
from ourplan.people.models import Person
from ourplan.planning.models import Goal, GoalCategory, LifecycleStatus
from ourplan.planning.models.plan import CURRENT_STATUSES
from ourplan.support.models import Category

# Goals nobody works towards any more: no referrals from them, no check-ins on them.
CLOSED = (LifecycleStatus.COMPLETED, LifecycleStatus.CANCELLED, LifecycleStatus.ENTERED_IN_ERROR,
          LifecycleStatus.REJECTED)

# The directory categories that can help with each kind of goal, most likely first.
DIRECTORY_CATEGORIES: dict[str, tuple[str, ...]] = {
    GoalCategory.SOCIAL: (Category.SOCIAL_CONNECTION, Category.PEER_SUPPORT),
    GoalCategory.WELLBEING: (Category.MENTAL_WELLBEING, Category.PEER_SUPPORT, Category.PHYSICAL_ACTIVITY),
    GoalCategory.HEALTH: (Category.CONDITION_EDUCATION, Category.PHYSICAL_ACTIVITY, Category.PEER_SUPPORT),
    GoalCategory.DAILY_LIVING: (Category.PRACTICAL_HELP, Category.MONEY_HOUSING, Category.CARERS),
    GoalCategory.WORK: (Category.MONEY_HOUSING, Category.PRACTICAL_HELP),
}


def open_goals(person: Person, *, for_person: bool = False) -> list[Goal]:
    """Goals in the person's current plan that are still being worked on. `for_person`: only if the plan
    is shared with the person (what they see on their own pages)."""
    goals = Goal.objects.filter(plan__person=person, plan__status__in=CURRENT_STATUSES).exclude(
        lifecycle_status__in=CLOSED)
    if for_person:
        goals = goals.filter(plan__shared_with_person=True)
    return list(goals.order_by("created_at", "id"))


def goal_in_plan(person: Person, goal_public_id: UUID | str, *, field: str = "goal",
                 for_person: bool = False) -> Goal:
    """The open goal with this id in the person's current plan, or an ActionError saying so."""
    message = f"That goal is not in {person.display_name}'s current care plan. Choose one of the goals listed"
    try:
        goal = next((g for g in open_goals(person, for_person=for_person)
                     if str(g.public_id) == str(UUID(str(goal_public_id)))), None)
    except (ValueError, ValidationError):
        goal = None
    if goal is None:
        raise ActionError(message, field=field)
    return goal


def words_by_id(person: Person, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    """The person's own words for each goal id (any plan of theirs, so closed goals still read right)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(Goal.objects.filter(plan__person=person, public_id__in=wanted)
                .values_list("public_id", "person_words"))


def directory_categories(goal: Goal) -> tuple[str, ...]:
    return DIRECTORY_CATEGORIES.get(goal.category, ())
