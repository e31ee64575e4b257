"""FHIR Patient, Organization, Practitioner, PractitionerRole and RelatedPerson to Ourplan's people.

An import only sets what the resource says: an element that is absent leaves the stored value alone, so a
sparse resource (a UK Core snippet, a partial export) never blanks details someone entered by hand."""

from __future__ import annotations

from typing import Any

from ourplan.core.errors import ActionError
from ourplan.imports.fhir_read import Entry
from ourplan.imports.fhir_refs import FhirRun, Imported, source_key
from ourplan.imports.fhir_subject import Checked, audit_detail, import_checked
from ourplan.imports.fhir_values import (
    BCP47,
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    SDS_USER_SYSTEM,
    address,
    codings,
    email,
    extension,
    first_code,
    human_name,
    identifier,
    telecom,
    to_date,
    walk_extensions,
)
from ourplan.imports.records import audit_saved, find_by_key, name_for_person, save
from ourplan.people.actions import check_person_fields
from ourplan.people.models import (
    AccessibleFormat,
    ContactMethod,
    Organisation,
    Person,
    Practitioner,
    RelatedPerson,
    StaffMember,
)

SNOMED = "http://snomed.info/sct"
CONTACT_PREFERENCE = "Extension-UKCore-ContactPreference"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

# UK Core PreferredContactMethod codes Ourplan can act on; the others become a note for staff.
CONTACT_METHODS = {
    "1": ContactMethod.POST, "3": ContactMethod.PHONE, "4": ContactMethod.EMAIL,
    "6": ContactMethod.PHONE, "9": ContactMethod.SMS,
}
CONTACT_NOTES = {
    "2": "Prefers to be contacted by a visit",
    "5": "Uses a Minicom (textphone)",
    "6": "Prefers telephone contact through someone acting for them",
    "7": "Communicates in sign language",
    "8": "Does not want telephone contact",
}
# UK Core PreferredWrittenCommunicationFormat codes.
WRITTEN_FORMATS = {"11": AccessibleFormat.LARGE_PRINT, "12": AccessibleFormat.BRAILLE, "13": AccessibleFormat.AUDIO}
SIGN_LANGUAGES = {"bfi", "sgn-gb", "sgn"}  # BCP 47: British Sign Language

# Where each person field comes from, so a refusal names the FHIR element.
PATIENT_ELEMENTS = {
    "nhs_number": "Patient.identifier (NHS number)", "date_of_birth": "Patient.birthDate",
    "family_name": "Patient.name", "email": "Patient.telecom",
}

# HL7 v3 RoleCode (personal relationships) to Ourplan's relationship choices.
R = RelatedPerson.Relationship
RELATIONSHIPS: dict[str, str] = {
    **dict.fromkeys(("WIFE", "HUSB", "SPS", "DOMPART", "SIGOTHR", "FMRSPS"), R.SPOUSE),
    **dict.fromkeys(("MTH", "FTH", "PRN", "NMTH", "NFTH", "NPRN", "ADOPTP", "ADOPTM", "ADOPTF", "STPPRN",
                     "STPMTH", "STPFTH", "GESTM", "FTHFOST", "MTHFOST", "PRNFOST"), R.PARENT),
    **dict.fromkeys(("CHILD", "SON", "DAU", "NCHILD", "SONC", "DAUC", "CHLDADOPT", "SONADOPT", "DAUADOPT",
                     "CHLDFOST", "SONFOST", "DAUFOST", "STPCHLD", "STPSON", "STPDAU", "CHLDINLAW"), R.CHILD),
    **dict.fromkeys(("FAMMEMB", "SIB", "BRO", "SIS", "NSIB", "NBRO", "NSIS", "HSIB", "HBRO", "HSIS", "STPSIB",
                     "STPBRO", "STPSIS", "GRPRN", "GRMTH", "GRFTH", "GGRPRN", "GRNDCHILD", "GRNDSON", "GRNDDAU",
                     "AUNT", "UNCLE", "COUSN", "NIECE", "NEPHEW", "NIENEPH", "EXT", "INLAW", "PRNINLAW",
                     "MTHINLAW", "FTHINLAW", "SIBINLAW", "SISINLAW", "BROINLAW", "SONINLAW", "DAUINLAW"),
                    R.FAMILY),
    **dict.fromkeys(("FRND", "NBOR", "ROOM"), R.FRIEND),
    **dict.fromkeys(("CAREGIVER",), R.CARER),
}


# --- Patient ---------------------------------------------------------------------------------------------

def _communication(res: Any, fields: dict[str, Any], formats: set[str], notes: list[str]) -> None:
    """Language, interpreter and UK Core contact preferences (Accessible Information Standard needs)."""
    languages = sorted(res.communication or [], key=lambda c: 0 if c.preferred else 1)
    for comm in languages:
        code = first_code(comm.language, BCP47)
        if code:
            fields["preferred_language"] = code.code
            if code.code.lower() in SIGN_LANGUAGES:
                formats.add(AccessibleFormat.BSL)
            break
    interpreter = next((e for e in walk_extensions(
        list(res.extension or []) + [x for c in res.communication or [] for x in c.extension or []])
        if (e.url or "").endswith("interpreterRequired") and e.valueBoolean is not None), None)
    if interpreter is not None:
        fields["interpreter_needed"] = bool(interpreter.valueBoolean)
    preference = extension(res.extension, CONTACT_PREFERENCE)
    if preference is None:
        return
    method = extension(preference.extension, "PreferredContactMethod")
    for code in codings(method.valueCodeableConcept if method else None):
        if code.code in CONTACT_METHODS:
            fields["preferred_contact"] = CONTACT_METHODS[code.code]
        if code.code == "7":
            formats.add(AccessibleFormat.BSL)
        if code.code in CONTACT_NOTES:
            notes.append(CONTACT_NOTES[code.code])
    written = extension(preference.extension, "PreferredWrittenCommunicationFormat")
    for code in codings(written.valueCodeableConcept if written else None):
        if code.code in WRITTEN_FORMATS:
            formats.add(WRITTEN_FORMATS[code.code])
        else:
            notes.append(f"Prefers written communication as: {code.display or code.code}")


def _practice(res: Any, run: FhirRun, notes: list[str]) -> Organisation | None:
    """The GP practice from generalPractitioner (an Organization, or a PractitionerRole's organisation)."""
    for ref in res.generalPractitioner or []:
        if (ref.reference or "").split("/")[0] == "Practitioner" or ref.type == "Practitioner":
            notes.append("generalPractitioner names a Practitioner, not a practice; practice not set from it")
            continue
        try:
            found = run.resolve(ref, ("Organization", "PractitionerRole"), "Patient.generalPractitioner")
        except ActionError as exc:
            notes.append(f"{exc.message}; not registered at a practice from it")
            continue
        org = found.organisation if isinstance(found, StaffMember) else found
        assert isinstance(org, Organisation)
        if org.kind == Organisation.Kind.OTHER:
            # Named as someone's GP, so it is a GP practice (the Organization resource rarely says so).
            save(Organisation, org, {"kind": Organisation.Kind.GP_PRACTICE})
        return org
    return None


def import_patient(res: Any, entry: Entry, run: FhirRun) -> Imported:
    notes: list[str] = []
    name = human_name(res.name)
    if name is None or not name.family:
        raise ActionError("Patient.name: no family name. Ourplan needs at least a family name (surname)")
    fields: dict[str, Any] = {"given_name": name.given, "family_name": name.family}
    nhs = identifier(res, NHS_NUMBER_SYSTEM)
    if nhs:
        fields["nhs_number"] = nhs
    birth = to_date(res.birthDate, "Patient.birthDate")
    if birth:
        fields["date_of_birth"] = birth
    if res.gender:
        fields["sex"] = res.gender
    lines, postcode = address(res.address)
    fields.update({k: v for k, v in (("address", lines), ("postcode", postcode),
                                       ("phone", telecom(res.telecom, "phone"))) if v})
    mail, problem = email(res.telecom)
    if mail:
        fields["email"] = mail
    if problem:
        notes.append(problem)
    formats: set[str] = set()
    contact_notes: list[str] = []
    _communication(res, fields, formats, contact_notes)
    try:
        cleaned = check_person_fields(fields)
    except ActionError as exc:
        element = PATIENT_ELEMENTS.get(exc.field or "", "Patient")
        shown = f" {nhs}" if exc.field == "nhs_number" else ""
        raise ActionError(f"{element}{shown}: {exc.message}", field=exc.field) from exc

    key = source_key(entry, res)
    by_nhs = Person.objects.filter(nhs_number=cleaned["nhs_number"]).first() if nhs else None
    by_key = find_by_key(Person, key)
    if (by_nhs and by_key and by_nhs.pk != by_key.pk) or (
        by_key and not by_nhs and nhs and by_key.nhs_number and by_key.nhs_number != cleaned["nhs_number"]
    ):
        raise ActionError(
            f"Patient/{entry.resource_id or '(no id)'} was imported before for a person with a different NHS "
            "number. Not changed: check which system this file came from"
        )
    existing = by_nhs or by_key

    if formats:
        # Add to what is recorded, never remove: losing an accessibility need is worse than keeping one
        # that may be out of date, and staff can remove it on the person's page.
        have = set(existing.accessible_formats) if existing else set()
        cleaned["accessible_formats"] = [f for f in AccessibleFormat.values if f in have | formats]
    if contact_notes and not (existing and existing.communication_notes):
        cleaned["communication_notes"] = ". ".join(contact_notes)
    practice = _practice(res, run, notes)
    if practice is not None:
        cleaned["practice"] = practice
    elif not res.generalPractitioner and run.practice is not None and not (existing and existing.practice_id):
        cleaned["practice"] = run.practice
    if (existing is None or existing.practice_id is None) and "practice" not in cleaned:
        notes.append("no GP practice, so no member of staff can see this person yet (use --practice)")

    saved = save(Person, existing, cleaned, key)
    audit_saved(run.ctx, saved, saved.obj, audit_detail(entry))
    return Imported(saved, f"Person {name_for_person(saved.obj)}", notes)


# --- Organization, Practitioner, PractitionerRole ----------------------------------------------------------

def import_organization(res: Any, entry: Entry, run: FhirRun) -> Imported:
    ods = identifier(res, ODS_SYSTEM).upper()
    name = (res.name or "").strip() or ods
    if not name:
        raise ActionError("Organization.name: no name and no ODS code. Ourplan needs one of them")
    fields: dict[str, Any] = {"name": name}
    if ods:
        fields["ods_code"] = ods
    lines, postcode = address(res.address)
    fields.update({k: v for k, v in (("address", lines), ("postcode", postcode),
                                       ("phone", telecom(res.telecom, "phone"))) if v})
    key = source_key(entry, res)
    by_ods = Organisation.objects.filter(ods_code=ods).first() if ods else None
    by_key = find_by_key(Organisation, key)
    if by_ods and by_key and by_ods.pk != by_key.pk:
        raise ActionError(
            f"Organization/{entry.resource_id} was imported before with a different ODS code "
            f"({by_key.ods_code or 'none'}), and ODS code {ods} belongs to {by_ods.name}. Not changed"
        )
    saved = save(Organisation, by_ods or by_key, fields, key)
    return Imported(saved, f"Organisation {saved.obj.name}" + (f" ({ods})" if ods else ""))


PROFESSIONAL_REGISTERS = ("gmc-number", "gmp-number", "nmc-number", "gphc-number", "hcpc-number")


def import_practitioner(res: Any, entry: Entry, run: FhirRun) -> Imported:
    notes: list[str] = []
    name = human_name(res.name)
    fields: dict[str, Any] = {}
    if name is not None:
        fields.update(title=name.prefix, given_name=name.given, family_name=name.family)
    else:
        notes.append("no name in the resource")
    sds = identifier(res, SDS_USER_SYSTEM)
    if sds:
        fields["sds_user_id"] = sds
    for ident in res.identifier or []:
        if ident.value and (ident.system or "").rstrip("/").rsplit("/", 1)[-1] in PROFESSIONAL_REGISTERS:
            fields["professional_code"] = str(ident.value).strip()
            break
    _contact_points(res, fields, notes)
    key = source_key(entry, res)
    existing = Practitioner.objects.filter(sds_user_id=sds).first() if sds else None
    saved = save(Practitioner, existing or find_by_key(Practitioner, key), fields, key)
    return Imported(saved, f"Practitioner {str(saved.obj) or '(no name)'}", notes)


def import_practitioner_role(res: Any, entry: Entry, run: FhirRun) -> Imported:
    # A role may come without its practitioner (an SDS role profile at a trust): record the role alone.
    practitioner = (
        run.resolve(res.practitioner, ("Practitioner",), "PractitionerRole.practitioner")
        if res.practitioner is not None else None
    )
    if res.organization is None:
        raise ActionError("PractitionerRole.organization is missing. Ourplan records roles at an organisation")
    organisation = run.resolve(res.organization, ("Organization",), "PractitionerRole.organization")
    fields: dict[str, Any] = {"practitioner": practitioner, "organisation": organisation}
    role = next((c for concept in res.code or [] for c in codings(concept) if c.system == SNOMED), None)
    if role is not None:
        fields.update(role_code=role.code, job_title=role.display[:100])
    if res.active is not None:
        fields["active"] = bool(res.active)
    key = source_key(entry, res)
    # The Ourplan role (clinician, HCA, ...) is the default on create and then left to local admins: it
    # decides what the person may do here, which no external system knows.
    saved = save(StaffMember, find_by_key(StaffMember, key), fields, key)
    return Imported(saved, f"Staff member {practitioner or '(practitioner not given)'} at {organisation}")


def _contact_points(res: Any, fields: dict[str, Any], notes: list[str]) -> None:
    """Phone and email from telecom; an email that is not one becomes a note rather than an error."""
    phone = telecom(res.telecom, "phone")
    if phone:
        fields["phone"] = phone
    mail, problem = email(res.telecom)
    if mail:
        fields["email"] = mail
    if problem:
        notes.append(problem)


# --- RelatedPerson ---------------------------------------------------------------------------------------

def check_related_person(res: Any, entry: Entry) -> Checked:
    """Everything but the patient: see fhir_subject for why that comes last."""
    notes: list[str] = []
    fields: dict[str, Any] = {}
    name = human_name(res.name)
    if name is not None:
        fields.update(given_name=name.given, family_name=name.family)
    relation = next((c for concept in res.relationship or [] for c in codings(concept)
                     if c.system == V3_ROLE_CODE), None)
    if relation is not None:
        fields.update(relationship=RELATIONSHIPS.get(relation.code.upper(), R.OTHER),
                      relationship_code=relation.code)
    _contact_points(res, fields, notes)
    if res.active is not None:
        fields["active"] = bool(res.active)

    def describe(record: Any, person: Person | None) -> str:
        label = RelatedPerson.Relationship(record.relationship).label.lower()
        return f"Related person {record} ({label}" + (f" of {name_for_person(person)})" if person else ")")

    return Checked(entry, RelatedPerson, source_key(entry, res), res.patient, "RelatedPerson.patient", fields,
                   describe, f"RelatedPerson/{entry.resource_id} was imported before for a different person. "
                   "Not changed", notes)


def import_related_person(res: Any, entry: Entry, run: FhirRun) -> Imported:
    return import_checked(check_related_person(res, entry), run)
