"""Who may see a person's record, and how much of it. The ONE place that decides it: every view, download,
PDF, htmx fragment, search and API call that touches a person goes through `people_for` (lists),
`get_person_for` (one record, audited) or `grant_for` (the decision itself).

Bases, checked in this order (the first that applies is recorded in the audit trail):
- self: the person themselves. Sees everything.
- direct care: staff with an active role at the person's registered GP practice, sensitive sections
  included (as in general practice records; their confidentiality duty covers them).
- care team: a professional from ANOTHER organisation who is an active member of the person's care team
  (named, or through their organisation's membership) AND has the person's consent in force (given to
  them, or to their organisation). Sensitive sections only if that consent includes them.
- consent: a related person (carer, family, advocate) whose consent from the person is in force. Sensitive
  sections only if shared.
- emergency: a clinician who broke the glass (gave a reason) in the last few hours. Sees everything; it
  is logged prominently and shown to the person and the practice.
Consent is read on every request, so withdrawal or expiry takes effect on the very next one. A refusal
looks exactly like a missing record (404) and is audited as a denied attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.core.roles import staff_member_ids, staff_org_ids
from ourplan.people.models import Consent, Person

ALL_BASES = frozenset({AccessBasis.SELF, AccessBasis.DIRECT_CARE, AccessBasis.CARE_TEAM, AccessBasis.CONSENT,
                       AccessBasis.EMERGENCY})
# What staff pages about one person accept: their practice, their care team, and emergency access.
STAFF_BASES = frozenset({AccessBasis.DIRECT_CARE, AccessBasis.CARE_TEAM, AccessBasis.EMERGENCY})
# What the person's own pages accept: the person, and those they shared with.
PERSON_BASES = frozenset({AccessBasis.SELF, AccessBasis.CONSENT})


@dataclass(frozen=True)
class Grant:
    """What one user may do with one person's record."""

    basis: AccessBasis
    can_contribute: bool = False
    sees_sensitive: bool = False

    @property
    def allowed(self) -> bool:
        return self.basis != AccessBasis.NONE


NO_GRANT = Grant(AccessBasis.NONE)


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _carer_consents(user: Any) -> QuerySet[Consent]:
    return Consent.objects.filter(Consent.in_force_q(), related_person__user=user, related_person__active=True)


def _team_consents(user: Any) -> QuerySet[Consent]:
    """Consents in force given to this professional or to one of their organisations, where they are also
    in the person's care team (named, or through their organisation's membership)."""
    from ourplan.sharing.models import CareTeamMember

    roles, orgs = staff_member_ids(user), staff_org_ids(user)
    if not roles:
        return Consent.objects.none()
    in_team = CareTeamMember.objects.filter(
        CareTeamMember.active_q(), team__person=OuterRef("person"),
    ).filter(Q(staff_member_id__in=roles) | Q(organisation_id__in=orgs))
    return Consent.objects.filter(
        Consent.in_force_q(), Q(staff_member_id__in=roles) | Q(organisation_id__in=orgs), Exists(in_team))


def _emergencies(user: Any) -> QuerySet[Any]:
    from ourplan.sharing.models import BreakGlass

    return BreakGlass.objects.filter(user=user, expires_at__gt=timezone.now())


def _q_for(user: Any, basis: AccessBasis, *, sensitive: bool = False) -> Q:
    """People `user` may see on `basis` (only those whose sensitive sections they see, if `sensitive`)."""
    if basis == AccessBasis.SELF:
        return Q(user=user)
    if basis == AccessBasis.DIRECT_CARE:
        orgs = staff_org_ids(user)
        return Q(practice_id__in=orgs) if orgs else Q(pk__in=[])
    if basis == AccessBasis.CARE_TEAM:
        consents = _team_consents(user)
    elif basis == AccessBasis.CONSENT:
        consents = _carer_consents(user)
    elif basis == AccessBasis.EMERGENCY:
        return Q(Exists(_emergencies(user).filter(person=OuterRef("pk"))))
    else:
        return Q(pk__in=[])
    if sensitive:
        consents = consents.filter(include_sensitive=True)
    return Q(Exists(consents.filter(person=OuterRef("pk"))))


def people_for(user: Any, bases: Collection[AccessBasis] | None = None) -> QuerySet[Person]:
    """Every person `user` may see, optionally only on the given bases. Lists and searches filter through
    this, so nobody ever sees a row they may not open."""
    if not _active(user):
        return Person.objects.none()
    q = Q(pk__in=[])
    for basis in ALL_BASES if bases is None else bases:
        q |= _q_for(user, AccessBasis(basis))
    return Person.objects.filter(q)


def people_with_sensitive_for(user: Any) -> QuerySet[Person]:
    """The people whose sensitive sections `user` may see: lists of sensitive rows (mood scores, sensitive
    goals) filter through this as well as through people_for."""
    if not _active(user):
        return Person.objects.none()
    q = Q(pk__in=[])
    for basis in ALL_BASES:
        q |= _q_for(user, basis, sensitive=True)
    return Person.objects.filter(q)


def people_counted_for(user: Any) -> QuerySet[Person]:
    """The people a commissioner's dashboards COUNT: those registered at the practices they commission for.
    For aggregates only (counts, means, medians): never listed, rendered or exported as rows, and no basis to
    open anyone's record (grant_for gives a commissioner nothing). Kept here so every access rule is in one
    module."""
    if not _active(user):
        return Person.objects.none()
    return Person.objects.filter(practice__commissioners__user=user, practice__commissioners__active=True)


def own_person(user: Any) -> Person | None:
    """The person record linked to this login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def _from_consents(basis: AccessBasis, consents: QuerySet[Consent]) -> Grant | None:
    rows = list(consents.values_list("can_contribute", "include_sensitive"))
    if not rows:
        return None
    return Grant(basis, can_contribute=any(c for c, _ in rows), sees_sensitive=any(s for _, s in rows))


def grant_for(user: Any, person: Person) -> Grant:
    """Whether, why and how far `user` may see `person`'s record."""
    if not _active(user):
        return NO_GRANT
    if person.user_id is not None and person.user_id == user.pk:
        return Grant(AccessBasis.SELF, can_contribute=True, sees_sensitive=True)
    if person.practice_id is not None and person.practice_id in staff_org_ids(user):
        return Grant(AccessBasis.DIRECT_CARE, can_contribute=True, sees_sensitive=True)
    found = _from_consents(AccessBasis.CARE_TEAM, _team_consents(user).filter(person=person))
    if found is None:
        found = _from_consents(AccessBasis.CONSENT, _carer_consents(user).filter(person=person))
    if found is not None:
        return found
    if _emergencies(user).filter(person=person).exists():
        return Grant(AccessBasis.EMERGENCY, can_contribute=False, sees_sensitive=True)
    return NO_GRANT


def basis_for(user: Any, person: Person) -> AccessBasis:
    """Why `user` may see `person`, or NONE."""
    return grant_for(user, person).basis


def sees_sensitive(user: Any, person: Person) -> bool:
    return grant_for(user, person).sees_sensitive


@dataclass(frozen=True)
class PersonAccess:
    person: Person
    basis: AccessBasis
    grant: Grant = NO_GRANT

    @property
    def sees_sensitive(self) -> bool:
        return self.grant.sees_sensitive

    @property
    def can_contribute(self) -> bool:
        return self.grant.can_contribute


def get_own_person_for(request: HttpRequest, *, entity_type: str,
                       audit_action: AuditAction = AuditAction.READ) -> PersonAccess:
    """The logged-in person's own record (pages under /my/ with no id). Someone with no record of their
    own gets "not found", audited like any refusal."""
    own = own_person(request.user)
    if own is None:
        audit_denied(request, entity_type, "")
        raise Http404("Not found")
    return get_person_for(request, own.public_id, bases={AccessBasis.SELF}, entity_type=entity_type,
                          audit_action=audit_action)


def audit_denied(request: HttpRequest, entity_type: str, entity_id: Any, person: Person | None = None) -> None:
    audit.record(
        request.user,  # type: ignore[arg-type]
        AuditAction.DENIED,
        entity_type,
        entity_id,
        person=person.public_id if person else None,
        basis=AccessBasis.NONE,
        request=request,
        detail={"path": request.path},
    )


def get_person_for(
    request: HttpRequest,
    public_id: UUID | str,
    *,
    bases: Collection[AccessBasis],
    entity_type: str = "Person",
    audit_action: AuditAction = AuditAction.READ,
    require_sensitive: bool = False,
    require_contribute: bool = False,
    allow: Callable[[Grant], bool] | None = None,
    entity_id: Any = None,
) -> PersonAccess:
    """Fetch a person the requesting user may see on one of `bases` (and, if asked, whose sensitive
    sections they see or to whose record they may contribute, or whatever `allow` checks: the object-level
    rule of a thing inside the record, such as "only the task's assignee"), and audit the access: exactly
    one event, the access or the refusal, about `entity_id` (default: the person). Anything refused,
    including a malformed id, raises Http404."""
    user = request.user
    person = Person.objects.select_related("practice").filter(public_id=public_id).first()
    grant = grant_for(user, person) if person is not None else NO_GRANT
    refused = (
        person is None or grant.basis not in bases or (require_sensitive and not grant.sees_sensitive)
        or (require_contribute and not grant.can_contribute) or (allow is not None and not allow(grant))
    )
    if refused:
        audit_denied(request, entity_type, entity_id or (person.public_id if person else public_id), person)
        raise Http404("Not found")
    assert person is not None
    detail: dict[str, Any] = {"path": request.path}
    if grant.basis == AccessBasis.EMERGENCY:
        detail["emergency"] = True
    audit.record(
        user,  # type: ignore[arg-type]
        audit_action,
        entity_type,
        entity_id or person.public_id,
        person=person.public_id,
        basis=grant.basis,
        request=request,
        detail=detail,
    )
    # Templates read this to show only the pages this basis may open, and the emergency banner.
    request.ourplan_grant = grant  # type: ignore[attr-defined]
    return PersonAccess(person, grant.basis, grant)
