"""Every change to a care plan goes through these functions. Each takes the acting user and the access
basis, runs in a transaction, writes a PlanVersion snapshot (bumping the plan's version) and an audit row.

Concurrency: the editor sends the version they started from. "About me" sections are checked field by
field against the snapshot of that version, so a goal added meanwhile does not block a wording change;
goals, actions and contingency plans carry their own row version (core.versioning)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.people.models import Person, StaffMember
from ourplan.planning import asthma, rules, snapshot
from ourplan.planning.models import (
    BudgetItem,
    CarePlan,
    ContingencyPlan,
    ConversationNote,
    Decision,
    DecisionNote,
    Goal,
    GoalAction,
    LifecycleStatus,
    PersonalBudget,
    PlanStatus,
    PlanVersion,
)
from ourplan.planning.models.plan import ABOUT_ME_FIELDS, CURRENT_STATUSES
from ourplan.recall import cycle as cycles

# What the person (or a representative allowed to contribute) may change: their own words, never the
# clinical translation, targets or statuses the care team agreed.
PERSON_GOAL_FIELDS = {"person_words", "progress_notes"}
PERSON_ACTION_FIELDS = {"what", "when", "where", "how_often"}
PERSON_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}


class PlanConflict(EditConflict):
    """A stale save. `theirs` holds the current values of the fields you were changing, `by`/`at` who
    saved them, so the page can show both versions side by side and keep your text for merging."""

    def __init__(self, current_version: int, theirs: dict[str, Any], by: str = "", at: datetime | None = None):
        super().__init__(current_version)
        self.theirs = theirs
        self.by = by
        self.at = at


def author_kind(basis: AccessBasis | str) -> str:
    if basis == AccessBasis.SELF:
        return PlanVersion.AuthorKind.PERSON
    if basis == AccessBasis.CONSENT:
        return PlanVersion.AuthorKind.REPRESENTATIVE
    return PlanVersion.AuthorKind.STAFF


def current_plan(person: Person) -> CarePlan | None:
    return CarePlan.objects.filter(person=person, status__in=CURRENT_STATUSES).first()


def latest_version(person: Person) -> PlanVersion | None:
    """The newest snapshot of the person's current plan: the whole plan in one query."""
    return (PlanVersion.objects.select_related("plan")
            .filter(plan__person=person, plan__status__in=CURRENT_STATUSES).order_by("-number").first())


def _lock(plan: CarePlan) -> CarePlan:
    # Serialises changes to one plan so version numbers never collide (SQLite: the IMMEDIATE transaction).
    return (CarePlan.objects.select_for_update(of=("self",))
            .select_related("person", "review_responsible__practitioner").get(pk=plan.pk))


def _commit(actor: User | None, plan: CarePlan, summary: str, basis: AccessBasis | str,
            plan_changes: dict[str, Any] | None = None, *, first: bool = False) -> PlanVersion:
    """Bump the plan's version (applying `plan_changes`), snapshot it and audit it."""
    if not first:
        apply_versioned_update(plan, plan.version, plan_changes or {})
    previous = plan.versions.order_by("-number").first() if not first else None
    snap = snapshot.build(plan)
    changed = snapshot.changed_paths(previous.snapshot if previous else None, snap)
    version = PlanVersion.objects.create(
        plan=plan, number=plan.version, author=actor if actor and actor.is_authenticated else None,
        author_label=_short_label(actor), author_kind=author_kind(basis), summary=summary[:300],
        changed=changed, snapshot=snap,
    )
    audit.record(actor, AuditAction.CREATE if first else AuditAction.UPDATE, "CarePlan", plan.public_id,
                 person=plan.person.public_id, basis=basis,
                 detail={"version": plan.version, "summary": summary[:300], "changed": changed[:50]})
    if not first:
        from ourplan.coordination.notify import plan_changed

        plan_changed(actor, plan)
    return version


def _short_label(actor: User | None) -> str:
    if actor is None:
        return "System"
    return actor.get_full_name() or actor.username


@transaction.atomic
def do_start_plan(actor: User | None, person: Person, *, basis: AccessBasis | str = AccessBasis.DIRECT_CARE
                  ) -> CarePlan:
    """Start the person's plan, or return the current one: ONE plan across all conditions."""
    existing = current_plan(person)
    if existing is not None:
        return existing
    plan = CarePlan.objects.create(person=person)
    plan.person = person
    _commit(actor, plan, "Plan started", basis, first=True)
    return plan


@transaction.atomic
def do_set_plan_record(actor: User | None, plan: CarePlan, summary: str, changes: dict[str, Any], *,
                       basis: AccessBasis | str) -> PlanVersion:
    """Status, agreement and review as another system records them (FHIR CarePlan): one new plan version,
    audited, like every change. The website's own route to these is do_agree_plan, which also moves the
    care planning round on; a record sent by another system reports what happened there instead."""
    return _commit(actor, _lock(plan), summary, basis, changes)


@transaction.atomic
def do_record_earlier_plan(actor: User | None, person: Person, status: str, *, basis: AccessBasis | str
                           ) -> CarePlan:
    """A finished plan (completed, revoked...) another system sends for the record, kept beside the current
    one and versioned from the start."""
    if status in CURRENT_STATUSES:
        raise ActionError("An earlier plan must be completed, revoked or entered in error", field="status")
    plan = CarePlan.objects.create(person=person, status=status)
    _commit(actor, plan, "Earlier plan written by another system", basis, first=True)
    return plan


def _conflict_from(plan: CarePlan, theirs: dict[str, Any]) -> PlanConflict:
    last = plan.versions.order_by("-number").first()
    return PlanConflict(plan.version, theirs, by=last.author_label if last else "", at=last.at if last else None)


def _apply_or_conflict(plan: CarePlan, obj: Any, expected_version: int, cleaned: dict[str, Any],
                       *, shown: set[str] | None = None) -> None:
    """Save a part of the plan from the version its editor started from; if someone saved first, raise
    PlanConflict with what they saved (the `shown` fields, default all changed ones) so nothing is lost."""
    try:
        apply_versioned_update(obj, expected_version, cleaned)
    except EditConflict as exc:
        saved = type(obj)._default_manager.get(pk=obj.pk)
        fields = [k for k in cleaned if shown is None or k in shown]
        raise _conflict_from(plan, {k: getattr(saved, k) for k in fields}) from exc


@transaction.atomic
def do_update_about(actor: User | None, plan: CarePlan, expected_version: int, changes: dict[str, str], *,
                    basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> CarePlan:
    """Change "About me" sections. Only the fields someone else changed since `expected_version` can clash;
    if they did and your text differs from theirs, nothing is saved and PlanConflict says what they wrote."""
    unknown = set(changes) - set(ABOUT_ME_FIELDS)
    if unknown:
        raise ActionError(f"Unknown sections: {', '.join(sorted(unknown))}")
    plan = _lock(plan)
    changes = {k: (v or "").strip() for k, v in changes.items()}
    if plan.version != expected_version:
        base = plan.versions.filter(number=expected_version).values_list("snapshot", flat=True).first()
        base_about = (base or {}).get("about", {})
        clashing = {f: getattr(plan, f) for f in changes
                    if base_about.get(f) != getattr(plan, f) and changes[f] != getattr(plan, f)}
        if base is None or clashing:
            raise _conflict_from(plan, clashing or {f: getattr(plan, f) for f in changes})
    effective = {k: v for k, v in changes.items() if getattr(plan, k) != v}
    if effective:
        names = ", ".join(ABOUT_ME_FIELDS[k][0] for k in effective)
        _commit(actor, plan, f"Changed {names}", basis, effective)
    return plan


def _goal_fields(fields: dict[str, Any], basis: AccessBasis | str) -> dict[str, Any]:
    if basis in PERSON_BASES:
        return {k: v for k, v in fields.items() if k in PERSON_GOAL_FIELDS}
    return dict(fields)


@transaction.atomic
def do_add_goal(actor: User | None, plan: CarePlan, fields: dict[str, Any], *,
                basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> Goal:
    if basis in PERSON_BASES:
        fields = {"person_words": fields.get("person_words", ""), "lifecycle_status": LifecycleStatus.PROPOSED}
    cleaned = rules.clean_goal(fields, today=timezone.localdate(), is_new=True)
    if not cleaned.get("person_words"):
        raise ActionError("Write the goal in the person's own words", field="person_words")
    plan = _lock(plan)
    goal = Goal.objects.create(plan=plan, **cleaned)
    _commit(actor, plan, f"Goal added: {goal.person_words[:80]}", basis)
    return goal


@transaction.atomic
def do_update_goal(actor: User | None, goal: Goal, expected_version: int, fields: dict[str, Any], *,
                   basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> Goal:
    fields = _goal_fields(fields, basis)
    merged_status = fields.get("lifecycle_status", goal.lifecycle_status)
    cleaned = rules.clean_goal({**fields, "lifecycle_status": merged_status}, today=timezone.localdate(),
                               is_new=False, old_target_date=goal.target_date)
    cleaned = {k: v for k, v in cleaned.items() if k in fields}
    plan = _lock(goal.plan)
    _apply_or_conflict(plan, goal, expected_version, cleaned)
    _commit(actor, plan, f"Goal changed: {goal.person_words[:80]}", basis)
    return goal


@transaction.atomic
def do_add_action(actor: User | None, goal: Goal, fields: dict[str, Any], *,
                  basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> GoalAction:
    if basis in PERSON_BASES:
        fields = {k: v for k, v in fields.items() if k in PERSON_ACTION_FIELDS}
    cleaned = rules.clean_action(fields)
    if not cleaned.get("what"):
        raise ActionError("Say what will be done", field="what")
    cleaned.pop("status", None)
    plan = _lock(goal.plan)
    action = GoalAction.objects.create(goal=goal, **cleaned)
    _commit(actor, plan, f"Action added: {action.what[:80]}", basis)
    return action


@transaction.atomic
def do_update_action(actor: User | None, action: GoalAction, expected_version: int, fields: dict[str, Any], *,
                     basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> GoalAction:
    if basis in PERSON_BASES:
        fields = {k: v for k, v in fields.items() if k in PERSON_ACTION_FIELDS}
    kind = fields.get("helper_kind", action.helper_kind)
    who = fields.get("who_helps", action.who_helps)
    cleaned = rules.clean_action({**fields, "helper_kind": kind, "who_helps": who})
    cleaned = {k: v for k, v in cleaned.items() if k in fields}
    if "status" in cleaned:
        cleaned["done_at"] = (action.done_at or timezone.now()) if cleaned["status"] == GoalAction.Status.COMPLETED \
            else None
    plan = _lock(action.goal.plan)
    _apply_or_conflict(plan, action, expected_version, cleaned)
    _commit(actor, plan, f"Action changed: {action.what[:80]}", basis)
    return action


@transaction.atomic
def do_mark_action(actor: User | None, action: GoalAction, done: bool, *,
                   basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> GoalAction:
    """Tick an action done (or not). Idempotent, and never a conflict: ticking is not an edit of text."""
    plan = _lock(action.goal.plan)
    action = GoalAction.objects.get(pk=action.pk)
    status = GoalAction.Status.COMPLETED if done else GoalAction.Status.NOT_STARTED
    if action.status == status:
        return action
    apply_versioned_update(action, action.version, {"status": status, "done_at": timezone.now() if done else None})
    _commit(actor, plan, f"Action {'done' if done else 'to do'}: {action.what[:80]}", basis)
    from ourplan.coordination.actions import sync_task_with_action

    sync_task_with_action(actor, action, done, basis=basis)  # ticked in the plan: the task is done too
    return action


def contingency_template(kind: str, person: Person) -> dict[str, Any]:
    """Starting text for each built-in plan. Clinicians edit it; it only saves typing the usual advice."""
    Kind = ContingencyPlan.Kind
    if kind == Kind.ASTHMA:
        return {
            "title": "My asthma action plan", "personal_best": asthma.default_personal_best(person),
            "green_medicines": "Preventer inhaler: 2 puffs morning and evening, even when well.\n"
                               "Reliever inhaler: 1 to 2 puffs if I need it.",
            "amber_medicines": "Reliever inhaler: up to 4 puffs every 4 hours.",
            "amber_actions": "Keep taking my preventer inhaler every day.\nUse my reliever as above.\n"
                             "Make an urgent appointment with my GP or nurse today.",
            "red_medicines": "Reliever inhaler: 1 puff every 30 to 60 seconds, up to 10 puffs.",
            "red_actions": "Sit up straight and try to keep calm.\nTake my reliever as above.\n"
                           "Call 999 if I do not feel better, or if I feel worse at any time.",
            "urgent_help": "Call 999 if I am too breathless to speak, eat or sleep, my lips are blue, or my "
                           "reliever is not helping.",
        }
    if kind == Kind.COPD:
        return {
            "title": "My COPD rescue pack plan",
            "rescue_when": "If I am more breathless than usual, and my phlegm changes colour or there is more of "
                           "it, for more than a day.",
            "rescue_contents": "Steroid tablets (prednisolone) and an antibiotic, as prescribed on my pack.",
            "rescue_tell": "Tell my GP practice the same day I start the pack, so they can check on me and "
                           "replace it.",
            "urgent_help": "Call 999 if I am very breathless at rest, have chest pain, or feel confused.",
        }
    if kind == Kind.MENTAL_HEALTH:
        return {
            "title": "If my mood gets worse",
            "early_warning_signs": "", "triggers": "", "coping_strategies": "", "what_to_do": "",
            "who_to_contact": "My GP practice. Out of hours: NHS 111 (option 2 for mental health). "
                              "In an emergency: 999.",
        }
    return {"title": "If things get worse"}


@transaction.atomic
def do_add_contingency(actor: User | None, plan: CarePlan, kind: str, *,
                       basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> ContingencyPlan:
    if kind not in ContingencyPlan.Kind.values:
        raise ActionError("Choose a kind of contingency plan", field="kind")
    plan = _lock(plan)
    item = ContingencyPlan.objects.create(plan=plan, kind=kind, **contingency_template(kind, plan.person))
    _commit(actor, plan, f"Contingency plan added: {item.title}", basis)
    return item


@transaction.atomic
def do_update_contingency(actor: User | None, item: ContingencyPlan, expected_version: int,
                          fields: dict[str, Any], *, basis: AccessBasis | str = AccessBasis.DIRECT_CARE
                          ) -> ContingencyPlan:
    if basis in PERSON_BASES:
        raise ActionError("Contingency plans are changed with your care team")
    fields.pop("kind", None)
    # Check the plan as it will be after the change, so a partial update is judged on the whole plan.
    current = {name: getattr(item, name) for name in snapshot.CONTINGENCY_FIELDS if name != "kind"}
    cleaned = {k: v for k, v in rules.clean_contingency(item.kind, {**current, **fields}).items() if k in fields}
    plan = _lock(item.plan)
    _apply_or_conflict(plan, item, expected_version, cleaned)
    _commit(actor, plan, f"Contingency plan changed: {item.title}", basis)
    return item


@transaction.atomic
def do_save_notes(actor: User, person: Person, expected_version: int | None, text: str) -> ConversationNote:
    """Autosave the clinician's draft notes. Stale saves from another tab raise EditConflict."""
    note = ConversationNote.objects.filter(person=person, author=actor,
                                           status=ConversationNote.Status.DRAFT).first()
    if note is None:
        note = ConversationNote.objects.create(person=person, author=actor, text=text)
        audit.record(actor, AuditAction.CREATE, "ConversationNote", note.public_id, person=person.public_id,
                     basis=AccessBasis.DIRECT_CARE)
        return note
    if expected_version is None:
        expected_version = note.version
    if note.text != text:
        apply_versioned_update(note, expected_version, {"text": text})
        audit.record(actor, AuditAction.UPDATE, "ConversationNote", note.public_id, person=person.public_id,
                     basis=AccessBasis.DIRECT_CARE, detail={"version": note.version})
    return note


@transaction.atomic
def do_agree_plan(
    actor: User, plan: CarePlan, expected_version: int, *, agreed_by_name: str, agreed_by_role: str,
    review_date: date | None, reviewer: StaffMember | None, share_with_person: bool,
) -> CarePlan:
    """Record who agreed the plan and when, set the review, make the plan active, and move the person's care
    planning cycle on: conversation held, plan agreed, and plan shared if the person can see it."""
    plan = _lock(plan)
    if plan.version != expected_version:
        raise _conflict_from(plan, {})
    if not agreed_by_name.strip():
        raise ActionError("Enter the name of the person who agreed the plan", field="agreed_by_name")
    if not agreed_by_role.strip():
        raise ActionError("Say who they are: the person, or their representative's role", field="agreed_by_role")
    if review_date is None or review_date <= timezone.localdate():
        raise ActionError("The review date must be in the future", field="review_date")
    if reviewer is None or not reviewer.active or reviewer.organisation_id != plan.person.practice_id:
        raise ActionError("Choose who is responsible for the review", field="reviewer")
    if not plan.goals.exists():
        raise ActionError("Add at least one goal before agreeing the plan", field="agreed_by_name")
    now = timezone.now()
    _commit(actor, plan, f"Plan agreed with {agreed_by_name.strip()} ({agreed_by_role.strip()})",
            AccessBasis.DIRECT_CARE, {
                "status": PlanStatus.ACTIVE, "agreed_by_name": agreed_by_name.strip(),
                "agreed_by_role": agreed_by_role.strip(), "agreed_at": now, "agreed_with": actor,
                "review_date": review_date, "review_responsible": reviewer,
                "shared_with_person": share_with_person,
            })
    cycle = cycles.open_cycle(plan.person) or cycles.do_start_cycle(actor, plan.person)
    cycles.do_mark_stage(actor, cycle, "conversation_held", at=now)
    cycles.do_mark_stage(actor, cycle, "plan_agreed", at=now)
    if share_with_person:
        cycles.do_mark_stage(actor, cycle, "plan_shared", at=now)
    cycles.do_set_review_due(actor, cycle, review_date)
    from ourplan.coordination.actions import sync_review_task

    sync_review_task(actor, plan)
    return plan


def _add_decision_note(actor: User | None, decision: Decision, text: str) -> None:
    if text.strip():
        DecisionNote.objects.create(decision=decision, at=timezone.now(), author=actor,
                                    author_label=_short_label(actor), status=decision.status, text=text.strip())


@transaction.atomic
def do_add_decision(actor: User | None, plan: CarePlan, fields: dict[str, Any], *, note: str = "") -> Decision:
    cleaned = rules.clean_decision(fields)
    if not cleaned.get("question"):
        raise ActionError("Write the question being decided", field="question")
    plan = _lock(plan)
    decision = Decision.objects.create(plan=plan, **cleaned)
    _add_decision_note(actor, decision, note)
    _commit(actor, plan, f"Decision added: {decision.question[:80]}", AccessBasis.DIRECT_CARE)
    return decision


@transaction.atomic
def do_update_decision(actor: User | None, decision: Decision, expected_version: int, fields: dict[str, Any], *,
                       note: str = "") -> Decision:
    """Change a decision; `note` is this visit's dated note, kept alongside the earlier ones."""
    cleaned = rules.clean_decision(fields)
    plan = _lock(decision.plan)
    _apply_or_conflict(plan, decision, expected_version, cleaned, shown=set(cleaned) - {"aid"})
    _add_decision_note(actor, decision, note)
    _commit(actor, plan, f"Decision {decision.get_status_display().lower()}: {decision.question[:80]}",
            AccessBasis.DIRECT_CARE)
    return decision


@transaction.atomic
def do_set_budget(actor: User | None, plan: CarePlan, expected_version: int | None, fields: dict[str, Any]
                  ) -> PersonalBudget:
    cleaned = rules.clean_budget(fields)
    plan = _lock(plan)
    budget = PersonalBudget.objects.filter(plan=plan).first()
    if budget is None:
        budget = PersonalBudget.objects.create(plan=plan, **cleaned)
    else:
        _apply_or_conflict(plan, budget, expected_version or budget.version, cleaned)
    _commit(actor, plan, "Personal budget changed", AccessBasis.DIRECT_CARE)
    return budget


@transaction.atomic
def do_add_budget_item(actor: User | None, plan: CarePlan, fields: dict[str, Any]) -> BudgetItem:
    cleaned = rules.clean_budget_item(fields, plan.pk)
    plan = _lock(plan)
    budget, _ = PersonalBudget.objects.get_or_create(plan=plan)
    item = BudgetItem.objects.create(budget=budget, **cleaned)
    _commit(actor, plan, f"Budget item added: {item.description[:80]}", AccessBasis.DIRECT_CARE)
    return item


@transaction.atomic
def do_remove_budget_item(actor: User | None, item: BudgetItem) -> None:
    plan = _lock(item.budget.plan)
    description = item.description
    item.delete()
    _commit(actor, plan, f"Budget item removed: {description[:80]}", AccessBasis.DIRECT_CARE)
