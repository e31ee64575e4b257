"""create (POST) and update (PUT) for Patient, Condition and Observation, and what every writer shares
(parsing the body, If-Match, locking the version, refusals as OperationOutcomes).

Inbound mapping is the importer's (ourplan.imports): the same validation (fhir.resources R4B for structure,
our own checks for required bindings, codes, units and plausible values) and the same mapping to models,
so the API and `ourplan import-fhir` can never disagree about what a resource means. What the API adds:
the caller's access (people.access through api.access), `If-Match` versions, and one audit event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import transaction
from lxml import etree
from pydantic import ValidationError

from ourplan.api.access import basis, person_for, require_write
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError, not_found
from ourplan.api.formats import XML
from ourplan.api.search import as_uuid, reference_id
from ourplan.clinical.models import Condition, Observation
from ourplan.core.errors import ActionError, EditConflict
from ourplan.core.models import AccessBasis, PublicModel
from ourplan.core.roles import staff_org_ids
from ourplan.core.versioning import apply_versioned_update
from ourplan.imports.fhir_clinical import check_condition, check_observation
from ourplan.imports.fhir_people import import_patient
from ourplan.imports.fhir_read import Entry, model_class
from ourplan.imports.fhir_refs import FhirRun
from ourplan.imports.fhir_subject import Checked
from ourplan.imports.fhir_values import NHS_NUMBER_SYSTEM, identifier
from ourplan.imports.records import ImportContext, save
from ourplan.people import nhs_number
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember

# Types a reference in an inbound resource may name by this server's id.
REFERABLE: dict[str, type[PublicModel]] = {"Organization": Organisation, "PractitionerRole": StaffMember,
                                           "Practitioner": Practitioner, "Patient": Person,
                                           "RelatedPerson": RelatedPerson}


@dataclass
class Written:
    obj: Any
    person: Person | None  # None for directory data (organisations, services, ...)
    basis: AccessBasis
    created: bool


# --- The request body ------------------------------------------------------------------------------------

def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


def _path(resource_type: str, loc: tuple[Any, ...]) -> str:
    out = resource_type
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "__root__":
            out += f".{part}"
    return out


def parse_body(body: bytes, fmt: str, resource_type: str) -> Any:
    """The body as a validated fhir.resources model of `resource_type`, or 400 naming what is wrong."""
    cls = model_class(resource_type)
    assert cls is not None
    if fmt == XML:
        try:
            root = etree.fromstring(body, parser=_safe_parser())
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise FhirError(400, f"The body is not well-formed XML: {exc}", code="structure") from exc
        found = etree.QName(root).localname
        payload: Any = body
    else:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise FhirError(400, f"The body is not valid JSON: {exc}", code="structure") from exc
        if not isinstance(payload, dict):
            raise FhirError(400, "The body must be a JSON object (a FHIR resource)", code="structure")
        found = str(payload.get("resourceType", ""))
    if found != resource_type:
        raise FhirError(400, f"The body is a {found or 'resource with no resourceType'}; this URL takes "
                        f"{resource_type}", code="invalid", expression=[f"{resource_type}.resourceType"])
    if fmt == XML:
        try:
            return cls.model_validate_xml(payload, xmlparser=_safe_parser())
        except ValidationError as exc:
            raise _invalid(resource_type, exc) from exc
        except (ValueError, TypeError, etree.LxmlError) as exc:
            raise FhirError(400, f"Not a valid FHIR {resource_type}: {exc}", code="structure") from exc
    return parse_resource(payload, resource_type)


def _invalid(resource_type: str, exc: ValidationError) -> FhirError:
    errors = exc.errors()
    paths = [_path(resource_type, tuple(e.get("loc", ()))) for e in errors[:5]]
    detail = "; ".join(f"{p}: {e.get('msg', '')}" for p, e in zip(paths, errors[:5], strict=False))
    return FhirError(400, f"Not a valid FHIR {resource_type}: {detail}", code="structure", expression=paths)


def parse_resource(payload: dict[str, Any], resource_type: str) -> Any:
    """A resource (parsed JSON) as a validated fhir.resources model, or 400 naming the element at fault."""
    cls = model_class(resource_type)
    if cls is None:
        raise FhirError(400, f"'{resource_type[:60]}' is not a FHIR resource type", code="not-supported")
    try:
        return cls.model_validate(payload)
    except ValidationError as exc:
        raise _invalid(resource_type, exc) from exc
    except (ValueError, TypeError) as exc:
        raise FhirError(400, f"Not a valid FHIR {resource_type}: {exc}", code="structure") from exc


def refused_by_importer(resource_type: str, exc: ActionError) -> FhirError:
    where = exc.field or resource_type
    if not where.startswith(resource_type):
        where = f"{resource_type}.{where}"
    return FhirError(422, exc.message, code="business-rule", expression=[where])


def _entry(resource_type: str, key: uuid.UUID) -> Entry:
    # A fresh urn:uuid makes the importer's source key unique to this record (an API create is never
    # matched to an earlier record by content).
    return Entry("api", None, "", f"urn:uuid:{key}", resource_type, "", {})


def run_for(caller: Caller) -> FhirRun:
    run = FhirRun(ImportContext(caller.user, caller.label))
    if caller.context == "system":
        run.practice = caller.token.organisation
    elif caller.user is not None:
        orgs = staff_org_ids(caller.user)
        run.practice = Organisation.objects.filter(pk=orgs[0]).first() if len(orgs) == 1 else None
    return run


def if_match(header: str | None) -> int:
    """The version in `If-Match: W/"3"` (or "3"). Required for updates: without it a client could
    overwrite a change it never saw (428); a stale one is refused with 412 by the versioned update."""
    if header is None:
        raise FhirError(428, "If-Match is required: send the ETag of the version you changed, e.g. "
                        'If-Match: W/"3"', code="required")
    text = header.strip()
    text = text[2:] if text.startswith("W/") else text
    text = text.strip('"')
    if not text.isdigit():
        raise FhirError(400, f"If-Match '{header}' is not a version ETag such as W/\"3\"", code="invalid")
    return int(text)


# --- Patient ---------------------------------------------------------------------------------------------

def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        out = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return out + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def known_references(res: Any, run: FhirRun) -> None:
    """Let the importer resolve references to this server's own ids (Type/<public id>)."""
    for text in _references(res.model_dump(mode="json")):
        parts = text.strip().split("/")
        model = REFERABLE.get(parts[-2]) if len(parts) >= 2 else None
        key = as_uuid(parts[-1]) if model is not None else None
        obj = model._default_manager.filter(public_id=key).first() if model is not None and key else None
        if obj is not None:
            run.saved[text.strip()] = obj  # type: ignore[assignment]


def _check_visible(caller: Caller, person: Person) -> AccessBasis:
    person.refresh_from_db()
    found = basis(caller, person)
    if found not in (AccessBasis.DIRECT_CARE, AccessBasis.SYSTEM):
        raise FhirError(422, "The person would be registered at a practice you cannot see: give your own "
                        "practice as Patient.generalPractitioner, or leave it out", code="business-rule",
                        expression=["Patient.generalPractitioner"])
    return found


def create_patient(caller: Caller, res: Any) -> Written:
    if caller.context == "patient":
        raise FhirError(403, "A patient/ token cannot create people", code="forbidden", audit_denied=True)
    nhs = nhs_number.normalise(identifier(res, NHS_NUMBER_SYSTEM))
    if nhs and Person.objects.filter(nhs_number=nhs).exists():
        # The NHS number is unique in Ourplan; the message does not say whose record has it.
        raise FhirError(409, "A person with this NHS number is already recorded. Use If-None-Exist to find "
                        "them, or update them with PUT", code="duplicate",
                        expression=["Patient.identifier"])
    run = run_for(caller)
    known_references(res, run)
    with transaction.atomic():
        try:
            done = import_patient(res, _entry("Patient", uuid.uuid4()), run)
        except ActionError as exc:
            raise refused_by_importer("Patient", exc) from exc
        person = done.saved.obj
        found = _check_visible(caller, person)
    return Written(person, person, found, True)


def update_patient(caller: Caller, person: Person, res: Any, version: int) -> Written:
    nhs = nhs_number.normalise(identifier(res, NHS_NUMBER_SYSTEM))
    if not person.nhs_number or nhs != person.nhs_number:
        # The importer matches people by NHS number; changing it (or a person without one) over the API
        # would risk writing into someone else's record, so it is done on the website instead.
        raise FhirError(422, "Patient.identifier must carry the person's NHS number, unchanged "
                        "(people without an NHS number are updated on the website)", code="business-rule",
                        expression=["Patient.identifier"])
    run = run_for(caller)
    known_references(res, run)
    with transaction.atomic():
        lock_version(Person, person, version)
        try:
            done = import_patient(res, _entry("Patient", person.public_id), run)
        except ActionError as exc:
            raise refused_by_importer("Patient", exc) from exc
        if done.saved.obj.pk != person.pk:
            raise FhirError(422, "Patient.identifier names a different person", code="business-rule",
                            expression=["Patient.identifier"])
        if done.saved.obj.version == version:
            # Unchanged content is still a new version: every accepted PUT moves the ETag on, so two
            # clients holding the same ETag can never both succeed.
            apply_versioned_update(done.saved.obj, version, {})
        found = _check_visible(caller, done.saved.obj)
    return Written(done.saved.obj, done.saved.obj, found, False)


def lock_version(model: type[PublicModel], obj: PublicModel, version: int) -> None:
    """Inside the caller's transaction: lock the row (PostgreSQL; SQLite's IMMEDIATE transaction already
    holds the write lock) and refuse a stale version with 412 before anything is written."""
    current = model._default_manager.select_for_update().filter(pk=obj.pk).values_list("version", flat=True).first()
    if current != version:
        raise FhirError(412, f"Version {version} is not the current version ({current}): someone changed "
                        "this record after you read it. Read it again and re-apply your change.",
                        code="conflict", headers={"ETag": f'W/"{current}"'})


# --- Condition and Observation ---------------------------------------------------------------------------

def _checked(resource_type: str, res: Any, key: uuid.UUID) -> Checked:
    check = check_condition if resource_type == "Condition" else check_observation
    try:
        return check(res, _entry(resource_type, key))
    except ActionError as exc:
        raise refused_by_importer(resource_type, exc) from exc


def _subject(caller: Caller, checked: Checked, resource_type: str) -> tuple[Person, AccessBasis]:
    return subject_person(caller, checked.subject, resource_type)


def subject_person(caller: Caller, ref: Any, resource_type: str, element: str = "subject"
                   ) -> tuple[Person, AccessBasis]:
    """The person a resource's subject names (Patient/<id> on this server) and the caller's basis; 422
    naming the subject when there is no such person the caller may see."""
    path = f"{resource_type}.{element}"
    text = (getattr(ref, "reference", None) or "").strip() if ref is not None else ""
    found = reference_id(text, "Patient") if text else None
    if found is None:
        raise FhirError(422, f"{path} must be a reference to a Patient on this server (Patient/<id>)",
                        code="business-rule", expression=[path])
    try:
        return person_for(caller, str(found))
    except FhirError as exc:
        raise FhirError(422, f"{path} {text}: not found", code="not-found", expression=[path],
                        audit_denied=True) from exc


def _fields(caller: Caller, checked: Checked) -> dict[str, Any]:
    fields = dict(checked.fields)
    if checked.model is Observation:
        fields["recorded_by"] = caller.user
    return fields


def create_clinical(caller: Caller, resource_type: str, res: Any) -> Written:
    checked = _checked(resource_type, res, uuid.uuid4())
    person, found = _subject(caller, checked, resource_type)
    require_write(found, resource_type)
    model = Condition if resource_type == "Condition" else Observation
    # Only a business identifier can already be recorded: without one the key is this create's fresh urn.
    # exclude(source_id="") lets SQLite use the partial unique index on the key (else it scans the table).
    if checked.key[0] != f"fhir:{resource_type}" and model._default_manager.filter(
            source_system=checked.key[0], source_id=checked.key[1]).exclude(source_id="").exists():
        raise FhirError(409, f"A {resource_type} with this identifier is already recorded. Use If-None-Exist, "
                        "or update it with PUT", code="duplicate", expression=[f"{resource_type}.identifier"])
    # The caller (interactions.create_resource) holds the transaction, with the Provenance written in it.
    saved = save(model, None, {**_fields(caller, checked), "person": person}, checked.key)
    return Written(saved.obj, person, found, True)


def update_clinical(caller: Caller, resource_type: str, obj: Any, res: Any, version: int) -> Written:
    checked = _checked(resource_type, res, obj.public_id)
    person, found = _subject(caller, checked, resource_type)
    if person.pk != obj.person_id:
        raise FhirError(422, f"{resource_type}.subject cannot be changed: a record never moves to another "
                        "person", code="business-rule", expression=[f"{resource_type}.subject"])
    require_write(found, resource_type)
    with transaction.atomic():
        lock_version(type(obj), obj, version)
        fields = _fields(caller, checked)
        changes = {k: v for k, v in fields.items() if getattr(obj, k) != v}
        try:
            apply_versioned_update(obj, version, changes)
        except EditConflict as exc:
            raise FhirError(412, "Someone changed this record after you read it", code="conflict") from exc
    return Written(obj, person, found, False)


def require_found(obj: Any, what: str) -> Any:
    if obj is None:
        raise not_found(what)
    return obj


class PatientWriter:
    def create(self, caller: Caller, resource: Any) -> Written:
        return create_patient(caller, resource)

    def update(self, caller: Caller, obj: Any, resource: Any, version: int) -> Written:
        return update_patient(caller, obj, resource, version)


@dataclass(frozen=True)
class ClinicalWriter:
    resource_type: str

    def create(self, caller: Caller, resource: Any) -> Written:
        return create_clinical(caller, self.resource_type, resource)

    def update(self, caller: Caller, obj: Any, resource: Any, version: int) -> Written:
        return update_clinical(caller, self.resource_type, obj, resource, version)


PATIENT = PatientWriter()
CONDITION = ClinicalWriter("Condition")
OBSERVATION = ClinicalWriter("Observation")
