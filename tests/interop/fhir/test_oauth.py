"""OAuth2 client credentials at /oauth/token and the bearer tokens it issues."""

import base64
import json

import pytest
from django.core.management import call_command
from django.test import Client

from carecoord.interop.fhir.clients import api_client_create, api_client_deactivate
from carecoord.interop.fhir.scopes import ScopeError, narrow, parse_scopes

from ...factories import OrganizationFactory


@pytest.fixture
def client_and_secret(db):
    organization = OrganizationFactory(slug="tokenorg")
    return api_client_create(organization=organization, name="Lab feed", scopes="system/Patient.read system/Task.rs")


def token_request(**data):
    return Client().post("/oauth/token", {"grant_type": "client_credentials", **data})


def test_a_client_gets_a_short_lived_bearer_token(client_and_secret):
    client, secret = client_and_secret
    response = token_request(client_id=client.client_id, client_secret=secret)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "system/Patient.read system/Task.rs"
    assert response["Cache-Control"] == "no-store"


def test_http_basic_client_authentication_works_too(client_and_secret):
    client, secret = client_and_secret
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    response = Client().post("/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [({"client_secret": "wrong"}, 401, "invalid_client"),
     ({"grant_type": "password"}, 400, "unsupported_grant_type"),
     ({"scope": "system/Patient.write"}, 400, "invalid_scope"),
     ({"scope": "patient/Patient.read"}, 400, "invalid_scope")],
)  # fmt: skip
def test_bad_token_requests_say_why(client_and_secret, data, status, error):
    client, secret = client_and_secret
    response = token_request(**{"client_id": client.client_id, "client_secret": secret, **data})
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_a_token_can_be_narrowed_to_fewer_scopes(client_and_secret):
    client, secret = client_and_secret
    response = token_request(client_id=client.client_id, client_secret=secret, scope="system/Patient.r")
    assert response.json()["scope"] == "system/Patient.r"


def test_deactivating_a_client_kills_its_tokens_at_once(client_and_secret):
    client, secret = client_and_secret
    token = token_request(client_id=client.client_id, client_secret=secret).json()["access_token"]
    read = Client().get("/fhir/R4/Patient", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert read.status_code == 200
    api_client_deactivate(client=client)
    again = Client().get("/fhir/R4/Patient", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 401
    assert again["WWW-Authenticate"].startswith("Bearer")
    assert token_request(client_id=client.client_id, client_secret=secret).status_code == 401


def test_the_command_line_prints_json_for_scripts(db, capsys):
    OrganizationFactory(slug="cliorg")
    call_command("api_client", "create", "--org", "cliorg", "--scopes", "system/*.read", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"client_id", "client_secret"}
    assert token_request(**printed).status_code == 200


@pytest.mark.parametrize(
    ("scopes", "resource", "interaction", "allowed"),
    [("system/Patient.read", "Patient", "read", True), ("system/Patient.read", "Patient", "search-type", True),
     ("system/Patient.read", "Patient", "create", False), ("system/*.write", "Task", "update", True),
     ("system/*.write", "Task", "read", False), ("system/Patient.rs", "Patient", "search-type", True),
     ("system/Patient.rs", "Patient", "update", False), ("system/Patient.cud", "Patient", "delete", True),
     ("system/*.*", "Condition", "delete", True), ("system/Patient.r", "Patient", "search-type", False)],
)  # fmt: skip
def test_v1_and_v2_scopes(scopes, resource, interaction, allowed):
    assert parse_scopes(scopes).allows(resource, interaction) is allowed


def test_unreadable_scopes_are_named():
    with pytest.raises(ScopeError, match="launch/patient"):
        parse_scopes("system/Patient.read launch/patient")
    with pytest.raises(ScopeError, match="beyond"):
        narrow("system/*.read", "system/Patient.read")
