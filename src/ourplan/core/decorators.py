"""View guards. A logged-in user without the right role gets "not found", never a hint that the page exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from ourplan.core.roles import is_staff_member, staff_memberships


def refuse(request: HttpRequest) -> Http404:
    """A refused page looks like a missing one, and the attempt is audited like any other refusal."""
    from ourplan.core import audit
    from ourplan.core.models import AccessBasis, AuditAction

    audit.record(request.user, AuditAction.DENIED, "Page", "", basis=AccessBasis.NONE,  # type: ignore[arg-type]
                 request=request)
    return Http404("Not found")


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_member(request.user):
            raise refuse(request)
        return view(request, *args, **kwargs)

    return wrapper


def practice_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages for practice admins only (import queues, later the audit log). Others get 404."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not staff_memberships(request.user).filter(role="admin").exists():
            raise refuse(request)
        return view(request, *args, **kwargs)

    return wrapper
