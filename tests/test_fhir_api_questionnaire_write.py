"""Creating a QuestionnaireResponse over the FHIR API: answers to a PHQ-9, GAD-7, PHQ-2 or SEMCD-6 typed
into another system are scored and stored as on the website (the PHQ-9 item-9 alert and its task
included); anything Ourplan cannot score honestly is refused naming the item."""

from __future__ import annotations

import pytest

from ourplan.api import extensions as X
from ourplan.api.out_recall import instrument
from ourplan.coordination.actions import URGENT_TITLE
from ourplan.coordination.models import Task
from ourplan.people.models import StaffMember
from ourplan.planning import actions
from ourplan.planning.models import CarePlan
from ourplan.recall.models import QuestionnaireResponse
from ourplan.support.models import SupportAlert
from tests.fhir_api_support import Api, assert_outcome, assert_valid_fhir, json_of, token_for


@pytest.fixture
def writer(clinician):
    return Api(token_for(clinician, "user/*.cruds"))


def answered(person, key: str, answers: list[int | None], **extra) -> dict:
    system = f"{X.CODE_SYSTEM}{key}-answer"
    items = [{"linkId": str(n), "answer": [{"valueCoding": {"system": system, "code": str(a)}}]}
             for n, a in enumerate(answers, start=1) if a is not None]
    return {"resourceType": "QuestionnaireResponse", "questionnaire": X.QUESTIONNAIRE + key, "status": "completed",
            "subject": {"reference": f"Patient/{person.public_id}"}, "authored": "2026-11-20T10:00:00+00:00",
            "item": items, **extra}


def test_a_gp_system_records_a_phq9_which_is_scored_and_reads_back(writer, person):
    response = writer.post("QuestionnaireResponse", answered(person, "phq9", [1, 2, 1, 1, 0, 1, 2, 1, 0]))
    assert response.status_code == 201, response.content
    data = assert_valid_fhir(json_of(response))
    stored = QuestionnaireResponse.objects.get(public_id=data["id"])
    assert (stored.person, stored.total, stored.band, stored.safety_flag) == (person, 9, "Mild", False)
    assert stored.observation is not None and stored.observation.value == 9
    assert stored.authored_at.isoformat().startswith("2026-11-20T10:00")
    items = {i["linkId"]: i["answer"][0] for i in data["item"]}
    assert items["total"] == {"valueInteger": 9} and items["band"] == {"valueString": "Mild"}
    assert items["2"]["valueCoding"]["code"] == "2"
    again = assert_valid_fhir(json_of(writer.get(f"QuestionnaireResponse/{data['id']}")))
    assert again["item"] == data["item"] and again["questionnaire"] == X.QUESTIONNAIRE + "phq9"


def test_a_phq9_with_question_9_above_0_raises_the_self_harm_alert_and_its_task(writer, person, clinician):
    # The task goes to the clinician responsible for the plan's review (coordination.actions).
    plan = actions.do_start_plan(clinician, person)
    CarePlan.objects.filter(pk=plan.pk).update(review_responsible=StaffMember.objects.get(practitioner__user=clinician))
    response = writer.post("QuestionnaireResponse", answered(person, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert response.status_code == 201, response.content
    assert QuestionnaireResponse.objects.get(public_id=json_of(response)["id"]).safety_flag
    alert = SupportAlert.objects.get(person=person)
    assert alert.level == "red"
    assert Task.objects.get(person=person).title == URGENT_TITLE


@pytest.mark.parametrize(("key", "answers", "total", "band"), [
    ("gad7", [3, 3, 2, 2, 1, 1, 0], 12, "Moderate"),
    ("phq2", [2, 1], 3, "Positive screen"),
    ("semcd6", [7, 8, None, 6, 9, 10], 40, ""),
])
def test_gad7_phq2_and_semcd6_are_scored_by_their_published_rules(writer, person, key, answers, total, band):
    response = writer.post("QuestionnaireResponse", answered(person, key, answers))
    assert response.status_code == 201, response.content
    stored = QuestionnaireResponse.objects.get(public_id=json_of(response)["id"])
    assert (stored.questionnaire, stored.total, stored.band) == (key, total, band)
    if key == "semcd6":
        assert str(stored.score) == "8.0"  # the mean of the five answered


def test_a_system_client_may_record_for_its_own_practice(person):
    api = Api(token_for(None, "system/*.cruds", organisation=person.practice))
    assert api.post("QuestionnaireResponse", answered(person, "gad7", [0, 1, 0, 1, 0, 1, 0])).status_code == 201


def test_incomplete_or_out_of_range_answers_are_refused_naming_the_item(writer, person):
    missing = assert_outcome(writer.post("QuestionnaireResponse", answered(person, "phq9", [1] * 8 + [None])), 422)
    assert "question 9 is not answered" in missing["issue"][0]["diagnostics"]
    too_high = answered(person, "gad7", [0, 1, 4, 0, 0, 0, 0])
    refused = assert_outcome(writer.post("QuestionnaireResponse", too_high), 422)
    assert refused["issue"][0]["expression"] == ["QuestionnaireResponse.item[2].answer[0]"]
    unknown = answered(person, "phq2", [1, 1])
    unknown["item"].append({"linkId": "3", "answer": [{"valueInteger": 1}]})
    assert assert_outcome(writer.post("QuestionnaireResponse", unknown), 422)["issue"][0]["expression"] == [
        "QuestionnaireResponse.item[2].linkId"]
    wrong_total = answered(person, "phq2", [1, 1])
    wrong_total["item"].append({"linkId": "total", "answer": [{"valueInteger": 5}]})
    assert "does not match" in assert_outcome(writer.post("QuestionnaireResponse", wrong_total), 422)[
        "issue"][0]["diagnostics"]
    not_completed = answered(person, "phq2", [1, 1], status="in-progress")
    assert assert_outcome(writer.post("QuestionnaireResponse", not_completed), 422)["issue"][0]["expression"] == [
        "QuestionnaireResponse.status"]
    old_version = answered(person, "phq2", [1, 1], questionnaire=X.QUESTIONNAIRE + "phq2|0")
    assert_outcome(writer.post("QuestionnaireResponse", old_version), 422)
    assert not QuestionnaireResponse.objects.exists()


def test_the_current_version_may_be_named_in_the_canonical(writer, person):
    phq2 = instrument("phq2")
    assert phq2 is not None
    body = answered(person, "phq2", [0, 0], questionnaire=f"{phq2.url}|{phq2.version}")
    assert writer.post("QuestionnaireResponse", body).status_code == 201


def test_a_questionnaire_ourplan_does_not_publish_is_refused_naming_it(writer, person):
    body = answered(person, "phq9", [0] * 9, questionnaire="https://example.org/Questionnaire/EQ-5D")
    refused = assert_outcome(writer.post("QuestionnaireResponse", body), 422)
    assert refused["issue"][0]["expression"] == ["QuestionnaireResponse.questionnaire"]
    assert "not one Ourplan scores" in refused["issue"][0]["diagnostics"]
    assert "PHQ-9" in refused["issue"][0]["diagnostics"]


def test_only_those_who_may_write_for_the_person_can_record(person, other_clinician, carer):
    outsider = Api(token_for(other_clinician, "user/*.cruds"))
    refused = assert_outcome(outsider.post("QuestionnaireResponse", answered(person, "phq2", [0, 0])), 422)
    assert refused["issue"][0]["expression"] == ["QuestionnaireResponse.subject"]
    own = Api(token_for(person.user, "patient/*.cruds"))
    assert_outcome(own.post("QuestionnaireResponse", answered(person, "phq2", [0, 0])), 403)
    reader = Api(token_for(carer, "user/*.rs"))
    assert_outcome(reader.post("QuestionnaireResponse", answered(person, "phq2", [0, 0])), 403)
    assert not QuestionnaireResponse.objects.exists()


def test_a_response_is_never_updated(writer, person):
    made = json_of(writer.post("QuestionnaireResponse", answered(person, "phq2", [0, 0])))
    body = {**answered(person, "phq2", [1, 1]), "id": made["id"]}
    assert_outcome(writer.put(f"QuestionnaireResponse/{made['id']}", body, **{"If-Match": 'W/"1"'}), 405)
