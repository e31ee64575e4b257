"""What kind of user is this? Derived from linked records, never from flags typed into the user row."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def staff_memberships(user: Any) -> QuerySet[Any]:
    from ourplan.people.models import StaffMember

    if not getattr(user, "is_authenticated", False):
        return StaffMember.objects.none()
    return StaffMember.objects.filter(practitioner__user=user, active=True).select_related("organisation")


def _memberships(user: Any) -> list[tuple[int, str]]:
    """(organisation id, role) of the user's active staff roles, read once per request: the user object
    lives for one request, so a role removed now is honoured on the next request."""
    cached = getattr(user, "_ourplan_memberships", None)
    if cached is None:
        cached = list(staff_memberships(user).values_list("organisation_id", "role"))
        if getattr(user, "is_authenticated", False):
            user._ourplan_memberships = cached
    return cached


def staff_org_ids(user: Any) -> list[int]:
    """Organisations where the user has an active staff role."""
    return [org for org, _ in _memberships(user)]


def staff_roles(user: Any) -> set[str]:
    """The user's active staff roles (clinician, hca, coordinator, admin)."""
    return {role for _, role in _memberships(user)}


def is_staff_member(user: Any) -> bool:
    return bool(_memberships(user))
