"""The whole plan as JSON: what each PlanVersion stores, what the plan pages render (one query for the
whole plan), and what the diff of two versions is computed from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils.dateparse import parse_date, parse_datetime

from ourplan.clinical.terminology import REGISTERS
from ourplan.planning import asthma
from ourplan.planning.models import (
    CarePlan,
    ContingencyPlan,
    Decision,
    DecisionNote,
    Goal,
    GoalAction,
    PersonalBudget,
)
from ourplan.planning.models.plan import ABOUT_ME_FIELDS

GOAL_FIELDS = (
    "person_words", "clinical_translation", "category", "registers", "measure", "comparator", "target_date",
    "importance", "confidence", "what_would_make_it_seven", "lifecycle_status", "achievement_status",
    "gas_minus2", "gas_minus1", "gas_zero", "gas_plus1", "gas_plus2", "progress_notes", "sensitive",
)
ACTION_FIELDS = (
    "what", "when", "where", "how_often", "who_helps", "helper_kind", "barriers", "solutions", "support_needed",
    "status", "done_at",
)
CONTINGENCY_FIELDS = (
    "kind", "title", "triggers", "what_to_do", "who_to_contact", "coping_strategies", "early_warning_signs",
    "personal_best", "green_medicines", "amber_medicines", "amber_actions", "red_medicines", "red_actions",
    "urgent_help", "rescue_when", "rescue_contents", "rescue_tell",
)
DECISION_FIELDS = ("question", "options_considered", "what_matters", "decision", "status")
BUDGET_FIELDS = ("indicative_allocation", "funding_source", "spend_to_date")
PLAN_FIELDS = ("status", "agreed_by_name", "agreed_by_role", "agreed_at", "review_date", "shared_with_person")
# Keys derived from others (labels, versions): shown, never diffed.
DERIVED = {"version", "public_id", "label", "category_label", "lifecycle_label", "achievement_label",
           "register_labels", "target_text", "helper_kind_label", "status_label", "kind_label", "zones", "gas",
           "actions", "review_responsible_label", "target_value", "notes", "aid_title", "aid", "items",
           "planned_total", "over_by", "funding_label", "goal_words"}


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


def _action(a: GoalAction) -> dict[str, Any]:
    data = {f: _json(getattr(a, f)) for f in ACTION_FIELDS}
    data.update(public_id=str(a.public_id), version=a.version, helper_kind_label=a.get_helper_kind_display(),
                status_label=a.get_status_display())
    return data


def _goal(g: Goal) -> dict[str, Any]:
    data = {f: _json(getattr(g, f)) for f in GOAL_FIELDS}
    data.update(
        public_id=str(g.public_id), version=g.version, target_value=_json(g.target_value),
        target_text=g.target_text, category_label=g.get_category_display(),
        lifecycle_label=g.get_lifecycle_status_display(),
        achievement_label=g.get_achievement_status_display() if g.achievement_status else "",
        register_labels=[REGISTERS[k].display for k in g.registers if k in REGISTERS],
        gas=[list(level) for level in g.gas_levels], actions=[_action(a) for a in g.actions.all()],
    )
    # The target sits with the goal's fields for diffing (a changed target is a change the person sees).
    data["target"] = g.target_text
    return data


def _contingency(c: ContingencyPlan) -> dict[str, Any]:
    data = {f: _json(getattr(c, f)) for f in CONTINGENCY_FIELDS}
    data.update(public_id=str(c.public_id), version=c.version, kind_label=c.get_kind_display())
    if c.kind == ContingencyPlan.Kind.ASTHMA and c.personal_best:
        t = asthma.thresholds(c.personal_best)
        data["zones"] = {"green_from": t.green_from, "amber_from": t.amber_from}
    return data


def _decision(d: Decision) -> dict[str, Any]:
    data = {f: _json(getattr(d, f)) for f in DECISION_FIELDS}
    data.update(
        public_id=str(d.public_id), version=d.version, status_label=d.get_status_display(),
        aid=str(d.aid.public_id) if d.aid else None, aid_title=d.aid.title if d.aid else "",
        options=[o for o in d.aid.options if o["name"] in d.options_considered] if d.aid else [],
        notes=[{"at": n.at.isoformat(), "by": n.author_label, "status": n.get_status_display(), "text": n.text}
               for n in d.notes.all()],
    )
    return data


def _budget(plan: CarePlan) -> dict[str, Any] | None:
    budget = PersonalBudget.objects.filter(plan=plan).prefetch_related("items__goal").first()
    if budget is None:
        return None
    items = [{"public_id": str(i.public_id), "description": i.description, "amount": _json(i.amount),
              "goal": str(i.goal.public_id) if i.goal else None,
              "goal_words": i.goal.person_words if i.goal else ""} for i in budget.items.all()]
    planned = sum((i.amount for i in budget.items.all()), Decimal(0))
    return {
        **{f: _json(getattr(budget, f)) for f in BUDGET_FIELDS}, "version": budget.version,
        "funding_label": budget.get_funding_source_display(), "items": items, "planned_total": _json(planned),
        "over_by": _json(max(planned - budget.indicative_allocation, Decimal(0))),
    }


def build(plan: CarePlan) -> dict[str, Any]:
    """Read the plan and everything in it (a handful of queries, on writes only) into the snapshot dict."""
    goals = plan.goals.prefetch_related(Prefetch("actions", queryset=GoalAction.objects.order_by("created_at", "id")))
    reviewer = plan.review_responsible
    return {
        "plan": {
            **{f: _json(getattr(plan, f)) for f in PLAN_FIELDS},
            "public_id": str(plan.public_id), "intent": plan.intent, "label": plan.get_status_display(),
            "review_responsible": reviewer.pk if reviewer else None,
            "review_responsible_label": _staff_label(reviewer) if reviewer else "",
        },
        "about": {f: getattr(plan, f) for f in ABOUT_ME_FIELDS},
        "goals": [_goal(g) for g in goals],
        "contingencies": [_contingency(c) for c in plan.contingencies.all()],
        "decisions": [_decision(d) for d in Decision.objects.filter(plan=plan).select_related("aid").prefetch_related(
            Prefetch("notes", queryset=DecisionNote.objects.order_by("at", "id")))],
        "budget": _budget(plan),
    }


def _staff_label(member: Any) -> str:
    practitioner = member.practitioner
    name = f"{practitioner.given_name} {practitioner.family_name}".strip() if practitioner else ""
    return f"{name} ({member.get_role_display()})" if name else member.get_role_display()


def flatten(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Every diffable value under a stable path: about.what_matters, goal:<id>.person_words, ..."""
    flat: dict[str, Any] = {}
    for k, v in snapshot.get("plan", {}).items():
        if k not in DERIVED:
            flat[f"plan.{k}"] = v
    for k, v in snapshot.get("about", {}).items():
        flat[f"about.{k}"] = v
    for g in snapshot.get("goals", []):
        for k, v in g.items():
            if k not in DERIVED:
                flat[f"goal:{g['public_id']}.{k}"] = v
        for a in g.get("actions", []):
            for k, v in a.items():
                if k not in DERIVED:
                    flat[f"action:{a['public_id']}.{k}"] = v
    for d in snapshot.get("decisions", []):
        for k, v in d.items():
            if k not in DERIVED:
                flat[f"decision:{d['public_id']}.{k}"] = v
        flat[f"decision:{d['public_id']}.notes"] = len(d.get("notes", []))
    budget = snapshot.get("budget") or {}
    for k, v in budget.items():
        if k not in DERIVED:
            flat[f"budget.{k}"] = v
    for item in budget.get("items", []):
        for k, v in item.items():
            if k not in DERIVED:
                flat[f"budget_item:{item['public_id']}.{k}"] = v
    for c in snapshot.get("contingencies", []):
        for k, v in c.items():
            if k not in DERIVED:
                flat[f"contingency:{c['public_id']}.{k}"] = v
    return flat


def changed_paths(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    old, new = flatten(before or {}), flatten(after)
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def for_display(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with ISO dates turned back into dates, for templates' uk_date filter."""
    plan = dict(snapshot["plan"])
    plan["agreed_at"] = parse_datetime(plan["agreed_at"]) if plan.get("agreed_at") else None
    plan["review_date"] = parse_date(plan["review_date"]) if plan.get("review_date") else None
    goals = [_display_goal(g) for g in snapshot.get("goals", [])]
    decisions = [decision_display(d) for d in snapshot.get("decisions", [])]
    return {**snapshot, "plan": plan, "goals": goals, "decisions": decisions}


def decision_display(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "notes": [{**n, "at": parse_datetime(n["at"])} for n in d.get("notes", [])]}


def decision_for_display(decision: Decision) -> dict[str, Any]:
    return decision_display(_decision(decision))


def budget_for_display(plan: CarePlan) -> dict[str, Any] | None:
    return _budget(plan)


def _display_goal(g: dict[str, Any]) -> dict[str, Any]:
    g = dict(g)
    g["target_date"] = parse_date(g["target_date"]) if g.get("target_date") else None
    g["actions"] = [
        {**a, "done_at": parse_datetime(a["done_at"]) if a.get("done_at") else None} for a in g["actions"]
    ]
    return g


def goal_for_display(goal: Goal) -> dict[str, Any]:
    """One goal as the plan pages show it, straight after a change (two queries: goal's actions)."""
    return _display_goal(_goal(goal))


def contingency_for_display(item: ContingencyPlan) -> dict[str, Any]:
    return _contingency(item)
