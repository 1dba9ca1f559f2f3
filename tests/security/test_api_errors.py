"""
T04 (RELIABILITY.md), negative mode of the JSON API: every refusal of /api/v1 carries the structured
{"code", "message"} JSON body, the framework's own ones included. Walks every operation of the OpenAPI
description with each method its path does not accept (405 with an Allow header naming the accepted ones),
then unknown paths and malformed ids (404/400), signed in and signed out.
"""

import uuid

import pytest

from carecoord.api import api
from carecoord.core.choices import Role

from ..conftest import signed_in_client
from ..factories import make_actor

PREFIX = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SCHEMA = api.get_openapi_schema()


def concrete(path: str, operations: dict) -> str:
    """The path with its parameters filled in (a random UUID, or 1 for integers)."""
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                value = "1" if parameter["schema"].get("type") == "integer" else str(uuid.uuid4())
                path = path.replace("{" + parameter["name"] + "}", value)
    return path


WRONG_METHODS = [
    pytest.param(path, method, id=f"{method} {path}")
    for path, operations in SCHEMA["paths"].items()
    for method in METHODS
    if method.lower() not in operations
]


@pytest.fixture
def client(org):
    return signed_in_client(make_actor(org, Role.COORDINATOR, Role.SCHEDULER))


def call(client, method: str, url: str):
    return client.generic(method, url, b"{}", content_type="application/json")


def assert_structured(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].split(";")[0] == "application/json", response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict), body
    assert {"code", "message"} <= body.keys(), body
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def test_the_walk_covers_every_path_of_the_description():
    assert len(SCHEMA["paths"]) >= 10
    assert all(path.startswith(PREFIX) for path in SCHEMA["paths"])
    assert len(WRONG_METHODS) >= 4 * len(SCHEMA["paths"])


@pytest.mark.parametrize(("path", "method"), WRONG_METHODS)
def test_a_method_the_operation_does_not_accept_answers_a_structured_405(client, path, method):
    operations = SCHEMA["paths"][path]
    response = call(client, method, concrete(path, operations))
    body = assert_structured(response, 405, "method-not-allowed")
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert allowed == {m.upper() for m in operations}, response["Allow"]
    assert method in body["message"]


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
def test_a_wrong_method_answers_405_before_authentication(db, method):
    from django.test import Client

    for path, operations in SCHEMA["paths"].items():
        if method.lower() in operations:
            continue  # PATCH /patients/{patient_id} is an operation (its signed-out 401 is tested below)
        response = call(Client(), method, concrete(path, operations))
        assert_structured(response, 405, "method-not-allowed")


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_the_openapi_description_and_the_root_refuse_writes_in_the_shape(client, method):
    for url in (f"{PREFIX}/openapi.json", f"{PREFIX}/"):
        response = call(client, method, url)
        assert_structured(response, 405, "method-not-allowed")
        assert response["Allow"] == "GET"
    assert client.get(f"{PREFIX}/openapi.json").json()["paths"].keys() == SCHEMA["paths"].keys()


@pytest.mark.parametrize(
    "url",
    [f"{PREFIX}/nothing-here", f"{PREFIX}/patients/{uuid.uuid4()}/extra", f"{PREFIX}/tasks/", f"{PREFIX}/v2/tasks",
     f"{PREFIX}/patients/{uuid.uuid4()}/%2e%2e/%2e%2e/etc/passwd", "/api/v2/patients"],
)  # fmt: skip
@pytest.mark.parametrize("signed_in", [True, False])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_path_answers_a_structured_404(org, client, url, signed_in, method):
    from django.test import Client

    response = call(client if signed_in else Client(), method, url)
    assert_structured(response, 404)


def test_unknown_records_and_malformed_ids_answer_structured_refusals(client):
    assert_structured(client.get(f"{PREFIX}/patients/{uuid.uuid4()}"), 404, "not-found")
    assert_structured(client.get(f"{PREFIX}/tasks/{uuid.uuid4()}"), 404, "not-found")
    body = assert_structured(client.get(f"{PREFIX}/patients/not-a-uuid"), 400, "invalid")
    assert body["field"] == "patient_id"


def test_signed_out_calls_answer_a_structured_401(db):
    from django.test import Client

    for path, operations in SCHEMA["paths"].items():
        url = concrete(path, operations)
        for method in operations:
            response = call(Client(), method.upper(), url)
            assert_structured(response, 401)


def test_a_form_body_to_the_json_api_is_a_structured_415(actor, client_for):
    client = client_for(actor)
    for data, content_type in [({"patient": "x"}, None), ("patient=x", "application/x-www-form-urlencoded")]:
        kwargs = {"content_type": content_type} if content_type else {}
        response = client.post("/api/v1/scheduling/appointments", data, **kwargs)
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported-media-type"
