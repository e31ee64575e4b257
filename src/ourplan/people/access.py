"""Who may see a person's record. The ONE place that decides it: every view, export and API call that
touches a person goes through `people_for` (lists) or `get_person_for` (one record).

Rules (the sharing issue adds care teams, organisations and sensitive sections):
- the person themselves (basis: self);
- staff with an active role at the person's registered GP practice (basis: direct care);
- a related person (carer, family, advocate) whose consent from the person is in force (basis: consent).
A refusal looks exactly like a missing record (404) and is audited as a denied attempt.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from ourplan.core import audit
from ourplan.core.models import AccessBasis, AuditAction
from ourplan.core.roles import staff_org_ids
from ourplan.people.models import Consent, Person


def _consent_in_force(user: Any) -> Exists:
    return Exists(
        Consent.objects.filter(
            Consent.in_force_q(), person=OuterRef("pk"), related_person__user=user, related_person__active=True
        )
    )


def people_for(user: Any, bases: Collection[AccessBasis] | None = None) -> QuerySet[Person]:
    """Every person `user` may see, optionally only on the given bases. Lists and searches filter through
    this, so nobody ever sees a row they may not open."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Person.objects.none()
    allowed = set(bases) if bases is not None else {AccessBasis.SELF, AccessBasis.DIRECT_CARE, AccessBasis.CONSENT}
    q = Q(pk__in=[])
    if AccessBasis.SELF in allowed:
        q |= Q(user=user)
    if AccessBasis.DIRECT_CARE in allowed:
        orgs = staff_org_ids(user)
        if orgs:
            q |= Q(practice_id__in=orgs)
    if AccessBasis.CONSENT in allowed:
        q |= Q(_consent_in_force(user))
    return Person.objects.filter(q)


def own_person(user: Any) -> Person | None:
    """The person record linked to this login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def basis_for(user: Any, person: Person) -> AccessBasis:
    """Why `user` may see `person`, or NONE."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AccessBasis.NONE
    if person.user_id is not None and person.user_id == user.pk:
        return AccessBasis.SELF
    if person.practice_id is not None and person.practice_id in staff_org_ids(user):
        return AccessBasis.DIRECT_CARE
    if Consent.objects.filter(
        Consent.in_force_q(), person=person, related_person__user=user, related_person__active=True
    ).exists():
        return AccessBasis.CONSENT
    return AccessBasis.NONE


@dataclass(frozen=True)
class PersonAccess:
    person: Person
    basis: AccessBasis


def get_person_for(
    request: HttpRequest,
    public_id: UUID | str,
    *,
    bases: Collection[AccessBasis],
    entity_type: str = "Person",
    audit_action: AuditAction = AuditAction.READ,
) -> PersonAccess:
    """Fetch a person the requesting user may see on one of `bases`, and audit the read. Anything else,
    including a malformed id, raises Http404 after auditing the denied attempt."""
    user = request.user
    person = Person.objects.select_related("practice").filter(public_id=public_id).first()
    basis = basis_for(user, person) if person is not None else AccessBasis.NONE
    if person is None or basis not in bases:
        audit.record(
            user,  # type: ignore[arg-type]
            AuditAction.DENIED,
            entity_type,
            public_id,
            person=person.public_id if person else None,
            basis=AccessBasis.NONE,
            request=request,
            detail={"path": request.path},
        )
        raise Http404("Not found")
    audit.record(
        user,  # type: ignore[arg-type]
        audit_action,
        entity_type,
        person.public_id,
        person=person.public_id,
        basis=basis,
        request=request,
        detail={"path": request.path},
    )
    return PersonAccess(person, basis)
