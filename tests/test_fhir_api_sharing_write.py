"""Writing CareTeam, Consent and Task over the FHIR API: through the same actions as the Care team and task
pages, with the same rules about who may do it, If-Match on every update, and a clear OperationOutcome for
anything the website would not accept either."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ourplan.api import extensions as X
from ourplan.coordination.models import Task
from ourplan.people.models import Consent, StaffMember
from ourplan.planning import actions as planning
from ourplan.sharing import actions as sharing
from ourplan.sharing.models import CareTeam, CareTeamMember
from tests.fhir_api_support import Api, assert_outcome, assert_valid_fhir, json_of, token_for

ROLE = X.CODE_SYSTEM + "care-team-role"
ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
IRCP = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]}


@pytest.fixture
def writer(clinician):
    return Api(token_for(clinician, "user/*.cruds"))


@pytest.fixture
def hospital_role(other_clinician):
    return StaffMember.objects.get(practitioner__user=other_clinician)


def participant(kind: str, obj, role: str, **extra) -> dict:
    return {"role": [{"coding": [{"system": ROLE, "code": role}]}],
            "member": {"reference": f"{kind}/{obj.public_id}"}, **extra}


def team_body(team: CareTeam, participants: list[dict]) -> dict:
    return {"resourceType": "CareTeam", "id": str(team.public_id), "status": "active",
            "subject": {"reference": f"Patient/{team.person.public_id}"}, "participant": participants}


def consent_body(person, grantee: str, *, performer: dict | None = None, **extra) -> dict:
    body = {"resourceType": "Consent", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": f"Patient/{person.public_id}"},
            "provision": {"type": "permit", "actor": [{"role": IRCP, "reference": {"reference": grantee}}],
                          "action": [{"coding": [{"system": ACTION, "code": "access"}]}]}, **extra}
    if performer is not None:
        body["performer"] = [performer]
    return body


def test_practice_staff_add_and_remove_care_team_members_with_if_match(writer, person, hospital_role):
    team = sharing.team_for(person)
    read = json_of(writer.get(f"CareTeam/{team.public_id}"))
    version = read["meta"]["versionId"]
    body = team_body(team, [*read.get("participant", []),
                            participant("PractitionerRole", hospital_role, "consultant")])
    assert_outcome(writer.put(f"CareTeam/{team.public_id}", body), 428)
    response = writer.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{version}"'})
    assert response.status_code == 200, response.content
    member = CareTeamMember.objects.get(team=team, staff_member=hospital_role)
    assert member.active and member.role == "consultant"
    assert_valid_fhir(json_of(response))
    assert_outcome(writer.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{version}"'}), 412)
    now = json_of(response)["meta"]["versionId"]
    # Sending a member with an end in the past records that they left (the website's "remove").
    ended = participant("PractitionerRole", hospital_role, "consultant",
                        period={"end": (timezone.now() - timedelta(minutes=1)).isoformat()})
    left = writer.put(f"CareTeam/{team.public_id}", team_body(team, [ended]), **{"If-Match": f'W/"{now}"'})
    assert left.status_code == 200, left.content
    member.refresh_from_db()
    assert member.left_at is not None


def test_a_care_team_put_answers_the_version_its_member_changes_made_and_sees_website_changes(
        writer, person, practice, hospital_role):
    team = sharing.team_for(person)
    read = json_of(writer.get(f"CareTeam/{team.public_id}"))
    version = int(read["meta"]["versionId"])
    body = team_body(team, [*read.get("participant", []),
                            participant("PractitionerRole", hospital_role, "consultant")])
    response = writer.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{version}"'})
    assert response.status_code == 200, response.content
    team.refresh_from_db()
    # One member added: one new version (the action's), not a second one for the PUT itself.
    assert team.version == version + 1
    assert response["ETag"] == f'W/"{team.version}"'
    assert json_of(response)["meta"]["versionId"] == str(team.version)
    # A member added on the website moves the team's ETag: a PUT from the older read is refused.
    sharing.do_add_member(None, person, role="service", organisation=practice)
    assert_outcome(writer.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{team.version}"'}), 412)
    assert CareTeamMember.objects.filter(CareTeamMember.active_q(), team=team, organisation=practice).exists()


def test_a_role_change_is_refused_naming_the_participant(writer, person, hospital_role):
    member = sharing.do_add_member(None, person, role="consultant", staff_member=hospital_role)
    team = CareTeam.objects.get(pk=member.team_id)  # adding the member moved the team's version
    body = team_body(team, [participant("PractitionerRole", hospital_role, "gp")])
    refused = assert_outcome(writer.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{team.version}"'}),
                             422)
    assert refused["issue"][0]["expression"] == ["CareTeam.participant[0].role"]


def test_a_care_team_is_created_once_per_person(writer, other_person, hospital_role):
    body = {"resourceType": "CareTeam", "status": "active",
            "subject": {"reference": f"Patient/{other_person.public_id}"},
            "participant": [participant("PractitionerRole", hospital_role, "consultant")]}
    made = writer.post("CareTeam", body)
    assert made.status_code == 201, made.content
    assert [p["member"]["reference"] for p in json_of(made)["participant"]] == [
        f"PractitionerRole/{hospital_role.public_id}"]
    assert_outcome(writer.post("CareTeam", body), 409)


def test_only_practice_staff_may_change_the_team(person, carer, other_clinician, hospital_role):
    team = sharing.team_for(person)
    body = team_body(team, [participant("PractitionerRole", hospital_role, "consultant")])
    carer_api = Api(token_for(carer, "user/*.cruds"))
    assert_outcome(carer_api.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{team.version}"'}), 403)
    outsider = Api(token_for(other_clinician, "user/*.cruds"))
    assert_outcome(outsider.put(f"CareTeam/{team.public_id}", body, **{"If-Match": f'W/"{team.version}"'}), 404)
    assert not CareTeamMember.objects.filter(staff_member=hospital_role).exists()


def test_the_practice_records_a_consent_with_who_decided_and_it_opens_the_record(writer, person, other_clinician,
                                                                                   hospital_role):
    sharing.do_add_member(None, person, role="consultant", staff_member=hospital_role)
    hospital = Api(token_for(other_clinician, "user/*.rs"))
    assert_outcome(hospital.get(f"Patient/{person.public_id}"), 404)
    ends = (timezone.now() + timedelta(days=180)).isoformat()
    body = consent_body(person, f"PractitionerRole/{hospital_role.public_id}",
                        performer={"display": "The person, in clinic"})
    body["provision"]["period"] = {"end": ends}
    made = writer.post("Consent", body)
    assert made.status_code == 201, made.content
    data = assert_valid_fhir(json_of(made))
    consent = Consent.objects.get(public_id=data["id"])
    assert (consent.staff_member, consent.given_by, consent.include_sensitive) == (
        hospital_role, "The person, in clinic", False)
    assert consent.ends_at is not None
    assert hospital.get(f"Patient/{person.public_id}").status_code == 200
    withdrawn = {**data, "status": "inactive"}
    response = writer.put(f"Consent/{consent.public_id}", withdrawn, **{"If-Match": f'W/"{consent.version}"'})
    assert response.status_code == 200, response.content
    assert_outcome(hospital.get(f"Patient/{person.public_id}"), 404)


def test_a_consent_without_who_decided_is_refused(writer, person, hospital_role):
    sharing.do_add_member(None, person, role="consultant", staff_member=hospital_role)
    body = consent_body(person, f"PractitionerRole/{hospital_role.public_id}")
    refused = assert_outcome(writer.post("Consent", body), 422)
    assert refused["issue"][0]["expression"] == ["Consent.performer"]
    assert "who made this decision" in refused["issue"][0]["diagnostics"]
    assert not Consent.objects.filter(staff_member=hospital_role).exists()


def test_a_consent_to_someone_outside_the_team_is_refused(writer, person, hospital_role):
    body = consent_body(person, f"PractitionerRole/{hospital_role.public_id}",
                        performer={"reference": f"Patient/{person.public_id}"})
    refused = assert_outcome(writer.post("Consent", body), 422)
    assert refused["issue"][0]["expression"] == ["Consent.provision.actor[0].reference"]


def test_sensitive_sections_are_shared_only_when_the_consent_says_so(writer, person, hospital_role):
    sharing.do_add_member(None, person, role="consultant", staff_member=hospital_role)
    body = consent_body(person, f"PractitionerRole/{hospital_role.public_id}",
                        performer={"reference": f"Patient/{person.public_id}"},
                        extension=[{"url": X.CONSENT_SENSITIVE, "valueBoolean": True}])
    made = writer.post("Consent", body)
    assert made.status_code == 201, made.content
    consent = Consent.objects.get(public_id=json_of(made)["id"])
    assert consent.include_sensitive and consent.given_by == "The person"
    assert json_of(made)["extension"] == [{"url": X.CONSENT_SENSITIVE, "valueBoolean": True}]


def test_only_practice_staff_and_system_clients_record_consent(person, carer, hospital_role):
    sharing.do_add_member(None, person, role="consultant", staff_member=hospital_role)
    body = consent_body(person, f"PractitionerRole/{hospital_role.public_id}", performer={"display": "Sam"})
    assert_outcome(Api(token_for(carer, "user/*.cruds")).post("Consent", body), 403)
    assert_outcome(Api(token_for(person.user, "patient/*.cruds")).post("Consent", body), 403)
    system = Api(token_for(None, "system/*.cruds", organisation=person.practice))
    assert system.post("Consent", body).status_code == 201


def _task_body(person, owner: str, **extra) -> dict:
    return {"resourceType": "Task", "status": "requested", "intent": "order", "description": "Phone about the group",
            "for": {"reference": f"Patient/{person.public_id}"}, "owner": {"reference": owner},
            "restriction": {"period": {"end": str(timezone.localdate() + timedelta(days=7))}}, **extra}


def test_practice_staff_create_a_task_and_move_it_on_with_if_match(writer, clinician, person):
    staff = StaffMember.objects.get(practitioner__user=clinician)
    sharing.do_add_member(None, person, role="practice-nurse", staff_member=staff)
    plan = planning.do_start_plan(clinician, person)
    made = writer.post("Task", _task_body(person, f"PractitionerRole/{staff.public_id}",
                                          basedOn=[{"reference": f"CarePlan/{plan.public_id}"}]))
    assert made.status_code == 201, made.content
    data = assert_valid_fhir(json_of(made))
    task = Task.objects.get(public_id=data["id"])
    assert (task.title, task.plan, task.assignee.staff_member, task.status) == (
        "Phone about the group", plan, staff, "requested")
    done = {**data, "status": "completed", "output": [{"type": {"text": "Outcome"}, "valueString": "Booked"}]}
    assert_outcome(writer.put(f"Task/{task.public_id}", done), 428)
    moved = writer.put(f"Task/{task.public_id}", done, **{"If-Match": 'W/"1"'})
    assert moved.status_code == 200, moved.content
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("completed", "Booked")
    assert_outcome(writer.put(f"Task/{task.public_id}", done, **{"If-Match": 'W/"1"'}), 412)
    renamed = {**json_of(moved), "description": "Something else"}
    assert_outcome(writer.put(f"Task/{task.public_id}", renamed, **{"If-Match": f'W/"{task.version}"'}), 422)


def test_a_task_for_someone_outside_the_team_or_for_a_goal_is_refused(writer, person, hospital_role):
    outside = assert_outcome(writer.post("Task", _task_body(person, f"PractitionerRole/{hospital_role.public_id}")),
                             422)
    assert outside["issue"][0]["expression"] == ["Task.owner"]
    for_person = writer.post("Task", _task_body(person, f"Patient/{person.public_id}"))
    assert for_person.status_code == 201, for_person.content
    focus = _task_body(person, f"Patient/{person.public_id}", focus={"reference": "Goal/x"})
    assert assert_outcome(writer.post("Task", focus), 422)["issue"][0]["expression"] == ["Task.focus"]


def test_the_team_member_a_task_is_given_to_may_move_it_on_as_on_the_website(writer, person, other_clinician,
                                                                              hospital_role):
    member = sharing.do_add_member(None, person, role="consultant", staff_member=hospital_role)
    sharing.do_share(None, person, member=member, given_by="The person")
    data = json_of(writer.post("Task", _task_body(person, f"PractitionerRole/{hospital_role.public_id}")))
    hospital = Api(token_for(other_clinician, "user/*.cruds"))
    assert_outcome(hospital.post("Task", _task_body(person, f"Patient/{person.public_id}")), 403)
    moved = hospital.put(f"Task/{data['id']}", {**data, "status": "in-progress"}, **{"If-Match": 'W/"1"'})
    assert moved.status_code == 200, moved.content
    assert Task.objects.get(public_id=data["id"]).status == "in-progress"
