"""
RELIABILITY T21: fail closed. When the access decision itself fails (the test hook CARECOORD_ACCESS_FAULT
makes `patients_visible_to` raise, as a broken permission backend would), every patient endpoint answers 503
in its own format and shows no data. CareCoord keeps no permission cache and no Redis: visibility is decided
by the database on every request, so "clear the permission cache" and "stop Redis" have nothing to act on.
"""

import pytest
from django.test import Client

from carecoord.core.choices import Role
from carecoord.core.errors import AccessCheckUnavailableError
from carecoord.interop.fhir.clients import api_client_create, token_issue
from carecoord.patients.selectors import patients_visible_to
from tests.factories import PatientFactory, make_actor

FAMILY = "Failclosedsson"


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Fay", family_name=FAMILY, mrn="FC-1")


@pytest.fixture
def faulty(settings):
    settings.CARECOORD_ACCESS_FAULT = True


def test_the_selector_raises_the_unavailable_error(actor, patient, faulty):
    with pytest.raises(AccessCheckUnavailableError):
        patients_visible_to(actor)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/patients/", "html"),
        ("/patients/{id}/", "html"),
        ("/worklist/", "html"),
        ("/api/v1/patients/{id}", "json"),
        ("/api/v1/patients?q=Failclosedsson", "json"),
        ("/fhir/R4/Patient/{id}", "fhir"),
        ("/fhir/R4/Patient?family=Failclosedsson", "fhir"),
    ],
)
def test_every_patient_endpoint_answers_503_without_data(org, patient, client_for, url, kind, settings):
    client = client_for(make_actor(org, Role.COORDINATOR))
    url = url.format(id=patient.public_id)
    assert client.get(url).status_code == 200  # works while access can be decided
    settings.CARECOORD_ACCESS_FAULT = True
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 503, (url, response.status_code)
    assert FAMILY not in body
    assert "Traceback" not in body
    if kind == "json":
        assert response.json()["code"] == "unavailable"
    if kind == "fhir":
        assert response.json()["resourceType"] == "OperationOutcome"


def test_a_bearer_token_gets_503_too(org, patient, faulty):
    client_record, secret = api_client_create(organization=org, name="EHR", scopes="system/Patient.read")
    token, _ = token_issue(client_id=client_record.client_id, client_secret=secret)
    response = Client().get(f"/fhir/R4/Patient/{patient.public_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert FAMILY not in response.content.decode()
