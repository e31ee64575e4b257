"""Planning models, split by topic: the plan and its versions, goals and actions, contingency plans and
the clinician's conversation notes."""

from ourplan.planning.models.budget import BudgetItem, PersonalBudget
from ourplan.planning.models.conversation import ConversationNote
from ourplan.planning.models.decisions import Decision, DecisionAid, DecisionNote
from ourplan.planning.models.plan import (
    AchievementStatus,
    CarePlan,
    ContingencyPlan,
    Goal,
    GoalAction,
    GoalCategory,
    LifecycleStatus,
    PlanStatus,
    PlanVersion,
)

__all__ = [
    "AchievementStatus",
    "BudgetItem",
    "CarePlan",
    "ContingencyPlan",
    "ConversationNote",
    "Decision",
    "DecisionAid",
    "DecisionNote",
    "Goal",
    "GoalAction",
    "GoalCategory",
    "LifecycleStatus",
    "PersonalBudget",
    "PlanStatus",
    "PlanVersion",
]
