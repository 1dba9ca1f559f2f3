"""The scheduling JSON API over HTTP: slots, listing, booking and the appointment's changes."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.scheduling.models import Appointment, PatientSchedulingPreference

from ..conftest import signed_in_client
from ..factories import PatientFactory, PractitionerFactory, make_actor
from .factories import clinic, weekly_hours

NOW = dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC)  # Tuesday 08:00 in Chicago
BASE = "/api/v1/scheduling"
pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org):
    scheduler = make_actor(org, Role.SCHEDULER, Role.COORDINATOR)
    practitioner, location, kind = clinic(org, family_name="Lindqvist", languages=["en", "es"])
    patient = PatientFactory(organization=org, given_name="Ada", family_name="Okafor")
    return {"actor": scheduler, "practitioner": practitioner, "location": location, "type": kind, "patient": patient}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def book(client, world, start="2026-03-04T10:00:00-06:00", patient=None):
    return post(
        client,
        f"{BASE}/appointments",
        {
            "patient": str((patient or world["patient"]).public_id),
            "practitioner": str(world["practitioner"].public_id),
            "location": str(world["location"].public_id),
            "type": str(world["type"].public_id),
            "start": start,
            "reason": "Diabetes follow-up",
        },
    )


def test_slots_with_filters_in_the_organizations_time(world):
    client = signed_in_client(world["actor"])
    other = PractitionerFactory(organization=world["actor"].organization, languages=["fr"])
    weekly_hours(other, world["location"], [world["type"]], weekdays=[1], start=dt.time(8), end=dt.time(9))
    response = client.get(
        f"{BASE}/slots", {"type": str(world["type"].public_id), "from": "2026-03-03", "to": "2026-03-03"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["appointment_type"]["name"] == world["type"].name
    first = body["slots"][0]
    assert first["start"] == "2026-03-03T08:00:00-06:00"  # the French speaker's 08:00, earliest first
    assert first["practitioner"]["id"] == str(other.public_id)
    spanish = client.get(
        f"{BASE}/slots",
        {"type": str(world["type"].public_id), "from": "2026-03-03", "to": "2026-03-03", "language": "es"},
    ).json()["slots"]
    assert spanish[0]["start"] == "2026-03-03T09:00:00-06:00"
    assert spanish[0]["end"] == "2026-03-03T09:30:00-06:00"
    assert {s["practitioner"]["name"] for s in spanish} == {world["practitioner"].display_name}
    assert spanish[0]["location"] == {"id": str(world["location"].public_id), "name": world["location"].name}
    only = client.get(
        f"{BASE}/slots",
        {
            "type": str(world["type"].public_id),
            "from": "2026-03-03",
            "to": "2026-03-03",
            "practitioner": str(other.public_id),
        },
    ).json()["slots"]
    assert [s["start"][11:16] for s in only] == ["08:00", "08:15", "08:30"]


def test_slots_apply_the_patients_availability_and_bookings(world):
    org = world["actor"].organization
    PatientSchedulingPreference.objects.create(
        organization=org, patient=world["patient"], weekdays=[3], earliest_time=dt.time(14), latest_time=dt.time(15)
    )
    client = signed_in_client(world["actor"])
    query = {"type": str(world["type"].public_id), "from": "2026-03-03", "to": "2026-03-09"}
    query["patient"] = str(world["patient"].public_id)
    starts = [s["start"] for s in client.get(f"{BASE}/slots", query).json()["slots"]]
    assert starts == ["2026-03-05T14:00:00-06:00", "2026-03-05T14:15:00-06:00", "2026-03-05T14:30:00-06:00"]
    everything = client.get(f"{BASE}/slots", {**query, "use_patient_availability": "false"}).json()["slots"]
    assert len(everything) > 3


def test_slots_refuse_bad_input_with_code_message_and_field(world):
    client = signed_in_client(world["actor"])
    kind = str(world["type"].public_id)
    cases = [
        ({}, 400, "type"),
        ({"type": kind, "from": "03/03/2026"}, 400, "from"),
        ({"type": kind, "from": "2026-03-10", "to": "2026-03-01"}, 400, "to"),
        ({"type": kind, "from": "2026-03-01", "to": "2026-12-31"}, 400, "to"),
        ({"type": "not-an-id"}, 404, "type"),
    ]
    for query, status, field in cases:
        response = client.get(f"{BASE}/slots", query)
        assert response.status_code == status, (query, response.content)
        body = response.json()
        assert body["field"] == field
        assert body["code"] in ("invalid", "not-found")
        assert body["message"]


def test_book_list_reschedule_status_and_cancel(world):
    client = signed_in_client(world["actor"])
    response = book(client, world)
    assert response.status_code == 201, response.content
    booked = response.json()
    assert booked["start"] == "2026-03-04T10:00:00-06:00"
    assert booked["end"] == "2026-03-04T10:30:00-06:00"
    assert booked["status"] == "booked"
    assert booked["patient"]["id"] == str(world["patient"].public_id)
    assert booked["reason"] == "Diabetes follow-up"
    url = f"{BASE}/appointments/{booked['id']}"

    listed = client.get(
        f"{BASE}/appointments", {"patient": str(world["patient"].public_id), "from": "2026-03-01", "to": "2026-03-31"}
    )
    assert [a["id"] for a in listed.json()["appointments"]] == [booked["id"]]
    assert AuditEvent.objects.filter(event="appointment.list", patient_public_id=world["patient"].public_id).exists()
    assert client.get(f"{BASE}/appointments", {"from": "2026-04-01", "to": "2026-04-30"}).json()["appointments"] == []

    moved = post(client, f"{url}/reschedule", {"start": "2026-03-05T11:00:00-06:00", "version": booked["version"]})
    assert moved.status_code == 200, moved.content
    assert moved.json()["start"] == "2026-03-05T11:00:00-06:00"
    stale = post(client, f"{url}/reschedule", {"start": "2026-03-05T13:00:00-06:00", "version": booked["version"]})
    assert stale.status_code == 412  # RELIABILITY 7: a stale version is a failed precondition
    assert (stale.json()["code"], stale.json()["field"]) == ("precondition-failed", "version")

    early = post(client, f"{url}/status", {"status": "arrived"})
    assert early.status_code == 409, early.content  # not before the day of the visit
    with time_machine.travel(dt.datetime(2026, 3, 5, 16, 30, tzinfo=dt.UTC), tick=False):
        client = signed_in_client(world["actor"])  # signed in on the day (sessions end when idle)
        confirmed = post(client, f"{url}/status", {"status": "arrived"})
        assert confirmed.status_code == 200, confirmed.content
        assert confirmed.json()["status"] == "arrived"
        bad_status = post(client, f"{url}/status", {"status": "partying"})
        assert (bad_status.status_code, bad_status.json()["field"]) == (400, "status")

        no_reason = post(client, f"{url}/cancel", {"note": "x"})
        assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
        cancelled = post(client, f"{url}/cancel", {"reason": "pat", "note": "Feeling better"})
        assert cancelled.status_code in (200, 409), cancelled.content  # arrived visits may not be cancellable
        assert client.get(url).json()["id"] == booked["id"]


def test_cancel_a_booked_appointment(world):
    client = signed_in_client(world["actor"])
    booked = book(client, world).json()
    response = post(
        client, f"{BASE}/appointments/{booked['id']}/cancel", {"reason": "pat", "version": booked["version"]}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancellation_reason"]) == ("cancelled", "pat")


def test_double_booking_answers_409_and_leaves_one_appointment(world):
    client = signed_in_client(world["actor"])
    assert book(client, world).status_code == 201
    other_patient = PatientFactory(organization=world["actor"].organization)
    clash = book(client, world, start="2026-03-04T10:15:00-06:00", patient=other_patient)
    assert clash.status_code == 409
    assert clash.json()["code"] == "conflict"
    assert "practitioner already has an appointment" in clash.json()["message"]
    assert Appointment.objects.count() == 1


def test_booking_refuses_bad_input(world):
    client = signed_in_client(world["actor"])
    naive = book(client, world, start="2026-03-04T10:00:00")
    assert (naive.status_code, naive.json()["field"]) == (400, "start")
    garbage = book(client, world, start="tomorrow")
    assert (garbage.status_code, garbage.json()["field"]) == (400, "start")
    outside_hours = book(client, world, start="2026-03-04T18:00:00-06:00")
    assert (outside_hours.status_code, outside_hours.json()["field"]) == (400, "start")
    missing = post(client, f"{BASE}/appointments", {"start": "2026-03-04T10:00:00-06:00"})
    assert (missing.status_code, missing.json()["field"]) == (400, "patient")
    huge = book(client, world, start="2026-03-04T10:00:00-06:00" + "x" * 1_000_000)
    assert (huge.status_code, huge.json()["field"]) == (400, "start")
    assert len(huge.content) < 2_000  # the value is not echoed back
    assert not Appointment.objects.exists()


def test_other_organizations_get_404_and_anonymous_401(world, other_org):
    client = signed_in_client(world["actor"])
    booked = book(client, world).json()
    intruder = signed_in_client(make_actor(other_org, Role.SCHEDULER, Role.ORG_ADMIN, Role.COORDINATOR))
    url = f"{BASE}/appointments/{booked['id']}"
    assert intruder.get(url).status_code == 404
    for action, body in [("reschedule", {"start": "2026-03-05T11:00:00-06:00", "version": 1}),
                         ("cancel", {"reason": "pat"}), ("status", {"status": "arrived"})]:  # fmt: skip
        response = post(intruder, f"{url}/{action}", body)
        assert response.status_code == 404, action
        assert "Okafor" not in response.content.decode()
    assert intruder.get(f"{BASE}/appointments", {"patient": str(world["patient"].public_id)}).status_code == 404
    assert intruder.get(f"{BASE}/slots", {"type": str(world["type"].public_id)}).status_code == 404
    assert book(intruder, world).status_code == 404
    assert intruder.get(f"{BASE}/appointments").json()["appointments"] == []
    assert Appointment.objects.get().status == "booked"
    assert Client().get(f"{BASE}/slots").status_code == 401
    assert Client().post(f"{url}/cancel", "{}", content_type="application/json").status_code == 401


def test_auditors_see_no_scheduling(org, world):
    auditor = signed_in_client(make_actor(org, Role.AUDITOR))
    assert auditor.get(f"{BASE}/appointments").status_code == 404
    refused = book(auditor, world)
    assert (refused.status_code, refused.json()["code"]) == (404, "not-found")
    assert not Appointment.objects.exists()


def test_openapi_lists_the_scheduling_endpoints(world):
    paths = signed_in_client(world["actor"]).get("/api/v1/openapi.json").json()["paths"]
    assert f"{BASE}/slots" in paths
    assert f"{BASE}/appointments/{{appointment_id}}/reschedule" in paths
