"""Staff must use MFA (TOTP) in production. Until they have set it up, every page sends them to set it up."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ourplan.core.roles import is_staff_member

# Pages a staff member without MFA may still reach: the MFA setup itself, logout and static assets.
_ALLOWED_PREFIXES = (
    "/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/logout/", "/accounts/login/", "/static/", "/healthz",
)


class StaffMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.OURPLAN_REQUIRE_STAFF_MFA
            and request.user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and is_staff_member(request.user)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Sessions end after SESSION_COOKIE_AGE of inactivity. Rather than write the session on every request
    (SESSION_SAVE_EVERY_REQUEST costs three queries a page), touch it at most once a minute: the expiry
    then rolls forward with activity, give or take a minute."""

    TOUCH_EVERY_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            if now - int(request.session.get("_touched", 0)) >= self.TOUCH_EVERY_SECONDS:
                request.session["_touched"] = now
        return self.get_response(request)


# Pages behind a login that hold or lead to people's records. Anonymous requests for them are sent to log in;
# the attempt is still an access attempt, so it is audited like a refusal (without looking anyone up).
_RECORD_PREFIXES = ("/staff/", "/my/", "/insight/")


class AnonymousAttemptAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (not request.user.is_authenticated and request.path.startswith(_RECORD_PREFIXES)
                and response.status_code in (302, 401, 403, 404)):
            from ourplan.core import audit
            from ourplan.core.models import AccessBasis, AuditAction

            audit.record(None, AuditAction.DENIED, "Page", "", basis=AccessBasis.NONE, request=request)
        return response
