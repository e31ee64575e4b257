"""The decision aid library: clinicians and the care team write aids, and only a clinician approves them.

Aids are practice-independent content: one library for the whole Ourplan installation, with no
organisation on the row, so any staff member can read and draft them and any clinician can approve them.
Only approved aids are offered in the shared decision form (DecisionAid.objects.approved()), and every
change to an approved aid's wording makes it a draft again, so the person never sees unapproved words.

Every change goes through the do_* functions here, with the acting user, in a transaction, under
optimistic concurrency (core.versioning) and with an audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.roles import staff_roles
from ourplan.core.versioning import apply_versioned_update
from ourplan.planning.models import DecisionAid

# Each option's texts, in the order they are written and shown, with their labels.
OPTION_FIELDS: dict[str, str] = {
    "name": "Option",
    "involves": "What it involves",
    "pros": "Good points",
    "cons": "Downsides",
    "evidence": "What the evidence says",
    "uncertainties": "What is not known",
}
# "What it involves" is optional: the seeded aids were written before it existed.
REQUIRED_OPTION_FIELDS = ("name", "pros", "cons", "evidence", "uncertainties")
MIN_OPTIONS = 2
MAX_OPTIONS = 12
CONTENT_FIELDS = ("title", "question", "source", "options")
APPROVER_ROLE = "clinician"


class AidConflict(EditConflict):
    """A stale save of an aid. `theirs` holds the saved wording so the page can show it beside yours."""

    def __init__(self, current_version: int, theirs: dict[str, str]):
        super().__init__(current_version)
        self.theirs = theirs


def may_approve(user: Any) -> bool:
    """Only a clinician approves aids; an HCA, coordinator or admin can draft them."""
    return APPROVER_ROLE in staff_roles(user)


def option_field_error(index: int, key: str) -> str:
    """The ActionError.field naming one option's text, e.g. "options.0.pros"."""
    return f"options.{index}.{key}"


def _normalise(options: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each option's texts stripped (missing ones blank), wholly blank options dropped."""
    cleaned = [{key: str(raw.get(key) or "").strip() for key in OPTION_FIELDS} for raw in options]
    return [o for o in cleaned if any(o.values())]


def check_aid(fields: dict[str, Any]) -> tuple[dict[str, Any], list[ActionError]]:
    """The cleaned fields and EVERY problem with them, so a form can show each message beside its field.
    An option's problems name it "options.<index>.<key>", counting only the options that are not blank."""
    errors: list[ActionError] = []
    title = str(fields.get("title") or "").strip()
    question = str(fields.get("question") or "").strip()
    if not title:
        errors.append(ActionError("Give the aid a title", field="title"))
    if not question:
        errors.append(ActionError("Write the question it helps with, as the person would ask it", field="question"))
    options = _normalise(list(fields.get("options") or []))
    seen: set[str] = set()
    for i, option in enumerate(options):
        for key in REQUIRED_OPTION_FIELDS:
            if not option[key]:
                errors.append(ActionError(f"Write {OPTION_FIELDS[key].lower()} for option {i + 1}",
                                          field=option_field_error(i, key)))
        if option["name"] and option["name"].casefold() in seen:
            errors.append(ActionError(f"Option {i + 1} has the same name as an earlier option",
                                      field=option_field_error(i, "name")))
        seen.add(option["name"].casefold())
    if len(options) < MIN_OPTIONS:
        errors.append(ActionError(f"Give at least {MIN_OPTIONS} options, so there is a choice to make",
                                  field="options"))
    if len(options) > MAX_OPTIONS:
        errors.append(ActionError(f"Give at most {MAX_OPTIONS} options", field="options"))
    cleaned = {"title": title[:200], "question": question[:300],
               "source": str(fields.get("source") or "").strip()[:300], "options": options}
    return cleaned, errors


def clean_aid(fields: dict[str, Any]) -> dict[str, Any]:
    """The cleaned fields, or ActionError for the first problem."""
    cleaned, errors = check_aid(fields)
    if errors:
        raise errors[0]
    return cleaned


def _basis(actor: User | None) -> AccessBasis:
    return AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE


def theirs_for_display(aid: DecisionAid) -> dict[str, str]:
    """The saved wording of an aid as label -> text, for the conflict panel."""
    shown = {"Title": aid.title, "The question it helps with": aid.question, "Guidance it draws on": aid.source}
    for i, option in enumerate(aid.options):
        shown[f"Option {i + 1}"] = "\n".join(f"{label}: {option.get(key, '')}"
                                             for key, label in OPTION_FIELDS.items() if option.get(key))
    return shown


@transaction.atomic
def do_create_aid(actor: User | None, fields: dict[str, Any]) -> DecisionAid:
    """A new aid is always a draft, even when a clinician writes it: approving is a separate, deliberate step."""
    aid = DecisionAid.objects.create(**clean_aid(fields))
    audit.record(actor, AuditAction.CREATE, "DecisionAid", aid.public_id, basis=_basis(actor),
                 detail={"title": aid.title, "version": aid.version})
    return aid


@transaction.atomic
def do_update_aid(actor: User | None, aid: DecisionAid, expected_version: int, fields: dict[str, Any]
                  ) -> DecisionAid:
    """Change an aid's wording. Any change to an approved aid makes it a draft until a clinician approves it
    again. Raises AidConflict (nothing saved) if someone saved after `expected_version`."""
    cleaned = clean_aid(fields)
    current = DecisionAid.objects.select_for_update().get(pk=aid.pk)
    before = {"title": current.title, "question": current.question, "source": current.source,
              "options": _normalise(current.options)}
    changed = sorted(k for k in CONTENT_FIELDS if before[k] != cleaned[k])
    was_approved = current.approved_at is not None
    changes: dict[str, Any] = dict(cleaned)
    if changed:
        changes.update(approved_by=None, approved_by_name="", approved_at=None)
    try:
        apply_versioned_update(aid, expected_version, changes)
    except EditConflict as exc:
        raise AidConflict(exc.current_version, theirs_for_display(current)) from exc
    audit.record(actor, AuditAction.UPDATE, "DecisionAid", aid.public_id, basis=_basis(actor),
                 detail={"fields": changed, "version": aid.version,
                         "unapproved": bool(changed) and was_approved})
    return aid


@transaction.atomic
def do_approve_aid(actor: User, aid: DecisionAid, expected_version: int) -> DecisionAid:
    """A clinician approves the wording they read (`expected_version`); if it changed since, nothing is
    approved and they are asked to read it again."""
    if not may_approve(actor):
        raise ActionError("Only a clinician can approve a decision aid")
    now = timezone.now()
    label = actor.get_full_name() or actor.username
    try:
        apply_versioned_update(aid, expected_version, {"approved_by": actor, "approved_by_name": label,
                                                       "approved_at": now})
    except EditConflict as exc:
        current = DecisionAid.objects.get(pk=aid.pk)
        raise AidConflict(exc.current_version, theirs_for_display(current)) from exc
    audit.record(actor, AuditAction.UPDATE, "DecisionAid", aid.public_id, basis=_basis(actor),
                 detail={"approved": True, "version": aid.version})
    return aid
