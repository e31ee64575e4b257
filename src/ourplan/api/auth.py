"""Who is calling: the bearer token, its scopes and its context. Checked on every request; nothing about
the caller is kept between requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from ourplan.api.errors import FhirError
from ourplan.api.models import ApiToken, hash_token
from ourplan.api.scopes import Scope, ScopeError, parse_scopes
from ourplan.core.models import User

# Writing last_used_at on every call would add a write to every read; once a minute is enough to answer
# "is this token still used?".
TOUCH_EVERY = timedelta(minutes=1)
REALM = 'Bearer realm="ourplan-fhir"'


@dataclass(frozen=True)
class Caller:
    """An authenticated API client for one request."""

    token: ApiToken
    scopes: tuple[Scope, ...]
    # What this request has already decided about people (public id -> (person, grant)), so a transaction
    # of many resources for one person checks access once. It lives as long as the request.
    seen: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def context(self) -> str:
        return self.scopes[0].context

    @property
    def user(self) -> User | None:
        return self.token.user

    @property
    def label(self) -> str:
        who = self.token.user.username if self.token.user else "system client"
        return f"API: {self.token.name} ({who})"

    def allows(self, resource_type: str, permission: str) -> bool:
        return any(s.allows(resource_type, permission) for s in self.scopes)

    def require(self, resource_type: str, permission: str) -> None:
        if not self.allows(resource_type, permission):
            names = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
            raise FhirError(
                403, f"The token's scopes do not allow {names[permission]} on {resource_type}",
                code="forbidden", headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'},
                audit_denied=True,
            )


def _unauthorised(message: str, error: str = "invalid_token") -> FhirError:
    header = REALM if error == "" else f'{REALM}, error="{error}", error_description="{message}"'
    return FhirError(401, message, code="login", headers={"WWW-Authenticate": header}, audit_denied=True)


def authenticate(request: HttpRequest) -> Caller:
    """The caller from `Authorization: Bearer <token>`, or 401. Sessions (website cookies) are ignored on
    purpose: a page's cookie must never be enough to call the API (no CSRF exposure, no scope)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        raise _unauthorised("Authorization: Bearer <token> is required", error="")
    if scheme.lower() != "bearer" or not value.strip():
        raise _unauthorised("Only bearer tokens are accepted", error="invalid_request")
    token = (
        ApiToken.objects.select_related("user", "patient", "organisation", "client")
        .filter(token_hash=hash_token(value.strip()))
        .first()
    )
    if token is None or not token.is_usable:
        raise _unauthorised("The token is unknown, expired or revoked")
    if token.user is not None and not token.user.is_active:
        raise _unauthorised("The token's user account is disabled")
    try:
        scopes = tuple(parse_scopes(token.scopes))
    except ScopeError as exc:
        raise _unauthorised(f"The token's scopes are not valid: {exc}") from exc
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Caller(token, scopes)
