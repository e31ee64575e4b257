"""A third-party FHIR client (fhirpy) against a live Ourplan server: create a Patient, a Condition, an
Observation, a CarePlan and a Goal, read them back, search Goals by patient, get 412 for a stale ETag on a
Goal, and page a 120-result search."""

from __future__ import annotations

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound, ResourceNotFound

from tests import factories as f
from tests.fhir_api_support import NHS, SNOMED, token_for


@pytest.fixture
def fhir(live_server, clinician):
    token = token_for(clinician, "user/*.cruds")
    return SyncFHIRClient(f"{live_server.url}/fhir/R4", authorization=f"Bearer {token}",
                          extra_headers={"Accept": "application/fhir+json"})


def test_a_fhirpy_client_creates_reads_searches_updates_and_pages(fhir, clinician):
    patient = fhir.resource("Patient", identifier=[{"system": NHS, "value": "9990000034"}],
                            name=[{"use": "official", "family": "Client", "given": ["Fiona"]}],
                            birthDate="1961-07-08", gender="female")
    patient.save()
    assert patient.id and patient["meta"]["versionId"] == "1"
    subject = {"reference": f"Patient/{patient.id}"}
    condition = fhir.resource("Condition", subject=subject,
                              code={"coding": [{"system": SNOMED, "code": "44054006"}]},
                              clinicalStatus={"coding": [{"code": "active"}]})
    condition.save()
    observation = fhir.resource(
        "Observation", status="final", subject=subject, effectiveDateTime="2024-05-01T10:00:00+01:00",
        code={"coding": [{"system": SNOMED, "code": "999791000000106"}]},
        valueQuantity={"value": 53, "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                       "code": "mmol/mol"})
    observation.save()

    read = fhir.reference("Observation", observation.id).to_resource()
    assert read["valueQuantity"]["value"] == 53 and read["subject"]["reference"] == f"Patient/{patient.id}"
    assert fhir.reference("Condition", condition.id).to_resource()["code"]["coding"][0]["code"] == "44054006"
    found = fhir.resources("Observation").search(patient=f"Patient/{patient.id}").fetch_all()
    assert [o.id for o in found] == [observation.id]
    assert fhir.resources("Patient").search(identifier=f"{NHS}|9990000034").first().id == patient.id
    with pytest.raises(ResourceNotFound):
        fhir.reference("Patient", "00000000-0000-4000-8000-000000000000").to_resource()

    plan = fhir.resource("CarePlan", status="draft", intent="plan", subject=subject)
    plan.save()
    goal = fhir.resource("Goal", lifecycleStatus="active", subject=subject,
                         description={"text": "Walk to the shops and back"},
                         extension=[{"url": "https://fhir.ourplan.org.uk/StructureDefinition/goal-importance",
                                     "valueInteger": 8}])
    goal.save()
    assert goal.id and plan.id
    read_goal = fhir.reference("Goal", goal.id).to_resource()
    assert read_goal["description"]["text"] == "Walk to the shops and back"
    read_plan = fhir.reference("CarePlan", plan.id).to_resource()
    assert [ref.id for ref in read_plan["goal"]] == [goal.id]
    goals = fhir.resources("Goal").search(patient=f"Patient/{patient.id}").fetch_all()
    assert [g.id for g in goals] == [goal.id]
    read_goal["lifecycleStatus"] = "completed"
    stale_goal = SyncFHIRClient(fhir.url, authorization=fhir.authorization, extra_headers={"If-Match": 'W/"0"'})
    with pytest.raises(MultipleResourcesFound):  # fhirpy's name for a 412 response
        stale_goal.resource("Goal", **read_goal).save()
    assert fhir.reference("Goal", goal.id).to_resource()["lifecycleStatus"] == "active"
    fresh_goal = SyncFHIRClient(fhir.url, authorization=fhir.authorization,
                                extra_headers={"If-Match": f'W/"{read_goal["meta"]["versionId"]}"'})
    fresh_goal.resource("Goal", **read_goal).save()
    assert fhir.reference("Goal", goal.id).to_resource()["lifecycleStatus"] == "completed"

    stale = SyncFHIRClient(fhir.url, authorization=fhir.authorization, extra_headers={"If-Match": 'W/"0"'})
    read["valueQuantity"]["value"] = 54
    with pytest.raises(MultipleResourcesFound):  # fhirpy's name for a 412 response
        stale.resource("Observation", **read).save()
    current = SyncFHIRClient(fhir.url, authorization=fhir.authorization,
                             extra_headers={"If-Match": f'W/"{read["meta"]["versionId"]}"'})
    current.resource("Observation", **read).save()
    assert fhir.reference("Observation", observation.id).to_resource()["valueQuantity"]["value"] == 54

    person = f.person(clinician.practitioner.roles.first().organisation, "Page", "Many", "9990000042")
    for i in range(120):
        f.obs(person, "weight", str(60 + i % 20), days_ago=i % 5)
    everything = fhir.resources("Observation").search(patient=f"Patient/{person.public_id}").limit(50) \
        .sort("-date").fetch_all()
    assert len(everything) == 120 and len({o.id for o in everything}) == 120
