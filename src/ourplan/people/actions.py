"""Every change to people, their related people and consents goes through these functions: they take the
acting user, run in a transaction and write the audit row."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ourplan.core import audit
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis, AuditAction, User
from ourplan.core.versioning import apply_versioned_update
from ourplan.people import nhs_number
from ourplan.people.models import Consent, Person, RelatedPerson

# Fields a person-details form or an import may set.
PERSON_FIELDS = {
    "nhs_number", "given_name", "family_name", "preferred_name", "date_of_birth", "sex", "address",
    "postcode", "phone", "email", "preferred_contact", "preferred_language", "interpreter_needed",
    "accessible_formats", "communication_notes", "practice", "source_system", "source_id",
}


def check_person_fields(fields: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """Normalise and check person fields; raise ActionError naming the field on the first problem."""
    cleaned = dict(fields)
    unknown = set(cleaned) - PERSON_FIELDS
    if unknown:
        raise ActionError(f"Unknown person fields: {', '.join(sorted(unknown))}")
    if cleaned.get("nhs_number"):
        message = nhs_number.problem(cleaned["nhs_number"])
        if message:
            raise ActionError(message, field="nhs_number")
        cleaned["nhs_number"] = nhs_number.normalise(cleaned["nhs_number"])
    elif "nhs_number" in cleaned:
        cleaned["nhs_number"] = None
    dob = cleaned.get("date_of_birth")
    today = today or timezone.localdate()
    if dob is not None:
        if dob > today:
            raise ActionError("Date of birth must be in the past", field="date_of_birth")
        if dob.year < today.year - 130:
            raise ActionError("Date of birth is more than 130 years ago", field="date_of_birth")
    if "family_name" in cleaned and not str(cleaned["family_name"]).strip():
        raise ActionError("Enter a family name (surname)", field="family_name")
    return cleaned


@transaction.atomic
def do_create_person(actor: User | None, **fields: Any) -> Person:
    cleaned = check_person_fields(fields)
    if cleaned.get("nhs_number") and Person.objects.filter(nhs_number=cleaned["nhs_number"]).exists():
        raise ActionError("A person with this NHS number is already registered", field="nhs_number")
    person = Person(**cleaned)
    try:
        person.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ActionError(messages[0], field=field) from exc
    person.save()
    audit.record(actor, AuditAction.CREATE, "Person", person.public_id, person=person.public_id,
                 basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE)
    return person


@transaction.atomic
def do_update_person(actor: User | None, person: Person, expected_version: int, **changes: Any) -> Person:
    """Change person details. Raises EditConflict if someone saved after `expected_version`."""
    cleaned = check_person_fields(changes)
    if cleaned.get("nhs_number") and Person.objects.filter(
        nhs_number=cleaned["nhs_number"]).exclude(pk=person.pk).exists():
        raise ActionError("Another person already has this NHS number", field="nhs_number")
    before = {name: getattr(person, name) for name in cleaned}
    apply_versioned_update(person, expected_version, cleaned)
    changed = sorted(k for k in cleaned if before[k] != cleaned[k])
    audit.record(actor, AuditAction.UPDATE, "Person", person.public_id, person=person.public_id,
                 basis=AccessBasis.SYSTEM if actor is None else AccessBasis.DIRECT_CARE,
                 detail={"fields": changed, "version": person.version})
    return person


@transaction.atomic
def do_add_related_person(actor: User | None, person: Person, **fields: Any) -> RelatedPerson:
    related = RelatedPerson.objects.create(person=person, **fields)
    audit.record(actor, AuditAction.CREATE, "RelatedPerson", related.public_id, person=person.public_id)
    return related


@transaction.atomic
def do_grant_consent(
    actor: User | None, person: Person, related: RelatedPerson, *, can_contribute: bool = False,
    ends_at: Any = None,
) -> Consent:
    if related.person_id != person.pk:
        raise ActionError("That carer is not linked to this person")
    consent = Consent.objects.create(
        person=person, related_person=related, can_contribute=can_contribute, ends_at=ends_at, recorded_by=actor
    )
    audit.record(actor, AuditAction.CREATE, "Consent", consent.public_id, person=person.public_id,
                 detail={"grantee": str(related.public_id)})
    return consent


@transaction.atomic
def do_withdraw_consent(actor: User | None, consent: Consent) -> Consent:
    """Takes effect on the grantee's very next request: access is checked per request, never cached."""
    apply_versioned_update(consent, consent.version,
                           {"status": Consent.Status.WITHDRAWN, "withdrawn_at": timezone.now()})
    audit.record(actor, AuditAction.UPDATE, "Consent", consent.public_id, person=consent.person.public_id,
                 detail={"status": "withdrawn"})
    return consent
