"""The FHIR API's CapabilityStatement says exactly what is implemented, and whatever is thrown at the API
(odd URLs, methods, parameters and bodies) it answers with an OperationOutcome, never a 500."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ourplan.api.resources import RESOURCE_TYPES
from tests.fhir_api_support import Api, assert_outcome, assert_valid_fhir, json_of, token_for

ROOT = Path(__file__).resolve().parents[1]


def test_metadata_lists_exactly_what_is_implemented(db):
    response = Api(None).get("metadata")
    assert response.status_code == 200
    data = assert_valid_fhir(json_of(response))
    rest = data["rest"][0]
    assert [r["type"] for r in rest["resource"]] == list(RESOURCE_TYPES)
    assert {"CarePlan", "Goal", "QuestionnaireResponse", "Questionnaire", "ServiceRequest", "HealthcareService",
            "Appointment", "Communication", "AuditEvent", "Provenance"} <= set(RESOURCE_TYPES)
    interactions = {r["type"]: [i["code"] for i in r["interaction"]] for r in rest["resource"]}
    assert interactions["Communication"] == ["read", "vread", "search-type", "history-instance"]
    assert interactions["Goal"] == ["read", "vread", "search-type", "history-instance", "create", "update"]
    assert interactions["AuditEvent"] == ["read", "search-type"]
    params = {r["type"]: {p["name"] for p in r["searchParam"]} for r in rest["resource"]}
    assert params["Observation"] == {"_id", "_lastUpdated", "patient", "subject", "code", "category", "date",
                                     "status"}
    assert {"patient", "lifecycle-status", "achievement-status", "category", "target-date"} <= params["Goal"]
    includes = {r["type"]: set(r.get("searchInclude", [])) for r in rest["resource"]}
    assert "CarePlan:goal" in includes["CarePlan"]
    revincludes = {r["type"]: set(r.get("searchRevInclude", [])) for r in rest["resource"]}
    assert {"CarePlan:goal", "Provenance:target"} <= revincludes["Goal"]
    for resource in rest["resource"]:
        assert set(RESOURCE_TYPES[resource["type"]].params) == {p["name"] for p in resource["searchParam"]}
    assert "SMART" in rest["security"]["service"][0]["coding"][0]["code"]
    assert "patient/*.rs" in rest["security"]["description"]
    assert data["fhirVersion"] == "4.0.1" and set(data["format"]) >= {"json", "xml"}
    assert [i["code"] for i in rest["interaction"]] == ["transaction", "batch"]
    assert {o["name"] for o in rest["operation"]} == {"export", "group-export"}
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert {o["name"] for o in patient["operation"]} == {"everything", "export"}


def test_unknown_types_are_404_and_unsupported_interactions_405(clinician, person):
    api = Api(token_for(clinician, "user/*.cruds"))
    assert_outcome(api.get("Medication"), 404)
    assert_outcome(api.get("NotAType/123"), 404)
    assert_outcome(api.get(""), 405)
    assert_outcome(api.request("DELETE", f"Patient/{person.public_id}"), 405)
    assert_outcome(api.request("PATCH", f"Patient/{person.public_id}", b"[]"), 405)
    assert_outcome(api.post("Communication", {"resourceType": "Communication", "status": "completed"}), 405)
    assert_outcome(api.put(f"Organization/{person.practice.public_id}", {"resourceType": "Organization"}), 405)
    assert_outcome(api.get("Patient/_history"), 405)
    assert_outcome(api.request("POST", "metadata"), 405)
    assert_outcome(api.get(f"Patient/{person.public_id}/_history/abc"), 404)
    assert_outcome(api.get("Patient/not-a-uuid"), 404)
    assert_outcome(api.get("Patient?_format=pdf"), 406)


def _openapi_paths() -> list[str]:
    """Every path the OpenAPI description publishes, so the fuzz test covers exactly what is served."""
    from ourplan.api.openapi import document

    return sorted(document("http://testserver/fhir/R4/")["paths"])


# Paths from the OpenAPI description ({id} and {vid} filled in below), and odd ones no description lists.
PATHS = st.one_of(st.sampled_from(_openapi_paths()), st.sampled_from([
    "", "patient", "Patient/x", "Observation/_history", "Observation/1/_history/2", "Patient/%00", "..",
    "Patient/../Observation", "Observation/ñ", "Bundle", "Group/x/$export", "$export-poll/x", "$export-file/x/y",
    "Patient/$everything", "Medication", "Goal/_search",
]))
IDS = st.sampled_from(["person", "goal", "plan", "phq9", "x", "00000000-0000-0000-0000-000000000000", ""])
PARAM_NAMES = st.sampled_from(["_id", "patient", "subject", "code", "category", "date", "_count", "_offset",
                               "_sort", "_format", "identifier", "_lastUpdated", "birthdate", "family",
                               "clinical-status", "name", "x", "_elements", "code:text", "", "_include",
                               "_revinclude", "patient.identifier", "patient.family", "subject.x",
                               "lifecycle-status", "status", "_type", "_since", "_outputFormat", "goal",
                               "questionnaire", "target", "url"])
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(
    ["ge2024-01-01", "zz2024", "-1", "999999999999", "Patient/", "|", "a|b|c", "2024-02-30", "xml", "json",
     "-date", "date,-_lastUpdated", "\\,", "1e309", "T10:00", "CarePlan:goal", "Goal:patient", "CarePlan:x:Goal",
     "Provenance:target", "Patient,Goal", "active", "https://fhir.nhs.uk/Id/nhs-number|9434765919", "*"]))
BUNDLE_BODIES = [
    {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "POST", "url": "Goal"},
                                                                 "resource": {"resourceType": "Goal"}}]},
    {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "GET", "url": "Patient"}}, {}]},
    {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "PUT", "url": "x/y"}}]},
    {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:1", "request": {"method": "POST", "url": "Goal"}, "resource": {
            "resourceType": "Goal", "lifecycleStatus": "active", "description": {"text": "x"},
            "subject": {"reference": "urn:uuid:1"}}}]},
    {"resourceType": "Bundle", "type": "history"},
    {"resourceType": "Bundle", "type": "batch", "entry": "no"},
]
BODIES = st.one_of(st.none(), st.binary(max_size=60), st.sampled_from([
    b"{}", b"[]", b"null", b'{"resourceType": "Patient"}', b'{"resourceType": "Observation", "status": 1}',
    b'{"resourceType": "Patient", "name": [{"family": ""}]}', b"<Patient xmlns='http://hl7.org/fhir'/>",
    b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><Patient xmlns='http://hl7.org/fhir'>&e;</Patient>",
    b'{"resourceType": "Goal", "lifecycleStatus": "active", "description": {"text": "x"}, '
    b'"subject": {"reference": "Patient/x"}}',
    b'{"resourceType": "CarePlan", "status": "draft", "intent": "plan", "subject": {}}',
    *[orjson.dumps(b) for b in BUNDLE_BODIES],
]))


@pytest.mark.django_db
# derandomize: CI must be reproducible (a red CI blocks everything). To explore new inputs, run it locally
# with derandomize=False a few times (on SQLite and PostgreSQL) and fix what it finds.
@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]), path=PATHS, ident=IDS,
       params=st.lists(st.tuples(PARAM_NAMES, VALUES), max_size=4), body=BODIES,
       content_type=st.sampled_from(["application/fhir+json", "application/fhir+xml", "text/plain", ""]),
       auth=st.sampled_from(["good", "none", "bad"]), prefer=st.sampled_from(["", "respond-async",
                                                                            "handling=lenient"]))
def test_fuzzed_requests_never_get_a_500_and_every_error_is_an_operation_outcome(
        fuzz_setup, method, path, ident, params, body, content_type, auth, prefer):
    from urllib.parse import urlencode

    api = Api({"good": fuzz_setup["token"], "none": None, "bad": "opat_wrong"}[auth])
    filled = path.lstrip("/").replace("{id}", fuzz_setup.get(ident, ident)).replace("{vid}", ident[:3])
    url = "/fhir/R4/" + filled + ("?" + urlencode(params) if params else "")
    headers = {"If-Match": 'W/"1"'} if method == "PUT" else {}
    if prefer:
        headers["Prefer"] = prefer
    response = api.request(method, url, body, content_type=content_type or "application/octet-stream", **headers)
    assert response.status_code < 500, (method, url, body, response.content[:300])
    if response.status_code >= 400 and method != "HEAD":
        if response["Content-Type"].startswith("application/fhir+xml"):
            OperationOutcome.model_validate_xml(response.content)
        else:
            assert assert_valid_fhir(json_of(response))["resourceType"] == "OperationOutcome"


@pytest.fixture
def fuzz_setup(clinician, person):
    from tests.fhir_api_support import full_plan

    plan = full_plan(clinician, person)
    return {"token": token_for(clinician, "user/*.cruds"), "person": str(person.public_id),
            "plan": str(plan.public_id), "goal": str(plan.goals.first().public_id)}


def test_the_openapi_description_is_served_and_matches_docs(db):
    from ourplan.api.openapi import document

    response = Api(None).get("openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    served = orjson.loads(response.content)
    assert served["openapi"].startswith("3.") and "/Goal/{id}" in served["paths"]
    assert set(served["paths"]["/Goal/{id}"]) == {"get", "put"}
    assert "post" not in served["paths"]["/AuditEvent"]
    published = orjson.loads((ROOT / "docs" / "fhir-openapi.json").read_bytes())
    assert published == document("http://127.0.0.1:8000/fhir/R4/"), (
        "docs/fhir-openapi.json is out of date: run `ourplan fhir-openapi > docs/fhir-openapi.json`")


@pytest.mark.parametrize("kind", ["Patient", "Goal"])
def test_sixteen_concurrent_updates_with_the_same_if_match_let_exactly_one_through(tmp_path, kind):
    env = {**os.environ, "OURPLAN_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "ourplan.test_settings"}
    env.pop("DATABASE_URL", None)  # the file SQLite database in tmp_path, whatever the suite runs on
    done = subprocess.run([sys.executable, "-m", "tests.fhir_api_race", kind], cwd=ROOT, env=env,
                          capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = orjson.loads(done.stdout)
    assert sorted(result["statuses"]) == [200] + [412] * 15, result
    assert result["after"] == result["before"] + 1 and result["family"].startswith("Race"), result
