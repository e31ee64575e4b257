"""Every change to a co-ordination task: creating one (from a plan action, a review date, or by hand),
moving it on, and completing it, which ticks the plan's action so the plan shows it done. Each takes the
acting user, runs in a transaction and writes one audit row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ourplan.coordination import notify
from ourplan.coordination.models import Task
from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.people.models import Person
from ourplan.sharing.models import CareTeamMember

MAX_TITLE = 300
MAX_TEXT = 4000
MAX_DAYS_AHEAD = 3 * 366


@transaction.atomic
def do_create_task(
    actor: User | None, person: Person, *, title: str, description: str = "",
    assignee: CareTeamMember | None = None, for_person: bool = False, due_date: date | None = None,
    action: Any = None, plan: Any = None, kind: str = Task.Kind.OTHER,
    basis: AccessBasis | str = AccessBasis.DIRECT_CARE,
) -> Task:
    """A task for a member of the person's care team, or for the person. A plan action becomes at most one
    task: asking again returns the open one."""
    title = title.strip()
    if not title:
        raise ActionError("Say what needs doing", field="title")
    if len(title) > MAX_TITLE:
        raise ActionError(f"Keep what needs doing to {MAX_TITLE} characters; put the rest in the details",
                          field="title")
    if len(description) > MAX_TEXT:
        raise ActionError(f"Keep the details to {MAX_TEXT} characters", field="description")
    # (A review task's date is the plan's agreed review date, checked when the plan was agreed.)
    if due_date is not None and kind != Task.Kind.REVIEW and due_date > timezone.localdate() + timedelta(
            days=MAX_DAYS_AHEAD):
        raise ActionError("The due date is too far ahead: choose one within 3 years", field="due_date")
    if for_person == (assignee is not None):
        raise ActionError("Choose who will do it: a member of the care team, or the person", field="assignee")
    if assignee is not None and (assignee.team.person_id != person.pk or not assignee.active):
        raise ActionError("Choose a current member of this person's care team", field="assignee")
    if due_date is not None and due_date < timezone.localdate() and kind != Task.Kind.REVIEW:
        raise ActionError("The due date cannot be in the past", field="due_date")
    goal = None
    if action is not None:
        if action.goal.plan.person_id != person.pk:
            raise ActionError("That action is not in this person's plan", field="action")
        existing = Task.objects.filter(action=action).first()
        if existing is not None:
            if existing.is_open:
                return existing
            # A finished task frees the action for a new one: keep the history, move the link.
            existing.action = None
            existing.save(update_fields=["action"])
        goal, plan = action.goal, action.goal.plan
    task = Task.objects.create(
        person=person, kind=kind, title=title[:300], description=description.strip(), assignee=assignee,
        for_person=for_person, due_date=due_date, action=action, goal=goal, plan=plan, created_by=actor,
    )
    audit.record(actor, AuditAction.CREATE, "Task", task.public_id, person=person.public_id, basis=basis,
                 detail={"kind": kind, "assignee": task.assignee_label})
    notify.task_assigned(actor, task)
    return task


@transaction.atomic
def do_set_status(actor: User | None, task: Task, expected_version: int, status: str, *, outcome: str = "",
                  basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> Task:
    """Move a task on. Completing a task made from a plan action ticks that action, which writes a new plan
    version (so the person and the team see it done); reopening unticks it."""
    if status not in Task.Status.values:
        raise ActionError("Choose a status", field="status")
    if len(outcome) > MAX_TEXT:
        raise ActionError(f"Keep what happened to {MAX_TEXT} characters", field="outcome")
    task = Task.objects.select_for_update(of=("self",)).select_related("action__goal__plan").get(pk=task.pk)
    completed = status == Task.Status.COMPLETED
    changes: dict[str, Any] = {"status": status, "outcome": outcome.strip() or task.outcome,
                               "completed_at": timezone.now() if completed else None,
                               "completed_by": actor if completed and actor and actor.is_authenticated else None}
    apply_versioned_update(task, expected_version, changes)
    audit.record(actor, AuditAction.UPDATE, "Task", task.public_id, person=task.person.public_id, basis=basis,
                 detail={"status": status})
    if task.action is not None and status in (Task.Status.COMPLETED, Task.Status.REQUESTED):
        from ourplan.planning.actions import do_mark_action

        do_mark_action(actor, task.action, completed, basis=basis)
    return task


def sync_task_with_action(actor: User | None, action: Any, done: bool, *,
                          basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> Task | None:
    """Keep a task in step with the plan action it came from when the action is ticked in the plan itself
    (do_set_status does the other direction). No change, no event: this is also reached from do_set_status."""
    task = Task.objects.select_for_update().filter(action=action).first()
    if task is None or task.status == Task.Status.CANCELLED:
        return task
    wanted = Task.Status.COMPLETED if done else Task.Status.REQUESTED
    if (task.status == Task.Status.COMPLETED) == done:
        return task
    changes: dict[str, Any] = {"status": wanted, "completed_at": timezone.now() if done else None,
                               "completed_by": actor if done and actor and actor.is_authenticated else None}
    apply_versioned_update(task, task.version, changes)
    audit.record(actor, AuditAction.UPDATE, "Task", task.public_id, person=task.person.public_id, basis=basis,
                 detail={"status": wanted, "from_plan_action": True})
    return task


def _review_member(actor: User | None, plan: Any) -> CareTeamMember:
    """The person responsible for the review, as a member of the care team (added if they are not)."""
    from ourplan.sharing.actions import do_add_member, role_for

    staff = plan.review_responsible
    existing = CareTeamMember.objects.filter(CareTeamMember.active_q(), team__person=plan.person,
                                             staff_member=staff).first()
    if existing is not None:
        return existing
    contact = staff.practitioner.email or staff.practitioner.phone if staff.practitioner else ""
    return do_add_member(actor, plan.person, role=role_for(staff), staff_member=staff, contact=contact or "")


@transaction.atomic
def sync_review_task(actor: User | None, plan: Any) -> Task | None:
    """The plan's review date and responsible person make a review task (one per plan and date). A moved
    review date cancels the open task for the old date."""
    if plan.review_date is None or plan.review_responsible_id is None:
        return None
    for old in Task.objects.filter(plan=plan, kind=Task.Kind.REVIEW, status__in=Task.OPEN_STATUSES).exclude(
            due_date=plan.review_date):
        do_set_status(actor, old, old.version, Task.Status.CANCELLED, outcome="Review date changed",
                      basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE)
    existing = Task.objects.filter(plan=plan, kind=Task.Kind.REVIEW, due_date=plan.review_date).first()
    if existing is not None:
        return existing
    member = _review_member(actor, plan)
    try:
        with transaction.atomic():
            return do_create_task(
                actor, plan.person, title=f"Review the care plan with {plan.person.display_name}",
                description="Book a review, score each goal, and agree the plan again.", assignee=member,
                due_date=plan.review_date, kind=Task.Kind.REVIEW, plan=plan,
                basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
            )
    except IntegrityError:
        return Task.objects.get(plan=plan, kind=Task.Kind.REVIEW, due_date=plan.review_date)


URGENT_TITLE = "Urgent: same-day clinical follow-up needed (see the alert on the register)"


def do_task_for_urgent_alert(person: Person) -> Task | None:
    """A task due today for the clinician responsible for the person's plan review, when there is one. The
    title says nothing clinical: task lists are seen by admin staff too; the alert holds the detail."""
    from ourplan.planning.actions import current_plan

    plan = current_plan(person)
    if plan is None or plan.review_responsible is None or not plan.review_responsible.active:
        return None
    member = _review_member(None, plan)
    return do_create_task(None, person, title=URGENT_TITLE, assignee=member, due_date=timezone.localdate(),
                          plan=plan, basis=AccessBasis.SYSTEM)


def create_due_review_tasks() -> int:
    """The daily job: a review task for every current plan with a review date and no task for it yet
    (plans whose review was set elsewhere, such as an import). Safe to run twice."""
    from ourplan.planning.models import CarePlan
    from ourplan.planning.models.plan import CURRENT_STATUSES

    plans = (CarePlan.objects.filter(status__in=CURRENT_STATUSES, review_date__isnull=False,
                                     review_responsible__isnull=False)
             .exclude(tasks__kind=Task.Kind.REVIEW, tasks__status__in=Task.OPEN_STATUSES)
             .select_related("person", "review_responsible__practitioner"))
    made = 0
    for plan in plans:
        if sync_review_task(None, plan) is not None:
            made += 1
    return made
