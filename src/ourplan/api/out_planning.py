"""The person's care and support plan to FHIR: CarePlan (UK Core) and Goal (base R4: UK Core has no Goal
profile). What FHIR has an element for goes there; the rest of what Ourplan stores (the PRSB "About me"
sections, the agreement, importance and confidence, ...) goes in the documented extensions of
api.extensions, so the inbound mapper (api.writes_planning) can read every stored field back.

Goals are linked from the plan (`CarePlan.goal`), and each action towards a goal is a
`CarePlan.activity.detail` whose `id` is the action's public id, so an update can say which action it
changes. Referrals made for a goal of the plan are `CarePlan.activity.reference` to the ServiceRequest."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ourplan.api import extensions as X
from ourplan.api.out_common import UK_CORE, concept, day, instant, meta_base, number, prune, reference, user_reference
from ourplan.clinical.terminology import LOINC, MEASURES, REGISTERS, SNOMED, UCUM
from ourplan.planning.models import CarePlan, Goal, GoalAction
from ourplan.planning.models.plan import ABOUT_ME_FIELDS, GAS_LEVELS

CAREPLAN_PROFILE = UK_CORE + "CarePlan"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
# FHIR Quantity.comparator has no "="; an exact target is a quantity without a comparator.
QUANTITY_COMPARATORS = ("<", "<=", ">=", ">")
PLAN_CATEGORY = "Personalised care and support plan"


def about_key(field: str) -> str:
    """The sub-extension url for an "About me" field: what_matters -> what-matters."""
    return field.replace("_", "-")


def _about(plan: CarePlan) -> dict[str, Any] | None:
    parts = [X.ext(about_key(f), valueString=getattr(plan, f)) for f in ABOUT_ME_FIELDS if getattr(plan, f)]
    return {"url": X.PLAN_ABOUT_ME, "extension": parts} if parts else None


def _agreement(plan: CarePlan) -> dict[str, Any] | None:
    parts = []
    if plan.agreed_by_name:
        parts.append(X.ext("name", valueString=plan.agreed_by_name))
    if plan.agreed_by_role:
        parts.append(X.ext("role", valueString=plan.agreed_by_role))
    if plan.agreed_at:
        parts.append(X.ext("date", valueDateTime=instant(plan.agreed_at)))
    return {"url": X.PLAN_AGREEMENT, "extension": parts} if parts else None


def _review(plan: CarePlan) -> dict[str, Any] | None:
    parts = []
    if plan.review_date:
        parts.append(X.ext("date", valueDate=day(plan.review_date)))
    reviewer = plan.review_responsible
    if reviewer is not None:
        parts.append(X.ext("responsible", valueReference=reference("PractitionerRole", reviewer, str(reviewer))))
    return {"url": X.PLAN_REVIEW, "extension": parts} if parts else None


def _activity_extension(a: GoalAction) -> dict[str, Any] | None:
    parts = [X.ext("helper-kind", valueCoding={"system": X.HELPER_KIND, "code": a.helper_kind,
                                               "display": a.get_helper_kind_display()})]
    for name in ("when", "how_often", "barriers", "solutions", "support_needed"):
        if getattr(a, name):
            parts.append(X.ext(about_key(name), valueString=getattr(a, name)))
    if a.done_at:
        parts.append(X.ext("done-at", valueDateTime=instant(a.done_at)))
    return {"url": X.ACTIVITY_DETAIL, "extension": parts}


def activity(goal: Goal, a: GoalAction) -> dict[str, Any]:
    schedule = "; ".join(p for p in (a.when, a.how_often) if p)
    detail = prune({
        "extension": [_activity_extension(a)],
        "kind": "Task",
        "status": a.status,
        "description": a.what,
        "goal": [reference("Goal", goal)],
        "scheduledString": schedule,
        "location": {"display": a.where} if a.where else None,
        "performer": [{"display": a.who_helps}] if a.who_helps else [],
    })
    return {"id": str(a.public_id), "detail": detail}


def goals_of(plan: CarePlan) -> list[Goal]:
    """The plan's goals: prefetched (only those the caller may see) by the resource table, or set on an
    unsaved plan rebuilt from a PlanVersion snapshot (api.history)."""
    given = getattr(plan, "_api_goals", None)
    return list(given) if given is not None else list(plan.goals.all())


def tasks_of(plan: CarePlan) -> list[Any]:
    """Co-ordination tasks made from the plan (prefetched, only those the caller may see)."""
    given = getattr(plan, "_api_tasks", None)
    return list(given) if given is not None else list(plan.tasks.all())  # type: ignore[attr-defined]


def actions_of(goal: Goal) -> list[GoalAction]:
    given = getattr(goal, "_api_actions", None)
    return list(given) if given is not None else list(goal.actions.all())


def care_plan(plan: CarePlan) -> dict[str, Any]:
    person = plan.person
    goals = goals_of(plan)
    activities: list[dict[str, Any]] = [activity(g, a) for g in goals for a in actions_of(g)]
    activities += [{"reference": reference("ServiceRequest", r, r.destination)} for r in _referrals(plan, goals)]
    activities += [{"reference": reference("Task", t, t.title)} for t in tasks_of(plan)]
    team = getattr(plan.person, "care_team", None)
    period = prune({"start": instant(plan.agreed_at) if plan.agreed_at else None, "end": day(plan.review_date)})
    return prune({
        "resourceType": "CarePlan",
        "id": str(plan.public_id),
        "meta": meta_base(plan, CAREPLAN_PROFILE),
        "extension": [e for e in (_about(plan), _agreement(plan), _review(plan),
                                  X.ext(X.PLAN_SHARED, valueBoolean=plan.shared_with_person)) if e],
        "status": plan.status,
        "intent": plan.intent,
        "category": [{"text": PLAN_CATEGORY}],
        "title": PLAN_CATEGORY,
        "subject": reference("Patient", person),
        "period": period,
        "created": instant(plan.created_at),
        "author": user_reference(plan.agreed_with),
        # The plan is the person's own: they are always among its contributors.
        "contributor": [reference("Patient", person)],
        "careTeam": [reference("CareTeam", team)] if team is not None else [],
        "goal": [reference("Goal", g) for g in goals],
        "activity": activities,
    })


def _referrals(plan: CarePlan, goals: list[Goal]) -> list[Any]:
    from ourplan.support.models import Referral

    cached = getattr(plan, "_api_referrals", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not goals:
        return []
    return list(Referral.objects.filter(person_id=plan.person_id, goal_public_id__in=[g.public_id for g in goals])
                .select_related("service").order_by("sent_at", "pk"))


def _target(g: Goal) -> list[dict[str, Any]]:
    due = day(g.target_date)
    targets: list[dict[str, Any]] = []
    if g.measure and g.target_value is not None:
        m = MEASURES[g.measure]
        codings = [{"system": SNOMED, "code": m.code, "display": m.display}]
        codings += [{"system": LOINC, "code": m.loinc[0], "display": m.display}] if m.loinc else []
        quantity = prune({"value": number(g.target_value), "unit": m.unit_label or m.unit, "system": UCUM,
                          "code": m.unit, "comparator": g.comparator if g.comparator in QUANTITY_COMPARATORS
                          else None})
        targets.append(prune({"measure": {"coding": codings, "text": m.display}, "detailQuantity": quantity,
                              "dueDate": due}))
    if any(getattr(g, level) for level in GAS_LEVELS):
        code, display = X.GAS_MEASURE
        targets.append(prune({"measure": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                              "dueDate": due}))
    if not targets and due:
        targets.append({"dueDate": due})
    return targets


def _gas(g: Goal) -> list[dict[str, Any]]:
    out = []
    for level in reversed(GAS_LEVELS):  # +2 first, as the PCO guide lists them
        text = getattr(g, level)
        if text:
            code, display = X.GAS_LEVEL_CODES[level]
            out.append({"url": X.PCO_GAS, "extension": [
                X.ext("level", valueCoding={"system": LOINC, "code": code, "display": display}),
                X.ext("text", valueString=text)]})
    return out


def goal_extensions(g: Goal) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if g.importance is not None:
        out.append(X.ext(X.GOAL_IMPORTANCE, valueInteger=g.importance))
    if g.confidence is not None:
        out.append(X.ext(X.GOAL_CONFIDENCE, valueInteger=g.confidence))
    if g.what_would_make_it_seven:
        out.append(X.ext(X.GOAL_RAISE_CONFIDENCE, valueString=g.what_would_make_it_seven))
    if g.progress_notes:
        out.append(X.ext(X.GOAL_PROGRESS_NOTES, valueString=g.progress_notes))
    for key in g.registers or []:
        register = REGISTERS.get(key)
        out.append(X.ext(X.GOAL_REGISTER, valueCoding=prune({"system": X.LTC_REGISTER, "code": key,
                                                             "display": register.display if register else ""})))
    if getattr(g, "sensitive", False):
        out.append(X.ext(X.GOAL_SENSITIVE, valueBoolean=True))
    return out + _gas(g)


def goal(g: Goal) -> dict[str, Any]:
    person = g.plan.person
    notes = [{"text": g.clinical_translation}] if g.clinical_translation else []
    return prune({
        "resourceType": "Goal",
        "id": str(g.public_id),
        "meta": meta_base(g, None),
        "extension": goal_extensions(g),
        "lifecycleStatus": g.lifecycle_status,
        "achievementStatus": concept(GOAL_ACHIEVEMENT, g.achievement_status, g.get_achievement_status_display())
        if g.achievement_status else None,
        "category": [concept(X.GOAL_CATEGORY, g.category, g.get_category_display(), g.get_category_display())],
        # The person's own words are the goal; the clinical translation sits beside them as a note.
        "description": {"text": g.person_words},
        "subject": reference("Patient", person),
        "startDate": day(timezone.localtime(g.created_at).date()),
        "target": _target(g),
        "expressedBy": reference("Patient", person),
        "note": notes,
    })
