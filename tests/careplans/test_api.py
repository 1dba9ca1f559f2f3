import datetime as dt
import json

import time_machine
from django.test import Client

from carecoord.careplans.models import Task

from ..factories import PatientFactory
from .factories import TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_worklist_api_matches_the_page_order_and_counts(actor, client_for):
    patient = PatientFactory(organization=actor.organization)
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 12, 1), title="Later")
    TaskFactory(patient=patient, owner=actor.user, due_date=dt.date(2026, 11, 2), title="Late")
    body = client_for(actor).get("/api/v1/worklist").json()
    assert [t["title"] for t in body["tasks"]] == ["Late", "Later"]
    assert body["counts"]["overdue"] == 1
    assert body["counts"]["upcoming"] == 1
    assert body["tasks"][0]["bucket"] == "overdue"
    assert body["tasks"][0]["patient_id"] == str(patient.public_id)


@time_machine.travel(NOW, tick=False)
def test_complete_via_api_with_version_and_errors(actor, client_for):
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    client = client_for(actor)
    url = f"/api/v1/tasks/{task.public_id}/complete"
    missing_note = client.post(url, json.dumps({"note": "", "version": task.version}), content_type="application/json")
    assert missing_note.status_code == 400
    assert missing_note.json()["field"] == "note"
    stale = client.post(url, json.dumps({"note": "done", "version": task.version + 5}), content_type="application/json")
    assert stale.status_code == 412  # RELIABILITY 7: a stale version is a failed precondition
    assert stale.json()["field"] == "version"
    ok = client.post(url, json.dumps({"note": "Reached", "version": task.version}), content_type="application/json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["task"]["status"] == "completed"
    assert Task.objects.get(pk=task.pk).outcome_note == "Reached"


def test_api_needs_a_session_and_hides_other_organizations(actor, other_actor, client_for):
    task = TaskFactory(patient=PatientFactory(organization=actor.organization), owner=actor.user)
    assert Client().get("/api/v1/worklist").status_code == 401
    assert client_for(other_actor).get(f"/api/v1/tasks/{task.public_id}").status_code == 404
    assert client_for(other_actor).get(f"/api/v1/patients/{task.patient.public_id}").status_code == 404


def test_openapi_description_is_served_to_signed_in_users_only(actor, client_for):
    assert Client().get("/api/v1/openapi.json").status_code == 302
    schema = client_for(actor).get("/api/v1/openapi.json").json()
    assert "/api/v1/worklist" in schema["paths"]
