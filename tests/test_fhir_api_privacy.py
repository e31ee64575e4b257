"""Privacy review of the FHIR API: sensitive goals and what quotes them (plan history, referrals made for them,
goals that give a mood condition away), batch and transaction entries audited like single requests, bulk
export files refused once access ends, and a Goal update that cannot clear the sensitive flag by leaving its
extension out."""

from __future__ import annotations

import orjson
import pytest
from django.utils import timezone

from ourplan.api import extensions as X
from ourplan.api.models import WriteRecord
from ourplan.core.models import AuditEvent
from ourplan.people.models import Consent
from ourplan.planning import actions
from ourplan.planning.models import Goal
from ourplan.support.referrals import do_make_referral
from tests import factories as f
from tests.fhir_api_support import Api, assert_outcome, assert_valid_fhir, entries, full_plan, json_of, token_for


@pytest.fixture
def writer(clinician):
    return Api(token_for(clinician, "user/*.cruds"))


@pytest.fixture
def plan(clinician, person):
    return full_plan(clinician, person)


@pytest.fixture
def sam(carer):
    """The carer, whose consent from the person does not include the sensitive sections."""
    return Api(token_for(carer, "patient/*.rs"))


def _text(response) -> str:
    return response.content.decode()


def _export(api: Api, path: str) -> tuple[str, dict]:
    kick = api.get(path, Prefer="respond-async")
    assert kick.status_code == 202, kick.content
    status = api.get(kick["Content-Location"])
    assert status.status_code == 200, status.content
    return kick["Content-Location"], orjson.loads(status.content)


def _file(api: Api, url: str) -> str:
    response = api.get(url)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode()


# --- 2. history and vread of plans that quote sensitive goals ------------------------------------------------

def test_plan_history_gives_a_carer_only_the_current_redacted_version_not_stored_ones_quoting_sensitive_goals(
        writer, plan, sam):
    walk = plan.goals.first()
    Goal.objects.filter(pk=walk.pk).update(sensitive=True)
    body = json_of(writer.get(f"CarePlan/{plan.public_id}"))
    body["extension"] = [{"url": X.PLAN_ABOUT_ME, "extension": [{"url": "what-matters", "valueString": "Dancing"}]}]
    done = writer.put(f"CarePlan/{plan.public_id}", body, **{"If-Match": f'W/"{plan.version}"'})
    assert done.status_code == 200, done.content
    stored = WriteRecord.objects.get(resource_type="CarePlan", resource_id=plan.public_id)
    # The stored version is the plan as the practice (who sees everything) read it after the write.
    assert str(walk.public_id) in orjson.dumps(stored.resource).decode()

    history = sam.get(f"CarePlan/{plan.public_id}/_history")
    assert history.status_code == 200
    bundle = assert_valid_fhir(json_of(history))
    assert [e["resource"]["meta"]["versionId"] for e in bundle["entry"]] == [str(stored.version)]
    assert str(walk.public_id) not in _text(history) and "Walk round the park" not in _text(history)
    current = sam.get(f"CarePlan/{plan.public_id}/_history/{stored.version}")
    assert current.status_code == 200 and str(walk.public_id) not in _text(current)
    assert_outcome(sam.get(f"CarePlan/{plan.public_id}/_history/2"), 404)
    # Those who see the sensitive sections still get every version.
    full = json_of(writer.get(f"CarePlan/{plan.public_id}/_history"))
    assert len(full["entry"]) == stored.version
    assert all(str(walk.public_id) in orjson.dumps(e["resource"]).decode() for e in full["entry"][:2])


# --- 3. referrals made for a sensitive goal -------------------------------------------------------------------

def test_a_referral_for_a_sensitive_goal_is_hidden_from_a_carer_in_read_search_include_everything_and_export(
        clinician, person, plan, sam, writer):
    low = actions.do_add_goal(clinician, plan, {"person_words": "Feel less low", "lifecycle_status": "active",
                                                "sensitive": True})
    referral = do_make_referral(clinician, person, kind="referral", reason="Talking therapy for low mood",
                                to_name="Talking therapies", consent_given=True, goal_public_id=low.public_id)
    walk = plan.goals.first()
    walking = do_make_referral(clinician, person, kind="signposting", reason="Walking group",
                               to_name="Riverside Walkers", goal_public_id=walk.public_id)
    assert_outcome(sam.get(f"ServiceRequest/{referral.public_id}"), 404)
    assert sam.get(f"ServiceRequest/{walking.public_id}").status_code == 200
    found = sam.get(f"ServiceRequest?patient=Patient/{person.public_id}")
    assert [r["id"] for r in entries(json_of(found))] == [str(walking.public_id)]
    included = sam.get(f"Patient?_id={person.public_id}&_revinclude=ServiceRequest:patient")
    assert included.status_code == 200, included.content
    everything = sam.get(f"Patient/{person.public_id}/$everything?_count=200")
    _, manifest = _export(sam, "Patient/$export?_type=ServiceRequest")
    exported = "".join(_file(sam, o["url"]) for o in manifest["output"])
    for text in (_text(found), _text(included), _text(everything), exported):
        assert "Talking therapy" not in text and str(referral.public_id) not in text
    assert "Walking group" in _text(included) and "Walking group" in exported
    # The practice, who sees the sensitive sections, still reads it.
    assert writer.get(f"ServiceRequest/{referral.public_id}").status_code == 200


# --- 4. batch and transaction entries audited as single requests -----------------------------------------------

def test_each_batch_entry_is_audited_against_its_person_and_a_refused_entry_as_denied(carer, person, other_person):
    f.obs(person, "weight", "70")
    api = Api(token_for(carer, "user/*.rs"))
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Observation?patient=Patient/{person.public_id}"}},
        {"request": {"method": "GET", "url": f"Patient/{other_person.public_id}"}},
        {"request": {"method": "GET", "url": f"Patient/{person.public_id}"}},
    ]}
    response = api.post("", bundle)
    assert response.status_code == 200, response.content
    assert [e["response"]["status"] for e in json_of(response)["entry"]] == ["200 OK", "404", "200 OK"]
    search = AuditEvent.objects.get(action="search", entity_type="Observation")
    assert (search.person_id_ref, search.basis) == (person.public_id, "consent")
    assert search.detail["count"] >= 1 and search.detail["entry"] == 0
    refused = AuditEvent.objects.get(action="denied", entity_type="Patient")
    assert refused.person_id_ref == other_person.public_id and refused.detail["status"] == 404
    read = AuditEvent.objects.get(action="read", entity_type="Patient")
    assert (read.person_id_ref, read.basis) == (person.public_id, "consent")


def test_a_transaction_refused_for_someone_elses_record_is_audited_as_denied_against_them(carer, person,
                                                                                           other_person):
    api = Api(token_for(carer, "user/*.rs"))
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "GET", "url": f"Patient/{person.public_id}"}},
        {"request": {"method": "GET", "url": f"Patient/{other_person.public_id}"}},
    ]}
    assert_outcome(api.post("", bundle), 404)
    refused = AuditEvent.objects.get(action="denied", entity_type="Patient")
    assert refused.person_id_ref == other_person.public_id and refused.detail["entry"] == 1


# --- 5. $export after access ends ------------------------------------------------------------------------------

def test_export_files_and_status_are_refused_once_the_carers_consent_is_withdrawn(sam, person, plan):
    status_url, manifest = _export(sam, "Patient/$export?_type=Patient,Goal")
    url = next(o["url"] for o in manifest["output"] if o["type"] == "Goal")
    assert "Walk to my daughter's house" in _file(sam, url)
    served = AuditEvent.objects.filter(action="download", detail__file="Goal.ndjson").get()
    assert (served.person_id_ref, served.basis) == (person.public_id, "consent")
    Consent.objects.filter(person=person).update(status=Consent.Status.WITHDRAWN, withdrawn_at=timezone.now())
    assert_outcome(sam.get(f"Patient/{person.public_id}"), 404)
    assert_outcome(sam.get(url), 404)
    assert_outcome(sam.get(status_url), 404)


def test_export_files_holding_sensitive_sections_are_refused_once_they_are_no_longer_shared(carer, person, plan):
    Consent.objects.filter(person=person).update(include_sensitive=True)
    Goal.objects.filter(pk=plan.goals.first().pk).update(sensitive=True)
    api = Api(token_for(carer, "patient/*.rs"))
    status_url, manifest = _export(api, "Patient/$export?_type=Goal")
    url = manifest["output"][0]["url"]
    assert "Walk to my daughter's house" in _file(api, url)
    Consent.objects.filter(person=person).update(include_sensitive=False)
    assert api.get(f"Patient/{person.public_id}").status_code == 200
    assert_outcome(api.get(url), 404)
    assert_outcome(api.get(status_url), 404)


def test_a_system_export_file_is_refused_after_a_person_moves_practice_and_audited_per_person(
        practice, other_practice, person, other_person, plan, clinician):
    actions.do_add_goal(clinician, actions.do_start_plan(clinician, other_person),
                        {"person_words": "Sleep better", "lifecycle_status": "active"})
    api = Api(token_for(None, "system/*.rs", organisation=practice))
    _, manifest = _export(api, "Patient/$export?_type=Goal")
    url = manifest["output"][0]["url"]
    _file(api, url)
    per_person = AuditEvent.objects.filter(action="download", detail__file="Goal.ndjson",
                                           person_id_ref__isnull=False)
    assert {e.person_id_ref for e in per_person} == {person.public_id, other_person.public_id}
    assert {e.basis for e in per_person} == {"system"}
    type(other_person).objects.filter(pk=other_person.pk).update(practice=other_practice)
    assert_outcome(api.get(url), 404)


# --- 6. goals that give a mood condition away --------------------------------------------------------------------

def test_a_goal_linked_to_the_depression_register_or_a_phq9_target_is_not_shown_without_sensitive_access(
        clinician, person, plan, sam, writer):
    mood = actions.do_add_goal(clinician, plan, {"person_words": "Get out of the house more",
                                                 "lifecycle_status": "active", "registers": ["DEPR"]})
    score = actions.do_add_goal(clinician, plan, {"person_words": "Feel brighter", "lifecycle_status": "active",
                                                  "measure": "phq9", "comparator": "<", "target_value": 10})
    assert not mood.sensitive and not score.sensitive  # neither is flagged: what they are about is enough
    for goal in (mood, score):
        assert_outcome(sam.get(f"Goal/{goal.public_id}"), 404)
    seen = [sam.get("Goal"), sam.get(f"CarePlan/{plan.public_id}"),
            sam.get(f"CarePlan?_include=CarePlan:goal&patient=Patient/{person.public_id}"),
            sam.get(f"Patient/{person.public_id}/$everything?_count=200"),
            sam.get(f"CarePlan/{plan.public_id}/_history")]
    for response in seen:
        assert response.status_code == 200, response.content
        text = _text(response)
        assert str(mood.public_id) not in text and str(score.public_id) not in text
        assert '"code":"DEPR"' not in text and "Get out of the house" not in text and "Feel brighter" not in text
    # The practice sees both, with the register and the target.
    assert '"code":"DEPR"' in _text(writer.get(f"Goal/{mood.public_id}"))
    assert writer.get(f"Goal/{score.public_id}").status_code == 200


# --- 7. a Goal update without the sensitive extension -------------------------------------------------------------

def test_a_goal_update_without_the_sensitive_extension_keeps_the_goal_sensitive(writer, plan):
    walk = plan.goals.first()
    Goal.objects.filter(pk=walk.pk).update(sensitive=True)
    body = json_of(writer.get(f"Goal/{walk.public_id}"))
    body["extension"] = [e for e in body["extension"] if e["url"] != X.GOAL_SENSITIVE]
    body["achievementStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                                             "code": "improving"}]}
    done = writer.put(f"Goal/{walk.public_id}", body, **{"If-Match": f'W/"{walk.version}"'})
    assert done.status_code == 200, done.content
    walk.refresh_from_db()
    assert walk.sensitive and walk.achievement_status == "improving"
    # Saying so explicitly still changes it.
    body["extension"].append({"url": X.GOAL_SENSITIVE, "valueBoolean": False})
    again = writer.put(f"Goal/{walk.public_id}", body, **{"If-Match": done["ETag"]})
    assert again.status_code == 200, again.content
    walk.refresh_from_db()
    assert not walk.sensitive


def test_provenance_of_a_sensitive_goal_is_not_shown_to_a_carer(writer, person, plan, sam):
    walk = plan.goals.first()
    Goal.objects.filter(pk=walk.pk).update(sensitive=True)
    body = json_of(writer.get(f"Goal/{walk.public_id}"))
    assert writer.put(f"Goal/{walk.public_id}", body, **{"If-Match": f'W/"{walk.version}"'}).status_code == 200
    written = WriteRecord.objects.get(resource_type="Goal", resource_id=walk.public_id)
    found = sam.get(f"Provenance?patient=Patient/{person.public_id}")
    assert found.status_code == 200 and str(walk.public_id) not in _text(found)
    assert_outcome(sam.get(f"Provenance/{written.public_id}"), 404)
    assert str(walk.public_id) in _text(writer.get(f"Provenance?patient=Patient/{person.public_id}"))
