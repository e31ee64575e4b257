"""The FHIR API's reads and searches: UK Core-shaped resources built from stored data, each valid FHIR R4,
with ids, versions and ETags, the search parameters, paging, and who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ourplan.clinical.models import Observation
from ourplan.core.models import AuditEvent
from tests import factories as f
from tests.fhir_api_support import (
    LOINC,
    NHS,
    SNOMED,
    Api,
    assert_outcome,
    assert_valid_fhir,
    entries,
    json_of,
    token_for,
)


@pytest.fixture
def staff_api(clinician):
    return Api(token_for(clinician, "user/*.rs"))


def test_a_patient_reads_as_uk_core_with_nhs_number_version_and_etag(staff_api, person):
    response = staff_api.get(f"Patient/{person.public_id}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["ETag"] == f'W/"{person.version}"'
    data = assert_valid_fhir(json_of(response))
    assert data["id"] == str(person.public_id)
    assert data["meta"]["versionId"] == str(person.version)
    assert data["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
    assert {"system": NHS, "value": "9434765919"} in data["identifier"]
    assert data["name"][0]["family"] == "Thompson"
    assert data["generalPractitioner"][0]["reference"] == f"Organization/{person.practice.public_id}"


def test_blood_pressure_reads_as_the_fhir_panel_with_systolic_and_diastolic_components(staff_api, person):
    bp = person.observations.filter(measure="bp").order_by("-effective_at").first()
    data = assert_valid_fhir(json_of(staff_api.get(f"Observation/{bp.public_id}")))
    codes = {(c["system"], c["code"]) for c in data["code"]["coding"]}
    assert {(LOINC, "85354-9"), (SNOMED, "75367002")} <= codes
    assert data["category"][0]["coding"][0]["code"] == "vital-signs"
    systolic, diastolic = data["component"]
    assert {(c["system"], c["code"]) for c in systolic["code"]["coding"]} == {(LOINC, "8480-6"), (SNOMED, "72313002")}
    assert {(c["system"], c["code"]) for c in diastolic["code"]["coding"]} == {
        (LOINC, "8462-4"), (SNOMED, "1091811000000102")}
    assert systolic["valueQuantity"] == {"value": 138, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                                         "code": "mm[Hg]"}
    assert diastolic["valueQuantity"]["value"] == 84
    assert data["subject"] == {"reference": f"Patient/{person.public_id}"}


def test_every_supported_type_reads_and_searches_as_valid_fhir(staff_api, person, carer, clinician):
    related = person.related_people.first()
    condition = person.conditions.first()
    practitioner = clinician.practitioner
    role = practitioner.roles.first()
    for path in (f"Patient/{person.public_id}", f"Organization/{person.practice.public_id}",
                 f"Practitioner/{practitioner.public_id}", f"PractitionerRole/{role.public_id}",
                 f"RelatedPerson/{related.public_id}", f"Condition/{condition.public_id}"):
        response = staff_api.get(path)
        assert response.status_code == 200, path
        assert_valid_fhir(json_of(response))
    for resource_type in ("Patient", "Organization", "Practitioner", "PractitionerRole", "RelatedPerson",
                          "Condition", "Observation"):
        bundle = assert_valid_fhir(json_of(staff_api.get(resource_type)))
        assert bundle["type"] == "searchset" and bundle["total"] >= 1, resource_type


def test_vread_answers_the_current_version_and_404_for_others(staff_api, person):
    assert staff_api.get(f"Patient/{person.public_id}/_history/{person.version}").status_code == 200
    assert_outcome(staff_api.get(f"Patient/{person.public_id}/_history/{person.version + 1}"), 404)


def test_observation_search_by_patient_code_category_and_date(staff_api, person, other_person):
    f.obs(other_person, "hba1c", "50")
    p = f"patient=Patient/{person.public_id}"
    assert json_of(staff_api.get(f"Observation?{p}"))["total"] == 6
    assert json_of(staff_api.get(f"Observation?subject=Patient/{person.public_id}"))["total"] == 6
    hba1c = json_of(staff_api.get(f"Observation?{p}&code={SNOMED}|999791000000106"))
    assert hba1c["total"] == 2
    # The LOINC code finds the same results, whichever system was stored.
    assert json_of(staff_api.get(f"Observation?{p}&code={LOINC}|59261-8"))["total"] == 2
    assert json_of(staff_api.get(f"Observation?{p}&code={LOINC}|85354-9"))["total"] == 2
    assert json_of(staff_api.get(f"Observation?{p}&category=vital-signs"))["total"] == 2
    assert json_of(staff_api.get(f"Observation?{p}&category=laboratory"))["total"] == 2
    assert json_of(staff_api.get(f"Observation?{p}&category=survey"))["total"] == 1
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert json_of(staff_api.get(f"Observation?{p}&date=ge{since}"))["total"] == 4
    assert json_of(staff_api.get(f"Observation?{p}&date=lt{since}"))["total"] == 2
    assert json_of(staff_api.get(f"Observation?{p}&date=ge{since}&date=lt{since}"))["total"] == 0
    newest_first = entries(json_of(staff_api.get(f"Observation?{p}&_sort=-date")))
    dates = [e["effectiveDateTime"] for e in newest_first]
    assert dates == sorted(dates, reverse=True)


def test_patient_search_by_nhs_number_identifier_and_condition_search_by_status(staff_api, person):
    found = json_of(staff_api.get(f"Patient?identifier={NHS}|9434765919"))
    assert [e["id"] for e in entries(found)] == [str(person.public_id)]
    assert json_of(staff_api.get(f"Patient?identifier={NHS}|9990000018"))["total"] == 0
    p = f"patient=Patient/{person.public_id}"
    assert json_of(staff_api.get(f"Condition?{p}&clinical-status=active"))["total"] == 4
    assert json_of(staff_api.get(f"Condition?{p}&clinical-status=resolved"))["total"] == 0
    assert json_of(staff_api.get(f"Condition?{p}&code={SNOMED}|44054006"))["total"] == 1
    assert json_of(staff_api.get(f"Condition?_id={person.conditions.first().public_id}"))["total"] == 1
    assert json_of(staff_api.get("Condition?_lastUpdated=gt2000-01-01"))["total"] == 4


def test_unknown_search_parameters_are_refused_unless_handling_is_lenient(staff_api, person):
    data = assert_outcome(staff_api.get("Observation?colour=blue"), 400)
    assert data["issue"][0]["expression"] == ["colour"]
    lenient = staff_api.get("Observation?colour=blue", Prefer="handling=lenient")
    assert lenient.status_code == 200 and json_of(lenient)["total"] == 6
    assert_outcome(staff_api.get("Observation?date=ab2024"), 400)
    assert_outcome(staff_api.get("Observation?date=2024-13-45"), 400)
    assert_outcome(staff_api.get("Observation?_count=lots"), 400)
    assert_outcome(staff_api.get("Observation?_sort=colour"), 400)


def test_paging_120_observations_by_50_gives_every_one_once_over_three_pages(staff_api, person):
    Observation.objects.filter(person=person).delete()
    for i in range(120):
        f.obs(person, "weight", str(60 + i % 30), days_ago=i % 7)  # many equal dates: the sort must be total
    url = f"Observation?patient=Patient/{person.public_id}&_count=50&_sort=-date"
    seen: list[str] = []
    pages = 0
    while url:
        bundle = assert_valid_fhir(json_of(staff_api.get(url)))
        pages += 1
        assert bundle["total"] == 120
        seen += [e["id"] for e in entries(bundle)]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert ("previous" in links) == (pages > 1)
        url = links.get("next", "")
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120


def test_xml_is_given_for_format_xml_and_the_accept_header(staff_api, person):
    response = staff_api.get(f"Patient/{person.public_id}?_format=xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+xml")
    assert b'<Patient xmlns="http://hl7.org/fhir">' in response.content and b"9434765919" in response.content
    bundle = staff_api.get("Condition", Accept="application/fhir+xml")
    assert bundle["Content-Type"].startswith("application/fhir+xml") and b"<Bundle" in bundle.content


def test_each_read_and_search_writes_one_audit_event_with_the_basis_and_count(staff_api, person, clinician):
    before = AuditEvent.objects.count()
    staff_api.get(f"Patient/{person.public_id}")
    read = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (read.action, read.entity_type, read.person_id_ref, read.basis, read.actor) == (
        "read", "Patient", person.public_id, "direct-care", clinician)
    staff_api.get(f"Observation?patient=Patient/{person.public_id}")
    search = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 2
    assert (search.action, search.person_id_ref, search.detail["count"]) == ("search", person.public_id, 6)
