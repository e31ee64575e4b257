"""Every change to a care team, a consent decision, emergency access and sensitive notes. Each takes the
acting user, runs in a transaction and writes one audit row."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.roles import CLINICAL_ROLES, staff_roles
from ourplan.people.models import Consent, Organisation, Person, RelatedPerson, StaffMember
from ourplan.sharing.models import BreakGlass, CareTeam, CareTeamMember, MemberRole, SensitiveNote


def team_for(person: Person) -> CareTeam:
    team, _ = CareTeam.objects.get_or_create(person=person)
    return team


def role_for(staff: StaffMember) -> str:
    """A sensible care-team role for a practice staff member (staff can change it on the Care team page)."""
    if staff.role == StaffMember.Role.COORDINATOR:
        return MemberRole.COORDINATOR
    if staff.job_title.lower().startswith(("gp", "doctor", "dr")):
        return MemberRole.GP
    return MemberRole.PRACTICE_NURSE


def _touch(team: CareTeam) -> None:
    """A change of members is a change of the team: its version moves, so a stale edit elsewhere (the FHIR
    API's If-Match) is refused rather than overwriting it."""
    CareTeam.objects.filter(pk=team.pk).update(version=F("version") + 1, updated_at=timezone.now())


def active_members(person: Person) -> list[CareTeamMember]:
    return list(
        CareTeamMember.objects.filter(CareTeamMember.active_q(), team__person=person)
        .select_related("staff_member__practitioner", "staff_member__organisation", "organisation",
                        "related_person")
    )


def _audit(actor: User | None, action: AuditAction, entity: str, entity_id: Any, person: Person,
           basis: AccessBasis | str, **detail: Any) -> None:
    audit.record(actor, action, entity, entity_id, person=person.public_id, basis=basis, detail=detail)


@transaction.atomic
def do_add_member(
    actor: User | None, person: Person, *, role: str, staff_member: StaffMember | None = None,
    organisation: Organisation | None = None, related_person: RelatedPerson | None = None, contact: str = "",
    basis: AccessBasis | str = AccessBasis.DIRECT_CARE,
) -> CareTeamMember:
    """Add someone to the person's team, or return their existing active membership."""
    if sum(x is not None for x in (staff_member, organisation, related_person)) != 1:
        raise ActionError("Choose one professional, organisation or related person", field="who")
    if role not in MemberRole.values:
        raise ActionError("Choose a role", field="role")
    if related_person is not None and related_person.person_id != person.pk:
        raise ActionError("That person is not related to this record", field="who")
    team = team_for(person)
    existing = CareTeamMember.objects.filter(
        CareTeamMember.active_q(), team=team, staff_member=staff_member,
        organisation=None if staff_member else organisation, related_person=related_person,
    ).first()
    if existing is not None:
        return existing
    member = CareTeamMember.objects.create(
        team=team, staff_member=staff_member, organisation=None if staff_member else organisation,
        related_person=related_person, role=role, contact=contact.strip(), added_by=actor,
    )
    _touch(team)
    _audit(actor, AuditAction.CREATE, "CareTeamMember", member.public_id, person, basis, role=role,
           member=member.name)
    return member


@transaction.atomic
def do_remove_member(actor: User | None, member: CareTeamMember, *,
                     basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> CareTeamMember:
    """Record that someone left the team. Their consent stops mattering at once: access needs both."""
    member = CareTeamMember.objects.select_for_update().get(pk=member.pk)
    if member.left_at is None:
        member.left_at, member.removed_by = timezone.now(), actor
        member.version += 1
        member.save(update_fields=["left_at", "removed_by", "version", "updated_at"])
        _touch(member.team)
        _audit(actor, AuditAction.UPDATE, "CareTeamMember", member.public_id, member.team.person, basis,
               left=True)
    return member


def _grantee_filter(member: CareTeamMember | None, related_person: RelatedPerson | None,
                    organisation: Organisation | None) -> dict[str, Any]:
    if member is not None:
        if member.related_person_id:
            return {"related_person_id": member.related_person_id}
        if member.staff_member_id:
            return {"staff_member_id": member.staff_member_id}
        return {"organisation_id": member.organisation_id}
    if related_person is not None:
        return {"related_person_id": related_person.pk}
    if organisation is not None:
        return {"organisation_id": organisation.pk}
    raise ActionError("Choose who to share with", field="who")


@transaction.atomic
def do_share(
    actor: User | None, person: Person, *, member: CareTeamMember | None = None,
    related_person: RelatedPerson | None = None, organisation: Organisation | None = None,
    ends_at: datetime | None = None, include_sensitive: bool = False, can_contribute: bool = False,
    given_by: str = "", basis: AccessBasis | str = AccessBasis.SELF,
) -> Consent:
    """Record the person's decision to share their record. A new decision replaces the one in force for
    the same grantee (which is withdrawn), so the history of decisions is kept."""
    if ends_at is not None and ends_at <= timezone.now():
        raise ActionError("The end date must be in the future", field="ends_at")
    if member is not None and member.team.person_id != person.pk:
        raise ActionError("That is not a member of this care team", field="who")
    grantee = _grantee_filter(member, related_person, organisation)
    now = timezone.now()
    for old in Consent.objects.select_for_update().filter(Consent.in_force_q(), person=person, **grantee):
        old.status, old.withdrawn_at = Consent.Status.WITHDRAWN, now
        old.version += 1
        old.save(update_fields=["status", "withdrawn_at", "version", "updated_at"])
    consent = Consent.objects.create(
        person=person, ends_at=ends_at, include_sensitive=include_sensitive, can_contribute=can_contribute,
        recorded_by=actor, given_by=given_by.strip() or "The person", **grantee,
    )
    _audit(actor, AuditAction.CREATE, "Consent", consent.public_id, person, basis, grantee=consent.grantee_label,
           ends_at=ends_at.isoformat() if ends_at else None, include_sensitive=include_sensitive,
           can_contribute=can_contribute)
    return consent


@transaction.atomic
def do_withdraw(actor: User | None, consent: Consent, *, basis: AccessBasis | str = AccessBasis.SELF) -> Consent:
    """Withdraw a consent. people.access reads consent on every request, so it takes effect at once."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.status != Consent.Status.WITHDRAWN:
        consent.status, consent.withdrawn_at = Consent.Status.WITHDRAWN, timezone.now()
        consent.version += 1
        consent.save(update_fields=["status", "withdrawn_at", "version", "updated_at"])
        _audit(actor, AuditAction.UPDATE, "Consent", consent.public_id, consent.person, basis, withdrawn=True,
               grantee=consent.grantee_label)
    return consent


MIN_REASON = 10
MAX_REASON = 1000


@transaction.atomic
def do_break_glass(actor: User, person: Person, reason: str, *, request: Any = None) -> BreakGlass:
    """Emergency access for a clinician outside the person's care team. The reason is required, the access
    expires, and the person and the practice are told (the practice by an alert on the register)."""
    from ourplan.support.alerts import EMERGENCY_TRIGGER, do_raise_alert

    if not staff_roles(actor) & CLINICAL_ROLES:
        raise ActionError("Only clinical staff can use emergency access", field="reason")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ActionError("Say why you need emergency access (at least a short sentence)", field="reason")
    if len(reason) > MAX_REASON:
        raise ActionError(f"Keep the reason to {MAX_REASON} characters", field="reason")
    glass = BreakGlass.objects.create(
        person=person, user=actor, user_label=audit.actor_label(actor), reason=reason,
        expires_at=timezone.now() + timedelta(hours=BreakGlass.DURATION_HOURS),
    )
    audit.record(actor, AuditAction.CREATE, "BreakGlass", glass.public_id, person=person.public_id,
                 basis=AccessBasis.EMERGENCY, request=request, detail={"reason": reason, "emergency": True})
    do_raise_alert(None, person, level="red", trigger=EMERGENCY_TRIGGER,
                   message=f"Emergency access by {glass.user_label}. Reason given: {reason}")
    return glass


@transaction.atomic
def do_add_sensitive_note(actor: User, person: Person, *, kind: str, text: str,
                          basis: AccessBasis | str = AccessBasis.DIRECT_CARE) -> SensitiveNote:
    if kind not in SensitiveNote.Kind.values:
        raise ActionError("Choose what kind of note this is", field="kind")
    if not text.strip():
        raise ActionError("Write the note", field="text")
    note = SensitiveNote.objects.create(person=person, kind=kind, text=text.strip(), author=actor,
                                        author_label=audit.actor_label(actor))
    _audit(actor, AuditAction.CREATE, "SensitiveNote", note.public_id, person, basis, kind=kind)
    return note
