"""Patient, Organization, Practitioner, PractitionerRole and RelatedPerson in the resource table."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from ourplan.api import out_people, writes, writes_directory
from ourplan.api.access import visible_people
from ourplan.api.out_common import UK_CORE
from ourplan.api.resource_type import (
    CREATE_ONLY,
    READ_INTERACTIONS,
    WRITE_INTERACTIONS,
    Link,
    ResourceType,
    everyone,
    of_people,
)
from ourplan.api.search import SearchParam, common_params, date_q, reference_q, string_q, token
from ourplan.imports.fhir_values import NHS_NUMBER_SYSTEM, ODS_SYSTEM, SDS_USER_SYSTEM
from ourplan.people import nhs_number
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember


def identifier_q(system: str, column: str, normalise: Callable[[str], str] = str.strip) -> Callable[[str], Q]:
    def to_q(value: str) -> Q:
        wanted, code = token(value)
        if wanted not in (None, system) or not code:
            return Q(pk__in=[])
        return Q(**{column: normalise(code)})
    return to_q


def patient_param(column: str, doc: str, name: str = "patient") -> SearchParam:
    return SearchParam(name, "reference", doc, reference_q(column, "Patient"))


def _nhs(value: str) -> str:
    return nhs_number.normalise(value)


TYPES = (
    ResourceType(
        "Patient", Person, out_people.patient, lambda caller: visible_people(caller), "",
        common_params([
            SearchParam("identifier", "token", "NHS number: https://fhir.nhs.uk/Id/nhs-number|<number>",
                        identifier_q(NHS_NUMBER_SYSTEM, "nhs_number", _nhs)),
            SearchParam("family", "string", "Family name (starts with, any case)", string_q("family_name")),
            SearchParam("given", "string", "Given name (starts with, any case)", string_q("given_name")),
            SearchParam("name", "string", "Family or given name (starts with, any case)",
                        lambda v: Q(family_name__istartswith=v) | Q(given_name__istartswith=v)),
            SearchParam("birthdate", "date", "Date of birth (prefixes eq, ne, lt, le, gt, ge)",
                        date_q("date_of_birth", "birthdate", date_only=True)),
            SearchParam("general-practitioner", "reference", "The GP practice: Organization/<id>",
                        reference_q("practice__public_id", "Organization")),
        ]),
        sorts={"_lastUpdated": "updated_at", "family": "family_name", "birthdate": "date_of_birth"},
        interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, profile=UK_CORE + "Patient",
        select_related=("practice",), links=(Link("general-practitioner", "Organization", "practice"),),
        writer=writes.PATIENT,
    ),
    ResourceType(
        "Organization", Organisation, out_people.organization, everyone(Organisation), None,
        common_params([
            SearchParam("identifier", "token", "ODS code: https://fhir.nhs.uk/Id/ods-organization-code|<code>",
                        identifier_q(ODS_SYSTEM, "ods_code", lambda v: v.strip().upper())),
            SearchParam("name", "string", "Name (starts with, any case)", string_q("name")),
        ]),
        sorts={"_lastUpdated": "updated_at", "name": "name"}, profile=UK_CORE + "Organization",
        interactions=CREATE_ONLY, writer=writes_directory.ORGANIZATION,
    ),
    ResourceType(
        "Practitioner", Practitioner, out_people.practitioner, everyone(Practitioner), None,
        common_params([
            SearchParam("identifier", "token", "SDS user id: https://fhir.nhs.uk/Id/sds-user-id|<id>",
                        identifier_q(SDS_USER_SYSTEM, "sds_user_id")),
            SearchParam("family", "string", "Family name (starts with, any case)", string_q("family_name")),
        ]),
        sorts={"_lastUpdated": "updated_at"}, profile=UK_CORE + "Practitioner",
        interactions=CREATE_ONLY, writer=writes_directory.PRACTITIONER,
    ),
    ResourceType(
        "PractitionerRole", StaffMember, out_people.practitioner_role, everyone(StaffMember), None,
        common_params([
            SearchParam("practitioner", "reference", "Practitioner/<id>",
                        reference_q("practitioner__public_id", "Practitioner")),
            SearchParam("organization", "reference", "Organization/<id>",
                        reference_q("organisation__public_id", "Organization")),
        ]),
        sorts={"_lastUpdated": "updated_at"}, profile=UK_CORE + "PractitionerRole",
        select_related=("practitioner", "organisation"),
        links=(Link("practitioner", "Practitioner", "practitioner"),
               Link("organization", "Organization", "organisation")),
        interactions=CREATE_ONLY, writer=writes_directory.PRACTITIONER_ROLE,
    ),
    ResourceType(
        "RelatedPerson", RelatedPerson, out_people.related_person, of_people(RelatedPerson), "person",
        common_params([patient_param("person__public_id", "The person they are related to: Patient/<id>")]),
        sorts={"_lastUpdated": "updated_at"}, profile=UK_CORE + "RelatedPerson", select_related=("person",),
        links=(Link("patient", "Patient", "person"),),
        interactions=CREATE_ONLY, writer=writes_directory.RELATED_PERSON,
    ),
)
