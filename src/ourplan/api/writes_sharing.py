"""create (POST) and update (PUT) of CareTeam, Consent and Task, through the same actions as the website
(sharing.actions, coordination.actions), so a change made by another system is recorded, audited and
notified exactly as one made on the Care team and task pages. The inverse of api.out_sharing.

Who may write is the website's rule for each:
- CareTeam and Consent: practice staff (direct care) and system clients acting for the practice, as on
  the staff Care team page. A consent must say who made the decision (Consent.performer): the person, or
  their representative, recorded by the practice. People change their own sharing on "My team".
- Task: created by practice staff and system clients (as on the person's task page); moved on by those and
  by the care team members it is given to (coordination.access.may_update), with If-Match.

A consent's grantee and a task's owner must be current members of the person's care team (or, for a
consent, the organisation of one), exactly as the website offers them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ourplan.api import extensions as X
from ourplan.api.access import grant, require_write
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError
from ourplan.api.out_sharing import CONSENT_ACTION
from ourplan.api.search import reference_id
from ourplan.api.writes import Written, lock_version, subject_person
from ourplan.coordination import actions as tasks
from ourplan.coordination.access import may_update
from ourplan.coordination.models import Task
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis
from ourplan.imports.records import aware
from ourplan.people.models import Consent, Organisation, Person, RelatedPerson, StaffMember
from ourplan.planning.models import CarePlan
from ourplan.sharing import actions as sharing
from ourplan.sharing.models import CareTeam, CareTeamMember, MemberRole

ROLE_SYSTEM = X.CODE_SYSTEM + "care-team-role"
TASK_KIND = X.CODE_SYSTEM + "task-kind"


def _refuse(message: str, path: str, code: str = "business-rule", status: int = 422) -> FhirError:
    return FhirError(status, message, code=code, expression=[path])


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _conflict() -> FhirError:
    return FhirError(412, "Someone changed this record after you read it. Read it again and re-apply your "
                     "change.", code="conflict")


def _ends(period: Any) -> datetime | None:
    end = getattr(period, "end", None) if period is not None else None
    return aware(end) if isinstance(end, date) else None


# --- who a reference names, among the person's care team ------------------------------------------------

def _who(ref: Any, person: Person, path: str) -> StaffMember | Organisation | RelatedPerson:
    """The professional (PractitionerRole), organisation or related person a reference names on this
    server; a related person must be one of this person's."""
    text = _text(getattr(ref, "reference", None))
    for kind, model in (("PractitionerRole", StaffMember), ("Organization", Organisation),
                        ("RelatedPerson", RelatedPerson)):
        key = reference_id(text, kind) if f"{kind}/" in text else None
        found = model._default_manager.filter(public_id=key).first() if key is not None else None
        if found is None:
            continue
        if isinstance(found, RelatedPerson) and (found.person_id != person.pk or not found.active):
            break
        if isinstance(found, StaffMember) and not found.active:
            break
        return found
    raise _refuse(f"{path} must name a PractitionerRole, Organization or (this person's) RelatedPerson on this "
                  "server", path)


def _active_member(person: Person, who: StaffMember | Organisation | RelatedPerson) -> CareTeamMember | None:
    members = CareTeamMember.objects.filter(CareTeamMember.active_q(), team__person=person)
    if isinstance(who, StaffMember):
        return members.filter(staff_member=who).first()
    if isinstance(who, RelatedPerson):
        return members.filter(related_person=who).first()
    return members.filter(organisation=who, staff_member__isnull=True).first()


def _writer_basis(caller: Caller, person: Person, resource_type: str) -> AccessBasis:
    found = grant(caller, person).basis
    require_write(found, resource_type)
    return found


# --- CareTeam --------------------------------------------------------------------------------------------

def _role(participant: Any, path: str) -> str:
    for concept in participant.role or []:
        for coding in concept.coding or []:
            if coding.system in (ROLE_SYSTEM, None) and coding.code in MemberRole.values:
                return str(coding.code)
    raise _refuse(f"{path}.role needs a code from {ROLE_SYSTEM} ({', '.join(MemberRole.values)})",
                  f"{path}.role", "code-invalid")


def _wanted_members(res: Any, person: Person) -> list[tuple[Any, str, bool, str]]:
    """Each participant: who, their role, whether they are still in the team (no end in the past), path."""
    out = []
    now = timezone.now()
    for index, participant in enumerate(res.participant or []):
        path = f"CareTeam.participant[{index}]"
        if participant.member is None:
            raise _refuse(f"{path}.member is required", f"{path}.member", "required")
        who = _who(participant.member, person, f"{path}.member")
        ends = _ends(participant.period)
        out.append((who, _role(participant, path), ends is None or ends > now, path))
    return out


def _apply_members(caller: Caller, person: Person, res: Any, basis: AccessBasis) -> bool:
    """Add the participants who are not members; record as left those who are sent with a past end, or left
    out of the resource. A role change is refused: it is decided on the Care team page."""
    wanted = _wanted_members(res, person)
    current = {m.pk: m for m in CareTeamMember.objects.filter(CareTeamMember.active_q(), team__person=person)}
    keep: set[int] = set()
    changed = False
    for who, role, active, path in wanted:
        member = _active_member(person, who)
        if member is not None and active:
            if member.role != role:
                raise _refuse(f"{member.name} is in the team as {member.get_role_display()}; a role is changed on "
                              "the Care team page, not over the API", f"{path}.role")
            keep.add(member.pk)
        elif active:
            kinds = {StaffMember: "staff_member", Organisation: "organisation", RelatedPerson: "related_person"}
            try:
                added = sharing.do_add_member(caller.user, person, role=role, basis=basis,
                                              **{kinds[type(who)]: who})
            except ActionError as exc:
                raise _refuse(exc.message, path) from exc
            keep.add(added.pk)
            changed = True
    for pk, member in current.items():
        if pk not in keep:
            sharing.do_remove_member(caller.user, member, basis=basis)
            changed = True
    return changed


class CareTeamWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        person, _ = subject_person(caller, res.subject, "CareTeam")
        basis = _writer_basis(caller, person, "CareTeam")
        existing = CareTeam.objects.filter(person=person).first()
        if existing is not None:
            raise FhirError(409, f"The person already has a care team (CareTeam/{existing.public_id}): change it "
                            "with PUT", code="duplicate", expression=["CareTeam.subject"])
        with transaction.atomic():
            team = sharing.team_for(person)
            _apply_members(caller, person, res, basis)
        return Written(team, person, basis, True)

    def update(self, caller: Caller, team: CareTeam, res: Any, version: int) -> Written:
        person, _ = subject_person(caller, res.subject, "CareTeam")
        if person.pk != team.person_id:
            raise _refuse("CareTeam.subject cannot be changed: a team belongs to one person", "CareTeam.subject")
        basis = _writer_basis(caller, person, "CareTeam")
        with transaction.atomic():
            # If-Match is checked once, here, with the row locked until the end of the write. Each member
            # added or removed then moves the team's version itself (sharing.actions, as on the website), so
            # a client holding an older ETag is refused (412) rather than undoing a change it never saw; a
            # second bump here would only skip versions, and re-checking `version` after the members moved
            # it would refuse this very PUT. A PUT that changes nobody leaves the version as it was.
            lock_version(CareTeam, team, version)
            _apply_members(caller, person, res, basis)
            team.refresh_from_db(fields=["version", "updated_at"])
        return Written(team, person, basis, False)


# --- Consent ---------------------------------------------------------------------------------------------

def _given_by(res: Any, person: Person) -> str:
    """Who made the decision (Consent.performer): the person, one of their related people, or named."""
    for index, performer in enumerate(res.performer or []):
        path = f"Consent.performer[{index}]"
        text = _text(performer.reference)
        if text:
            if reference_id(text, "Patient") == person.public_id:
                return "The person"
            key = reference_id(text, "RelatedPerson")
            related = person.related_people.filter(public_id=key).first() if key else None
            if related is None:
                raise _refuse(f"{path} must be the person (Patient/{person.public_id}), one of their related "
                              "people, or a display naming who decided", path)
            return str(related)[:200]
        if _text(performer.display):
            return _text(performer.display)[:200]
    raise _refuse("Consent.performer is required: say who made this decision (the person, or their legitimate "
                  "representative), as the practice records it on the website", "Consent.performer", "required")


def _consent_fields(res: Any, person: Person) -> dict[str, Any]:
    provision = res.provision
    if provision is None or provision.type != "permit":
        raise _refuse("Consent.provision must be a permit: Ourplan records decisions to share",
                      "Consent.provision.type")
    actors = provision.actor or []
    if len(actors) != 1 or actors[0].reference is None:
        raise _refuse("Consent.provision.actor must name exactly one grantee", "Consent.provision.actor")
    who = _who(actors[0].reference, person, "Consent.provision.actor[0].reference")
    codes = {c.code for a in provision.action or [] for c in a.coding or [] if c.system in (CONSENT_ACTION, None)}
    if "access" not in codes and "correct" not in codes:
        raise _refuse("Consent.provision.action must include access (and correct, to let them add to the record)",
                      "Consent.provision.action")
    flag = X.find(res.extension, X.CONSENT_SENSITIVE)
    include_sensitive = bool(flag is not None and flag.valueBoolean)
    denies = [p for p in provision.provision or [] if p.type == "deny"]
    if include_sensitive and denies:
        raise _refuse("The consent both shares the sensitive sections (extension) and denies them (a nested "
                      "deny provision): say one", f"Consent.extension('{X.CONSENT_SENSITIVE}')")
    ends_at = _ends(provision.period)
    return {"who": who, "can_contribute": "correct" in codes, "include_sensitive": include_sensitive,
            "ends_at": ends_at, "given_by": _given_by(res, person)}


def _share(caller: Caller, person: Person, fields: dict[str, Any], basis: AccessBasis) -> Consent:
    who = fields.pop("who")
    member = _active_member(person, who)
    organisation = None
    if member is None and isinstance(who, Organisation):
        # Sharing with the whole organisation of a professional in the team (the website's "their team").
        member = CareTeamMember.objects.filter(CareTeamMember.active_q(), team__person=person,
                                               staff_member__organisation=who).first()
        organisation = who
    if member is None:
        raise _refuse("The grantee must be a current member of the person's care team (or the organisation of "
                      "one): add them to the CareTeam first", "Consent.provision.actor[0].reference")
    if member.organisation_id and not member.staff_member_id:
        organisation = None  # an organisation member: do_share takes the membership itself
    try:
        return sharing.do_share(caller.user, person, member=None if organisation else member,
                                organisation=organisation, basis=basis, **fields)
    except ActionError as exc:
        path = "Consent.provision.period.end" if exc.field == "ends_at" else "Consent"
        raise _refuse(exc.message, path) from exc


class ConsentWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        person, _ = subject_person(caller, res.patient, "Consent", "patient")
        basis = _writer_basis(caller, person, "Consent")
        if res.status != Consent.Status.ACTIVE:
            raise _refuse("A new consent is 'active'; withdraw one by updating it to 'inactive'", "Consent.status",
                          "code-invalid")
        fields = _consent_fields(res, person)
        with transaction.atomic():
            made = _share(caller, person, fields, basis)
        return Written(made, person, basis, True)

    def update(self, caller: Caller, consent: Consent, res: Any, version: int) -> Written:
        person, _ = subject_person(caller, res.patient, "Consent", "patient")
        if person.pk != consent.person_id:
            raise _refuse("Consent.patient cannot be changed", "Consent.patient")
        basis = _writer_basis(caller, person, "Consent")
        if res.status == consent.status:
            raise _refuse("Only withdrawing a consent (status 'inactive') is an update; a new decision is a new "
                          "Consent (POST), which replaces the one in force", "Consent.status")
        if res.status != Consent.Status.WITHDRAWN:
            raise _refuse("A withdrawn consent is not restarted: record a new decision (POST)", "Consent.status")
        with transaction.atomic():
            lock_version(Consent, consent, version)
            done = sharing.do_withdraw(caller.user, consent, basis=basis)
        return Written(done, person, basis, False)


# --- Task ------------------------------------------------------------------------------------------------

def _owner(res: Any, person: Person) -> tuple[CareTeamMember | None, bool]:
    ref = res.owner
    if ref is None:
        raise _refuse("Task.owner is required: a member of the care team, or the person", "Task.owner", "required")
    if reference_id(_text(ref.reference), "Patient") == person.public_id and "Patient/" in _text(ref.reference):
        return None, True
    member = _active_member(person, _who(ref, person, "Task.owner"))
    if member is None:
        raise _refuse("Task.owner must be a current member of the person's care team (add them to the CareTeam "
                      "first) or the person", "Task.owner")
    return member, False


def _plan(res: Any, person: Person) -> CarePlan | None:
    for index, ref in enumerate(res.basedOn or []):
        key = reference_id(_text(ref.reference), "CarePlan")
        plan = CarePlan.objects.filter(public_id=key, person=person).first() if key else None
        if plan is None:
            raise _refuse("Task.basedOn must be a CarePlan of this person", f"Task.basedOn[{index}]")
        return plan
    return None


def _kind(res: Any) -> str:
    for coding in getattr(res.code, "coding", None) or []:
        if coding.system == TASK_KIND:
            if coding.code not in Task.Kind.values:
                raise _refuse(f"Task.code must be one of {', '.join(Task.Kind.values)}", "Task.code", "code-invalid")
            return str(coding.code)
    return Task.Kind.OTHER


def _due(res: Any) -> date | None:
    end = res.restriction.period.end if res.restriction is not None and res.restriction.period is not None else None
    if end is None:
        return None
    return timezone.localtime(aware(end)).date() if isinstance(end, datetime) else end  # type: ignore[no-any-return]


def _outcome(res: Any) -> str:
    return next((_text(o.valueString) for o in res.output or [] if o.valueString), "")


class TaskWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        person, _ = subject_person(caller, res.for_fhir, "Task", "for")
        basis = _writer_basis(caller, person, "Task")
        if res.intent != "order":
            raise _refuse("Task.intent must be 'order': a task given to someone to do", "Task.intent", "code-invalid")
        if res.status != Task.Status.REQUESTED:
            raise _refuse("A new task is 'requested'; move it on with PUT", "Task.status", "code-invalid")
        if res.focus is not None:
            raise _refuse("A task for a goal is made from the plan's action (CarePlan.activity) on the website; "
                          "leave Task.focus out", "Task.focus")
        assignee, for_person = _owner(res, person)
        with transaction.atomic():
            try:
                task = tasks.do_create_task(
                    caller.user, person, title=_text(res.description), description="\n\n".join(
                        _text(n.text) for n in res.note or [] if n.text), assignee=assignee, for_person=for_person,
                    due_date=_due(res), plan=_plan(res, person), kind=_kind(res), basis=basis)
            except ActionError as exc:
                paths = {"title": "Task.description", "description": "Task.note", "due_date": "Task.restriction",
                         "assignee": "Task.owner"}
                raise _refuse(exc.message, paths.get(exc.field or "", "Task")) from exc
        return Written(task, person, basis, True)

    def update(self, caller: Caller, task: Task, res: Any, version: int) -> Written:
        person, _ = subject_person(caller, res.for_fhir, "Task", "for")
        if person.pk != task.person_id:
            raise _refuse("Task.for cannot be changed", "Task.for")
        given = grant(caller, person)
        allowed = given.basis == AccessBasis.SYSTEM or (
            caller.context == "user" and may_update(caller.user, task, given))
        if not allowed:
            raise FhirError(403, "Only practice staff, system clients and the care team member the task is given "
                            "to may move it on over the API", code="forbidden", audit_denied=True)
        if _text(res.description) != task.title or _due(res) != task.due_date:
            raise _refuse("Only Task.status and its outcome (Task.output) change over the API; what the task is, "
                          "and when it is due, are changed on the website", "Task.description")
        if res.status not in Task.Status.values:
            raise _refuse(f"Task.status must be one of {', '.join(Task.Status.values)}", "Task.status",
                          "code-invalid")
        with transaction.atomic():
            lock_version(Task, task, version)
            try:
                done = tasks.do_set_status(caller.user, task, version, res.status, outcome=_outcome(res),
                                           basis=given.basis)
            except EditConflict as exc:
                raise _conflict() from exc
            except ActionError as exc:
                raise _refuse(exc.message, "Task.output" if exc.field == "outcome" else "Task.status") from exc
        return Written(done, person, given.basis, False)


CARE_TEAM = CareTeamWriter()
CONSENT = ConsentWriter()
TASK = TaskWriter()
