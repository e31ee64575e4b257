"""What kind of user is this? Derived from linked records, never from flags typed into the user row."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def staff_memberships(user: Any) -> QuerySet[Any]:
    from ourplan.people.models import StaffMember

    if not getattr(user, "is_authenticated", False):
        return StaffMember.objects.none()
    return StaffMember.objects.filter(practitioner__user=user, active=True).select_related("organisation")


def _memberships(user: Any) -> list[tuple[int, str, int]]:
    """(organisation id, role, staff member id) of the user's active staff roles, read once per request: the
    user object lives for one request, so a role removed now is honoured on the next request."""
    cached = getattr(user, "_ourplan_memberships", None)
    if cached is None:
        cached = list(staff_memberships(user).values_list("organisation_id", "role", "pk"))
        if getattr(user, "is_authenticated", False):
            user._ourplan_memberships = cached
    return cached


def staff_org_ids(user: Any) -> list[int]:
    """Organisations where the user has an active staff role."""
    return [org for org, _, _ in _memberships(user)]


def staff_member_ids(user: Any) -> list[int]:
    """The user's active StaffMember rows (their roles at organisations)."""
    return [pk for _, _, pk in _memberships(user)]


# Roles whose direct care includes the sensitive sections (mental health, safeguarding). Practice admin
# staff run recall and letters: they see the record for that work, not its sensitive parts.
CLINICAL_ROLES = frozenset({"clinician", "hca", "coordinator"})


def clinical_org_ids(user: Any) -> list[int]:
    """Organisations where the user has an active clinical (non-admin) role."""
    return [org for org, role, _ in _memberships(user) if role in CLINICAL_ROLES]


def staff_roles(user: Any) -> set[str]:
    """The user's active staff roles (clinician, hca, coordinator, admin)."""
    return {role for _, role, _ in _memberships(user)}


def is_staff_member(user: Any) -> bool:
    return bool(_memberships(user))


def works_at_gp_practice(user: Any) -> bool:
    """Whether the user has an active role at a GP practice (recall, appointments, preparation and the
    practice dashboards are practice work; staff of a hospital clinic or a charity do not see them)."""
    cached = getattr(user, "_ourplan_at_practice", None)
    if cached is None:
        cached = staff_memberships(user).filter(organisation__kind="gp-practice").exists()
        if getattr(user, "is_authenticated", False):
            user._ourplan_at_practice = cached
    return bool(cached)
