"""create (POST) and update (PUT) for Patient, Condition and Observation.

Inbound mapping is the importer's (ourplan.imports): the same validation (fhir.resources R4B for structure,
our own checks for required bindings, codes, units and plausible values) and the same mapping to models,
so the API and `ourplan import-fhir` can never disagree about what a resource means. What the API adds:
the caller's access (people.access through api.access), `If-Match` versions, and one audit event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from django.db import transaction
from lxml import etree
from pydantic import ValidationError

from ourplan.api.access import basis, person_for, require_write, visible_people
from ourplan.api.auth import Caller
from ourplan.api.errors import FhirError, not_found
from ourplan.api.formats import XML
from ourplan.api.resources import RESOURCE_TYPES
from ourplan.api.search import as_uuid, reference_id, token
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
from ourplan.imports.records import ImportContext, fit_key, save
from ourplan.people import nhs_number
from ourplan.people.models import Organisation, Person, StaffMember

WRITABLE = ("Patient", "Condition", "Observation")


@dataclass
class Written:
    obj: Any
    person: Person
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
    try:
        if fmt == XML:
            return cls.model_validate_xml(payload, xmlparser=_safe_parser())
        return cls.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors()
        paths = [_path(resource_type, tuple(e.get("loc", ()))) for e in errors[:5]]
        detail = "; ".join(f"{p}: {e.get('msg', '')}" for p, e in zip(paths, errors[:5], strict=False))
        raise FhirError(400, f"Not a valid FHIR {resource_type}: {detail}", code="structure",
                        expression=paths) from exc
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise FhirError(400, f"Not a valid FHIR {resource_type}: {exc}", code="structure") from exc


def _refused(resource_type: str, exc: ActionError) -> FhirError:
    where = exc.field or resource_type
    if not where.startswith(resource_type):
        where = f"{resource_type}.{where}"
    return FhirError(422, exc.message, code="business-rule", expression=[where])


def _entry(resource_type: str, key: uuid.UUID) -> Entry:
    # A fresh urn:uuid makes the importer's source key unique to this record (an API create is never
    # matched to an earlier record by content).
    return Entry("api", None, "", f"urn:uuid:{key}", resource_type, "", {})


def _run(caller: Caller) -> FhirRun:
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


# --- Conditional create ----------------------------------------------------------------------------------

def existing_match(caller: Caller, resource_type: str, header: str) -> Any | None:
    """The record an `If-None-Exist: identifier=system|value` names, among those the caller may see; None
    if there is none. Only `identifier` is supported: it is what makes a create safe to repeat."""
    params = parse_qsl(header, keep_blank_values=True)
    if len(params) != 1 or params[0][0] != "identifier" or "|" not in params[0][1]:
        raise FhirError(400, "If-None-Exist supports one parameter, identifier=system|value",
                        code="not-supported", expression=["If-None-Exist"])
    system, value = token(params[0][1])
    rt = RESOURCE_TYPES[resource_type]
    if resource_type == "Patient":
        if system != NHS_NUMBER_SYSTEM:
            return None
        matches = list(rt.visible_all().filter(nhs_number=nhs_number.normalise(value),
                                               pk__in=visible_people(caller).values("pk"))[:2])
    else:
        key = fit_key(f"fhir:{resource_type}|{system}", value or "")
        matches = list(rt.visible(caller).filter(source_system=key[0], source_id=key[1])
                       .select_related("person")[:2])
    if len(matches) > 1:
        raise FhirError(412, "If-None-Exist matches more than one record", code="multiple-matches")
    return matches[0] if matches else None


# --- Patient ---------------------------------------------------------------------------------------------

def _known_references(res: Any, run: FhirRun) -> None:
    """Let the importer resolve generalPractitioner references to this server's own ids."""
    for ref in res.generalPractitioner or []:
        text = (ref.reference or "").strip()
        parts = text.split("/")
        if len(parts) < 2 or as_uuid(parts[-1]) is None:
            continue
        model: type[PublicModel] | None = {"Organization": Organisation, "PractitionerRole": StaffMember}.get(parts[-2])
        obj = model._default_manager.filter(public_id=parts[-1]).first() if model else None
        if obj is not None:
            run.saved[text] = obj  # type: ignore[assignment]


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
    run = _run(caller)
    _known_references(res, run)
    with transaction.atomic():
        try:
            done = import_patient(res, _entry("Patient", uuid.uuid4()), run)
        except ActionError as exc:
            raise _refused("Patient", exc) from exc
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
    run = _run(caller)
    _known_references(res, run)
    with transaction.atomic():
        _lock_version(Person, person, version)
        try:
            done = import_patient(res, _entry("Patient", person.public_id), run)
        except ActionError as exc:
            raise _refused("Patient", exc) from exc
        if done.saved.obj.pk != person.pk:
            raise FhirError(422, "Patient.identifier names a different person", code="business-rule",
                            expression=["Patient.identifier"])
        if done.saved.obj.version == version:
            # Unchanged content is still a new version: every accepted PUT moves the ETag on, so two
            # clients holding the same ETag can never both succeed.
            apply_versioned_update(done.saved.obj, version, {})
        found = _check_visible(caller, done.saved.obj)
    return Written(done.saved.obj, done.saved.obj, found, False)


def _lock_version(model: type[PublicModel], obj: PublicModel, version: int) -> None:
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
        raise _refused(resource_type, exc) from exc


def _subject(caller: Caller, checked: Checked, resource_type: str) -> tuple[Person, AccessBasis]:
    ref = checked.subject
    text = (getattr(ref, "reference", None) or "").strip() if ref is not None else ""
    found = reference_id(text, "Patient") if text else None
    if found is None:
        raise FhirError(422, f"{resource_type}.subject must be a reference to a Patient on this server "
                        "(Patient/<id>)", code="business-rule", expression=[f"{resource_type}.subject"])
    try:
        return person_for(caller, str(found))
    except FhirError as exc:
        raise FhirError(422, f"{resource_type}.subject {text}: not found", code="not-found",
                        expression=[f"{resource_type}.subject"], audit_denied=True) from exc


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
    if model._default_manager.filter(source_system=checked.key[0], source_id=checked.key[1]).exists():
        raise FhirError(409, f"A {resource_type} with this identifier is already recorded. Use If-None-Exist, "
                        "or update it with PUT", code="duplicate", expression=[f"{resource_type}.identifier"])
    with transaction.atomic():
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
        _lock_version(type(obj), obj, version)
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
