"""The care plan over the FHIR API: CarePlan and Goal read, searched, created and updated through the same
planning actions as the website (versions, rules, audit), with If-Match on every update, the documented
extensions (importance, confidence, "About me", HL7 PCO goal attainment scaling), and who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ourplan.api import extensions as X
from ourplan.api.models import WriteRecord
from ourplan.core.models import AuditEvent
from ourplan.people.models import Consent
from ourplan.planning import actions
from ourplan.planning.models import Goal, PlanVersion
from tests.fhir_api_support import (
    Api,
    assert_outcome,
    assert_valid_fhir,
    entries,
    full_plan,
    goal_resource,
    json_of,
    token_for,
)


@pytest.fixture
def writer(clinician):
    return Api(token_for(clinician, "user/*.cruds"))


@pytest.fixture
def plan(clinician, person):
    return full_plan(clinician, person)


def _ext(resource: dict, url: str) -> list[dict]:
    return [e for e in resource.get("extension", []) if e["url"] == url]


def test_a_plan_reads_as_a_uk_core_careplan_with_about_me_goals_and_activities(writer, plan, person):
    response = writer.get(f"CarePlan/{plan.public_id}")
    assert response.status_code == 200 and response["ETag"] == f'W/"{plan.version}"'
    data = assert_valid_fhir(json_of(response))
    assert data["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-CarePlan"]
    assert (data["status"], data["intent"]) == ("draft", "plan")
    assert data["subject"] == {"reference": f"Patient/{person.public_id}"}
    about = {e["url"]: e["valueString"] for e in _ext(data, X.PLAN_ABOUT_ME)[0]["extension"]}
    assert about == {"what-matters": "My grandchildren", "please-do": "Speak slowly"}
    goals = list(plan.goals.all())
    assert [g["reference"] for g in data["goal"]] == [f"Goal/{g.public_id}" for g in goals]
    detail = data["activity"][0]["detail"]
    assert detail["description"] == "Walk round the park" and detail["status"] == "not-started"
    assert detail["goal"] == [{"reference": f"Goal/{goals[0].public_id}"}]
    assert data["activity"][0]["id"] == str(goals[0].actions.get().public_id)


def test_a_goal_reads_in_the_persons_words_with_importance_confidence_and_attainment_levels(writer, plan):
    walk, sugar = plan.goals.all()
    data = assert_valid_fhir(json_of(writer.get(f"Goal/{walk.public_id}")))
    assert data["description"] == {"text": "Walk to my daughter's house"}
    assert data["note"] == [{"text": "Increase physical activity"}]
    assert data["lifecycleStatus"] == "active"
    assert _ext(data, X.GOAL_IMPORTANCE)[0]["valueInteger"] == 9
    assert _ext(data, X.GOAL_CONFIDENCE)[0]["valueInteger"] == 5
    assert _ext(data, X.GOAL_RAISE_CONFIDENCE)[0]["valueString"] == "A walking buddy"
    assert {e["valueCoding"]["code"] for e in _ext(data, X.GOAL_REGISTER)} == {"DM", "HYP"}
    levels = {next(s["valueCoding"]["code"] for s in e["extension"] if s["url"] == "level"):
              next(s["valueString"] for s in e["extension"] if s["url"] == "text") for e in _ext(data, X.PCO_GAS)}
    assert levels == {"LA34484-8": "Cannot leave the house", "LA34483-0": "Walk to the corner",
                      "LA34481-4": "Walk to my daughter's", "LA34480-6": "Walk there and back",
                      "LA34479-8": "Walk there twice a week"}
    assert data["target"][0]["measure"]["coding"][0]["code"] == X.GAS_MEASURE[0]
    sugar_data = assert_valid_fhir(json_of(writer.get(f"Goal/{sugar.public_id}")))
    quantity = sugar_data["target"][0]["detailQuantity"]
    assert quantity == {"value": 58, "unit": "mmol/mol", "system": "http://unitsofmeasure.org", "code": "mmol/mol",
                        "comparator": "<="}


def test_goals_and_plans_are_searched_by_patient_status_category_and_date(writer, plan, person, other_person,
                                                                            clinician):
    full_plan(clinician, other_person)
    p = f"patient=Patient/{person.public_id}"
    assert json_of(writer.get(f"Goal?{p}"))["total"] == 2
    assert json_of(writer.get(f"Goal?{p}&lifecycle-status=active"))["total"] == 2
    assert json_of(writer.get(f"Goal?{p}&lifecycle-status=proposed"))["total"] == 0
    assert json_of(writer.get(f"Goal?{p}&category=daily-living"))["total"] == 1
    soon = (timezone.localdate() + timedelta(days=90)).isoformat()
    assert json_of(writer.get(f"Goal?{p}&target-date=le{soon}"))["total"] == 2
    assert json_of(writer.get(f"Goal?{p}&target-date=gt{soon}"))["total"] == 0
    assert json_of(writer.get("Goal"))["total"] == 4
    assert json_of(writer.get(f"CarePlan?{p}&status=draft"))["total"] == 1
    assert json_of(writer.get(f"CarePlan?{p}&status=active"))["total"] == 0
    sorted_goals = entries(json_of(writer.get(f"Goal?{p}&_sort=-target-date")))
    assert len(sorted_goals) == 2
    walk = plan.goals.first()
    assert [e["id"] for e in entries(json_of(writer.get(f"CarePlan?goal=Goal/{walk.public_id}")))] == [
        str(plan.public_id)]


def test_a_goal_created_over_the_api_joins_the_persons_plan_versioned_audited_with_provenance(writer, plan,
                                                                                            person, clinician):
    before = plan.version
    body = goal_resource(str(person.public_id), "Sleep through the night", extension=[
        {"url": X.GOAL_IMPORTANCE, "valueInteger": 8}, {"url": X.GOAL_CONFIDENCE, "valueInteger": 6}],
        category=[{"coding": [{"system": X.GOAL_CATEGORY, "code": "wellbeing"}]}])
    response = writer.post("Goal", body)
    assert response.status_code == 201, response.content
    data = assert_valid_fhir(json_of(response))
    goal = Goal.objects.get(public_id=data["id"])
    assert (goal.plan, goal.person_words, goal.importance, goal.confidence, goal.category) == (
        plan, "Sleep through the night", 8, 6, "wellbeing")
    plan.refresh_from_db()
    assert plan.version == before + 1
    assert PlanVersion.objects.filter(plan=plan, number=plan.version, summary__startswith="Goal added").exists()
    assert AuditEvent.objects.filter(action="create", entity_type="Goal", entity_id=data["id"], actor=clinician,
                                     basis="direct-care").exists()
    record = WriteRecord.objects.get(resource_type="Goal", resource_id=goal.public_id)
    assert (record.activity, record.version, record.agent_user, record.person_id_ref) == (
        "create", 1, clinician, person.public_id)
    provenance = assert_valid_fhir(json_of(writer.get(f"Provenance?target=Goal/{goal.public_id}")))
    assert entries(provenance)[0]["target"] == [{"reference": f"Goal/{goal.public_id}/_history/1"}]


def test_a_goal_for_someone_without_a_plan_starts_their_plan(writer, other_person):
    response = writer.post("Goal", goal_resource(str(other_person.public_id)))
    assert response.status_code == 201, response.content
    assert Goal.objects.get(public_id=json_of(response)["id"]).plan.person == other_person


def test_goal_updates_need_the_current_version_and_follow_the_planning_rules(writer, plan, person):
    goal = plan.goals.first()
    body = json_of(writer.get(f"Goal/{goal.public_id}"))
    body["achievementStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                                             "code": "improving"}]}
    assert_outcome(writer.put(f"Goal/{goal.public_id}", body), 428)
    assert_outcome(writer.put(f"Goal/{goal.public_id}", body, **{"If-Match": f'W/"{goal.version + 5}"'}), 412)
    done = writer.put(f"Goal/{goal.public_id}", body, **{"If-Match": f'W/"{goal.version}"'})
    assert done.status_code == 200, done.content
    goal.refresh_from_db()
    assert goal.achievement_status == "improving" and done["ETag"] == f'W/"{goal.version}"'
    assert_outcome(writer.put(f"Goal/{goal.public_id}", body, **{"If-Match": f'W/"{goal.version - 1}"'}), 412)
    body = json_of(writer.get(f"Goal/{goal.public_id}"))
    body["extension"] = [{"url": X.GOAL_IMPORTANCE, "valueInteger": 11}]
    refused = assert_outcome(writer.put(f"Goal/{goal.public_id}", body, **{"If-Match": f'W/"{goal.version}"'}), 422)
    assert refused["issue"][0]["expression"] == [f"Goal.extension('{X.GOAL_IMPORTANCE}')"]
    body["extension"] = []
    body["lifecycleStatus"] = "done"  # valid FHIR structure, but outside the required binding
    wrong = assert_outcome(writer.put(f"Goal/{goal.public_id}", body, **{"If-Match": f'W/"{goal.version}"'}), 422)
    assert wrong["issue"][0]["expression"] == ["Goal.lifecycleStatus"]


def test_a_careplan_is_created_once_per_person_and_conditional_create_finds_it(writer, other_person, clinician):
    body = {"resourceType": "CarePlan", "status": "draft", "intent": "plan",
            "subject": {"reference": f"Patient/{other_person.public_id}"},
            "extension": [{"url": X.PLAN_ABOUT_ME, "extension": [{"url": "what-matters", "valueString": "Gardening"}]}]}
    made = writer.post("CarePlan", body)
    assert made.status_code == 201, made.content
    plan = actions.current_plan(other_person)
    assert plan is not None and plan.what_matters == "Gardening"
    assert_outcome(writer.post("CarePlan", body), 409)
    again = writer.post("CarePlan", body, **{"If-None-Exist": f"patient=Patient/{other_person.public_id}"})
    assert again.status_code == 200 and json_of(again)["id"] == str(plan.public_id)
    assert_outcome(writer.post("CarePlan", {**body, "intent": "order"}), 422)


def test_a_careplan_update_changes_about_me_agreement_and_adds_an_action(writer, plan, person, clinician):
    body = json_of(writer.get(f"CarePlan/{plan.public_id}"))
    role = clinician.practitioner.roles.first()
    review = (timezone.localdate() + timedelta(days=180)).isoformat()
    body["status"] = "active"
    body["extension"] = [
        {"url": X.PLAN_ABOUT_ME, "extension": [{"url": "what-matters", "valueString": "Dancing"}]},
        {"url": X.PLAN_AGREEMENT, "extension": [{"url": "name", "valueString": "Margaret Thompson"},
                                                {"url": "role", "valueString": "The person"}]},
        {"url": X.PLAN_REVIEW, "extension": [{"url": "date", "valueDate": review}, {
            "url": "responsible", "valueReference": {"reference": f"PractitionerRole/{role.public_id}"}}]},
    ]
    sugar = plan.goals.last()
    body["activity"].append({"detail": {"status": "not-started", "description": "Swap fizzy drinks for water",
                                        "goal": [{"reference": f"Goal/{sugar.public_id}"}]}})
    done = writer.put(f"CarePlan/{plan.public_id}", body, **{"If-Match": f'W/"{plan.version}"'})
    assert done.status_code == 200, done.content
    plan.refresh_from_db()
    assert (plan.status, plan.what_matters, plan.please_do, plan.agreed_by_name) == (
        "active", "Dancing", "", "Margaret Thompson")
    assert plan.review_date.isoformat() == review and plan.review_responsible == role
    assert sugar.actions.get().what == "Swap fizzy drinks for water"
    assert_outcome(writer.put(f"CarePlan/{plan.public_id}", body, **{"If-Match": 'W/"1"'}), 412)
    no_goal = json_of(done)
    no_goal["activity"].append({"detail": {"status": "not-started", "description": "Orphan"}})
    assert_outcome(writer.put(f"CarePlan/{plan.public_id}", no_goal, **{"If-Match": done["ETag"]}), 422)


def test_a_plan_not_shared_with_the_person_is_hidden_from_them_and_their_carer(plan, person, carer, clinician):
    mine = Api(token_for(person.user, "patient/*.rs"))
    assert json_of(mine.get("CarePlan"))["total"] == 1
    actions._commit(clinician, actions._lock(plan), "Not shared", "direct-care", {"shared_with_person": False})
    assert json_of(mine.get("CarePlan"))["total"] == 0
    assert json_of(mine.get("Goal"))["total"] == 0
    assert_outcome(mine.get(f"CarePlan/{plan.public_id}"), 404)
    assert json_of(Api(token_for(carer, "patient/*.rs")).get("Goal"))["total"] == 0
    assert json_of(Api(token_for(clinician, "user/*.rs")).get("CarePlan"))["total"] == 1


def test_sensitive_goals_are_shown_only_to_those_who_see_sensitive_sections(plan, person, carer, clinician,
                                                                             practice_admin):
    walk = plan.goals.first()
    Goal.objects.filter(pk=walk.pk).update(sensitive=True)
    staff = Api(token_for(clinician, "user/*.rs"))
    assert json_of(staff.get(f"Goal?patient=Patient/{person.public_id}"))["total"] == 2
    # Practice admin staff see sensitive sections under direct care, as in a GP record (decision 0008).
    admin = Api(token_for(practice_admin, "user/*.rs"))
    assert json_of(admin.get(f"Goal?patient=Patient/{person.public_id}"))["total"] == 2
    sam = Api(token_for(carer, "patient/*.rs"))
    assert json_of(sam.get("Goal"))["total"] == 1
    assert_outcome(sam.get(f"Goal/{walk.public_id}"), 404)
    listed = json_of(sam.get(f"CarePlan/{plan.public_id}"))
    assert f"Goal/{walk.public_id}" not in {g["reference"] for g in listed["goal"]}
    assert all(a["detail"]["description"] != "Walk round the park" for a in listed.get("activity", []))
    Consent.objects.filter(person=person).update(include_sensitive=True)
    assert json_of(sam.get("Goal"))["total"] == 2
    system = Api(token_for(None, "system/*.rs", organisation=person.practice))
    assert json_of(system.get("Goal"))["total"] == 2


def test_careplan_history_gives_every_version_from_the_plan_snapshots(writer, plan):
    bundle = assert_valid_fhir(json_of(writer.get(f"CarePlan/{plan.public_id}/_history")))
    assert bundle["type"] == "history"
    versions = [e["resource"]["meta"]["versionId"] for e in bundle["entry"]]
    assert versions == [str(n) for n in range(plan.version, 0, -1)]
    first = json_of(writer.get(f"CarePlan/{plan.public_id}/_history/1"))
    assert first["meta"]["versionId"] == "1" and "goal" not in first
    second = json_of(writer.get(f"CarePlan/{plan.public_id}/_history/2"))
    assert _ext(second, X.PLAN_ABOUT_ME)
    goal = plan.goals.first()
    goal_history = assert_valid_fhir(json_of(writer.get(f"Goal/{goal.public_id}/_history")))
    assert [e["resource"]["meta"]["versionId"] for e in goal_history["entry"]] == ["1"]


def test_only_staff_and_system_clients_write_plans(person, plan):
    api = Api(token_for(person.user, "patient/*.cruds"))
    assert_outcome(api.post("Goal", goal_resource(str(person.public_id))), 403)


def test_a_stranger_cannot_write_a_goal_for_someone_they_cannot_see(other_clinician, person, plan):
    api = Api(token_for(other_clinician, "user/*.cruds"))
    refused = assert_outcome(api.post("Goal", goal_resource(str(person.public_id))), 422)
    assert refused["issue"][0]["expression"] == ["Goal.subject"]
