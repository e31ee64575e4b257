"""Backend clients of the FHIR API (SMART Backend Services, OAuth2 client credentials): registering one,
checking its secret, and granting it a short-lived bearer token. The HTTP side (the token endpoint and its
RFC 6749 errors) is api.oauth; this module knows nothing of requests, so the `ourplan api-client` command
and the tests use the same rules."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ourplan.api.models import ApiClient, ApiToken, hash_token, new_token_value
from ourplan.api.scopes import Scope, ScopeError, parse_scope, parse_scopes
from ourplan.core.errors import ActionError
from ourplan.people.models import Organisation

CLIENT_ID_PREFIX = "opc_"
SECRET_PREFIX = "opcs_"  # noqa: S105 (a public prefix, not a secret): lets secret scanners recognise a leaked one
# SMART Backend Services recommends access tokens of at most five minutes; a client asks again when one
# expires, so a leaked token is useful only briefly and a deactivated client is locked out quickly.
DEFAULT_MINUTES = 5
MAX_MINUTES = 60


@dataclass(frozen=True)
class Registered:
    client: ApiClient
    secret: str  # shown once; only its hash is stored


class ScopeRefused(ValueError):
    """A requested scope the client may not have (OAuth2 invalid_scope)."""


def register(*, organisation: Organisation, scopes: str, name: str, minutes: int = DEFAULT_MINUTES) -> Registered:
    """A new client for `organisation` that may be granted up to `scopes` (system/ scopes only: a backend
    service acts for an organisation, never for a user or a patient)."""
    try:
        parsed = parse_scopes(scopes)
    except ScopeError as exc:
        raise ActionError(str(exc)) from exc
    if parsed[0].context != "system":
        raise ActionError("A backend client has system/ scopes only (e.g. system/*.rs)")
    if not 1 <= minutes <= MAX_MINUTES:
        raise ActionError(f"Token lifetime must be 1 to {MAX_MINUTES} minutes")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        client_id=CLIENT_ID_PREFIX + secrets.token_urlsafe(12), name=name[:200] or f"backend client {organisation}",
        organisation=organisation, secret_hash=hash_token(secret), scopes=" ".join(scopes.split()),
        token_minutes=minutes,
    )
    return Registered(client, secret)


def authenticate(client_id: str, secret: str) -> ApiClient | None:
    """The active client with this id and secret, else None. The hash is compared in constant time and a
    hash is computed even for an unknown id, so timing does not tell a caller which client ids exist."""
    client = ApiClient.objects.select_related("organisation").filter(client_id=client_id[:64], active=True).first()
    expected = client.secret_hash if client is not None else "0" * 64
    matches = hmac.compare_digest(hash_token(secret), expected)
    return client if client is not None and matches else None


def _covers(allowed: Scope, wanted: Scope) -> bool:
    return (allowed.context == wanted.context and allowed.resource_type in ("*", wanted.resource_type)
            and wanted.permissions <= allowed.permissions)


def granted_scopes(client: ApiClient, requested: str | None) -> str:
    """The scopes to grant: all the client's when it asks for none, else exactly those it asked for, each of
    which must fall within what it was registered for (a client may narrow, never widen)."""
    if requested is None or not requested.strip():
        return client.scopes
    from ourplan.api.resources import RESOURCE_TYPES

    allowed = parse_scopes(client.scopes)
    wanted: list[str] = []
    for text in requested.split():
        try:
            scope = parse_scope(text)
        except ScopeError as exc:
            raise ScopeRefused(str(exc)) from exc
        if scope.resource_type != "*" and scope.resource_type not in RESOURCE_TYPES:
            raise ScopeRefused(f"'{text}': {scope.resource_type} is not a resource type this server offers")
        if not any(_covers(a, scope) for a in allowed):
            raise ScopeRefused(f"'{text}' is not within the scopes this client is registered for ({client.scopes})")
        wanted.append(text)
    return " ".join(dict.fromkeys(wanted))


def issue_token(client: ApiClient, scopes: str) -> tuple[ApiToken, str, int]:
    """A bearer token for the client's organisation with `scopes`; returns the row, the token (shown once)
    and its lifetime in seconds."""
    value = new_token_value()
    lifetime = client.token_minutes * 60
    token = ApiToken.objects.create(
        name=client.name, token_hash=hash_token(value), organisation=client.organisation, scopes=scopes,
        client=client, expires_at=timezone.now() + timedelta(seconds=lifetime),
    )
    return token, value, lifetime
