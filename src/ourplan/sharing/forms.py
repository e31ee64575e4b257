"""Reading the sharing forms: each returns cleaned values or a dict of field -> message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from ourplan.people.models import Organisation, Person, StaffMember
from ourplan.sharing.models import CareTeamMember, MemberRole, SensitiveNote

# How long to share for, in the person's words. Months are 30-day blocks: a clear, predictable rule.
DURATIONS: list[tuple[str, str]] = [
    ("", "Until I change my mind"),
    ("3", "For 3 months"),
    ("6", "For 6 months"),
    ("12", "For 12 months"),
]
SCOPES = [("member", "Only this person or team"), ("organisation", "Anyone from their organisation in my care team")]


def ends_at_for(duration: str) -> datetime | None:
    return timezone.now() + timedelta(days=30 * int(duration)) if duration else None


@dataclass
class ShareChoice:
    member: CareTeamMember
    organisation: Organisation | None
    ends_at: datetime | None
    include_sensitive: bool
    can_contribute: bool
    given_by: str


def read_share(data: QueryDict, person: Person, *, need_given_by: bool) -> tuple[ShareChoice | None, dict[str, str]]:
    errors: dict[str, str] = {}
    member = (CareTeamMember.objects.filter(CareTeamMember.active_q(), team__person=person,
                                            public_id=_uuid(data.get("member")))
              .select_related("staff_member__organisation", "organisation", "related_person").first())
    if member is None:
        errors["member"] = "Choose who to share with"
    duration = data.get("duration", "")
    if duration not in dict(DURATIONS):
        errors["duration"] = "Choose how long to share for"
    given_by = data.get("given_by", "").strip()
    if need_given_by and not given_by:
        errors["given_by"] = "Say who made this decision, for example 'The person, in clinic'"
    if errors or member is None:
        return None, errors
    organisation = None
    if data.get("scope") == "organisation" and member.staff_member_id:
        organisation = member.staff_member.organisation if member.staff_member else None
    return ShareChoice(member, organisation, ends_at_for(duration), data.get("include_sensitive") == "yes",
                       data.get("can_contribute") == "yes", given_by), {}


@dataclass
class NewMember:
    role: str
    staff_member: StaffMember | None
    organisation: Organisation | None
    related_person: Any
    contact: str


def read_member(data: QueryDict, person: Person) -> tuple[NewMember | None, dict[str, str]]:
    errors: dict[str, str] = {}
    kind = data.get("kind", "")
    staff_member = organisation = related = None
    if kind == "professional":
        staff_member = (StaffMember.objects.filter(active=True, public_id=_uuid(data.get("staff_member")))
                        .select_related("organisation").first())
        if staff_member is None:
            errors["staff_member"] = "Choose the professional"
    elif kind == "organisation":
        organisation = Organisation.objects.filter(public_id=_uuid(data.get("organisation"))).first()
        if organisation is None:
            errors["organisation"] = "Choose the organisation or team"
    elif kind == "related":
        related = person.related_people.filter(active=True, public_id=_uuid(data.get("related_person"))).first()
        if related is None:
            errors["related_person"] = "Choose the carer or family member"
    else:
        errors["kind"] = "Choose who you are adding"
    role = data.get("role", "")
    if role not in MemberRole.values:
        errors["role"] = "Choose their role"
    contact = data.get("contact", "").strip()
    if len(contact) > 200:
        errors["contact"] = "Contact details must be 200 characters or fewer"
    if errors:
        return None, errors
    return NewMember(role, staff_member, organisation, related, contact), {}


def read_note(data: QueryDict) -> tuple[tuple[str, str] | None, dict[str, str]]:
    errors: dict[str, str] = {}
    kind, text = data.get("kind", ""), data.get("text", "").strip()
    if kind not in SensitiveNote.Kind.values:
        errors["kind"] = "Choose what kind of note this is"
    if not text:
        errors["text"] = "Write the note"
    return (None, errors) if errors else ((kind, text), {})


def _uuid(value: str | None) -> str:
    """The value as a UUID string, or one that matches nothing (a form value is never trusted)."""
    import uuid

    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError):
        return "00000000-0000-0000-0000-000000000000"
