"""The UK Core CarePlan example: its activity names no goal. Ourplan keeps every action as a step towards a
goal, so the activity goes under one proposed goal in the sending plan's own words, marked as such, and
reads back with the same status, place and what it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

from ourplan.planning.models import Goal, GoalAction
from tests.fhir_api_support import Api, assert_outcome, assert_valid_fhir, json_of, token_for

EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "fhir-examples" / "uk-core" / \
    "UKCore-CarePlan-WellnessPlan-Example.xml"


@pytest.fixture
def writer(clinician):
    return Api(token_for(clinician, "user/*.cruds"))


def example_for(person) -> dict:
    import orjson

    plan = orjson.loads(get_fhir_model_class("CarePlan").model_validate_xml(EXAMPLE.read_bytes()).model_dump_json())
    plan["subject"] = {"reference": f"Patient/{person.public_id}"}
    return plan


def test_the_uk_core_careplan_is_accepted_with_its_activity_under_a_goal_in_the_plans_own_words(writer, person):
    sent = example_for(person)
    made = writer.post("CarePlan", sent)
    assert made.status_code == 201, made.content
    read = assert_valid_fhir(json_of(writer.get(f"CarePlan/{json_of(made)['id']}")))
    assert (read["status"], read["intent"]) == ("active", "plan")
    goal = Goal.objects.get(plan__public_id=read["id"])
    assert goal.person_words == sent["description"] == "Manage obesity and weight loss"
    assert goal.lifecycle_status == "proposed"
    assert goal.clinical_translation.startswith("From the care plan sent by test client")
    (activity,) = read["activity"]
    detail = activity["detail"]
    assert detail["status"] == sent["activity"][0]["detail"]["status"] == "completed"
    assert detail["description"] == "Body weight"
    assert detail["location"]["display"] == "Patient's home"
    assert detail["goal"] == [{"reference": f"Goal/{goal.public_id}"}]
    action = GoalAction.objects.get(goal=goal)
    assert action.how_often == "once a day"
    # Sending back what was read changes nothing: the activity keeps its id, no second goal is made.
    again = writer.put(f"CarePlan/{read['id']}", read, **{"If-Match": f'W/"{read["meta"]["versionId"]}"'})
    assert again.status_code == 200, again.content
    assert Goal.objects.filter(plan__public_id=read["id"]).count() == 1 and GoalAction.objects.count() == 1


def test_an_activity_naming_no_goal_in_a_plan_with_no_words_is_refused(writer, person):
    sent = example_for(person)
    del sent["description"]
    del sent["category"]
    refused = assert_outcome(writer.post("CarePlan", sent), 422)
    assert refused["issue"][0]["expression"] == ["CarePlan.activity[0].detail.goal"]
    assert not Goal.objects.exists()


def test_an_activity_naming_a_goal_of_another_plan_is_still_refused(writer, person):
    sent = example_for(person)
    sent["activity"][0]["detail"]["goal"] = [{"reference": "Goal/6f1a4c6e-0000-4000-8000-000000000000"}]
    refused = assert_outcome(writer.post("CarePlan", sent), 422)
    assert refused["issue"][0]["expression"] == ["CarePlan.activity[0].detail.goal"]
