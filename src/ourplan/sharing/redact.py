"""Removing the sensitive sections from what someone sees when the person has not shared them: one
function per shape of data, used by every page, PDF and fragment that shows them. people.access decides
WHO sees sensitive sections; clinical.sensitivity says WHAT is sensitive; this applies it."""

from __future__ import annotations

from typing import Any

from ourplan.clinical.results import ResultsOverview
from ourplan.clinical.sensitivity import (
    SENSITIVE_CONTINGENCY_KINDS,
    is_sensitive_condition,
    is_sensitive_goal,
    is_sensitive_measure,
    is_sensitive_register,
)


def plan(data: dict[str, Any] | None, sees_sensitive: bool) -> dict[str, Any] | None:
    """A plan snapshot (as planning.snapshot builds it) without sensitive goals, their budget lines, and
    mental-health crisis plans."""
    if data is None or sees_sensitive:
        return data
    def hidden_goal(g: dict[str, Any]) -> bool:
        return is_sensitive_goal(bool(g.get("sensitive")), g.get("measure") or "", g.get("registers"))

    goals = [g for g in data.get("goals", []) if not hidden_goal(g)]
    hidden = {g["public_id"] for g in data.get("goals", []) if hidden_goal(g)}
    contingencies = [c for c in data.get("contingencies", []) if c.get("kind") not in SENSITIVE_CONTINGENCY_KINDS]
    budget = data.get("budget")
    if budget:
        budget = {**budget, "items": [i for i in budget.get("items", []) if i.get("goal") not in hidden]}
    return {**data, "goals": goals, "contingencies": contingencies, "budget": budget}


def results(overview: ResultsOverview, sees_sensitive: bool) -> ResultsOverview:
    """A person's results without mood and anxiety scores and mental-health conditions."""
    if sees_sensitive:
        return overview
    overview.summaries = [s for s in overview.summaries if not is_sensitive_measure(s.key)]
    overview.conditions = [c for c in overview.conditions if not is_sensitive_condition(c.register, c.code)
                           and not is_sensitive_register(_register_of(c))]
    overview.registers = [r for r in overview.registers if not is_sensitive_register(r)]
    return overview


def _register_of(condition: Any) -> str:
    from ourplan.clinical.terminology import register_for_code

    return register_for_code(condition.code) or ""
