"""The ONE access helper for tasks. A task is part of a person's record, so people.access decides first;
then the task's own rule: practice staff (direct care) see every task of their registered people; a care
team member sees the tasks given to them (or to their organisation); a carer sees the tasks given to them;
the person sees all tasks in their plan and completes their own. Anything else is "not found"."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from ourplan.coordination.models import Task
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.core.roles import staff_member_ids, staff_org_ids
from ourplan.people.access import ALL_BASES, Grant, audit_denied, get_person_for, people_for


def assigned_to_q(user: Any, prefix: str = "") -> Q:
    """Tasks given to this user: their staff roles, their organisations' team memberships, or them as a
    related person."""
    roles, orgs = staff_member_ids(user), staff_org_ids(user)
    return (Q(**{f"{prefix}assignee__staff_member_id__in": roles})
            | Q(**{f"{prefix}assignee__staff_member__isnull": True, f"{prefix}assignee__organisation_id__in": orgs})
            | Q(**{f"{prefix}assignee__related_person__user": user, f"{prefix}assignee__related_person__active": True}))


def is_assignee(user: Any, task: Task) -> bool:
    return Task.objects.filter(assigned_to_q(user), pk=task.pk).exists()


def may_see(user: Any, task: Task, grant: Grant) -> bool:
    if grant.basis in (AccessBasis.DIRECT_CARE, AccessBasis.EMERGENCY):
        return True
    if grant.basis == AccessBasis.SELF:
        # The person's own tasks and the steps of their plan; the team's internal work is written for staff.
        return task.for_person or task.action_id is not None
    return is_assignee(user, task)


def may_update(user: Any, task: Task, grant: Grant) -> bool:
    if grant.basis == AccessBasis.DIRECT_CARE:
        return True
    if grant.basis == AccessBasis.SELF:
        return task.for_person
    return grant.basis in (AccessBasis.CARE_TEAM, AccessBasis.CONSENT) and is_assignee(user, task)


def get_task_for(request: HttpRequest, task_id: UUID, *, update: bool = False) -> tuple[Task, Grant]:
    task = Task.objects.select_related("person", "assignee__staff_member__practitioner",
                                       "assignee__staff_member__organisation", "assignee__organisation",
                                       "assignee__related_person", "goal", "plan").filter(public_id=task_id).first()
    if task is None:
        audit_denied(request, "Task", task_id)
        raise Http404("Not found")
    rule = may_update if update else may_see
    access = get_person_for(request, task.person.public_id, bases=ALL_BASES, entity_type="Task",
                            entity_id=task.public_id, audit_action=AuditAction.UPDATE if update else AuditAction.READ,
                            allow=lambda grant: rule(request.user, task, grant))
    return task, access.grant


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    """Every task `user` may see in a list: all tasks of people they care for directly, and the tasks given
    to them for people who share their record with them."""
    direct = people_for(user, bases={AccessBasis.DIRECT_CARE})
    shared = people_for(user, bases={AccessBasis.CARE_TEAM, AccessBasis.CONSENT})
    return Task.objects.filter(Q(person__in=direct) | (Q(person__in=shared) & assigned_to_q(user)))
