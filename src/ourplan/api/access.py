"""Which people an API caller may see, always decided by ourplan.people.access:

- `patient/` tokens: only the bound person, and only while the token's user may still see them there
  (their own record, or a person whose consent to share with them is in force);
- `user/` tokens: exactly the people the user sees on the website (`people_for`);
- `system/` tokens (backend clients, no user): the people registered at the token's organisation, with
  the basis "system". This is the one rule people.access has no user for, so it lives here.

Anything else looks exactly like a record that does not exist (404)."""

from __future__ import annotations

from django.db.models import QuerySet

from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError, not_found
from ourplan.core.models import AccessBasis
from ourplan.people.access import NO_GRANT, Grant, grant_for, people_for
from ourplan.people.models import Person

# Writes over the API are for the practice's clinical systems: staff with direct care, and system clients.
# People and carers add their own readings on the website, where the forms explain what is asked.
WRITE_BASES = frozenset({AccessBasis.DIRECT_CARE, AccessBasis.SYSTEM})


def visible_people(caller: Caller) -> QuerySet[Person]:
    token = caller.token
    if caller.context == "system":
        if token.organisation_id is None:
            return Person.objects.none()
        return Person.objects.filter(practice_id=token.organisation_id)
    people = people_for(token.user)
    if caller.context == "patient":
        return people.filter(pk=token.patient_id) if token.patient_id else Person.objects.none()
    return people


def basis(caller: Caller, person: Person) -> AccessBasis:
    return grant(caller, person).basis


def grant(caller: Caller, person: Person) -> Grant:
    """Whether, why and how far the caller may see `person` (people.access.grant_for, and the system rule)."""
    token = caller.token
    if caller.context == "system":
        ok = token.organisation_id is not None and person.practice_id == token.organisation_id
        # A system client acts for the practice's direct care: the whole record, sensitive sections included.
        return Grant(AccessBasis.SYSTEM, can_contribute=True, sees_sensitive=True) if ok else NO_GRANT
    if caller.context == "patient" and person.pk != token.patient_id:
        return NO_GRANT
    return grant_for(token.user, person)


def person_for(caller: Caller, public_id: str) -> tuple[Person, AccessBasis]:
    """The person by public id with the caller's basis, or 404 (audited as denied by the view)."""
    cached = caller.seen.get(str(public_id))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    person = Person.objects.select_related("practice").filter(public_id=public_id).first()
    found = basis(caller, person) if person is not None else AccessBasis.NONE
    if person is None or found == AccessBasis.NONE:
        raise not_found("Patient")
    caller.seen[str(public_id)] = (person, found)
    return person, found


def require_write(basis_: AccessBasis, resource_type: str) -> None:
    if basis_ not in WRITE_BASES:
        raise FhirError(403, f"Only practice staff and system clients may write {resource_type} over the API",
                        code="forbidden", audit_denied=True)
