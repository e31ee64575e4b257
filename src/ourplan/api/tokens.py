"""Issuing API tokens (the `ourplan api-token` command and tests use this one function)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ourplan.api.models import ApiToken, hash_token, new_token_value
from ourplan.api.scopes import ScopeError, parse_scopes
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, User
from ourplan.people.access import basis_for
from ourplan.people.models import Consent, Organisation, Person


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    value: str  # shown once; only its hash is stored


def _bound_person(user: User, patient: Person | None) -> Person:
    """For patient/ scopes: the given person (whom the user must be able to see), else the user's own
    record, else the one person who shares their record with the user."""
    if patient is not None:
        if basis_for(user, patient) == AccessBasis.NONE:
            raise ActionError(f"{user.username} may not see that person, so cannot have a patient token for them")
        return patient
    own = Person.objects.filter(user=user).first()
    if own is not None:
        return own
    shared = list(Person.objects.filter(
        consents__in=Consent.objects.filter(Consent.in_force_q(), related_person__user=user,
                                            related_person__active=True)).distinct()[:2])
    if len(shared) == 1:
        return shared[0]
    if shared:
        raise ActionError("More than one person shares their record with this user: say which with --patient")
    raise ActionError(f"{user.username} has no record of their own and nobody shares one with them")


def issue(*, name: str, scopes: str, days: int, user: User | None = None, organisation: Organisation | None = None,
          patient: Person | None = None) -> Issued:
    try:
        parsed = parse_scopes(scopes)
    except ScopeError as exc:
        raise ActionError(str(exc)) from exc
    if days < 1 or days > 366:
        raise ActionError("--days must be between 1 and 366")
    context = parsed[0].context
    bound = None
    if context == "system":
        if user is not None or organisation is None:
            raise ActionError("system/ scopes are for backend clients: give --organisation (ODS code), not --user")
    else:
        if user is None:
            raise ActionError(f"{context}/ scopes need --user")
        organisation = None
        if context == "patient":
            bound = _bound_person(user, patient)
    value = new_token_value()
    token = ApiToken.objects.create(
        name=name[:200], token_hash=hash_token(value), user=user, organisation=organisation, patient=bound,
        scopes=" ".join(s.strip() for s in scopes.split()), expires_at=timezone.now() + timedelta(days=days),
    )
    return Issued(token, value)
