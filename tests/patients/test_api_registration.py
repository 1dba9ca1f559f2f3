"""
POST /api/v1/patients and PATCH /api/v1/patients/{id}: registration and the demographics/contact edit through
PatientForm and the registry's services. The front desk and the write roles succeed; an auditor and another
organization get 404; bad input answers 400 naming every field and writes nothing; a likely duplicate answers
409 with the candidates until confirmed; a stale version answers 412.
"""

import datetime as dt
import json

import pytest

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.patients.models import Patient

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor

URL = "/api/v1/patients"
BODY = {"mrn": "API-1", "given_name": "Rosa", "family_name": "Delgado", "birth_date": "1950-04-02",
        "gender": "female", "phone_primary": "(312) 555-0142", "preferred_language": "es",
        "interpreter_needed": True, "state": "IL"}  # fmt: skip


def send(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Ana", family_name="Reyes", birth_date=dt.date(1961, 5, 3))


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.COORDINATOR])
def test_the_front_desk_and_a_coordinator_register_a_patient(org, role):
    client = signed_in_client(make_actor(org, role))
    response = send(client, "POST", URL, BODY)
    assert response.status_code == 201, response.content
    answer = response.json()
    patient = Patient.objects.get(public_id=answer["id"])
    assert answer == client.get(f"{URL}/{patient.public_id}").json()  # the shape of GET /patients/{id}
    assert (patient.phone_primary, patient.interpreter_needed, patient.gender) == ("+13125550142", True, "female")
    assert patient.organization == org
    assert AuditEvent.objects.filter(event="patient.create", patient_public_id=patient.public_id).exists()


def test_model_defaults_apply_to_fields_left_out(org):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    body = {"mrn": "API-2", "given_name": "Li", "family_name": "Wong", "birth_date": "1970-01-02"}
    assert send(client, "POST", URL, body).status_code == 201
    patient = Patient.objects.get(mrn="API-2")
    assert (patient.gender, patient.preferred_language, patient.interpreter_needed) == ("unknown", "en", False)


def test_invalid_input_names_every_field_and_writes_nothing(org):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    before = AuditEvent.objects.filter(action="create").count()
    body = {**BODY, "birth_date": "2999-01-01", "phone_primary": "123", "given_name": "", "gender": "robot"}
    response = send(client, "POST", URL, body)
    assert response.status_code == 400, response.content
    answer = response.json()
    fields = {error["field"] for error in answer["errors"]}
    assert {"birth_date", "phone_primary", "given_name", "gender"} <= fields, answer
    assert answer["field"] in fields
    assert not Patient.objects.exists()
    assert AuditEvent.objects.filter(action="create").count() == before


def test_a_too_long_value_is_refused_by_the_schema_naming_the_field(org):
    response = send(signed_in_client(make_actor(org, Role.SCHEDULER)), "POST", URL, {**BODY, "mrn": "M" * 41})
    assert response.status_code == 400
    assert response.json()["field"] == "mrn"
    assert not Patient.objects.exists()


def test_a_taken_mrn_is_a_conflict_on_the_mrn(org, patient):
    response = send(signed_in_client(make_actor(org, Role.SCHEDULER)), "POST", URL, {**BODY, "mrn": patient.mrn})
    assert response.status_code == 409
    assert response.json()["field"] == "mrn"


def test_a_likely_duplicate_answers_409_with_the_candidates_until_confirmed(org, patient):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    body = {**BODY, "given_name": "Ana", "family_name": "Reyes", "birth_date": "1961-05-03"}
    stopped = send(client, "POST", URL, body)
    assert stopped.status_code == 409, stopped.content
    answer = stopped.json()
    assert answer["code"] == "possible-duplicate"
    assert [c["id"] for c in answer["candidates"]] == [str(patient.public_id)]
    assert answer["candidates"][0]["mrn"] == patient.mrn
    assert Patient.objects.count() == 1
    confirmed = send(client, "POST", URL, {**body, "confirm_not_duplicate": True})
    assert confirmed.status_code == 201, confirmed.content
    event = AuditEvent.objects.get(event="patient.create", patient_public_id=confirmed.json()["id"])
    assert event.detail["possible_duplicate_overridden"] is True


def test_an_auditor_gets_404_and_nothing_is_written(org, patient):
    client = signed_in_client(make_actor(org, Role.AUDITOR))
    assert send(client, "POST", URL, BODY).status_code == 404
    assert send(client, "PATCH", f"{URL}/{patient.public_id}", {"city": "X", "version": 1}).status_code == 404
    assert Patient.objects.count() == 1
    patient.refresh_from_db()
    assert patient.city != "X"


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.COORDINATOR])
def test_an_edit_changes_only_the_fields_sent_and_is_audited(org, patient, role):
    client = signed_in_client(make_actor(org, role))
    body = {"phone_primary": "312-555-0101", "city": "Chicago", "version": patient.version}
    response = send(client, "PATCH", f"{URL}/{patient.public_id}", body)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == patient.version + 1
    before = (patient.given_name, patient.birth_date, patient.mrn)
    patient.refresh_from_db()
    assert (patient.phone_primary, patient.city) == ("+13125550101", "Chicago")
    assert (patient.given_name, patient.birth_date, patient.mrn) == before
    event = AuditEvent.objects.get(event="patient.update", patient_public_id=patient.public_id)
    assert set(event.detail["fields"]) == {"phone_primary", "city"}


def test_a_stale_version_answers_412_and_saves_nothing(org, patient):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    url = f"{URL}/{patient.public_id}"
    assert send(client, "PATCH", url, {"city": "Evanston", "version": patient.version}).status_code == 200
    stale = send(client, "PATCH", url, {"city": "Skokie", "version": patient.version})
    assert stale.status_code == 412, stale.content
    assert stale.json()["code"] == "precondition-failed"
    assert stale.json()["field"] == "version"
    patient.refresh_from_db()
    assert patient.city == "Evanston"


def test_an_edit_without_a_version_or_with_bad_input_names_the_field(org, patient):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    url = f"{URL}/{patient.public_id}"
    missing = send(client, "PATCH", url, {"city": "Evanston"})
    assert (missing.status_code, missing.json()["field"]) == (400, "version")
    bad = send(client, "PATCH", url, {"postal_code": "ABCDE", "email": "nope", "version": patient.version})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"postal_code", "email"}
    version = patient.version
    patient.refresh_from_db()
    assert patient.version == version
    assert not AuditEvent.objects.filter(event="patient.update").exists()


def test_another_organizations_patient_is_404(org, other_org, patient):
    client = signed_in_client(make_actor(other_org, Role.SCHEDULER))
    response = send(client, "PATCH", f"{URL}/{patient.public_id}", {"city": "Elsewhere", "version": patient.version})
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.city != "Elsewhere"


def test_the_openapi_description_lists_the_writes(org):
    paths = signed_in_client(make_actor(org)).get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths[URL]
    assert "patch" in paths[f"{URL}/{{patient_id}}"]
