"""Creating and updating Patient, Condition and Observation over the FHIR API: the importer's validation
and mapping, required If-Match versions, conditional create, and every UK Core example of a supported
type accepted and read back with the same meaning."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from lxml import etree

from ourplan.clinical.models import Condition, Observation
from ourplan.core.models import AuditEvent
from ourplan.people.models import Person
from tests.fhir_api_support import NHS, SNOMED, Api, assert_outcome, assert_valid_fhir, json_of, token_for

UK_CORE = Path(__file__).resolve().parents[2] / "shared" / "fhir-examples" / "uk-core"


@pytest.fixture
def writer(clinician):
    return Api(token_for(clinician, "user/*.cruds"))


def new_patient(nhs: str = "9990000034", family: str = "Example") -> dict:
    return {"resourceType": "Patient", "identifier": [{"system": NHS, "value": nhs}],
            "name": [{"use": "official", "family": family, "given": ["Pat"]}], "birthDate": "1950-02-03",
            "gender": "female"}


def hba1c(person_id: str, value: float = 58, identifier: str | None = None) -> dict:
    resource: dict = {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "999791000000106"}]},
        "subject": {"reference": f"Patient/{person_id}"}, "effectiveDateTime": "2024-05-01T10:00:00+01:00",
        "valueQuantity": {"value": value, "unit": "mmol/mol", "system": "http://unitsofmeasure.org",
                          "code": "mmol/mol"},
    }
    if identifier:
        resource["identifier"] = [{"system": "https://lab.example/ids", "value": identifier}]
    return resource


def test_a_clinician_creates_a_patient_registered_at_their_practice(writer, practice):
    response = writer.post("Patient", new_patient())
    assert response.status_code == 201, response.content
    data = assert_valid_fhir(json_of(response))
    person = Person.objects.get(public_id=data["id"])
    assert (person.nhs_number, person.family_name, person.practice) == ("9990000034", "Example", practice)
    assert response["Location"].endswith(f"/fhir/R4/Patient/{person.public_id}/_history/1")
    assert response["ETag"] == 'W/"1"'
    assert AuditEvent.objects.filter(action="create", entity_id=str(person.public_id), basis="direct-care").exists()


def test_creating_a_second_patient_with_the_same_nhs_number_is_a_conflict_unless_conditional(writer, person):
    assert_outcome(writer.post("Patient", new_patient("9434765919")), 409)
    found = writer.post("Patient", new_patient("9434765919"), **{"If-None-Exist": f"identifier={NHS}|9434765919"})
    assert found.status_code == 200 and json_of(found)["id"] == str(person.public_id)
    made = writer.post("Patient", new_patient(), **{"If-None-Exist": f"identifier={NHS}|9990000034"})
    assert made.status_code == 201
    # Any search of the type works as the condition; an unknown parameter is refused.
    again = writer.post("Patient", new_patient(), **{"If-None-Exist": "family=Example"})
    assert again.status_code == 200 and json_of(again)["id"] == json_of(made)["id"]
    assert_outcome(writer.post("Patient", new_patient(), **{"If-None-Exist": "colour=blue"}), 400)


def test_a_result_is_created_for_a_visible_person_and_reads_back(writer, person):
    response = writer.post("Observation", hba1c(str(person.public_id), 58, "lab-1"))
    assert response.status_code == 201, response.content
    data = assert_valid_fhir(json_of(response))
    obs = Observation.objects.get(public_id=data["id"])
    assert (obs.person, obs.measure, obs.value) == (person, "hba1c", 58)
    assert data["valueQuantity"]["value"] == 58 and data["valueQuantity"]["code"] == "mmol/mol"
    assert_outcome(writer.post("Observation", hba1c(str(person.public_id), 58, "lab-1")), 409)
    again = writer.post("Observation", hba1c(str(person.public_id), 58, "lab-1"),
                        **{"If-None-Exist": "identifier=https://lab.example/ids|lab-1"})
    assert again.status_code == 200 and json_of(again)["id"] == str(obs.public_id)


def test_invalid_resources_are_refused_naming_the_element(writer, person):
    assert_outcome(writer.post("Observation", b"{not json"), 400)
    bad_type = assert_outcome(writer.post("Observation", {"resourceType": "Patient"}), 400)
    assert bad_type["issue"][0]["expression"] == ["Observation.resourceType"]
    structure = assert_outcome(writer.post("Patient", {"resourceType": "Patient", "gender": 12}), 400)
    assert "Patient.gender" in structure["issue"][0]["expression"]
    implausible = assert_outcome(writer.post("Observation", hba1c(str(person.public_id), 900)), 422)
    assert implausible["issue"][0]["expression"][0].startswith("Observation.")
    status = hba1c(str(person.public_id))
    status["status"] = "done"
    assert assert_outcome(writer.post("Observation", status), 422)["issue"][0]["expression"] == ["Observation.status"]
    condition = {"resourceType": "Condition", "subject": {"reference": f"Patient/{person.public_id}"},
                 "code": {"coding": [{"system": SNOMED, "code": "44054006"}]},
                 "clinicalStatus": {"coding": [{"code": "cured"}]}}
    assert assert_outcome(writer.post("Condition", condition), 422)["issue"][0]["expression"] == [
        "Condition.clinicalStatus"]
    assert_outcome(writer.post("Patient", b"<Patient", content_type="application/fhir+xml"), 400)
    assert_outcome(writer.post("Patient", b"{}", content_type="text/plain"), 415)


def test_a_result_for_someone_the_caller_cannot_see_is_refused_as_not_found(other_clinician, person):
    api = Api(token_for(other_clinician, "user/*.cruds"))
    response = api.post("Observation", hba1c(str(person.public_id)))
    assert assert_outcome(response, 422)["issue"][0]["code"] == "not-found"
    assert not Observation.objects.filter(person=person, value=58).exists()


def test_updates_need_the_current_version_in_if_match(writer, person):
    obs = person.observations.filter(measure="hba1c").first()
    body = {**hba1c(str(person.public_id), 61), "id": str(obs.public_id)}
    assert_outcome(writer.put(f"Observation/{obs.public_id}", body), 428)
    stale = writer.put(f"Observation/{obs.public_id}", body, **{"If-Match": f'W/"{obs.version + 1}"'})
    assert_outcome(stale, 412)
    done = writer.put(f"Observation/{obs.public_id}", body, **{"If-Match": f'W/"{obs.version}"'})
    assert done.status_code == 200, done.content
    assert done["ETag"] == f'W/"{obs.version + 1}"'
    obs.refresh_from_db()
    assert obs.value == 61
    assert_outcome(writer.put(f"Observation/{obs.public_id}", body, **{"If-Match": f'W/"{obs.version - 1}"'}), 412)
    moved = {**body, "id": str(obs.public_id), "subject": {"reference": "Patient/not-a-uuid"}}
    assert_outcome(writer.put(f"Observation/{obs.public_id}", moved, **{"If-Match": f'W/"{obs.version}"'}), 422)
    assert_outcome(writer.put(f"Observation/{obs.public_id}", {**body, "id": "other"},
                              **{"If-Match": f'W/"{obs.version}"'}), 400)


def test_a_patient_and_condition_update_with_if_match(writer, person):
    body = new_patient("9434765919", "Thompson-Smith")
    body["id"] = str(person.public_id)
    done = writer.put(f"Patient/{person.public_id}", body, **{"If-Match": f'W/"{person.version}"'})
    assert done.status_code == 200, done.content
    person.refresh_from_db()
    assert person.family_name == "Thompson-Smith" and json_of(done)["meta"]["versionId"] == str(person.version)
    assert_outcome(writer.put(f"Patient/{person.public_id}", body, **{"If-Match": 'W/"1"'}), 412)
    condition = person.conditions.get(code="44054006")
    read = json_of(writer.get(f"Condition/{condition.public_id}"))
    read["clinicalStatus"]["coding"][0]["code"] = "remission"
    changed = writer.put(f"Condition/{condition.public_id}", read, **{"If-Match": f'W/"{condition.version}"'})
    assert changed.status_code == 200, changed.content
    condition.refresh_from_db()
    assert condition.clinical_status == Condition.ClinicalStatus.REMISSION


def test_a_patient_token_cannot_write(person):
    api = Api(token_for(person.user, "patient/*.cruds"))
    assert_outcome(api.post("Patient", new_patient()), 403)
    assert_outcome(api.post("Observation", hba1c(str(person.public_id))), 403)


def _example(name: str) -> dict:
    """A UK Core example (XML) as FHIR JSON, converted by fhir.resources."""
    raw = (UK_CORE / name).read_bytes()
    resource_type = etree.QName(etree.fromstring(raw)).localname
    model = get_fhir_model_class(resource_type).model_validate_xml(raw)
    return json_of_model(model)


def json_of_model(model) -> dict:
    import orjson

    return orjson.loads(model.model_dump_json())


SUPPORTED_EXAMPLES = ("Patient", "Condition", "Observation")


def test_every_uk_core_example_of_a_writable_type_is_accepted_and_reads_back(writer, practice):
    patient = _example("UKCore-Patient-RichardSmith-Example.xml")
    patient.pop("generalPractitioner", None)  # points at an organisation that is not on this server
    made = writer.post("Patient", patient)
    assert made.status_code == 201, made.content
    back = json_of(writer.get(f"Patient/{json_of(made)['id']}"))
    assert {"system": NHS, "value": patient["identifier"][0]["value"]} in back["identifier"]
    assert back["name"][0]["family"] == patient["name"][0]["family"]
    assert back["birthDate"] == patient["birthDate"]
    subject = f"Patient/{back['id']}"
    files = sorted(p.name for p in UK_CORE.glob("UKCore-*.xml")
                   if p.name.split("-")[1] in ("Condition", "Observation"))
    assert len(files) >= 6
    for name in files:
        resource = _example(name)
        resource["subject"] = {"reference": subject}
        resource_type = resource["resourceType"]
        response = writer.post(resource_type, resource)
        assert response.status_code == 201, (name, response.content)
        read = assert_valid_fhir(json_of(writer.get(f"{resource_type}/{json_of(response)['id']}")))
        sent = {(c.get("system"), c.get("code")) for c in resource["code"]["coding"]}
        got = {(c.get("system"), c.get("code")) for c in read["code"]["coding"]}
        assert sent & got, name
        if resource_type == "Observation":
            _same_values(resource, read, name)
        else:
            assert read["clinicalStatus"]["coding"][0]["code"] == resource["clinicalStatus"]["coding"][0]["code"]


def _same_values(sent: dict, read: dict, name: str) -> None:
    if "component" in sent:
        def by_code(resource: dict) -> dict:
            return {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in resource["component"]}
        values = by_code(read)
        loinc = {cc["code"]: c["valueQuantity"]["value"] for c in read["component"] for cc in c["code"]["coding"]}
        for component in sent["component"]:
            code = component["code"]["coding"][0]["code"]
            assert float(loinc.get(code, values.get(code))) == float(component["valueQuantity"]["value"]), name
    else:
        assert float(read["valueQuantity"]["value"]) == float(sent["valueQuantity"]["value"]), name
        assert read["valueQuantity"]["system"] == "http://unitsofmeasure.org"


def test_xml_bodies_are_accepted(writer, person):
    model = get_fhir_model_class("Observation").model_validate(hba1c(str(person.public_id), 47))
    response = writer.post("Observation", model.model_dump_xml(), content_type="application/fhir+xml")
    assert response.status_code == 201, response.content
    assert Observation.objects.filter(person=person, value=47).exists()
