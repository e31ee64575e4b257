"""Task lists: the staff worklist (mine, my team's, overdue) and the tasks shown in a person's plan."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ourplan.coordination.access import assigned_to_q, tasks_visible_to
from ourplan.coordination.models import Task
from ourplan.core.models import AccessBasis
from ourplan.core.roles import staff_org_ids
from ourplan.people.access import Grant
from ourplan.people.models import Person

VIEWS = {"mine": "Mine", "team": "My team's", "overdue": "Overdue"}
_RELATED = ("person", "assignee__staff_member__practitioner", "assignee__staff_member__organisation",
            "assignee__organisation", "assignee__related_person", "goal")


def worklist(user: Any, view: str) -> QuerySet[Task]:
    tasks = tasks_visible_to(user).filter(status__in=Task.OPEN_STATUSES)
    orgs = staff_org_ids(user)
    team = Q(assignee__staff_member__organisation_id__in=orgs) | Q(assignee__organisation_id__in=orgs)
    if view == "mine":
        tasks = tasks.filter(assigned_to_q(user))
    elif view == "team":
        tasks = tasks.filter(team | assigned_to_q(user))
    else:
        tasks = tasks.filter(team | assigned_to_q(user), due_date__lt=timezone.localdate())
    return tasks.select_related(*_RELATED).order_by("due_date", "created_at")


def for_person_page(person: Person, user: Any, grant: Grant) -> list[Task]:
    """Tasks shown with the person's plan: all of them for the person and their practice; for a carer or a
    professional outside the practice, only the ones given to them."""
    tasks = Task.objects.filter(person=person).exclude(status=Task.Status.CANCELLED).select_related(*_RELATED)
    if grant.basis == AccessBasis.SELF:
        # The person sees their own tasks and who is doing each step of their plan, not the team's
        # internal work (review bookings, urgent follow-ups), which is written for staff.
        tasks = tasks.filter(Q(for_person=True) | Q(action__isnull=False))
    elif grant.basis not in (AccessBasis.DIRECT_CARE, AccessBasis.EMERGENCY):
        tasks = tasks.filter(assigned_to_q(user))
    return hide_sensitive_goals(list(tasks.order_by("status", "due_date", "created_at")), user)


def for_plan_page(person: Person, user: Any, grant: Grant) -> list[Task]:
    """Tasks shown on a plan page, each marked `mine` when this user may tick it done there: the person
    their own tasks, a carer the tasks given to them."""
    tasks = for_person_page(person, user, grant)
    mine_ids: set[int] = set()
    if grant.basis in (AccessBasis.CONSENT, AccessBasis.CARE_TEAM):
        mine_ids = set(Task.objects.filter(assigned_to_q(user), person=person).values_list("pk", flat=True))
    for t in tasks:
        t.mine = (grant.basis == AccessBasis.SELF and t.for_person) or t.pk in mine_ids  # type: ignore[attr-defined]
    return hide_sensitive_goals(tasks, user)


def hide_sensitive_goals(tasks: list[Task], user: Any) -> list[Task]:
    """Drop (for display only, never saved) the goal of a task when the goal is in the sensitive section
    and the viewer does not see that person's sensitive parts: a task can be given to someone the goal was
    not shared with."""
    from ourplan.clinical.sensitivity import is_sensitive_goal
    from ourplan.people.access import people_with_sensitive_for

    risky = {t.person_id for t in tasks if t.goal is not None
             and is_sensitive_goal(t.goal.sensitive, t.goal.measure, t.goal.registers)}
    if not risky:
        return tasks
    allowed = set(people_with_sensitive_for(user).filter(pk__in=risky).values_list("pk", flat=True))
    for t in tasks:
        if t.goal is not None and t.person_id not in allowed and is_sensitive_goal(
                t.goal.sensitive, t.goal.measure, t.goal.registers):
            t.goal = None
    return tasks
