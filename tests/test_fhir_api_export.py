"""Bulk $export: kick-off with Prefer: respond-async, a status URL that says how far it got and then gives the
manifest, NDJSON files per type built from stored rows, served only to the token that asked, at system,
Patient and Group (practice register) level."""

from __future__ import annotations

import orjson
import pytest

from ourplan.api.models import ExportJob
from tests import factories as f
from tests.fhir_api_support import Api, assert_outcome, assert_valid_fhir, json_of, record_of_every_type, token_for


@pytest.fixture
def system_api(practice):
    return Api(token_for(None, "system/*.rs", organisation=practice))


@pytest.fixture
def record(clinician, person):
    return record_of_every_type(clinician, person)


def export(api: Api, path: str) -> dict:
    kick = api.get(path, Prefer="respond-async")
    assert kick.status_code == 202, kick.content
    status = api.get(kick["Content-Location"])
    assert status.status_code == 200, status.content
    return orjson.loads(status.content)


def lines(api: Api, url: str) -> list[dict]:
    response = api.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
    return [orjson.loads(line) for line in b"".join(response.streaming_content).splitlines() if line]


def test_a_system_export_writes_one_ndjson_file_per_type_with_every_row(system_api, record, person, other_practice):
    f.person(other_practice, "Ann", "Elsewhere", "9990000026")
    manifest = export(system_api, "$export")
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    by_type = {o["type"]: o for o in manifest["output"]}
    assert {"Patient", "Observation", "Condition", "CarePlan", "Goal", "QuestionnaireResponse", "Appointment",
            "ServiceRequest", "HealthcareService", "Communication", "Organization", "Questionnaire"} <= set(by_type)
    assert "AuditEvent" not in by_type
    patients = lines(system_api, by_type["Patient"]["url"])
    assert [p["id"] for p in patients] == [str(person.public_id)]  # not the other practice's patient
    observations = lines(system_api, by_type["Observation"]["url"])
    assert len(observations) == by_type["Observation"]["count"] == 6
    for resource in observations + lines(system_api, by_type["Goal"]["url"]):
        assert_valid_fhir(resource)


def test_the_files_are_served_only_to_the_token_that_asked(system_api, practice, record, clinician):
    manifest = export(system_api, "Patient/$export?_type=Patient,Goal")
    assert {o["type"] for o in manifest["output"]} == {"Patient", "Goal"}
    url = manifest["output"][0]["url"]
    other = Api(token_for(None, "system/*.rs", organisation=practice))
    assert_outcome(other.get(url), 404)
    assert_outcome(Api(token_for(clinician, "user/*.rs")).get(url), 404)
    assert_outcome(Api(None).get(url), 401)
    job = ExportJob.objects.get()
    assert_outcome(other.get(f"$export-poll/{job.public_id}"), 404)


def test_the_status_url_says_how_far_a_running_export_got_and_delete_cancels_it(system_api, record):
    export(system_api, "$export?_type=Observation")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(status="running", done=2000, total=5000)
    running = system_api.get(f"$export-poll/{job.public_id}")
    assert running.status_code == 202 and running["X-Progress"] == "running: 2,000 of 5,000 resources"
    assert system_api.request("DELETE", f"$export-poll/{job.public_id}").status_code == 202
    assert_outcome(system_api.get(f"$export-poll/{job.public_id}"), 404)


def test_a_group_export_is_one_practices_register(clinician, practice, other_practice, record, person):
    api = Api(token_for(clinician, "user/*.rs"))
    manifest = export(api, f"Group/{practice.public_id}/$export?_type=Patient,Observation")
    patients = lines(api, next(o["url"] for o in manifest["output"] if o["type"] == "Patient"))
    assert [p["id"] for p in patients] == [str(person.public_id)]
    assert_outcome(api.get(f"Group/{other_practice.public_id}/$export", Prefer="respond-async"), 404)


def test_a_patient_token_exports_only_its_own_record(person, other_person, record, clinician):
    record_of_every_type(clinician, other_person)
    api = Api(token_for(person.user, "patient/*.rs"))
    manifest = export(api, "Patient/$export")
    for item in manifest["output"]:
        for resource in lines(api, item["url"]):
            subject = resource.get("subject") or resource.get("patient") or {}
            if resource["resourceType"] == "Patient":
                assert resource["id"] == str(person.public_id)
            elif subject:
                assert subject["reference"] == f"Patient/{person.public_id}", resource["resourceType"]


def test_kick_off_needs_respond_async_and_refuses_unknown_types_and_formats(system_api):
    assert_outcome(system_api.get("$export"), 400)
    assert_outcome(system_api.get("$export?_type=Nothing", Prefer="respond-async"), 400)
    assert_outcome(system_api.get("$export?_outputFormat=text/csv", Prefer="respond-async"), 400)
    assert_outcome(system_api.get("$export?colour=blue", Prefer="respond-async"), 400)
    assert_outcome(system_api.request("POST", "$export", b""), 405)
    assert_outcome(system_api.get("$export-poll/not-a-job"), 404)
    assert json_of(system_api.get("metadata"))["resourceType"] == "CapabilityStatement"
