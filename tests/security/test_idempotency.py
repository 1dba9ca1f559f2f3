"""
T26 (RELIABILITY.md): a retried create is done once. Every POST of /api/v1 honours `Idempotency-Key`
(core/idempotency.py): the same key and body answer the first response again (same id, one row); the same key
with another body answers 422; ten concurrent clients sending one key create one row and all see its id; a key
lasts 24 hours; a key is the caller's own.
"""

import datetime as dt
import json

import pytest
import time_machine

from carecoord.careplans.models import CarePlan, Goal
from carecoord.core.choices import Role
from carecoord.core.idempotency import IdempotencyKey
from carecoord.scheduling.models import Appointment

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor
from ..scheduling.factories import clinic
from ._input_fixtures import fan_out, http_server, http_session  # noqa: F401  (http_server: a fixture)

CLIENTS = 10
CAREPLANS = "/api/v1/careplans"
BOOK = "/api/v1/scheduling/appointments"
START = "2030-01-07T10:00:00-06:00"  # a Monday 10:00 in Chicago, well in the future


def plan(patient, title="Heart failure plan", goals=3) -> dict:
    return {"patient": str(patient.public_id), "title": title, "category": "chronic", "start_date": "2026-03-01",
            "goals": [{"description": f"Goal {i}"} for i in range(goals)]}  # fmt: skip


def post(client, url, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def coordinator(org):
    return make_actor(org, Role.COORDINATOR, Role.SCHEDULER)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Teodora", family_name="Ruisdael")


def test_a_retry_with_the_same_key_answers_the_first_response(coordinator, patient):
    client = signed_in_client(coordinator)
    first = post(client, CAREPLANS, plan(patient), key="retry-1")
    again = post(client, CAREPLANS, plan(patient), key="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert CarePlan.objects.count() == 1
    assert Goal.objects.count() == 3
    assert IdempotencyKey.objects.count() == 1


def test_without_a_key_each_post_is_a_new_request(coordinator, patient):
    client = signed_in_client(coordinator)
    assert post(client, CAREPLANS, plan(patient)).status_code == 201
    assert post(client, CAREPLANS, plan(patient)).status_code == 201
    assert CarePlan.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("change", ["body", "path"])
def test_the_same_key_for_another_request_answers_422(coordinator, patient, change):
    client = signed_in_client(coordinator)
    assert post(client, CAREPLANS, plan(patient), key="k-1").status_code == 201
    if change == "body":
        response = post(client, CAREPLANS, plan(patient, title="Something else"), key="k-1")
    else:
        response = post(client, "/api/v1/tasks/00000000-0000-4000-8000-000000000000/complete", {}, key="k-1")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "Idempotency-Key"
    assert response.json()["code"] == "idempotency-key-reused"
    assert CarePlan.objects.count() == 1


def test_a_refusal_is_replayed_too_and_writes_nothing(coordinator, patient):
    client = signed_in_client(coordinator)
    bad = plan(patient)
    bad["goals"][1]["due_date"], bad["goals"][1]["start_date"] = "2026-01-01", "2026-02-01"
    first = post(client, CAREPLANS, bad, key="bad-1")
    again = post(client, CAREPLANS, bad, key="bad-1")
    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json() == first.json()
    assert not CarePlan.objects.exists()


def test_keys_are_per_caller(coordinator, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    mine = post(signed_in_client(coordinator), CAREPLANS, plan(patient), key="shared-key")
    theirs = post(signed_in_client(colleague), CAREPLANS, plan(patient), key="shared-key")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs


def test_a_key_expires_after_24_hours(coordinator, patient):
    client = signed_in_client(coordinator)
    first = post(client, CAREPLANS, plan(patient), key="daily")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)):
        # a new session: the first one has ended by then (the session lifetime is shorter than a day)
        again = post(signed_in_client(coordinator), CAREPLANS, plan(patient), key="daily")
        assert again.json()["id"] == first.json()["id"]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)):
        later = post(signed_in_client(coordinator), CAREPLANS, plan(patient), key="daily")
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "naïve"])
def test_a_malformed_key_answers_400(coordinator, patient, key):
    response = post(signed_in_client(coordinator), CAREPLANS, plan(patient), key=key)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "Idempotency-Key"
    assert not CarePlan.objects.exists()


def test_anonymous_callers_still_get_401(patient):
    from django.test import Client

    response = post(Client(), CAREPLANS, plan(patient), key="anon")
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


# Ten concurrent clients over HTTP, on the database the server really uses -------------------------------------


def test_ten_concurrent_retries_create_one_row_and_all_see_its_id(http_server, org):  # noqa: F811
    actor = make_actor(org, Role.COORDINATOR, Role.SCHEDULER)
    practitioner, location, kind = clinic(org)
    someone = PatientFactory(organization=org, given_name="Ilsabe", family_name="Marchetti")
    body = {"patient": str(someone.public_id), "practitioner": str(practitioner.public_id),
            "location": str(location.public_id), "type": str(kind.public_id), "start": START}  # fmt: skip
    sessions = [http_session(actor) for _ in range(CLIENTS)]

    def send(session, url, key, payload):
        return lambda: session.post(f"{http_server}{url}", json=payload, headers={"Idempotency-Key": key}, timeout=60)

    for url, key, payload in ((BOOK, "booking-1", body), (CAREPLANS, "plan-1", plan(someone, goals=5))):
        responses = fan_out([send(session, url, key, payload) for session in sessions])
        assert [r.status_code for r in responses] == [201] * CLIENTS, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == CLIENTS - 1
        # The client timed out and retries later, once more.
        late = send(sessions[0], url, key, payload)()
        assert late.json()["id"] == responses[0].json()["id"]
    assert Appointment.objects.count() == 1
    assert CarePlan.objects.count() == 1
    assert Goal.objects.count() == 5
    assert IdempotencyKey.objects.count() == 2
    # Same key, other body, concurrently: exactly the stored request is replayed, the rest are refused.
    other = {**body, "start": "2030-01-07T13:00:00-06:00"}
    refused = fan_out([send(session, BOOK, "booking-1", other) for session in sessions])
    assert {r.status_code for r in refused} == {422}
    assert Appointment.objects.count() == 1
