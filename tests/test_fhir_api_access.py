"""Who sees what over the FHIR API: tokens and scopes, and the people.access rules behind them. Person data
someone may not see looks exactly like data that does not exist (404, or an empty Bundle)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ourplan.api.models import ApiToken, hash_token
from ourplan.core.models import AuditEvent
from ourplan.people.models import Consent
from tests import factories as f
from tests.fhir_api_support import Api, assert_outcome, entries, json_of, token_for


def test_a_patient_token_for_one_person_gets_nothing_of_another_persons(person, other_person):
    api = Api(token_for(person.user, "patient/*.rs"))
    theirs = f.obs(other_person, "hba1c", "50")
    assert_outcome(api.get(f"Observation/{theirs.public_id}"), 404)
    assert_outcome(api.get(f"Patient/{other_person.public_id}"), 404)
    bundle = json_of(api.get(f"Observation?patient=Patient/{other_person.public_id}"))
    assert bundle["total"] == 0 and "entry" not in bundle
    assert json_of(api.get(f"Observation?subject={other_person.public_id}"))["total"] == 0
    mine = json_of(api.get("Observation"))
    assert mine["total"] == 6
    assert {e["subject"]["reference"] for e in entries(mine)} == {f"Patient/{person.public_id}"}
    assert [e["id"] for e in entries(json_of(api.get("Patient")))] == [str(person.public_id)]


def test_a_clinician_at_another_practice_sees_nothing(other_clinician, person):
    api = Api(token_for(other_clinician, "user/*.rs"))
    assert_outcome(api.get(f"Patient/{person.public_id}"), 404)
    assert_outcome(api.get(f"Condition/{person.conditions.first().public_id}"), 404)
    for resource_type in ("Patient", "Condition", "Observation", "RelatedPerson"):
        assert json_of(api.get(resource_type))["total"] == 0, resource_type


def test_a_carer_sees_the_person_only_while_consent_is_in_force(carer, person):
    api = Api(token_for(carer, "patient/*.rs"))
    assert api.get(f"Patient/{person.public_id}").status_code == 200
    Consent.objects.filter(person=person).update(status=Consent.Status.WITHDRAWN, withdrawn_at=timezone.now())
    assert_outcome(api.get(f"Patient/{person.public_id}"), 404)
    assert json_of(api.get("Observation"))["total"] == 0


def test_a_system_token_sees_the_people_registered_at_its_organisation_only(practice, other_practice, person):
    elsewhere = f.person(other_practice, "Ann", "Elsewhere", "9990000026")
    api = Api(token_for(None, "system/*.rs", organisation=practice))
    assert api.get(f"Patient/{person.public_id}").status_code == 200
    assert_outcome(api.get(f"Patient/{elsewhere.public_id}"), 404)
    assert {e["id"] for e in entries(json_of(api.get("Patient")))} == {str(person.public_id)}
    event = AuditEvent.objects.filter(action="read").order_by("-id").first()
    assert event.basis == "system" and event.actor is None and event.actor_label.startswith("API:")


def test_missing_unknown_expired_and_revoked_tokens_get_401_with_www_authenticate(clinician, person):
    path = f"Patient/{person.public_id}"
    response = Api(None).get(path)
    assert_outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in Api("opat_not-a-token").get(path)["WWW-Authenticate"]
    value = token_for(clinician)
    token = ApiToken.objects.get(token_hash=hash_token(value))
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    assert_outcome(Api(value).get(path), 401)
    token.expires_at = timezone.now() + timedelta(days=1)
    token.revoked = True
    token.save()
    assert_outcome(Api(value).get(path), 401)
    assert_outcome(Api(value).get(path, Authorization="Basic abc"), 401)
    assert AuditEvent.objects.filter(action="denied", actor_label="API: no valid token").count() >= 4


def test_a_type_outside_the_scopes_is_403_but_a_hidden_person_is_404(clinician, person, other_clinician):
    api = Api(token_for(clinician, "user/Patient.rs"))
    assert api.get(f"Patient/{person.public_id}").status_code == 200
    assert_outcome(api.get(f"Observation?patient=Patient/{person.public_id}"), 403)
    read_only = Api(token_for(clinician, "user/*.rs"))
    body = {"resourceType": "Patient", "name": [{"family": "New"}]}
    assert_outcome(read_only.post("Patient", body), 403)
    hidden = Api(token_for(other_clinician, "user/Patient.rs"))
    assert_outcome(hidden.get(f"Patient/{person.public_id}"), 404)
    assert AuditEvent.objects.filter(action="denied", person_id_ref=person.public_id).exists()


def test_only_a_hash_of_the_token_is_stored(clinician):
    value = token_for(clinician)
    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(value) and value not in token.token_hash
    assert value.startswith("opat_") and len(value) > 40


def test_the_api_token_command_prints_a_token_once_that_works(clinician, person):
    out = StringIO()
    call_command("api-token", "--user", "nurse.jones", "--scope", "user/*.rs", "--days", "7", stdout=out,
                 stderr=StringIO())
    value = out.getvalue().strip()
    assert Api(value).get(f"Patient/{person.public_id}").status_code == 200
    token = ApiToken.objects.get()
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)


def test_the_api_token_command_binds_patient_scopes_and_refuses_bad_requests(person, carer):
    out = StringIO()
    call_command("api-token", "--user", "carer.sam", "--scope", "patient/*.rs", stdout=out, stderr=StringIO())
    assert ApiToken.objects.get().patient == person
    for args in (["--user", "nobody"], ["--user", "carer.sam", "--scope", "patient/*.rs user/*.rs"],
                 ["--user", "carer.sam", "--scope", "everything"], ["--user", "carer.sam", "--scope", "system/*.rs"],
                 ["--user", "carer.sam", "--days", "0"]):
        with pytest.raises(CommandError):
            call_command("api-token", *args, stdout=StringIO(), stderr=StringIO())
