"""What kind of user is this? Derived from linked records, never from flags typed into the user row."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def staff_memberships(user: Any) -> QuerySet[Any]:
    from ourplan.people.models import StaffMember

    if not getattr(user, "is_authenticated", False):
        return StaffMember.objects.none()
    return StaffMember.objects.filter(practitioner__user=user, active=True).select_related("organisation")


def staff_org_ids(user: Any) -> list[int]:
    """Organisations where the user has an active staff role. Cached on the user object, which lives for
    one request, so a role removed now is honoured on the next request."""
    cached = getattr(user, "_ourplan_staff_orgs", None)
    if cached is None:
        cached = list(staff_memberships(user).values_list("organisation_id", flat=True))
        if getattr(user, "is_authenticated", False):
            user._ourplan_staff_orgs = cached
    return cached


def is_staff_member(user: Any) -> bool:
    return bool(staff_org_ids(user))


def staff_roles(user: Any) -> set[str]:
    """The user's active staff roles (clinician, hca, coordinator, admin), cached for the request."""
    cached = getattr(user, "_ourplan_staff_roles", None)
    if cached is None:
        cached = set(staff_memberships(user).values_list("role", flat=True))
        if getattr(user, "is_authenticated", False):
            user._ourplan_staff_roles = cached
    return cached
