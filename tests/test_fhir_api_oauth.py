"""OAuth2 client credentials for backend services: registering a client, getting a short-lived system/
token from /fhir/R4/auth/token, using it within its organisation only, and the RFC 6749 errors."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import StringIO
from urllib.parse import quote_plus, urlencode

import orjson
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ourplan.api.clients import register
from ourplan.api.models import ApiClient, ApiToken, hash_token
from ourplan.core.models import AuditEvent
from tests import factories as f
from tests.fhir_api_support import BASE, Api, assert_outcome, assert_valid_fhir, json_of

TOKEN_URL = BASE + "auth/token"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def backend(practice):
    return register(organisation=practice, scopes="system/*.rs", name="GP system sync")


def basic(client_id: str, secret: str) -> str:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def ask(form: dict[str, str], authorization: str | None = None, content_type: str = FORM) -> object:
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return Client().post(TOKEN_URL, urlencode(form), content_type=content_type, **extra)


def token_of(backend, **form: str) -> dict:
    response = ask({"grant_type": "client_credentials", **form},
                   basic(backend.client.client_id, backend.secret))
    assert response.status_code == 200, response.content
    return json_of(response)


def oauth_error(response, status: int, error: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    data = orjson.loads(response.content)
    assert data["error"] == error and data["error_description"]
    return data


def test_a_backend_client_gets_a_short_lived_token_and_reads_a_patient_of_its_organisation(backend, person):
    data = token_of(backend)
    assert data["token_type"] == "Bearer" and data["scope"] == "system/*.rs"
    assert data["expires_in"] == 300
    token = ApiToken.objects.get(token_hash=hash_token(data["access_token"]))
    assert token.organisation == backend.client.organisation and token.client == backend.client
    assert token.user is None and token.expires_at <= timezone.now() + timedelta(minutes=5)
    response = Api(data["access_token"]).get(f"Patient/{person.public_id}")
    assert response.status_code == 200
    assert assert_valid_fhir(json_of(response))["id"] == str(person.public_id)
    event = AuditEvent.objects.filter(entity_id=str(person.public_id), action="read").latest("id")
    assert event.basis == "system" and "GP system sync" in event.actor_label


def test_the_token_does_not_reach_people_of_another_organisation(backend, person, other_practice):
    stranger = f.person(other_practice, given="Olive", family="Elsewhere", nhs="9990000026")
    api = Api(token_of(backend)["access_token"])
    assert_outcome(api.get(f"Patient/{stranger.public_id}"), 404)
    found = json_of(api.get("Patient"))
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [str(person.public_id)]


def test_client_secret_post_is_accepted_too(backend):
    response = ask({"grant_type": "client_credentials", "client_id": backend.client.client_id,
                    "client_secret": backend.secret})
    assert response.status_code == 200 and json_of(response)["access_token"]


def test_an_expired_or_revoked_token_is_refused_with_401(backend, person):
    for change in ({"expires_at": timezone.now() - timedelta(seconds=1)}, {"revoked": True}):
        value = token_of(backend)["access_token"]
        ApiToken.objects.filter(token_hash=hash_token(value)).update(**change)
        response = Api(value).get(f"Patient/{person.public_id}")
        assert_outcome(response, 401)
        assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_deactivating_the_client_stops_its_tokens_and_its_token_requests(backend, person):
    value = token_of(backend)["access_token"]
    call_command("api-client", "--deactivate", backend.client.client_id, stderr=StringIO())
    assert_outcome(Api(value).get(f"Patient/{person.public_id}"), 401)
    oauth_error(ask({"grant_type": "client_credentials"}, basic(backend.client.client_id, backend.secret)),
                401, "invalid_client")


def test_a_wrong_secret_or_unknown_client_is_invalid_client_401(backend):
    for who in (basic(backend.client.client_id, backend.secret + "x"), basic("opc_nobody", backend.secret)):
        response = ask({"grant_type": "client_credentials"}, who)
        oauth_error(response, 401, "invalid_client")
        assert response["WWW-Authenticate"].startswith("Basic")
    oauth_error(ask({"grant_type": "client_credentials"}), 401, "invalid_client")
    assert AuditEvent.objects.filter(entity_type="ApiToken", action="denied").count() == 3
    assert not ApiToken.objects.exists()


def test_a_client_may_narrow_its_scopes_and_the_token_gets_only_those(backend, person):
    data = token_of(backend, scope="system/Patient.rs")
    assert data["scope"] == "system/Patient.rs"
    api = Api(data["access_token"])
    assert api.get(f"Patient/{person.public_id}").status_code == 200
    assert_outcome(api.get(f"Observation?patient=Patient/{person.public_id}"), 403)


def test_a_client_may_not_widen_its_scopes(backend):
    for scope in ("system/*.cruds", "system/Patient.c", "user/*.rs", "patient/Patient.rs", "system/Nonsense.rs",
                  "not a scope"):
        response = ask({"grant_type": "client_credentials", "scope": scope},
                       basic(backend.client.client_id, backend.secret))
        oauth_error(response, 400, "invalid_scope")
    assert not ApiToken.objects.exists()


def test_malformed_token_requests_get_rfc_6749_errors(backend):
    who = basic(backend.client.client_id, backend.secret)
    oauth_error(ask({"grant_type": "authorization_code", "code": "x"}, who), 400, "unsupported_grant_type")
    oauth_error(ask({}, who), 400, "invalid_request")
    oauth_error(ask({"grant_type": "client_credentials"}, who, content_type="application/json"), 400,
                "invalid_request")
    both = {"grant_type": "client_credentials", "client_id": backend.client.client_id,
            "client_secret": backend.secret}
    oauth_error(ask(both, who), 400, "invalid_request")
    oauth_error(Client().get(TOKEN_URL), 405, "invalid_request")
    repeated = "grant_type=client_credentials&grant_type=client_credentials"
    response = Client().post(TOKEN_URL, repeated, content_type=FORM, HTTP_AUTHORIZATION=who)
    oauth_error(response, 400, "invalid_request")
    in_url = Client().post(TOKEN_URL + "?client_secret=x", "grant_type=client_credentials", content_type=FORM,
                           HTTP_AUTHORIZATION=who)
    oauth_error(in_url, 400, "invalid_request")
    oauth_error(ask({"grant_type": "client_credentials", "scope": "system/*.rs " * 1000}, who), 400,
                "invalid_request")


def test_the_command_prints_the_secret_once_and_stores_only_its_hash(practice):
    out = StringIO()
    call_command("api-client", "--organisation", "Y00001", "--scope", "system/*.rs", "--name", "Sync",
                 stdout=out, stderr=StringIO())
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    client = ApiClient.objects.get(client_id=lines["client_id"])
    assert client.secret_hash == hash_token(lines["client_secret"])
    assert lines["client_secret"] not in str(list(ApiClient.objects.values()))
    assert (client.organisation, client.scopes, client.name) == (practice, "system/*.rs", "Sync")


@pytest.mark.parametrize("args", [["--organisation", "NOPE"], ["--organisation", "Y00001", "--scope", "user/*.rs"],
                                  ["--organisation", "Y00001", "--minutes", "0"], []])
def test_the_command_refuses_what_it_cannot_register(practice, args):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("api-client", *args, stdout=StringIO(), stderr=StringIO())


def test_the_token_endpoint_is_advertised_in_smart_configuration_and_the_capability_statement(db):
    config = json_of(Client().get(BASE + ".well-known/smart-configuration"))
    assert config["token_endpoint"] == "http://testserver/fhir/R4/auth/token"
    assert config["grant_types_supported"] == ["client_credentials"]
    assert set(config["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert "client-confidential-symmetric" in config["capabilities"]
    statement = assert_valid_fhir(json_of(Client().get(BASE + "metadata")))
    (oauth,) = statement["rest"][0]["security"]["extension"]
    assert oauth["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    assert oauth["extension"] == [{"url": "token", "valueUri": "http://testserver/fhir/R4/auth/token"}]
