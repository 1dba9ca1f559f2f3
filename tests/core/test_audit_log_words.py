"""
The audit log page reads in words for a privacy officer: events as labels (the code in a title and in the CSV),
records by kind, and patients by name where the viewer may see them (a consented share included), otherwise
whose patient it is; never a bare id. Times are in the organization's zone, and the header says so.
"""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.careplans import services as careplan_services
from carecoord.core.audit import audit_record
from carecoord.core.audit_labels import event_label, object_kind
from carecoord.core.choices import AuditAction, Role
from tests.factories import PatientFactory, make_actor, share_by_consent


@pytest.fixture
def log(org, other_org):
    nurse = make_actor(org, Role.COORDINATOR)
    alma = PatientFactory(organization=org, given_name="Almadine", family_name="Crustwell", mrn="WRD-1")
    shared = PatientFactory(organization=other_org, given_name="Sharlotte", family_name="Lendmoor", mrn="RIV-7")
    hidden = PatientFactory(organization=other_org, given_name="Hidamar", family_name="Closetta", mrn="RIV-8")
    share_by_consent(make_actor(other_org, Role.ORG_ADMIN), shared, org, dt.date(2026, 1, 5))
    task = careplan_services.task_create(
        actor=nurse, patient=alma, kind="call", title="Call about glucose log", due_date=None, owner=nurse.user
    )
    audit_record(actor=nurse, event="task.reassign", action=AuditAction.UPDATE, target=task, patient=alma)
    audit_record(actor=nurse, event="patient.view", target=shared, patient=shared)
    audit_record(actor=nurse, event="widget.frobnicate", action=AuditAction.EXECUTE, target=alma, patient=alma)
    # An event of the organization naming another organization's patient not shared with it.
    audit_record(actor=nurse, event="patient.view", target=hidden, patient=hidden)
    return {"nurse": nurse, "alma": alma, "shared": shared, "hidden": hidden, "task": task}


def page_of(client, **query) -> str:
    response = client.get(reverse("core:audit_log"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_labels_derive_from_the_code_and_an_unknown_code_still_reads():
    assert event_label("task.reassign") == "Task reassigned"
    assert event_label("patient.view") == "Patient chart viewed"
    assert event_label("careplan.create") == "Care plan created"
    assert event_label("appointment.cancel") == "Appointment canceled"
    assert event_label("widget.frobnicate") == "Widget: frobnicate"
    assert event_label("some_new_thing") == "Some new thing"
    assert event_label("") == "Unnamed event"
    assert object_kind("careplans.CarePlan") == "Care plan"
    assert object_kind("scheduling.Appointment") == "Appointment"
    assert object_kind("gone.SomeOldModel") == "Some old model"
    assert object_kind("") == ""


def test_events_show_in_words_with_the_code_in_the_title(org, log, client_for):
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    assert '<span title="task.reassign">Task reassigned</span>' in body
    assert '<span title="patient.view">Patient chart viewed</span>' in body
    assert '<span title="widget.frobnicate">Widget: frobnicate</span>' in body
    assert "<td>task.reassign</td>" not in body


def test_the_record_column_names_the_kind_not_the_model(org, log, client_for):
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    task_id = str(log["task"].public_id)
    assert f'<span title="Task {task_id}">Task</span>' in body
    assert "careplans.Task" not in body
    assert "patients.Patient" not in body


def test_a_shared_patient_is_named_to_a_viewer_it_is_shared_with(org, log, client_for):
    body = page_of(client_for(make_actor(org, Role.ORG_ADMIN)))
    assert "Lendmoor, Sharlotte (patient of Riverside Hospital)" in body
    assert f">{log['shared'].public_id}<" not in body  # never a bare id as the cell's text


def test_a_patient_the_viewer_may_not_see_is_not_named(org, log, client_for):
    body = page_of(client_for(make_actor(org, Role.ORG_ADMIN)))
    assert "Closetta" not in body
    assert "Hidamar" not in body
    assert "Patient of Riverside Hospital" in body
    assert f">{log['hidden'].public_id}<" not in body


def test_an_auditor_without_a_clinical_role_is_not_shown_shared_names(org, log, client_for):
    # The share opens the patient to the organization's clinical roles (patients_visible_to); an auditor's
    # role alone does not, so the page says whose patient it is rather than naming them.
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    assert "Lendmoor" not in body
    assert "Patient of Riverside Hospital" in body
    assert "Crustwell, Almadine (WRD-1)" in body


def test_a_share_ended_hides_the_name_again(org, other_org, log, client_for):
    from carecoord.patients.models import PatientShare

    PatientShare.objects.filter(patient=log["shared"]).update(revoked_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    body = page_of(client_for(make_actor(org, Role.ORG_ADMIN)))
    assert "Lendmoor" not in body


def test_the_page_reads_in_a_constant_number_of_queries(org, other_org, log, client_for):
    client = client_for(make_actor(org, Role.ORG_ADMIN))
    page_of(client)  # warms the session and the caches
    with CaptureQueriesContext(connection) as few:
        page_of(client)
    nurse, home_admin = log["nurse"], make_actor(other_org, Role.ORG_ADMIN)
    for n in range(6):
        mine = PatientFactory(organization=org)
        theirs = PatientFactory(organization=other_org)
        hidden = PatientFactory(organization=other_org)
        share_by_consent(home_admin, theirs, org, dt.date(2026, 1, 5))
        for patient in (mine, theirs, hidden):
            audit_record(actor=nurse, event=f"thing{n}.poke", target=patient, patient=patient)
    with CaptureQueriesContext(connection) as many:
        body = page_of(client)
    assert body.count("(patient of Riverside Hospital)") == 7
    assert len(many) == len(few)


def test_the_event_filter_suggests_labels_and_accepts_one(org, log, client_for):
    client = client_for(make_actor(org, Role.AUDITOR))
    body = page_of(client)
    assert 'list="audit-event-labels"' in body
    assert '<option value="Task reassigned">task.reassign</option>' in body
    filtered = page_of(client, event="task reassigned")
    assert "Task reassigned</span>" in filtered
    assert "Patient chart viewed</span>" not in filtered
    by_code = page_of(client, event="task.")
    assert "Task reassigned</span>" in by_code
    assert "Patient chart viewed</span>" not in by_code


def test_the_header_names_the_zone_the_times_are_in(org, log, client_for):
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    assert "When (America/Chicago)" in body
    assert "When (UTC)" not in body


def test_the_csv_keeps_the_raw_codes_and_ids(org, log, client_for):
    export = client_for(make_actor(org, Role.AUDITOR)).get(reverse("core:audit_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {"task.reassign", "patient.view", "widget.frobnicate"} <= {r["event"] for r in rows}
    task_row = next(r for r in rows if r["event"] == "task.reassign")
    assert task_row["object_type"] == "careplans.Task"
    assert task_row["object_id"] == str(log["task"].public_id)
    assert str(log["shared"].public_id) in {r["patient_public_id"] for r in rows}
