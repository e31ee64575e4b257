"""Care plan pages for the clinician (side "staff") and for the person or their carer (side "my"). The same
view serves both sides where the work is the same; `side` picks the access bases, layout and wording.
Thin: access through people.access, changes through planning.actions, reads from the latest snapshot."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ourplan.clinical import charts
from ourplan.clinical.results import overview
from ourplan.clinical.sensitivity import is_sensitive_goal
from ourplan.core.decorators import staff_required
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis
from ourplan.people import access as people_access
from ourplan.people.access import Grant, PersonAccess, get_person_for, own_person
from ourplan.people.models import Person
from ourplan.planning import actions, agenda, highlights, smart, snapshot
from ourplan.planning.forms import (
    AboutForm,
    ActionForm,
    AgreeForm,
    BudgetForm,
    BudgetItemForm,
    DecisionForm,
    GoalForm,
    PersonActionForm,
    PersonGoalForm,
    contingency_form,
)
from ourplan.planning.models import (
    BudgetItem,
    CarePlan,
    ContingencyPlan,
    ConversationNote,
    Decision,
    DecisionAid,
    Goal,
    GoalAction,
    PersonalBudget,
)
from ourplan.planning.models.plan import ABOUT_ME_FIELDS
from ourplan.planning.readability import reading_age

STAFF_BASES = {AccessBasis.DIRECT_CARE}
MY_BASES = {AccessBasis.SELF, AccessBasis.CONSENT}


def _access(request: HttpRequest, public_id: UUID, side: str, *, write: bool = False,
            goal: Goal | bool | None = True) -> PersonAccess:
    """The person, for reading or (write) changing their plan. A carer changes it only if the person's
    consent lets them contribute; a goal (or an action's goal) in the sensitive section only for those who
    see it. Passing goal=None means the goal asked for does not exist. Every refusal is audited as one."""
    def allow(grant: Grant) -> bool:
        if goal is None:
            return False
        if isinstance(goal, Goal) and not grant.sees_sensitive:
            return not is_sensitive_goal(goal.sensitive, goal.measure, goal.registers)
        return True

    return get_person_for(request, public_id, bases=STAFF_BASES if side == "staff" else MY_BASES,
                          entity_type="CarePlan", require_contribute=write, allow=allow)


def _may_edit(request: HttpRequest, access: PersonAccess) -> bool:
    """Staff and the person may edit; a carer only if the person's consent lets them contribute."""
    return access.can_contribute


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _plan(person: Person) -> CarePlan:
    plan = actions.current_plan(person)
    if plan is None:
        raise Http404("No plan")
    return plan


def _prefix(side: str) -> str:
    return "planning:" if side == "staff" else "planning:my_"


def _base(access: PersonAccess, side: str, **extra: Any) -> dict[str, Any]:
    nav = "register" if side == "staff" else "my_plan"
    return {"person": access.person, "side": side, "p": _prefix(side), "nav": nav,
            "is_self": access.basis == AccessBasis.SELF, **extra}


def _home(side: str, person: Person) -> str:
    from django.urls import reverse

    if side == "staff":
        return reverse("planning:workspace", args=[person.public_id])
    return reverse("planning:shared_plan", args=[person.public_id])


def _respond(request: HttpRequest, side: str, person: Person, partial: str, context: dict[str, Any],
             *, saved: bool) -> HttpResponse:
    """htmx gets the partial; a plain form post gets a redirect (saved) or the partial in a full page."""
    if _htmx(request):
        return render(request, partial, context)
    if saved:
        return redirect(_home(side, person))
    return render(request, "planning/edit_page.jinja", {**context, "partial": partial})


def _action_form_response(request: HttpRequest, side: str, person: Person, context: dict[str, Any]) -> HttpResponse:
    """A failed action save: htmx puts the form (with its errors) back where it was, not over the goal."""
    response = _respond(request, side, person, "planning/_action_form.jinja", context, saved=False)
    if _htmx(request) and request.method == "POST":
        action = context.get("action")
        prefix = f"action-{action.public_id}" if action else f"action-new-{context['goal'].public_id}"
        response["HX-Retarget"] = f"#{prefix}-form"
        response["HX-Reswap"] = "outerHTML"
    return response


def _conflict_context(exc: EditConflict) -> dict[str, Any]:
    if isinstance(exc, actions.PlanConflict):
        return {"conflict": exc, "theirs": exc.theirs}
    return {"conflict": exc, "theirs": {}}


# ---- the clinician's workspace --------------------------------------------------------------------------

@staff_required
def workspace(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The care planning conversation on one screen: agenda, results, the plan so far, notes."""
    access = _access(request, public_id, "staff")
    results = overview(access.person)
    latest = actions.latest_version(access.person)
    return render(request, "planning/workspace.jinja", _base(
        access, "staff", page_title=f"Conversation: {access.person.display_name}", results=results,
        chart_data=charts.chart_payload(results), version=latest, may_edit=True,
        data=snapshot.for_display(latest.snapshot) if latest else None,
        registers=results.registers, goal_form=GoalForm(),
    ))


@staff_required
def agenda_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The person's agenda, loaded into the workspace after the page, so the workspace stands on its own."""
    access = _access(request, public_id, "staff")
    return render(request, "planning/_agenda_panel.jinja", _base(
        access, "staff", agenda_items=agenda.agenda_items(access.person),
        has_agenda_template=agenda.has_agenda_template(), agenda_template=agenda.AGENDA_TEMPLATE))


@staff_required
@require_POST
def start_plan(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    actions.do_start_plan(request.user, access.person)  # type: ignore[arg-type]
    return redirect("planning:workspace", public_id)


@staff_required
def notes(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """GET: the notes panel (loaded into the workspace after the page, which keeps the page itself within its
    query budget). POST: autosave, answered with a status line and the new version."""
    access = _access(request, public_id, "staff")
    if request.method != "POST":
        note = ConversationNote.objects.filter(person=access.person, author_id=request.user.pk,
                                               status=ConversationNote.Status.DRAFT).first()
        return _respond(request, "staff", access.person, "planning/_notes_panel.jinja",
                        _base(access, "staff", note=note), saved=False)
    raw = request.POST.get("version", "")
    try:
        note = actions.do_save_notes(request.user, access.person,  # type: ignore[arg-type]
                                     int(raw) if raw.isdigit() else None, request.POST.get("text", ""))
    except EditConflict:
        return render(request, "planning/_notes_status.jinja", {"conflict": True, "note": None})
    if not _htmx(request):
        return redirect("planning:workspace", public_id)
    return render(request, "planning/_notes_status.jinja", {"conflict": False, "note": note})


# ---- plan pages ----------------------------------------------------------------------------------------

def _plan_page(request: HttpRequest, access: PersonAccess, side: str) -> HttpResponse:
    from ourplan.coordination.queries import for_plan_page
    from ourplan.sharing import redact

    latest = actions.latest_version(access.person)
    data = redact.plan(snapshot.for_display(latest.snapshot) if latest else None, access.sees_sensitive)
    if side == "my" and latest is not None and not latest.plan.shared_with_person:
        data = None  # the care team has not shared it yet
    changes = highlights.person_changes(latest) if latest and side == "staff" else {}
    template = "planning/plan_staff.jinja" if side == "staff" else "planning/my_plan.jinja"
    return render(request, template, _base(
        access, side, page_title="Care plan" if side == "staff" else "My plan", data=data, version=latest,
        changes=changes, may_edit=_may_edit(request, access) if side == "my" else True,
        reading_age=reading_age(highlights.plan_text(data)) if data else None,
        direct=access.basis == AccessBasis.DIRECT_CARE, sees_history=access.sees_sensitive,
        tasks=for_plan_page(access.person, request.user, access.grant) if data else [],
    ))


@staff_required
def plan_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    # Read-only for the care team outside the practice and for emergency access; sensitive parts redacted.
    access = get_person_for(request, public_id, bases=people_access.STAFF_BASES, entity_type="CarePlan")
    return _plan_page(request, access, "staff")


@login_required
def my_plan(request: HttpRequest) -> HttpResponse:
    own = own_person(request.user)
    if own is None:
        return redirect("people:my_home")
    return _plan_page(request, _access(request, own.public_id, "my"), "my")


@login_required
def shared_plan(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _plan_page(request, _access(request, public_id, "my"), "my")


@login_required
def history(request: HttpRequest, public_id: UUID, side: str) -> HttpResponse:
    # Version summaries quote what changed, sensitive goals included: only for those who see sensitive parts.
    access = get_person_for(request, public_id, bases=STAFF_BASES if side == "staff" else MY_BASES,
                            entity_type="CarePlan", require_sensitive=True)
    plan = _plan(access.person)
    if side == "my" and not plan.shared_with_person:
        raise Http404("Not shared yet")
    versions = plan.versions.only("number", "author_label", "author_kind", "at", "summary")
    return render(request, "planning/history.jinja", _base(
        access, side, page_title="Plan history", versions=versions, plan=plan))


# ---- About me ------------------------------------------------------------------------------------------

@login_required
def about_edit(request: HttpRequest, public_id: UUID, side: str) -> HttpResponse:
    access = _access(request, public_id, side, write=True)
    plan = _plan(access.person)
    context = _base(access, side, plan=plan)
    if request.method != "POST":
        context["reading_age"] = reading_age(". ".join(getattr(plan, f) for f in ABOUT_ME_FIELDS if getattr(plan, f)))
        form = AboutForm(initial={"version": plan.version, **{f: getattr(plan, f) for f in ABOUT_ME_FIELDS}})
        return _respond(request, side, access.person, "planning/_about_form.jinja", {**context, "form": form},
                        saved=False)
    form = AboutForm(request.POST)
    context["reading_age"] = reading_age(". ".join(request.POST.get(f, "") for f in ABOUT_ME_FIELDS))
    if form.is_valid():
        changes = {f: form.cleaned_data[f] for f in ABOUT_ME_FIELDS if f in request.POST}
        try:
            plan = actions.do_update_about(request.user, plan, form.cleaned_data["version"],  # type: ignore[arg-type]
                                           changes, basis=access.basis)
        except EditConflict as exc:
            # Keep the editor's text; the next save starts from the version they have now seen.
            form = AboutForm({**request.POST.dict(), "version": exc.current_version})
            form.is_valid()
            return _respond(request, side, access.person, "planning/_about_form.jinja",
                            {**context, "form": form, **_conflict_context(exc)}, saved=False)
        data = snapshot.for_display(snapshot.build(plan))
        return _respond(request, side, access.person, "planning/_about.jinja",
                        {**context, "data": data, "may_edit": True, "saved_now": True}, saved=True)
    return _respond(request, side, access.person, "planning/_about_form.jinja", {**context, "form": form},
                    saved=False)


# ---- goals and actions ---------------------------------------------------------------------------------

def _goal_form_class(side: str) -> type[GoalForm] | type[PersonGoalForm]:
    return GoalForm if side == "staff" else PersonGoalForm


def _goal_context(form: Any, goal: Goal | None) -> dict[str, Any]:
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    words = data.get("person_words") or (form["person_words"].value() or "")
    return {
        "form": form, "goal": goal,
        "suggestions": smart.suggestions(words, target_date=data.get("target_date"),
                                         measure=data.get("measure", ""), target_value=data.get("target_value")),
        "reading_age": reading_age(words),
    }


@login_required
def goal_new(request: HttpRequest, public_id: UUID, side: str) -> HttpResponse:
    access = _access(request, public_id, side, write=True)
    plan = _plan(access.person)
    context = _base(access, side, plan=plan, registers=sorted({c.register for c in access.person.conditions.all()
                                                               if c.register and c.is_active}))
    form_class = _goal_form_class(side)
    if request.method != "POST":
        return _respond(request, side, access.person, "planning/_goal_form.jinja",
                        {**context, **_goal_context(form_class(), None)}, saved=False)
    form = form_class(request.POST)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            goal = actions.do_add_goal(request.user, plan, fields, basis=access.basis)  # type: ignore[arg-type]
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, side, access.person, "planning/_goal_added.jinja", {
                **context, "g": snapshot.goal_for_display(goal), "may_edit": True,
                **_goal_context(form_class(), None), "added": snapshot.goal_for_display(goal),
                "added_suggestions": smart.suggestions(goal.person_words, target_date=goal.target_date,
                                                       measure=goal.measure, target_value=goal.target_value),
            }, saved=True)
    return _respond(request, side, access.person, "planning/_goal_form.jinja",
                    {**context, **_goal_context(form, None)}, saved=False)


def _goal_for(person_id: UUID, goal_id: UUID) -> Goal | None:
    return Goal.objects.select_related("plan").filter(public_id=goal_id, plan__person__public_id=person_id).first()


def _action_for(person_id: UUID, action_id: UUID) -> GoalAction | None:
    return (GoalAction.objects.select_related("goal__plan")
            .filter(public_id=action_id, goal__plan__person__public_id=person_id).first())


@login_required
def goal_edit(request: HttpRequest, public_id: UUID, goal_id: UUID, side: str) -> HttpResponse:
    showing = request.method != "POST" and bool(request.GET.get("show"))
    found = _goal_for(public_id, goal_id)
    access = _access(request, public_id, side, write=not showing, goal=found)
    assert found is not None
    goal = found
    context = _base(access, side, registers=sorted({c.register for c in access.person.conditions.all()
                                                    if c.register and c.is_active}))
    if showing:
        return render(request, "planning/_goal.jinja", {**context, "g": snapshot.goal_for_display(goal),
                                                        "may_edit": _may_edit(request, access)})
    form_class = _goal_form_class(side)
    if request.method != "POST":
        form = form_class(initial={"version": goal.version, **{f: getattr(goal, f) for f in form_class.Meta.fields}})
        return _respond(request, side, access.person, "planning/_goal_form.jinja",
                        {**context, **_goal_context(form, goal)}, saved=False)
    form = form_class(request.POST)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            actions.do_update_goal(request.user, goal, form.cleaned_data["version"] or goal.version,  # type: ignore[arg-type]
                                   fields, basis=access.basis)
        except EditConflict as exc:
            current = Goal.objects.get(pk=goal.pk)
            form = form_class({**request.POST.dict(), "version": current.version,
                               "registers": request.POST.getlist("registers")})
            form.is_valid()
            return _respond(request, side, access.person, "planning/_goal_form.jinja",
                            {**context, **_goal_context(form, goal), **_conflict_context(exc)}, saved=False)
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, side, access.person, "planning/_goal.jinja", {
                **context, "g": snapshot.goal_for_display(goal), "may_edit": True, "saved_now": True,
                "suggestions": smart.suggestions(goal.person_words, target_date=goal.target_date,
                                                 measure=goal.measure, target_value=goal.target_value),
            }, saved=True)
    return _respond(request, side, access.person, "planning/_goal_form.jinja",
                    {**context, **_goal_context(form, goal)}, saved=False)


def _action_form_class(side: str) -> type[ActionForm] | type[PersonActionForm]:
    return ActionForm if side == "staff" else PersonActionForm


@login_required
def action_new(request: HttpRequest, public_id: UUID, goal_id: UUID, side: str) -> HttpResponse:
    found = _goal_for(public_id, goal_id)
    access = _access(request, public_id, side, write=True, goal=found)
    assert found is not None
    goal = found
    context = _base(access, side, goal=goal, action=None)
    form_class = _action_form_class(side)
    if request.method != "POST":
        return _respond(request, side, access.person, "planning/_action_form.jinja",
                        {**context, "form": form_class()}, saved=False)
    form = form_class(request.POST)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            actions.do_add_action(request.user, goal, fields, basis=access.basis)  # type: ignore[arg-type]
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, side, access.person, "planning/_goal.jinja", {
                **context, "g": snapshot.goal_for_display(goal), "may_edit": True}, saved=True)
    return _action_form_response(request, side, access.person, {**context, "form": form})


@login_required
def action_edit(request: HttpRequest, public_id: UUID, action_id: UUID, side: str) -> HttpResponse:
    found = _action_for(public_id, action_id)
    access = _access(request, public_id, side, write=True, goal=found.goal if found else None)
    assert found is not None
    action = found
    context = _base(access, side, goal=action.goal, action=action)
    form_class = _action_form_class(side)
    if request.method != "POST":
        form = form_class(initial={"version": action.version,
                                   **{f: getattr(action, f) for f in form_class.Meta.fields}})
        return _respond(request, side, access.person, "planning/_action_form.jinja", {**context, "form": form},
                        saved=False)
    form = form_class(request.POST)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            actions.do_update_action(request.user, action,  # type: ignore[arg-type]
                                     form.cleaned_data["version"] or action.version, fields, basis=access.basis)
        except EditConflict as exc:
            current = GoalAction.objects.get(pk=action.pk)
            form = form_class({**request.POST.dict(), "version": current.version})
            form.is_valid()
            return _action_form_response(request, side, access.person,
                                         {**context, "form": form, **_conflict_context(exc)})
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, side, access.person, "planning/_goal.jinja", {
                **context, "g": snapshot.goal_for_display(action.goal), "may_edit": True}, saved=True)
    return _action_form_response(request, side, access.person, {**context, "form": form})


@login_required
@require_POST
def action_mark(request: HttpRequest, public_id: UUID, action_id: UUID, side: str) -> HttpResponse:
    found = _action_for(public_id, action_id)
    access = _access(request, public_id, side, write=True, goal=found.goal if found else None)
    assert found is not None
    action = found
    actions.do_mark_action(request.user, action, request.POST.get("done") == "1",  # type: ignore[arg-type]
                           basis=access.basis)
    return _respond(request, side, access.person, "planning/_goal.jinja", _base(
        access, side, g=snapshot.goal_for_display(action.goal), may_edit=True), saved=True)


# ---- contingency plans (care team only) ----------------------------------------------------------------

@staff_required
@require_POST
def contingency_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    plan = _plan(access.person)
    try:
        item = actions.do_add_contingency(request.user, plan, request.POST.get("kind", ""))  # type: ignore[arg-type]
    except ActionError:
        return redirect("planning:workspace", public_id)
    form = contingency_form(item.kind, initial={"version": item.version,
                                                **{f: getattr(item, f) for f in snapshot.CONTINGENCY_FIELDS}})
    return _respond(request, "staff", access.person, "planning/_contingency_form.jinja",
                    _base(access, "staff", item=item, form=form, new=True), saved=True)


@staff_required
def contingency_edit(request: HttpRequest, public_id: UUID, item_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    item = get_object_or_404(ContingencyPlan, public_id=item_id, plan__person=access.person)
    context = _base(access, "staff", item=item)
    if request.method != "POST":
        form = contingency_form(item.kind, initial={"version": item.version,
                                                    **{f: getattr(item, f) for f in snapshot.CONTINGENCY_FIELDS}})
        return _respond(request, "staff", access.person, "planning/_contingency_form.jinja",
                        {**context, "form": form}, saved=False)
    form = contingency_form(item.kind, request.POST)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            actions.do_update_contingency(request.user, item,  # type: ignore[arg-type]
                                          form.cleaned_data["version"] or item.version, fields)
        except EditConflict as exc:
            current = ContingencyPlan.objects.get(pk=item.pk)
            form = contingency_form(item.kind, {**request.POST.dict(), "version": current.version})
            form.is_valid()
            return _respond(request, "staff", access.person, "planning/_contingency_form.jinja",
                            {**context, "form": form, **_conflict_context(exc)}, saved=False)
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, "staff", access.person, "planning/_contingency.jinja",
                            {**context, "c": snapshot.contingency_for_display(item), "may_edit": True}, saved=True)
    return _respond(request, "staff", access.person, "planning/_contingency_form.jinja", {**context, "form": form},
                    saved=False)


# ---- shared decisions and the personal budget (care team) ---------------------------------------------

def _decision_context(access: PersonAccess, form: DecisionForm, decision: Decision | None,
                      aid: DecisionAid | None) -> dict[str, Any]:
    return _base(access, "staff", form=form, decision=decision, aid=aid,
                 notes=list(decision.notes.all()) if decision else [])


def _aid_from(request: HttpRequest) -> DecisionAid | None:
    raw = request.POST.get("aid") or request.GET.get("aid") or ""
    return DecisionAid.objects.approved().filter(pk=raw).first() if raw.isdigit() else None


def _decision_fields(form: DecisionForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {k: d[k] for k in ("question", "aid", "options_considered", "what_matters", "decision", "status")}


@staff_required
def decision_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    plan = _plan(access.person)
    aid = _aid_from(request)
    if request.method != "POST" or request.POST.get("_refresh"):
        # Choosing an aid re-renders the form with its options; nothing is saved, so no errors are shown.
        posted = request.POST
        form = DecisionForm(aid=aid, initial={
            "question": posted.get("question") or (aid.question if aid else ""), "aid": aid,
            "what_matters": posted.get("what_matters", ""), "decision": posted.get("decision", ""),
            "status": posted.get("status", Decision.Status.OPEN), "visit_note": posted.get("visit_note", ""),
            "options_considered": posted.getlist("options_considered")})
        return _respond(request, "staff", access.person, "planning/_decision_form.jinja",
                        _decision_context(access, form, None, aid), saved=False)
    form = DecisionForm(request.POST, aid=aid)
    if form.is_valid():
        try:
            decision = actions.do_add_decision(request.user, plan, _decision_fields(form),  # type: ignore[arg-type]
                                               note=form.cleaned_data["visit_note"])
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _respond(request, "staff", access.person, "planning/_decision_added.jinja", {
                **_decision_context(access, DecisionForm(), None, None),
                "d": snapshot.decision_for_display(decision), "may_edit": True}, saved=True)
    return _respond(request, "staff", access.person, "planning/_decision_form.jinja",
                    _decision_context(access, form, None, aid), saved=False)


@staff_required
def decision_edit(request: HttpRequest, public_id: UUID, decision_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    decision = get_object_or_404(Decision.objects.select_related("aid", "plan"), public_id=decision_id,
                                 plan__person=access.person)
    if request.method != "POST":
        if request.GET.get("show"):
            return render(request, "planning/_decision.jinja", _base(
                access, "staff", d=snapshot.decision_for_display(decision), may_edit=True))
        form = DecisionForm(aid=decision.aid, initial={
            "version": decision.version, "question": decision.question, "aid": decision.aid,
            "options_considered": decision.options_considered, "what_matters": decision.what_matters,
            "decision": decision.decision, "status": decision.status})
        return _respond(request, "staff", access.person, "planning/_decision_form.jinja",
                        _decision_context(access, form, decision, decision.aid), saved=False)
    aid = _aid_from(request)
    form = DecisionForm(request.POST, aid=aid)
    if form.is_valid():
        try:
            actions.do_update_decision(request.user, decision,  # type: ignore[arg-type]
                                       form.cleaned_data["version"] or decision.version, _decision_fields(form),
                                       note=form.cleaned_data["visit_note"])
        except EditConflict as exc:
            current = Decision.objects.get(pk=decision.pk)
            form = DecisionForm({**request.POST.dict(), "version": current.version,
                                 "options_considered": request.POST.getlist("options_considered")}, aid=aid)
            form.is_valid()
            return _respond(request, "staff", access.person, "planning/_decision_form.jinja",
                            {**_decision_context(access, form, decision, aid), **_conflict_context(exc)},
                            saved=False)
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return _respond(request, "staff", access.person, "planning/_decision.jinja", _base(
                access, "staff", d=snapshot.decision_for_display(decision), may_edit=True, saved_now=True),
                saved=True)
    return _respond(request, "staff", access.person, "planning/_decision_form.jinja",
                    _decision_context(access, form, decision, aid), saved=False)


def _budget_context(access: PersonAccess, plan: CarePlan, **extra: Any) -> dict[str, Any]:
    return _base(access, "staff", b=snapshot.budget_for_display(plan), plan=plan, may_edit=True,
                 item_form=extra.pop("item_form", None) or BudgetItemForm(plan_id=plan.pk), **extra)


@staff_required
def budget_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    plan = _plan(access.person)
    budget = PersonalBudget.objects.filter(plan=plan).first()
    if request.method != "POST":
        initial = {"version": budget.version, **{f: getattr(budget, f) for f in BudgetForm.Meta.fields}} \
            if budget else {}
        return _respond(request, "staff", access.person, "planning/_budget_form.jinja",
                        _base(access, "staff", form=BudgetForm(initial=initial)), saved=False)
    form = BudgetForm(request.POST)
    if form.is_valid():
        fields = {k: form.cleaned_data[k] for k in BudgetForm.Meta.fields}
        try:
            actions.do_set_budget(request.user, plan, form.cleaned_data["version"], fields)  # type: ignore[arg-type]
        except EditConflict as exc:
            current = PersonalBudget.objects.get(plan=plan)
            form = BudgetForm({**request.POST.dict(), "version": current.version})
            form.is_valid()
            return _respond(request, "staff", access.person, "planning/_budget_form.jinja",
                            _base(access, "staff", form=form, **_conflict_context(exc)), saved=False)
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, "staff", access.person, "planning/_budget.jinja",
                            _budget_context(access, plan, saved_now=True), saved=True)
    return _respond(request, "staff", access.person, "planning/_budget_form.jinja",
                    _base(access, "staff", form=form), saved=False)


@staff_required
def budget_item_new(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    plan = _plan(access.person)
    if request.method != "POST":
        return _respond(request, "staff", access.person, "planning/_budget.jinja", _budget_context(access, plan),
                        saved=False)
    form = BudgetItemForm(request.POST, plan_id=plan.pk)
    if form.is_valid():
        try:
            actions.do_add_budget_item(request.user, plan, dict(form.cleaned_data))  # type: ignore[arg-type]
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return _respond(request, "staff", access.person, "planning/_budget.jinja",
                            _budget_context(access, plan), saved=True)
    return _respond(request, "staff", access.person, "planning/_budget.jinja",
                    _budget_context(access, plan, item_form=form), saved=False)


@staff_required
@require_POST
def budget_item_remove(request: HttpRequest, public_id: UUID, item_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    item = get_object_or_404(BudgetItem.objects.select_related("budget__plan"), public_id=item_id,
                             budget__plan__person=access.person)
    plan = item.budget.plan
    actions.do_remove_budget_item(request.user, item)  # type: ignore[arg-type]
    return _respond(request, "staff", access.person, "planning/_budget.jinja", _budget_context(access, plan),
                    saved=True)


# ---- agreeing the plan ---------------------------------------------------------------------------------

@staff_required
def agree(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = _access(request, public_id, "staff")
    plan = _plan(access.person)
    context = _base(access, "staff", page_title="Agree the plan", plan=plan)
    if request.method != "POST":
        form = AgreeForm(practice_id=access.person.practice_id, initial={
            "version": plan.version, "agreed_by_name": plan.agreed_by_name or access.person.display_name,
            "agreed_by_role": plan.agreed_by_role or "The person", "review_date": plan.review_date,
            "reviewer": plan.review_responsible_id, "share_with_person": plan.shared_with_person})
        return render(request, "planning/agree.jinja", {**context, "form": form})
    form = AgreeForm(request.POST, practice_id=access.person.practice_id)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.do_agree_plan(request.user, plan, d["version"], agreed_by_name=d["agreed_by_name"],  # type: ignore[arg-type]
                                  agreed_by_role=d["agreed_by_role"], review_date=d["review_date"],
                                  reviewer=d["reviewer"], share_with_person=d["share_with_person"])
        except EditConflict as exc:
            form = AgreeForm({**request.POST.dict(), "version": exc.current_version},
                             practice_id=access.person.practice_id)
            form.is_valid()
            return render(request, "planning/agree.jinja", {**context, "form": form, "conflict": exc})
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("planning:plan", public_id)
    return render(request, "planning/agree.jinja", {**context, "form": form})


# ---- PDF -----------------------------------------------------------------------------------------------

@login_required
def plan_pdf(request: HttpRequest, public_id: UUID, side: str) -> HttpResponse:
    from ourplan.planning import pdf
    from ourplan.sharing import redact

    access = get_person_for(request, public_id,
                            bases=people_access.STAFF_BASES if side == "staff" else MY_BASES,
                            entity_type="CarePlan", audit_action=pdf.DOWNLOAD)
    latest = actions.latest_version(access.person)
    if latest is None or (side == "my" and not latest.plan.shared_with_person):
        raise Http404("No plan")
    large = request.GET.get("print") == "large"
    data = redact.plan(snapshot.for_display(latest.snapshot), access.sees_sensitive)
    assert data is not None
    content = pdf.render_plan(request, access.person, data, large=large)
    response = HttpResponse(content, content_type="application/pdf")
    name = f"care-plan{'-large-print' if large else ''}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
