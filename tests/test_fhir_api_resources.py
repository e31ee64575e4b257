"""The resource types beyond people, conditions and results: QuestionnaireResponse and the Questionnaires
generated from code, Appointment, ServiceRequest, HealthcareService, Communication, AuditEvent and
Provenance. Each reads and searches as valid FHIR R4, with what Ourplan stores and nothing it must not
pass on (message bodies and addresses)."""

from __future__ import annotations

import pytest

from ourplan.api import extensions as X
from ourplan.api.resources import RESOURCE_TYPES
from ourplan.clinical.questionnaires import QUESTIONNAIRES
from tests.fhir_api_support import (
    Api,
    assert_outcome,
    assert_valid_fhir,
    entries,
    goal_resource,
    json_of,
    record_of_every_type,
    token_for,
)


@pytest.fixture
def staff_api(clinician):
    return Api(token_for(clinician, "user/*.rs"))


@pytest.fixture
def record(clinician, person):
    return record_of_every_type(clinician, person)


def test_every_type_reads_and_searches_as_valid_fhir(staff_api, record, person, carer, clinician):
    writer = Api(token_for(clinician, "user/*.cruds"))
    assert writer.post("Goal", goal_resource(str(person.public_id))).status_code == 201  # for a Provenance
    for name, obj in record.items():
        response = staff_api.get(f"{name}/{obj.public_id}")
        assert response.status_code == 200, (name, response.content[:300])
        assert assert_valid_fhir(json_of(response))["id"] == str(obj.public_id)
    for name in RESOURCE_TYPES:
        bundle = assert_valid_fhir(json_of(staff_api.get(name)))
        assert bundle["type"] == "searchset", name
        assert bundle["total"] >= 1, name


def test_questionnaires_are_generated_from_the_instruments_in_code(staff_api):
    bundle = json_of(staff_api.get("Questionnaire"))
    keys = {e["id"] for e in entries(bundle)}
    assert set(QUESTIONNAIRES) <= keys
    phq9 = assert_valid_fhir(json_of(staff_api.get("Questionnaire/phq9")))
    assert phq9["url"] == X.QUESTIONNAIRE + "phq9" and phq9["code"][0]["code"] == "44249-1"
    questions = [i for i in phq9["item"] if i["type"] == "choice"]
    assert [q["text"] for q in questions] == list(QUESTIONNAIRES["phq9"].items)
    assert [o["valueCoding"]["code"] for o in questions[0]["answerOption"]] == ["0", "1", "2", "3"]
    found = json_of(staff_api.get(f"Questionnaire?url={X.QUESTIONNAIRE}gad7"))
    assert [e["id"] for e in entries(found)] == ["gad7"]
    assert_outcome(staff_api.get("Questionnaire/not-one"), 404)


def test_a_questionnaire_response_answers_item_by_item_with_the_total_and_band(staff_api, record, person):
    response = record["QuestionnaireResponse"]
    data = json_of(staff_api.get(f"QuestionnaireResponse/{response.public_id}"))
    assert data["questionnaire"] == X.QUESTIONNAIRE + "phq9"
    answers = {i["linkId"]: i["answer"][0] for i in data["item"]}
    assert answers["4"]["valueCoding"]["code"] == "2" and answers["total"] == {"valueInteger": 6}
    assert answers["band"] == {"valueString": "Mild"}
    by_questionnaire = json_of(staff_api.get(f"QuestionnaireResponse?questionnaire={X.QUESTIONNAIRE}phq9"
                                             f"&patient=Patient/{person.public_id}"))
    assert by_questionnaire["total"] == 1
    included = json_of(staff_api.get("QuestionnaireResponse?_include=QuestionnaireResponse:questionnaire"))
    assert {e["resource"]["resourceType"] for e in included["entry"]} == {"QuestionnaireResponse", "Questionnaire"}


def test_a_referral_is_a_service_request_to_a_healthcare_service_for_a_goal(staff_api, record):
    referral, service, goal = record["ServiceRequest"], record["HealthcareService"], record["Goal"]
    data = json_of(staff_api.get(f"ServiceRequest/{referral.public_id}"))
    assert (data["status"], data["intent"]) == ("active", "order")
    assert data["performer"] == [{"reference": f"HealthcareService/{service.public_id}",
                                  "display": "Riverside Walking Group"}]
    assert data["supportingInfo"] == [{"reference": f"Goal/{goal.public_id}"}]
    plan = json_of(staff_api.get(f"CarePlan/{record['CarePlan'].public_id}"))
    assert {"reference": {"reference": f"ServiceRequest/{referral.public_id}",
                          "display": "Riverside Walking Group"}} in plan["activity"]
    service_data = json_of(staff_api.get(f"HealthcareService/{service.public_id}"))
    assert service_data["name"] == "Riverside Walking Group"
    assert json_of(staff_api.get("ServiceRequest?status=active"))["total"] == 1
    assert json_of(staff_api.get("ServiceRequest?status=completed"))["total"] == 0
    both = json_of(staff_api.get("ServiceRequest?_include=ServiceRequest:performer"))
    assert {e["resource"]["resourceType"] for e in both["entry"]} == {"ServiceRequest", "HealthcareService"}


def test_a_communication_says_what_a_message_was_about_but_not_its_body_or_address(staff_api, record):
    message = record["Communication"]
    data = json_of(staff_api.get(f"Communication/{message.public_id}"))
    assert data["status"] == "completed" and data["topic"] == {"text": "Your care planning review"}
    assert data["medium"][0]["coding"][0]["code"] == "EMAILWRIT"
    text = staff_api.get(f"Communication/{message.public_id}").content
    assert b"Private wording" not in text and b"m@example.org" not in text and "payload" not in data


def test_an_appointment_reads_with_its_time_length_and_participants(staff_api, record, clinician):
    appointment = record["Appointment"]
    data = json_of(staff_api.get(f"Appointment/{appointment.public_id}"))
    assert data["status"] == "booked" and data["minutesDuration"] == 30
    actors = {p["actor"]["reference"].split("/")[0] for p in data["participant"]}
    assert actors == {"Patient", "PractitionerRole"}
    assert json_of(staff_api.get("Appointment?status=booked"))["total"] == 1


def test_a_person_sees_the_audit_events_about_their_own_record_only(person, other_person, staff_api, record):
    staff_api.get(f"Patient/{person.public_id}")
    staff_api.get(f"Patient/{other_person.public_id}")
    mine = Api(token_for(person.user, "patient/*.rs"))
    events = json_of(mine.get("AuditEvent?_count=200"))
    assert events["total"] >= 1
    about = {e["resource"]["entity"][-1]["what"]["reference"] for e in events["entry"]}
    assert about == {f"Patient/{person.public_id}"}
    one = assert_valid_fhir(events["entry"][0]["resource"])
    assert one["purposeOfEvent"][0]["coding"][0]["system"] == "http://terminology.hl7.org/CodeSystem/v3-ActReason"
    hers = json_of(staff_api.get(f"AuditEvent?patient=Patient/{person.public_id}&action=R"))
    assert hers["total"] >= 1
    theirs = json_of(mine.get(f"AuditEvent?patient=Patient/{other_person.public_id}"))
    assert theirs["total"] == 0


def test_audit_events_and_provenance_are_read_only(clinician, record):
    api = Api(token_for(clinician, "user/*.cruds"))
    assert_outcome(api.post("AuditEvent", {"resourceType": "AuditEvent"}), 405)
    assert_outcome(api.post("Provenance", {"resourceType": "Provenance"}), 405)
    assert_outcome(api.post("Questionnaire", {"resourceType": "Questionnaire", "status": "active"}), 405)


def test_the_care_team_consent_and_tasks_read_as_uk_core_and_link_to_the_plan(staff_api, record, person):
    team, task, consent, plan = record["CareTeam"], record["Task"], record["Consent"], record["CarePlan"]
    data = assert_valid_fhir(json_of(staff_api.get(f"CareTeam/{team.public_id}")))
    member = data["participant"][0]
    assert member["member"]["reference"].startswith("PractitionerRole/") and member["role"][0]["coding"][0][
        "code"] == "practice-nurse"
    task_data = assert_valid_fhir(json_of(staff_api.get(f"Task/{task.public_id}")))
    assert (task_data["status"], task_data["intent"]) == ("requested", "order")
    assert task_data["basedOn"] == [{"reference": f"CarePlan/{plan.public_id}"}]
    assert task_data["owner"]["reference"] == member["member"]["reference"]
    consent_data = assert_valid_fhir(json_of(staff_api.get(f"Consent/{consent.public_id}")))
    assert consent_data["provision"]["actor"][0]["reference"]["reference"].startswith("Organization/")
    assert consent_data["provision"]["provision"][0]["type"] == "deny"  # sensitive sections held back
    plan_data = json_of(staff_api.get(f"CarePlan/{plan.public_id}"))
    assert plan_data["careTeam"] == [{"reference": f"CareTeam/{team.public_id}"}]
    assert {"reference": {"reference": f"Task/{task.public_id}", "display": task.title}} in plan_data["activity"]
    both = json_of(staff_api.get(f"CarePlan?patient=Patient/{person.public_id}&_include=CarePlan:care-team"
                                 "&_revinclude=Task:based-on"))
    assert {e["resource"]["resourceType"] for e in both["entry"]} == {"CarePlan", "CareTeam", "Task"}
    focus = json_of(staff_api.get(f"Task?focus=Goal/{record['Goal'].public_id}&_include=Task:focus"))
    assert {e["resource"]["resourceType"] for e in focus["entry"]} == {"Task", "Goal"}
