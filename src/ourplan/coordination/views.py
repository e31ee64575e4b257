"""Task pages: the staff worklist, a person's tasks (and giving a task, often from a plan action), one
task, and the person's or carer's "done" button. Thin: access through coordination.access (which asks
people.access), changes through coordination.actions."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ourplan.coordination import actions, queries
from ourplan.coordination.access import get_task_for, may_update
from ourplan.coordination.models import Task
from ourplan.core import audit
from ourplan.core.decorators import staff_required
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.people.access import STAFF_BASES, PersonAccess, get_person_for
from ourplan.people.models import StaffMember
from ourplan.planning.models import GoalAction
from ourplan.sharing.actions import active_members, do_add_member, role_for


@staff_required
def worklist(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "mine")
    if view not in queries.VIEWS:
        view = "mine"
    tasks = queries.hide_sensitive_goals(list(queries.worklist(request.user, view)[:500]), request.user)
    # A list of people's tasks is a search over their records: one audit event for the list.
    audit.record(request.user, AuditAction.SEARCH, "Task", "", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={"path": request.path, "view": view, "count": len(tasks)})
    return render(request, "coordination/worklist.jinja", {
        "page_title": "Tasks", "nav": "tasks", "tasks": tasks, "view": view, "views": queries.VIEWS,
        "today": timezone.localdate(),
    })


def _action_for(person: Any, value: str | None) -> GoalAction | None:
    if not value:
        return None
    try:
        return GoalAction.objects.select_related("goal__plan").filter(goal__plan__person=person,
                                                                      public_id=UUID(value)).first()
    except ValueError:
        return None


def _person_tasks_page(request: HttpRequest, access: PersonAccess, *, errors: dict[str, str] | None = None
                       ) -> HttpResponse:
    person = access.person
    data: Any = request.POST if errors else request.GET
    action = _action_for(person, data.get("action"))
    members = active_members(person) if access.basis == AccessBasis.DIRECT_CARE else []
    in_team = {m.staff_member_id for m in members if m.staff_member_id}
    # Practice staff can be given a task before they are in the team: giving it adds them to the team.
    practice_staff = ([s for s in _practice_staff(person) if s.pk not in in_team]
                      if access.basis == AccessBasis.DIRECT_CARE else [])
    return render(request, "coordination/person_tasks.jinja", {
        "page_title": f"Tasks: {person.formal_name}", "nav": "register", "person": person,
        "tasks": queries.for_person_page(person, request.user, access.grant),
        "may_create": access.basis == AccessBasis.DIRECT_CARE, "errors": errors or {}, "data": data,
        "today": timezone.localdate(),
        "action": action, "assignees": [("", "Choose"), ("person", f"{person.display_name} (the person)")]
        + [(str(m.public_id), f"{m.name} ({m.get_role_display()})") for m in members]
        + [(f"staff:{s.public_id}", f"{s.practitioner}, {s.job_title or s.get_role_display()} (adds them to the team)")
           for s in practice_staff],
    }, status=400 if errors else 200)


def _read_new_task(request: HttpRequest, access: PersonAccess) -> tuple[dict[str, Any] | None, dict[str, str]]:
    p = request.POST
    errors: dict[str, str] = {}
    title = p.get("title", "").strip()
    if not title:
        errors["title"] = "Say what needs doing"
    who = p.get("assignee", "")
    member = staff = None
    if who.startswith("staff:"):
        staff = next((s for s in _practice_staff(access.person) if f"staff:{s.public_id}" == who), None)
        if staff is None:
            errors["assignee"] = "Choose who will do it"
    elif who != "person":
        member = next((m for m in active_members(access.person) if str(m.public_id) == who), None)
        if member is None:
            errors["assignee"] = "Choose who will do it"
    due: date | None = None
    if p.get("due_date"):
        try:
            due = date.fromisoformat(p["due_date"])
        except ValueError:
            errors["due_date"] = "Enter the due date as YYYY-MM-DD"
    if errors:
        return None, errors
    return {"title": title, "description": p.get("description", ""), "assignee": member,
            "for_person": who == "person", "due_date": due, "action": _action_for(access.person, p.get("action")),
            "staff": staff}, {}


def _practice_staff(person: Any) -> list[StaffMember]:
    if person.practice_id is None:
        return []
    return list(StaffMember.objects.filter(organisation_id=person.practice_id, active=True,
                                           practitioner__isnull=False).exclude(role=StaffMember.Role.ADMIN)
                .select_related("practitioner").order_by("practitioner__family_name"))


@staff_required
def person_tasks(request: HttpRequest, public_id: UUID) -> HttpResponse:
    write = request.method == "POST"
    access = get_person_for(request, public_id, bases={AccessBasis.DIRECT_CARE} if write else STAFF_BASES,
                            entity_type="Task", audit_action=AuditAction.CREATE if write else AuditAction.READ)
    if not write:
        return _person_tasks_page(request, access)
    fields, errors = _read_new_task(request, access)
    if fields is not None:
        try:
            kind = Task.Kind.ACTION if fields["action"] else Task.Kind.OTHER
            staff = fields.pop("staff")
            if staff is not None:
                with transaction.atomic():
                    fields["assignee"] = do_add_member(request.user, access.person,  # type: ignore[arg-type]
                                                       role=role_for(staff), staff_member=staff)
                    actions.do_create_task(request.user, access.person, kind=kind, **fields)  # type: ignore[arg-type]
            else:
                actions.do_create_task(request.user, access.person, kind=kind, **fields)  # type: ignore[arg-type]
        except ActionError as exc:
            errors = {exc.field or "title": exc.message}
    if errors:
        return _person_tasks_page(request, access, errors=errors)
    return redirect("coordination:person_tasks", public_id=access.person.public_id)


@staff_required
def task_detail(request: HttpRequest, task_id: UUID) -> HttpResponse:
    write = request.method == "POST"
    task, grant = get_task_for(request, task_id, update=write)
    queries.hide_sensitive_goals([task], request.user)
    errors: dict[str, str] = {}
    conflict = False
    if write:
        try:
            version = int(request.POST.get("version", "0"))
            actions.do_set_status(request.user, task, version, request.POST.get("status", ""),  # type: ignore[arg-type]
                                  outcome=request.POST.get("outcome", ""), basis=grant.basis)
            return redirect("coordination:task", task_id=task.public_id)
        except EditConflict as exc:
            errors, conflict = {"status": exc.message}, True
            task.refresh_from_db()
        except ActionError as exc:
            errors = {exc.field or "status": exc.message}
        except ValueError:
            errors = {"status": "Choose a status"}
    return render(request, "coordination/task.jinja", {
        "page_title": task.title, "nav": "tasks", "task": task, "person": task.person,
        "may_update": may_update(request.user, task, grant), "statuses": Task.Status.choices,
        "errors": errors, "conflict": conflict, "data": request.POST if errors else {},
    }, status=409 if conflict else (400 if errors else 200))


@login_required
@require_POST
def my_task_done(request: HttpRequest, task_id: UUID) -> HttpResponse:
    """The person ticks their own task, or a carer ticks one given to them. Ticking is idempotent."""
    task, grant = get_task_for(request, task_id, update=True)
    if task.is_open:
        actions.do_set_status(request.user, task, task.version, Task.Status.COMPLETED,  # type: ignore[arg-type]
                              basis=grant.basis)
    if grant.basis == AccessBasis.SELF:
        return redirect("planning:my_plan")
    return redirect("planning:shared_plan", public_id=task.person.public_id)
