"""Ourplan's people to FHIR (UK Core): Patient, Organization, Practitioner, PractitionerRole,
RelatedPerson. The inverse of ourplan.imports.fhir_people, so what goes out reads back in unchanged."""

from __future__ import annotations

from typing import Any

from ourplan.api.out_common import day, meta, prune, reference
from ourplan.imports.fhir_values import BCP47, NHS_NUMBER_SYSTEM, ODS_SYSTEM, SDS_USER_SYSTEM
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember

SNOMED = "http://snomed.info/sct"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# Ourplan relationship to a v3 RoleCode, used when the record has no code of its own.
RELATIONSHIP_CODES = {
    "carer": "CAREGIVER", "spouse": "SPS", "parent": "PRN", "child": "CHILD", "family": "FAMMEMB",
    "friend": "FRND",
}


def _telecom(phone: str, email: str) -> list[dict[str, str]]:
    out = []
    if phone:
        out.append({"system": "phone", "value": phone})
    if email:
        out.append({"system": "email", "value": email})
    return out


def _address(lines: str, postcode: str) -> list[dict[str, Any]]:
    if not lines and not postcode:
        return []
    return [prune({"use": "home", "line": [ln for ln in lines.splitlines() if ln.strip()], "postalCode": postcode})]


def _name(given: str, family: str, prefix: str = "", use: str = "official") -> dict[str, Any]:
    return prune({"use": use, "family": family, "given": given.split() if given else [],
                  "prefix": prefix.split() if prefix else []})


def patient(p: Person) -> dict[str, Any]:
    names = [_name(p.given_name, p.family_name)]
    if p.preferred_name:
        names.append(_name(p.preferred_name, p.family_name, use="usual"))
    return prune({
        "resourceType": "Patient",
        "id": str(p.public_id),
        "meta": meta(p, "Patient"),
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": p.nhs_number}] if p.nhs_number else [],
        "name": names,
        "telecom": _telecom(p.phone, p.email),
        "gender": p.sex,
        "birthDate": day(p.date_of_birth),
        "address": _address(p.address, p.postcode),
        "communication": [{"language": {"coding": [{"system": BCP47, "code": p.preferred_language}]},
                           "preferred": True}] if p.preferred_language else [],
        # practice is select_related by the query that fetched the person.
        "generalPractitioner": [reference("Organization", p.practice, p.practice.name)] if p.practice else [],
    })


def organization(o: Organisation) -> dict[str, Any]:
    return prune({
        "resourceType": "Organization",
        "id": str(o.public_id),
        "meta": meta(o, "Organization"),
        "identifier": [{"system": ODS_SYSTEM, "value": o.ods_code}] if o.ods_code else [],
        "active": True,
        "name": o.name,
        "telecom": _telecom(o.phone, ""),
        "address": [prune({"line": [ln for ln in o.address.splitlines() if ln.strip()],
                           "postalCode": o.postcode})] if o.address or o.postcode else [],
    })


def practitioner(p: Practitioner) -> dict[str, Any]:
    identifiers = [{"system": SDS_USER_SYSTEM, "value": p.sds_user_id}] if p.sds_user_id else []
    return prune({
        "resourceType": "Practitioner",
        "id": str(p.public_id),
        "meta": meta(p, "Practitioner"),
        "identifier": identifiers,
        "name": [_name(p.given_name, p.family_name, p.title)] if p.family_name or p.given_name else [],
        "telecom": _telecom(p.phone, p.email),
    })


def practitioner_role(s: StaffMember) -> dict[str, Any]:
    code: dict[str, Any] | None = ({"coding": [prune({"system": SNOMED, "code": s.role_code, "display": s.job_title})]}
            if s.role_code else ({"text": s.job_title} if s.job_title else None))
    return prune({
        "resourceType": "PractitionerRole",
        "id": str(s.public_id),
        "meta": meta(s, "PractitionerRole"),
        "active": s.active,
        "practitioner": reference("Practitioner", s.practitioner, str(s.practitioner)) if s.practitioner else None,
        "organization": reference("Organization", s.organisation, s.organisation.name),
        "code": [code] if code else [],
    })


def related_person(r: RelatedPerson) -> dict[str, Any]:
    code = r.relationship_code or RELATIONSHIP_CODES.get(r.relationship, "")
    relationship = [{"coding": [{"system": V3_ROLE_CODE, "code": code}], "text": r.get_relationship_display()}] \
        if code else [{"text": r.get_relationship_display()}]
    return prune({
        "resourceType": "RelatedPerson",
        "id": str(r.public_id),
        "meta": meta(r, "RelatedPerson"),
        "active": r.active,
        "patient": reference("Patient", r.person),
        "relationship": relationship,
        "name": [_name(r.given_name, r.family_name)] if r.given_name or r.family_name else [],
        "telecom": _telecom(r.phone, r.email),
    })
