"""A FHIR API caller: an organization, a system client of it, and a bearer token got from /oauth/token."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from carecoord.interop.fhir.clients import api_client_create
from carecoord.interop.fhir.validation import validate_output

from ...factories import OrganizationFactory


@dataclass
class FhirCaller:
    http: Client
    token: str
    organization: object

    def _headers(self, extra):
        return {
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (extra or {}).items()},
        }

    def get(self, path, params=None, headers=None):
        return self.http.get(f"/fhir/R4/{path}", params or {}, **self._headers(headers))

    def post(self, path, body, headers=None):
        return self.http.post(
            f"/fhir/R4/{path}", json.dumps(body), content_type="application/fhir+json", **self._headers(headers)
        )

    def put(self, path, body, headers=None):
        """PUT as a client that read `body` does: If-Match names the version it read (unless `headers` say)."""
        version = (body.get("meta") or {}).get("versionId") if isinstance(body, dict) else None
        if version and "If-Match" not in (headers or {}):
            headers = {**(headers or {}), "If-Match": f'W/"{version}"'}
        return self.http.put(
            f"/fhir/R4/{path}", json.dumps(body), content_type="application/fhir+json", **self._headers(headers)
        )

    def delete(self, path):
        return self.http.delete(f"/fhir/R4/{path}", **self._headers(None))


def get_token(organization, scopes="system/*.*") -> str:
    client, secret = api_client_create(organization=organization, name="Test feed", scopes=scopes)
    response = Client().post(
        "/oauth/token", {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def fhir(db):
    organization = OrganizationFactory(name="Fhir Clinic", slug="fhirclinic")
    return FhirCaller(Client(), get_token(organization), organization)


@pytest.fixture
def make_caller(db):
    def make(organization, scopes="system/*.*"):
        return FhirCaller(Client(), get_token(organization, scopes), organization)

    return make


def assert_valid(resource: dict) -> dict:
    """Fails unless the resource validates against the FHIR R4 models; returns it."""
    validate_output(resource)
    return resource


def outcome_text(response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][0]["diagnostics"]


def patient_resource(mrn="MRN-1001", family="Okafor", given=("Adaeze",), birth="1958-04-12", **extra) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [
            {
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                "system": "urn:test:mrn",
                "value": mrn,
            }
        ],
        "name": [{"use": "official", "family": family, "given": list(given)}],
        "gender": "female",
        "birthDate": birth,
        **extra,
    }
