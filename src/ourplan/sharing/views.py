"""Care team and sharing pages: the staff view of a person's team (and recording consent given in clinic),
the person's own "My care team" where they decide who sees what, "Who has seen my record", sensitive
notes, emergency access, and the practice admin's audit search. Thin: access through people.access,
changes through sharing.actions."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ourplan.core import audit
from ourplan.core.decorators import practice_admin_required, refuse, staff_required
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.core.roles import CLINICAL_ROLES, staff_memberships, staff_roles
from ourplan.people import nhs_number
from ourplan.people.access import STAFF_BASES, PersonAccess, get_own_person_for, get_person_for, grant_for
from ourplan.people.models import Consent, Organisation, Person, StaffMember
from ourplan.sharing import actions, forms, seen
from ourplan.sharing.models import BreakGlass, CareTeamMember, MemberRole, SensitiveNote

DIRECT = {AccessBasis.DIRECT_CARE}
SELF = {AccessBasis.SELF}


def _consents_in_force(person: Person) -> list[Consent]:
    return list(Consent.objects.filter(Consent.in_force_q(), person=person)
                .select_related("related_person", "staff_member__practitioner", "staff_member__organisation",
                                "organisation"))


def _sharing_for(member: CareTeamMember, consents: list[Consent]) -> Consent | None:
    """The consent that lets this member see the record, if any (their own, or their organisation's)."""
    for c in consents:
        if member.related_person_id and c.related_person_id == member.related_person_id:
            return c
        if member.staff_member_id and c.staff_member_id == member.staff_member_id:
            return c
        org_id = member.staff_member.organisation_id if member.staff_member else member.organisation_id
        if c.organisation_id and c.organisation_id == org_id and not member.related_person_id:
            return c
    return None


def _at_practice(member: CareTeamMember, person: Person) -> bool:
    """Staff at the person's own GP practice see the record for direct care, whatever is shared."""
    if person.practice_id is None or member.related_person_id:
        return False
    org_id = member.staff_member.organisation_id if member.staff_member else member.organisation_id
    return org_id == person.practice_id


def _team_rows(person: Person) -> list[tuple[CareTeamMember, Consent | None, bool]]:
    consents = _consents_in_force(person)
    return [(m, _sharing_for(m, consents), _at_practice(m, person)) for m in actions.active_members(person)]


def _member_choices(access: PersonAccess) -> dict[str, object]:
    person = access.person
    return {
        "staff_options": [("", "Choose")] + [
            (str(s.public_id),
             f"{s.practitioner or s.job_title or 'Unnamed'}, {s.get_role_display()}, {s.organisation}")
            for s in StaffMember.objects.filter(active=True).select_related("practitioner", "organisation")
            .order_by("organisation__name", "practitioner__family_name")
        ],
        "org_options": [("", "Choose")] + [(str(o.public_id), f"{o.name} ({o.get_kind_display()})")
                                           for o in Organisation.objects.order_by("name")],
        "related_options": [("", "Choose")] + [(str(r.public_id), f"{r} ({r.get_relationship_display()})")
                                               for r in person.related_people.filter(active=True)],
        "roles": [("", "Choose"), *list(MemberRole.choices)],
    }


# ---- staff ---------------------------------------------------------------------------------------------

def _staff_team_page(request: HttpRequest, access: PersonAccess, *, errors: dict[str, str] | None = None,
                     status: int = 200) -> HttpResponse:
    return render(request, "sharing/staff_team.jinja", {
        "page_title": f"Care team: {access.person.formal_name}", "nav": "register", "person": access.person,
        "rows": _team_rows(access.person), "may_manage": access.basis == AccessBasis.DIRECT_CARE,
        "errors": errors or {}, "data": request.POST if errors else {}, "durations": forms.DURATIONS,
        "scopes": forms.SCOPES, **(_member_choices(access) if access.basis == AccessBasis.DIRECT_CARE else {}),
    }, status=status)


@staff_required
def staff_team(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases=STAFF_BASES, entity_type="CareTeam")
    return _staff_team_page(request, access)


@staff_required
@require_POST
def staff_add_member(request: HttpRequest, public_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases=DIRECT, entity_type="CareTeam", audit_action=AuditAction.UPDATE)
    new, errors = forms.read_member(request.POST, access.person)
    if new is not None:
        try:
            actions.do_add_member(request.user, access.person, role=new.role,  # type: ignore[arg-type]
                                  staff_member=new.staff_member, organisation=new.organisation,
                                  related_person=new.related_person, contact=new.contact)
        except ActionError as exc:
            errors = {exc.field or "kind": exc.message}
    if errors:
        return _staff_team_page(request, access, errors=errors, status=400)
    return redirect("sharing:staff_team", public_id=access.person.public_id)


@staff_required
@require_POST
def staff_remove_member(request: HttpRequest, public_id: UUID, member_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases=DIRECT, entity_type="CareTeam", audit_action=AuditAction.UPDATE)
    member = get_object_or_404(CareTeamMember, team__person=access.person, public_id=member_id)
    actions.do_remove_member(request.user, member)  # type: ignore[arg-type]
    return redirect("sharing:staff_team", public_id=access.person.public_id)


@staff_required
@require_POST
def staff_record_share(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Consent the person gave in clinic or by phone, recorded by their practice, with who gave it."""
    access = get_person_for(request, public_id, bases=DIRECT, entity_type="Consent", audit_action=AuditAction.UPDATE)
    choice, errors = forms.read_share(request.POST, access.person, need_given_by=True)
    if choice is not None:
        try:
            _share(request, access, choice, basis=AccessBasis.DIRECT_CARE)
        except ActionError as exc:
            errors = {exc.field or "member": exc.message}
    if errors:
        return _staff_team_page(request, access, errors=errors, status=400)
    return redirect("sharing:staff_team", public_id=access.person.public_id)


def _share(request: HttpRequest, access: PersonAccess, choice: forms.ShareChoice, *, basis: AccessBasis) -> Consent:
    member = choice.member
    return actions.do_share(
        request.user, access.person,  # type: ignore[arg-type]
        member=None if choice.organisation else member, organisation=choice.organisation,
        ends_at=choice.ends_at, include_sensitive=choice.include_sensitive, can_contribute=choice.can_contribute,
        given_by=choice.given_by, basis=basis,
    )


@staff_required
@require_POST
def staff_withdraw(request: HttpRequest, public_id: UUID, consent_id: UUID) -> HttpResponse:
    access = get_person_for(request, public_id, bases=DIRECT, entity_type="Consent", audit_action=AuditAction.UPDATE)
    actions.do_withdraw(request.user, get_object_or_404(Consent, person=access.person, public_id=consent_id),  # type: ignore[arg-type]
                        basis=AccessBasis.DIRECT_CARE)
    return redirect("sharing:staff_team", public_id=access.person.public_id)


@staff_required
def sensitive_notes(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The sensitive section: only those who see sensitive sections reach it; others get "not found"."""
    write = request.method == "POST"
    access = get_person_for(request, public_id, bases=STAFF_BASES, entity_type="SensitiveNote",
                            audit_action=AuditAction.CREATE if write else AuditAction.READ, require_sensitive=True)
    errors: dict[str, str] = {}
    if write:
        if access.basis != AccessBasis.DIRECT_CARE:
            raise Http404("Not found")
        note, errors = forms.read_note(request.POST)
        if note is not None:
            actions.do_add_sensitive_note(request.user, access.person, kind=note[0], text=note[1])  # type: ignore[arg-type]
            return redirect("sharing:sensitive_notes", public_id=access.person.public_id)
    return render(request, "sharing/sensitive_notes.jinja", {
        "page_title": f"Sensitive notes: {access.person.formal_name}", "nav": "register", "person": access.person,
        "notes": SensitiveNote.objects.filter(person=access.person), "kinds": SensitiveNote.Kind.choices,
        "errors": errors, "data": request.POST if errors else {}, "may_write": access.basis == AccessBasis.DIRECT_CARE,
    }, status=400 if errors else 200)


@staff_required
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break glass: a clinician outside the care team opens a record by NHS number, giving a reason."""
    if not staff_roles(request.user) & CLINICAL_ROLES:
        raise refuse(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        raw = request.POST.get("nhs_number", "").strip()
        number = nhs_number.normalise(raw)
        reason = request.POST.get("reason", "")
        if not raw:
            errors["nhs_number"] = "Enter the person's NHS number"
        elif not nhs_number.is_valid(number):
            errors["nhs_number"] = "Enter a valid 10-digit NHS number"
        if len(reason.strip()) < actions.MIN_REASON:
            # Checked before anyone is looked up: without a reason, the page says nothing about who exists.
            errors["reason"] = "Say why you need emergency access (at least a short sentence)"
        person = Person.objects.filter(nhs_number=number).first() if not errors else None
        if not errors and person is None:
            errors["nhs_number"] = "No record with that NHS number"
            audit.record(request.user, AuditAction.DENIED, "BreakGlass", "", basis=AccessBasis.NONE,  # type: ignore[arg-type]
                         request=request, detail={"reason": "no such NHS number"})
        if person is not None and grant_for(request.user, person).allowed:
            # Emergency access is for records you cannot otherwise open: no glass to break, nothing to alert.
            messages.info(request, "You can already see this record, so emergency access was not needed.")
            return redirect("people:person_detail", public_id=person.public_id)
        if person is not None:
            try:
                actions.do_break_glass(request.user, person, reason, request=request)  # type: ignore[arg-type]
            except ActionError as exc:
                errors[exc.field or "reason"] = exc.message
            else:
                return redirect("people:person_detail", public_id=person.public_id)

    return render(request, "sharing/emergency_access.jinja", {
        "page_title": "Emergency access", "nav": "register", "errors": errors,
        "data": request.POST if errors else {}, "hours": BreakGlass.DURATION_HOURS,
    }, status=400 if errors else 200)


def _parse_date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD"
        return None


@practice_admin_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """The practice admin's audit log search: events about their registered people or by their staff."""
    errors: dict[str, str] = {}
    g = request.GET
    number = g.get("nhs_number", "").strip()
    if number and not nhs_number.is_valid(nhs_number.normalise(number)):
        errors["nhs_number"] = "Enter a valid 10-digit NHS number"
    query = seen.AuditQuery(
        nhs_number=nhs_number.normalise(number) if number and not errors else "",
        user=g.get("user", "").strip(), action=g.get("action", "") if g.get("action") in AuditAction.values else "",
        basis=g.get("basis", "") if g.get("basis") in AccessBasis.values else "",
        date_from=_parse_date(g.get("date_from", ""), "date_from", errors),
        date_to=_parse_date(g.get("date_to", ""), "date_to", errors),
    )
    if query.date_from and query.date_to and query.date_from > query.date_to:
        errors["date_to"] = "The end date must be the same as or after the start date"
    admin_orgs = [m.organisation_id for m in staff_memberships(request.user).filter(role="admin")]
    scope_people = Person.objects.filter(practice_id__in=admin_orgs)
    staff_users = list(StaffMember.objects.filter(organisation_id__in=admin_orgs, practitioner__user__isnull=False)
                       .values_list("practitioner__user_id", flat=True))
    events = seen.search(scope_people, staff_users, query) if not errors else seen.AuditEvent.objects.none()
    page = Paginator(events, 50).get_page(g.get("page"))
    rows = list(page.object_list)
    audit.record(request.user, AuditAction.SEARCH, "AuditEvent", "", basis=AccessBasis.DIRECT_CARE,  # type: ignore[arg-type]
                 request=request, detail={"path": request.path, "query": {k: v for k, v in g.items() if v},
                                          "count": page.paginator.count})
    return render(request, "sharing/audit_search.jinja", {
        "page_title": "Audit log", "nav": "audit", "errors": errors, "data": g, "page": page, "rows": rows,
        "people": seen.people_by_ref(rows, scope_people), "actions": [("", "Any"), *list(AuditAction.choices)],
        "describe": seen.describe,
        "bases": [("", "Any"), *list(AccessBasis.choices)],
        "emergencies": BreakGlass.objects.filter(person__in=scope_people).select_related("person")[:20],
    }, status=400 if errors else 200)


# ---- the person ----------------------------------------------------------------------------------------

def _own_access(request: HttpRequest, entity_type: str, action: AuditAction = AuditAction.READ) -> PersonAccess:
    return get_own_person_for(request, entity_type=entity_type, audit_action=action)


def _my_team_page(request: HttpRequest, access: PersonAccess, errors: dict[str, str] | None = None) -> HttpResponse:
    return render(request, "sharing/my_team.jinja", {
        "page_title": "My care team", "nav": "my_team", "person": access.person, "rows": _team_rows(access.person),
        "durations": forms.DURATIONS, "scopes": forms.SCOPES, "errors": errors or {},
        "data": request.POST if errors else {}, "now": timezone.now(),
    }, status=400 if errors else 200)


@login_required
def my_team(request: HttpRequest) -> HttpResponse:
    return _my_team_page(request, _own_access(request, "CareTeam"))


@login_required
@require_POST
def my_share(request: HttpRequest) -> HttpResponse:
    access = _own_access(request, "Consent", AuditAction.UPDATE)
    choice, errors = forms.read_share(request.POST, access.person, need_given_by=False)
    if choice is not None:
        try:
            _share(request, access, choice, basis=AccessBasis.SELF)
        except ActionError as exc:
            errors = {exc.field or "member": exc.message}
    if errors:
        return _my_team_page(request, access, errors)
    return redirect("sharing:my_team")


@login_required
@require_POST
def my_withdraw(request: HttpRequest, consent_id: UUID) -> HttpResponse:
    access = _own_access(request, "Consent", AuditAction.UPDATE)
    actions.do_withdraw(request.user, get_object_or_404(Consent, person=access.person, public_id=consent_id))  # type: ignore[arg-type]
    return redirect("sharing:my_team")


@login_required
def my_seen(request: HttpRequest) -> HttpResponse:
    """Who has seen my record: every read, change and refused attempt by anyone but me, emergencies first."""
    access = _own_access(request, "AuditEvent")
    rows = seen.seen_by_others(access.person)
    return render(request, "sharing/my_seen.jinja", {
        "page_title": "Who has seen my record", "nav": "my_seen", "person": access.person, "rows": rows,
        "emergencies": BreakGlass.objects.filter(person=access.person),
    })

