"""The resource types the API serves: for each, its model, what a caller may see, how it goes out, its
search parameters and sorts, and which interactions it supports. The CapabilityStatement is generated from
this table, so it lists exactly what is implemented."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from ourplan.api import out_clinical, out_people
from ourplan.api.access import visible_people
from ourplan.api.auth import Caller
from ourplan.api.search import SearchParam, bad, common_params, date_q, reference_q, string_q, token
from ourplan.clinical.models import Condition, Observation
from ourplan.clinical.terminology import LOINC, SNOMED, measure_for_code
from ourplan.imports.fhir_values import NHS_NUMBER_SYSTEM, ODS_SYSTEM, SDS_USER_SYSTEM
from ourplan.people import nhs_number
from ourplan.people.models import Organisation, Person, Practitioner, RelatedPerson, StaffMember

READ_INTERACTIONS = ("read", "vread", "search-type")
WRITE_INTERACTIONS = ("create", "update")


@dataclass(frozen=True)
class ResourceType:
    name: str
    model: type[Any]
    serialize: Callable[[Any], dict[str, Any]]
    visible: Callable[[Caller], QuerySet[Any]]
    # The person whose data this is (None for directory data such as Organization).
    person_of: Callable[[Any], Person | None]
    params: dict[str, SearchParam]
    sorts: dict[str, str] = field(default_factory=dict)
    interactions: tuple[str, ...] = READ_INTERACTIONS
    conditional_create: bool = False

    def fetch(self, public_id: Any) -> Any:
        return self.visible_all().filter(public_id=public_id).first()

    def visible_all(self) -> QuerySet[Any]:
        """Every row with what serialising needs joined in (access is checked on the row's person)."""
        return self.model._default_manager.select_related(*SELECT_RELATED.get(self.name, ()))


SELECT_RELATED: dict[str, tuple[str, ...]] = {
    "Patient": ("practice",),
    "PractitionerRole": ("practitioner", "organisation"),
    "RelatedPerson": ("person",),
    "Condition": ("person",),
    "Observation": ("person",),
}


def _identifier(system: str, column: str, normalise: Callable[[str], str] = str.strip) -> Callable[[str], Q]:
    def to_q(value: str) -> Q:
        wanted, code = token(value)
        if wanted not in (None, system) or not code:
            return Q(pk__in=[])
        return Q(**{column: normalise(code)})
    return to_q


def _of_people(model: type[Any]) -> Callable[[Caller], QuerySet[Any]]:
    def visible(caller: Caller) -> QuerySet[Any]:
        return model._default_manager.filter(person__in=visible_people(caller))
    return visible


def _condition_code(value: str) -> Q:
    system, code = token(value)
    if not code:
        raise bad("code", "needs a code (system|code or code)")
    return Q(code=code) & (Q(code_system=system) if system else Q())


def _observation_code(value: str) -> Q:
    """A code matches the measure it stands for, whichever of its SNOMED CT or LOINC codes was stored."""
    system, code = token(value)
    if not code:
        raise bad("code", "needs a code (system|code or code)")
    systems = [system] if system else [SNOMED, LOINC]
    keys = {m.key for s in systems if (m := measure_for_code(s, code)) is not None}
    if keys:
        return Q(measure__in=keys)
    return Q(code=code) & (Q(code_system=system) if system else Q())


def _category(value: str) -> Q:
    system, code = token(value)
    if system not in (None, out_clinical.OBSERVATION_CATEGORY) or code not in out_clinical.CATEGORIES:
        return Q(pk__in=[])
    return Q(measure__in=out_clinical.measures_in(code))


def _clinical_status(value: str) -> Q:
    system, code = token(value)
    if system not in (None, out_clinical.CLINICAL_STATUS):
        return Q(pk__in=[])
    return Q(clinical_status=code)


def _patient_params(column: str, doc: str) -> list[SearchParam]:
    return [SearchParam("patient", "reference", doc, reference_q(column, "Patient"))]


def _nhs(value: str) -> str:
    return nhs_number.normalise(value)


RESOURCE_TYPES: dict[str, ResourceType] = {
    rt.name: rt
    for rt in (
        ResourceType(
            "Patient", Person, out_people.patient,
            lambda caller: visible_people(caller), lambda p: p,
            common_params([
                SearchParam("identifier", "token", "NHS number: https://fhir.nhs.uk/Id/nhs-number|<number>",
                            _identifier(NHS_NUMBER_SYSTEM, "nhs_number", _nhs)),
                SearchParam("family", "string", "Family name (starts with, any case)", string_q("family_name")),
                SearchParam("birthdate", "date", "Date of birth (prefixes eq, ne, lt, le, gt, ge)",
                            date_q("date_of_birth", "birthdate", date_only=True)),
            ]),
            sorts={"_lastUpdated": "updated_at", "family": "family_name"},
            interactions=READ_INTERACTIONS + WRITE_INTERACTIONS, conditional_create=True,
        ),
        ResourceType(
            "Organization", Organisation, out_people.organization,
            lambda caller: Organisation.objects.all(), lambda o: None,
            common_params([
                SearchParam("identifier", "token", "ODS code: https://fhir.nhs.uk/Id/ods-organization-code|<code>",
                            _identifier(ODS_SYSTEM, "ods_code", lambda v: v.strip().upper())),
                SearchParam("name", "string", "Name (starts with, any case)", string_q("name")),
            ]),
            sorts={"_lastUpdated": "updated_at", "name": "name"},
        ),
        ResourceType(
            "Practitioner", Practitioner, out_people.practitioner,
            lambda caller: Practitioner.objects.all(), lambda p: None,
            common_params([
                SearchParam("identifier", "token", "SDS user id: https://fhir.nhs.uk/Id/sds-user-id|<id>",
                            _identifier(SDS_USER_SYSTEM, "sds_user_id")),
                SearchParam("family", "string", "Family name (starts with, any case)", string_q("family_name")),
            ]),
            sorts={"_lastUpdated": "updated_at"},
        ),
        ResourceType(
            "PractitionerRole", StaffMember, out_people.practitioner_role,
            lambda caller: StaffMember.objects.all(), lambda s: None,
            common_params([
                SearchParam("practitioner", "reference", "Practitioner/<id>",
                            reference_q("practitioner__public_id", "Practitioner")),
                SearchParam("organization", "reference", "Organization/<id>",
                            reference_q("organisation__public_id", "Organization")),
            ]),
            sorts={"_lastUpdated": "updated_at"},
        ),
        ResourceType(
            "RelatedPerson", RelatedPerson, out_people.related_person,
            _of_people(RelatedPerson), lambda r: r.person,
            common_params(_patient_params("person__public_id", "The person they are related to: Patient/<id>")),
            sorts={"_lastUpdated": "updated_at"},
        ),
        ResourceType(
            "Condition", Condition, out_clinical.condition,
            _of_people(Condition), lambda c: c.person,
            common_params([
                *_patient_params("person__public_id", "Whose condition: Patient/<id>"),
                SearchParam("subject", "reference", "Whose condition: Patient/<id>",
                            reference_q("person__public_id", "Patient")),
                SearchParam("code", "token", "SNOMED CT code: http://snomed.info/sct|<code>", _condition_code),
                SearchParam("clinical-status", "token", "active, recurrence, relapse, inactive, remission, "
                            "resolved", _clinical_status),
            ]),
            sorts={"_lastUpdated": "updated_at"},
            interactions=READ_INTERACTIONS + WRITE_INTERACTIONS,
        ),
        ResourceType(
            "Observation", Observation, out_clinical.observation,
            _of_people(Observation), lambda o: o.person,
            common_params([
                *_patient_params("person__public_id", "Whose result: Patient/<id>"),
                SearchParam("subject", "reference", "Whose result: Patient/<id>",
                            reference_q("person__public_id", "Patient")),
                SearchParam("code", "token", "SNOMED CT or LOINC code (either finds the result whichever was "
                            "stored)", _observation_code),
                SearchParam("category", "token", "vital-signs, laboratory, survey or exam", _category),
                SearchParam("date", "date", "effective date and time (prefixes eq, ne, lt, le, gt, ge)",
                            date_q("effective_at", "date")),
            ]),
            sorts={"_lastUpdated": "updated_at", "date": "effective_at"},
            interactions=READ_INTERACTIONS + WRITE_INTERACTIONS,
        ),
    )
}
