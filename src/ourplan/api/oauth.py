"""The OAuth2 side of the API, for backend services (SMART Backend Services with a client secret):

- `POST /fhir/R4/auth/token`: the client credentials grant (RFC 6749 section 4.4). The client
  authenticates with HTTP Basic (client_secret_basic) or with client_id and client_secret in the form
  (client_secret_post), and gets a short-lived bearer token with system/ scopes bound to its organisation.
- `GET /fhir/R4/.well-known/smart-configuration`: where the token endpoint is and what it supports.

Answers are OAuth2 JSON, not FHIR: a token client expects `{"error": ...}` (RFC 6749 section 5.2), so
errors here are not OperationOutcomes. Every token request, granted or refused, writes one audit event."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote_plus

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict

from ourplan.api import clients
from ourplan.api.models import ApiClient
from ourplan.core.models import AccessBasis, AuditAction, AuditEvent

logger = logging.getLogger(__name__)

TOKEN_PATH = ["auth", "token"]
CONFIG_PATH = [".well-known", "smart-configuration"]
FORM = "application/x-www-form-urlencoded"
GRANT = "client_credentials"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
JWT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_FORM = 8_192  # grant type, scopes and credentials fit easily
# The token answer must not be cached anywhere (RFC 6749 section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}


def _json(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def token_url(base: str) -> str:
    return base + "/".join(TOKEN_PATH)


def route(request: HttpRequest, parts: list[str], base: str) -> HttpResponse | None:
    """The answer for an OAuth path, or None for every other path."""
    if parts == CONFIG_PATH:
        if request.method not in ("GET", "HEAD"):
            return _json({"error": "invalid_request", "error_description": "GET only"}, 405, {"Allow": "GET"})
        return _json(smart_configuration(base))
    if parts == TOKEN_PATH:
        return token_endpoint(request)
    return None


def smart_configuration(base: str) -> dict[str, Any]:
    from ourplan.api.capability import SUPPORTED_SCOPES

    return {
        "token_endpoint": token_url(base),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "grant_types_supported": [GRANT],
        "scopes_supported": [s for s in SUPPORTED_SCOPES if s.startswith("system/")],
        "capabilities": ["client-confidential-symmetric", "permission-v1", "permission-v2"],
        # No authorization endpoint (no SMART App Launch), so no PKCE methods: an empty list, not a claim.
        "code_challenge_methods_supported": [],
    }


# --- The token endpoint ----------------------------------------------------------------------------------

def token_endpoint(request: HttpRequest) -> HttpResponse:
    client: ApiClient | None = None
    try:
        form = _form(request)
        client = _client(request, form)
        grant = _single(form, "grant_type")
        if grant != GRANT:
            raise OAuthError(400, "unsupported_grant_type", f"Only grant_type={GRANT} is supported")
        try:
            scopes = clients.granted_scopes(client, _single(form, "scope", required=False))
        except clients.ScopeRefused as exc:
            raise OAuthError(400, "invalid_scope", str(exc)) from exc
        # The token exists only if its audit event does: a grant nobody can trace is not given.
        with transaction.atomic():
            token, value, lifetime = clients.issue_token(client, scopes)
            _event(request, client, str(token.public_id), "").save()
    except OAuthError as exc:
        _refused(request, client, exc.error)
        body = {"error": exc.error, "error_description": exc.description}
        return _json(body, exc.status, {**NO_STORE, **exc.headers})
    return _json({"access_token": value, "token_type": "Bearer", "expires_in": lifetime, "scope": scopes},
                 200, NO_STORE)


def _form(request: HttpRequest) -> QueryDict:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "The token endpoint takes POST", {"Allow": "POST"})
    if request.GET:
        # Credentials in a URL end up in logs and browser history (RFC 6749 section 2.3.1).
        raise OAuthError(400, "invalid_request", "Send the parameters in the form body, not the URL")
    if request.content_type != FORM:
        raise OAuthError(400, "invalid_request", f"The body must be {FORM}")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_FORM:
        raise OAuthError(400, "invalid_request", f"A token request is a short form (at most {MAX_FORM:,} bytes)")
    return QueryDict(request.body, encoding="utf-8")


def _single(form: QueryDict, name: str, *, required: bool = True) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise OAuthError(400, "invalid_request", f"{name} is given more than once")
    if not values or not values[0]:
        if required:
            raise OAuthError(400, "invalid_request", f"{name} is required")
        return None
    return values[0]


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError(400, "invalid_request", "The Basic credentials are not valid base64") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(400, "invalid_request", "Basic credentials must be client_id:client_secret")
    # RFC 6749 section 2.3.1: both are form-encoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def _client(request: HttpRequest, form: QueryDict) -> ApiClient:
    basic = _basic(request.headers.get("Authorization", ""))
    posted_id = _single(form, "client_id", required=False)
    posted_secret = _single(form, "client_secret", required=False)
    if form.get("client_assertion_type") == JWT_ASSERTION or form.get("client_assertion"):
        raise OAuthError(400, "invalid_client", "private_key_jwt is not supported: authenticate with "
                         "client_secret_basic or client_secret_post", {"WWW-Authenticate": 'Basic realm="ourplan"'})
    if basic is not None and posted_secret is not None:
        raise OAuthError(400, "invalid_request", "Use one client authentication method, not two")
    if basic is not None:
        client_id, secret = basic
        if posted_id is not None and posted_id != client_id:
            raise OAuthError(400, "invalid_request", "client_id in the form differs from the Basic credentials")
    elif posted_id is not None and posted_secret is not None:
        client_id, secret = posted_id, posted_secret
    else:
        raise OAuthError(401, "invalid_client", "Client authentication is required (client_secret_basic or "
                         "client_secret_post)", {"WWW-Authenticate": 'Basic realm="ourplan"'})
    client = clients.authenticate(client_id, secret)
    if client is None:
        # One answer for an unknown client, a wrong secret and a deactivated client.
        raise OAuthError(401, "invalid_client", "Client authentication failed",
                         {"WWW-Authenticate": 'Basic realm="ourplan"'})
    return client


def _event(request: HttpRequest, client: ApiClient | None, token_id: str | None, error: str) -> AuditEvent:
    """A token granted (LOGIN) or refused (DENIED). No person's data is involved, so no person."""
    label = f"API client: {client.name} ({client.client_id})" if client is not None else "API: unknown client"
    return AuditEvent(
        actor=None, actor_label=label[:200], action=AuditAction.DENIED if error else AuditAction.LOGIN,
        entity_type="ApiToken", entity_id=token_id or "", basis=AccessBasis.SYSTEM if not error else AccessBasis.NONE,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        detail={"path": request.path[:500], "method": request.method, "grant": GRANT, "error": error or None,
                "organisation": client.organisation.ods_code if client is not None else None},
    )


def _refused(request: HttpRequest, client: ApiClient | None, error: str) -> None:
    try:
        # A savepoint, so a failed audit write cannot leave the connection unusable.
        with transaction.atomic():
            _event(request, client, None, error).save()
    except Exception:
        # The refusal gives nothing away, so it is still answered; the failure is logged for a developer.
        logger.exception("Could not write the audit event for a refused token request")
