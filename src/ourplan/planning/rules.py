"""Checks on goals, actions, contingency plans and agreeing a plan. Each raises ActionError naming the
field, so forms show the message beside it. Kept apart from actions.py so each rule is testable alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ourplan.clinical.terminology import MEASURES, REGISTERS
from ourplan.core.errors import ActionError
from ourplan.planning.models import ContingencyPlan, GoalAction, LifecycleStatus
from ourplan.planning.models.plan import COMPARATORS, GAS_LEVELS

CONFIDENCE_PROMPT_BELOW = 7
# Achievement is only assessed once the goal has been taken on; a proposed goal has nothing to measure.
NOT_YET_ASSESSABLE = {LifecycleStatus.PROPOSED, LifecycleStatus.REJECTED, LifecycleStatus.ENTERED_IN_ERROR}


def asks_what_would_make_it_seven(confidence: int | None) -> bool:
    """Motivational interviewing: below 7 out of 10, ask what would raise it to a 7 (not to a 10)."""
    return confidence is not None and confidence < CONFIDENCE_PROMPT_BELOW


def _strip(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def clean_goal(fields: dict[str, Any], *, today: date, is_new: bool, old_target_date: date | None = None
               ) -> dict[str, Any]:
    f = _strip(fields)
    if "person_words" in f and not f["person_words"]:
        raise ActionError("Write the goal in the person's own words", field="person_words")
    for name in ("importance", "confidence"):
        value = f.get(name)
        if value is not None and not 0 <= int(value) <= 10:
            raise ActionError(f"{name.title()} must be a number from 0 to 10", field=name)
    unknown = [k for k in f.get("registers") or [] if k not in REGISTERS]
    if unknown:
        raise ActionError("Choose conditions from the list", field="registers")
    measure, comparator, value = f.get("measure", ""), f.get("comparator", ""), f.get("target_value")
    if measure:
        if measure not in MEASURES:
            raise ActionError("Choose a measure from the list", field="measure")
        if comparator not in COMPARATORS:
            raise ActionError("Choose how the result should compare with the target", field="comparator")
        if value is None:
            raise ActionError("Enter the target value", field="target_value")
        low, high = MEASURES[measure].plausible
        if not low <= Decimal(value) <= high:
            raise ActionError(f"The target must be between {low} and {high} {MEASURES[measure].unit_label}",
                              field="target_value")
    elif comparator or value is not None:
        raise ActionError("Choose the measure this target is for", field="measure")
    target_date = f.get("target_date")
    if target_date is not None and target_date < today and (is_new or target_date != old_target_date):
        raise ActionError("The target date must be today or later", field="target_date")
    lifecycle = f.get("lifecycle_status")
    if f.get("achievement_status") and lifecycle in NOT_YET_ASSESSABLE:
        raise ActionError("Agree the goal (make it active) before recording how it is going",
                          field="achievement_status")
    gas = [f.get(level, "") for level in GAS_LEVELS]
    if any(gas) and not f.get("gas_zero"):
        raise ActionError("Describe the expected outcome (level 0) when using goal attainment levels",
                          field="gas_zero")
    return f


def clean_action(fields: dict[str, Any]) -> dict[str, Any]:
    f = _strip(fields)
    if "what" in f and not f["what"]:
        raise ActionError("Say what will be done", field="what")
    kind = f.get("helper_kind")
    if kind in (GoalAction.HelperKind.PROFESSIONAL, GoalAction.HelperKind.SERVICE) and not f.get("who_helps"):
        raise ActionError("Name the professional or service who will help", field="who_helps")
    if kind == GoalAction.HelperKind.CARER and not f.get("who_helps"):
        raise ActionError("Name the carer, family member or friend who will help", field="who_helps")
    return f


def action_lines(text: str) -> list[str]:
    return [line.strip(" -*\t") for line in (text or "").splitlines() if line.strip(" -*\t")]


def clean_contingency(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    f = _strip(fields)
    if "title" in f and not f["title"]:
        raise ActionError("Give this plan a title", field="title")
    if kind == ContingencyPlan.Kind.ASTHMA:
        best = f.get("personal_best")
        if best is None:
            raise ActionError("Enter the personal best peak flow", field="personal_best")
        if not 50 <= int(best) <= 900:
            raise ActionError("Personal best peak flow must be between 50 and 900 L/min", field="personal_best")
        for name, zone in (("amber_actions", "amber"), ("red_actions", "red")):
            lines = action_lines(f.get(name, ""))
            if not 2 <= len(lines) <= 4:
                raise ActionError(f"Write 2 to 4 action points for the {zone} zone, one per line", field=name)
        if "999" not in f.get("urgent_help", ""):
            raise ActionError("Say when to call 999 for urgent help", field="urgent_help")
    if kind == ContingencyPlan.Kind.COPD:
        if not f.get("rescue_when"):
            raise ActionError("Say when to start the rescue pack", field="rescue_when")
        if not f.get("rescue_contents"):
            raise ActionError("Say what the rescue pack contains", field="rescue_contents")
        if not f.get("rescue_tell"):
            raise ActionError("Say who to tell when the rescue pack is started", field="rescue_tell")
    if kind in (ContingencyPlan.Kind.GENERAL, ContingencyPlan.Kind.MENTAL_HEALTH) and not (
            f.get("triggers") and f.get("what_to_do")):
        raise ActionError("Say what would trigger this plan and what to do", field="triggers")
    return f


def clean_decision(fields: dict[str, Any]) -> dict[str, Any]:
    """A shared decision: the question is required; an aid must be approved; an agreed decision (or an
    agreement to disagree) says what was decided or each side's view."""
    from ourplan.planning.models import Decision

    f = _strip(fields)
    if "question" in f and not f["question"]:
        raise ActionError("Write the question being decided", field="question")
    aid = f.get("aid")
    if aid is not None and (aid.approved_at is None or aid.retired):
        raise ActionError("Only approved decision aids can be used", field="aid")
    considered = f.get("options_considered") or []
    if aid is not None and any(name not in aid.option_names for name in considered):
        raise ActionError("Choose options from the decision aid", field="options_considered")
    status = f.get("status", Decision.Status.OPEN)
    if status == Decision.Status.AGREED and not f.get("decision"):
        raise ActionError("Write down what was decided", field="decision")
    if status == Decision.Status.DISAGREE and not f.get("decision"):
        raise ActionError("Write down each side's view, so the next visit can pick it up", field="decision")
    return f


def clean_budget(fields: dict[str, Any]) -> dict[str, Any]:
    for name in ("indicative_allocation", "spend_to_date"):
        value = fields.get(name)
        if value is not None and value < 0:
            raise ActionError("Amounts cannot be negative", field=name)
    return dict(fields)


def clean_budget_item(fields: dict[str, Any], plan_id: int) -> dict[str, Any]:
    f = _strip(fields)
    if not f.get("description"):
        raise ActionError("Say what the money is for", field="description")
    amount = f.get("amount")
    if amount is None or amount <= 0:
        raise ActionError("Enter an amount above zero", field="amount")
    goal = f.get("goal")
    if goal is not None and goal.plan_id != plan_id:
        raise ActionError("Choose a goal from this plan", field="goal")
    return f
