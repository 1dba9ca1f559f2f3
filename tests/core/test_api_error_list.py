"""
The JSON API's refusals list every problem in "errors" ({"field", "message"} each), while "code", "message"
and "field" stay the first problem's, as older clients read them.
"""

import datetime as dt
import json
import uuid

import time_machine
from django.test import RequestFactory

from carecoord.api import application_error
from carecoord.careplans.models import CarePlan
from carecoord.core.errors import ConflictError, ValidationError

from ..careplans.factories import TaskFactory
from ..factories import PatientFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def post(client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_body_with_several_bad_fields_lists_them_all(actor, client_for):
    patient = PatientFactory(organization=actor.organization)
    body = {"patient": str(patient.public_id), "title": "", "category": "x" * 31, "start_date": "not-a-date"}
    response = post(client_for(actor), "/api/v1/careplans", body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "invalid"
    fields = [error["field"] for error in answer["errors"]]
    assert set(fields) == {"title", "category", "start_date"}
    assert all(isinstance(error["message"], str) and error["message"] for error in answer["errors"])
    # The first problem is still the top-level one.
    first = answer["errors"][0]
    assert answer["field"] == first["field"]
    assert answer["message"] == f"{first['field']}: {first['message']}"
    assert not CarePlan.objects.exists()


def test_nested_bad_fields_are_named_by_their_path(actor, client_for):
    patient = PatientFactory(organization=actor.organization)
    body = {
        "patient": str(patient.public_id),
        "title": "Plan",
        "category": "chronic",
        "start_date": "2026-11-01",
        "goals": [{"description": "ok"}, {"description": ""}, {"description": "y", "due_date": "nope"}],
    }
    answer = post(client_for(actor), "/api/v1/careplans", body).json()
    assert [error["field"] for error in answer["errors"]] == ["goals[1].description", "goals[2].due_date"]


@time_machine.travel(NOW, tick=False)
def test_a_single_problem_is_the_one_item_of_errors(actor, client_for):
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    url = f"/api/v1/tasks/{task.public_id}/complete"
    answer = post(client_for(actor), url, {"note": "", "version": task.version}).json()
    assert answer["field"] == "note"
    assert answer["errors"] == [{"field": "note", "message": answer["message"]}]
    stale = post(client_for(actor), url, {"note": "done", "version": task.version + 5})
    assert stale.status_code == 412
    assert stale.json()["errors"] == [{"field": "version", "message": stale.json()["message"]}]


def test_a_path_parameter_that_is_not_an_id_is_listed(actor, client_for):
    answer = client_for(actor).get("/api/v1/patients/not-a-uuid").json()
    assert answer["errors"] == [{"field": "patient_id", "message": answer["errors"][0]["message"]}]
    assert answer["field"] == "patient_id"


def test_a_validation_error_of_several_fields_answers_every_one():
    # The API's own handler, called with one as a service raises it (POST /api/v1/patients answers one over
    # HTTP: tests/patients/test_api_registration.py).
    exc = ValidationError.of(
        {"birth_date": ["The date of birth cannot be in the future."], "phone_primary": ["Enter 10 digits.", "No."]}
    )
    response = application_error(RequestFactory().post("/api/v1/patients"), exc)
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "code": "invalid",
        "message": "The date of birth cannot be in the future.",
        "field": "birth_date",
        "errors": [
            {"field": "birth_date", "message": "The date of birth cannot be in the future."},
            {"field": "phone_primary", "message": "Enter 10 digits."},
            {"field": "phone_primary", "message": "No."},
        ],
    }


def test_an_error_about_no_field_lists_a_null_field():
    response = application_error(RequestFactory().get("/api/v1/"), ConflictError(f"Stale {uuid.uuid4()}."))
    body = json.loads(response.content)
    assert "field" not in body
    assert body["errors"] == [{"field": None, "message": body["message"]}]
