"""create (POST) for Organization, Practitioner, PractitionerRole, RelatedPerson, HealthcareService and
ServiceRequest, through the importer's and the services directory's own mappers and actions, so a resource
means the same whether it arrives in a file or over the API. Updates of these are made on the website (the
local admin decides a staff member's role, for instance), so only create is offered.

Who may create: practice staff and system clients. Directory data (organisations, practitioners, roles,
services) belongs to no person; a RelatedPerson or ServiceRequest belongs to a person the caller must be
able to write for (api.access.require_write)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from ourplan.api import extensions as X
from ourplan.api.access import require_write
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError
from ourplan.api.search import as_uuid
from ourplan.api.writes import Written, known_references, refused_by_importer, run_for, subject_person
from ourplan.core.errors import ActionError
from ourplan.core.models import AccessBasis
from ourplan.core.roles import is_staff_member
from ourplan.imports.fhir_people import (
    import_organization,
    import_practitioner,
    import_practitioner_role,
    import_related_person,
)
from ourplan.imports.fhir_read import Entry
from ourplan.imports.fhir_values import ODS_SYSTEM, SDS_USER_SYSTEM, identifier
from ourplan.imports.records import aware
from ourplan.people.models import Organisation, Practitioner, StaffMember


def _entry(resource_type: str) -> Entry:
    # A fresh urn:uuid makes the importer's source key unique: an API create never updates a record that
    # happens to share a logical id with one imported from a file.
    return Entry("api", None, "", f"urn:uuid:{uuid.uuid4()}", resource_type, "", {})


def _staff_or_system(caller: Caller, resource_type: str) -> AccessBasis:
    if caller.context == "system":
        return AccessBasis.SYSTEM
    if caller.context == "user" and is_staff_member(caller.user):
        return AccessBasis.DIRECT_CARE
    raise FhirError(403, f"Only practice staff and system clients may create {resource_type}", code="forbidden",
                    audit_denied=True)


class DirectoryWriter:
    """Organization, Practitioner and PractitionerRole through the importer's mappers."""

    def __init__(self, resource_type: str) -> None:
        self.resource_type = resource_type

    def _duplicate(self, res: Any) -> None:
        if self.resource_type == "Organization":
            ods = identifier(res, ODS_SYSTEM).upper()
            if ods and Organisation.objects.filter(ods_code=ods).exists():
                raise FhirError(409, f"An Organization with ODS code {ods} is already recorded (use If-None-Exist)",
                                code="duplicate", expression=["Organization.identifier"])
        if self.resource_type == "Practitioner":
            sds = identifier(res, SDS_USER_SYSTEM)
            if sds and Practitioner.objects.filter(sds_user_id=sds).exists():
                raise FhirError(409, f"A Practitioner with SDS user id {sds} is already recorded (use "
                                "If-None-Exist)", code="duplicate", expression=["Practitioner.identifier"])

    def create(self, caller: Caller, res: Any) -> Written:
        found = _staff_or_system(caller, self.resource_type)
        self._duplicate(res)
        mapper = {"Organization": import_organization, "Practitioner": import_practitioner,
                  "PractitionerRole": import_practitioner_role}[self.resource_type]
        run = run_for(caller)
        known_references(res, run)
        with transaction.atomic():
            try:
                done = mapper(res, _entry(self.resource_type), run)
            except ActionError as exc:
                raise refused_by_importer(self.resource_type, exc) from exc
        return Written(done.saved.obj, None, found, True)

    def update(self, caller: Caller, obj: Any, res: Any, version: int) -> Written:
        raise FhirError(405, f"{self.resource_type} is changed on the website", code="not-supported")


class RelatedPersonWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        person, found = subject_person(caller, res.patient, "RelatedPerson", element="patient")
        require_write(found, "RelatedPerson")
        run = run_for(caller)
        known_references(res, run)
        with transaction.atomic():
            try:
                done = import_related_person(res, _entry("RelatedPerson"), run)
            except ActionError as exc:
                raise refused_by_importer("RelatedPerson", exc) from exc
        return Written(done.saved.obj, person, found, True)

    def update(self, caller: Caller, obj: Any, res: Any, version: int) -> Written:
        raise FhirError(405, "RelatedPerson is changed on the website", code="not-supported")


class HealthcareServiceWriter:
    def create(self, caller: Caller, res: Any) -> Written:
        from ourplan.support.services import do_create_service
        from ourplan.support.services_fhir import FHIR_SOURCE, fields_from_resource

        found = _staff_or_system(caller, "HealthcareService")
        try:
            fields, source_id = fields_from_resource(res)
            if source_id and _service_exists(FHIR_SOURCE, source_id):
                raise FhirError(409, "A HealthcareService with this identifier is already recorded",
                                code="duplicate", expression=["HealthcareService.identifier"])
            with transaction.atomic():
                service = do_create_service(caller.user, require_category=False, source_system=FHIR_SOURCE
                                            if source_id else "", source_id=source_id, **fields)
        except ActionError as exc:
            raise refused_by_importer("HealthcareService", exc) from exc
        return Written(service, None, found, True)

    def update(self, caller: Caller, obj: Any, res: Any, version: int) -> Written:
        raise FhirError(405, "HealthcareService is changed on the website", code="not-supported")


def _service_exists(system: str, source_id: str) -> bool:
    from ourplan.support.models import Service

    return Service.objects.filter(source_system=system, source_id=source_id).exclude(source_id="").exists()


def _named(reference: str | None) -> str:
    """The name of a Practitioner, PractitionerRole or Organization on this server a reference names."""
    parts = (reference or "").split("/")
    model = {"Practitioner": Practitioner, "PractitionerRole": StaffMember, "Organization": Organisation}.get(
        parts[-2]) if len(parts) >= 2 else None
    key = as_uuid(parts[-1]) if model is not None else None
    found = model._default_manager.filter(public_id=key).first() if model is not None and key else None
    return str(found) if found is not None else ""


def _text(concept: Any) -> str:
    if concept is None:
        return ""
    return str(concept.text or next((c.display for c in concept.coding or [] if c.display), "") or "").strip()


REFERRAL_PATHS = {"consent_given": f"ServiceRequest.extension('{X.REFERRAL_CONSENT}')",
                  "reason": "ServiceRequest.reasonCode", "to_name": "ServiceRequest.performer",
                  "kind": "ServiceRequest.intent"}


class ServiceRequestWriter:
    """A referral (intent order) or signposting (intent proposal) made by another system."""

    def create(self, caller: Caller, res: Any) -> Written:
        from ourplan.support.models import Referral, Service
        from ourplan.support.referrals import do_make_referral

        if res.intent not in ("order", "proposal", "plan"):
            raise FhirError(422, "Ourplan records referrals (intent order) and signposting (proposal)",
                            code="business-rule", expression=["ServiceRequest.intent"])
        if res.status not in ("active", "draft"):
            raise FhirError(422, "A new referral is active (sent); its later statuses follow on the website",
                            code="business-rule", expression=["ServiceRequest.status"])
        person, found = subject_person(caller, res.subject, "ServiceRequest")
        require_write(found, "ServiceRequest")
        performer = (res.performer or [None])[0]
        service, to_name = None, ""
        if performer is not None:
            parts = (performer.reference or "").split("/")
            key = as_uuid(parts[-1]) if len(parts) >= 2 and parts[-2] == "HealthcareService" else None
            if key is not None:
                service = Service.objects.filter(public_id=key).first()
                if service is None:
                    raise FhirError(422, f"ServiceRequest.performer {performer.reference}: no such service",
                                    code="not-found", expression=["ServiceRequest.performer"])
            to_name = (performer.display or _named(performer.reference) or performer.reference or "").strip()
        reason = "; ".join(t for t in (_text(c) for c in res.reasonCode or []) if t) or _text(res.code)
        goal = next((as_uuid((s.reference or "").split("/")[-1]) for s in res.supportingInfo or []
                     if (s.reference or "").split("/")[-2:-1] == ["Goal"]), None)
        kind = Referral.Kind.REFERRAL if res.intent != "proposal" else Referral.Kind.SIGNPOSTING
        given = X.find(res.extension, X.REFERRAL_CONSENT)
        consent = bool(given is not None and given.valueBoolean)
        with transaction.atomic():
            try:
                referral = do_make_referral(caller.user, person, kind=kind,  # type: ignore[arg-type]
                                            reason=reason, service=service, goal_public_id=goal,
                                            to_name="" if service else to_name[:200], consent_given=consent)
            except ActionError as exc:
                where = REFERRAL_PATHS.get(exc.field or "", "ServiceRequest")
                raise FhirError(422, exc.message, code="business-rule", expression=[where]) from exc
            if res.authoredOn is not None:
                Referral.objects.filter(pk=referral.pk).update(sent_at=aware(res.authoredOn))
        return Written(referral, person, found, True)

    def update(self, caller: Caller, obj: Any, res: Any, version: int) -> Written:
        raise FhirError(405, "A referral's status moves on the website (support.referrals)", code="not-supported")


ORGANIZATION = DirectoryWriter("Organization")
PRACTITIONER = DirectoryWriter("Practitioner")
PRACTITIONER_ROLE = DirectoryWriter("PractitionerRole")
RELATED_PERSON = RelatedPersonWriter()
HEALTHCARE_SERVICE = HealthcareServiceWriter()
SERVICE_REQUEST = ServiceRequestWriter()
