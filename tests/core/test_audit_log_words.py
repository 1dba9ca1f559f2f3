"""
The audit log page reads in words for a privacy officer: events as labels (the code in a title and in the CSV),
records by kind, and patients by name where the viewer may see them (a consented share included), otherwise
whose patient it is; never a bare id. Times are in the organization's zone, and the header says so.
"""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import carecoord
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


def test_an_auditor_is_shown_the_names_of_patients_shared_with_the_organization(org, log, client_for):
    # The privacy officer checks what the staff opened: the audit log names a patient shared with the
    # organization to every reader of the log, an auditor too, though an auditor sees no chart.
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    assert "Lendmoor, Sharlotte (patient of Riverside Hospital)" in body
    assert "Crustwell, Almadine (WRD-1)" in body
    assert "Closetta" not in body  # never shared: whose patient, not who
    assert "Patient of Riverside Hospital" in body


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ORG_ADMIN])
def test_a_share_ended_hides_the_name_again_from_every_reader(org, log, client_for, role):
    from carecoord.patients.models import PatientShare

    PatientShare.objects.filter(patient=log["shared"]).update(revoked_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    body = page_of(client_for(make_actor(org, role)))
    assert "Lendmoor" not in body
    assert "Patient of Riverside Hospital" in body


def test_consent_withdrawn_hides_the_name_from_an_auditor(org, log, client_for):
    from carecoord.patients.choices import ConsentStatus
    from carecoord.patients.models import Consent

    Consent.objects.filter(patient=log["shared"]).update(status=ConsentStatus.INACTIVE)
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    assert "Lendmoor" not in body


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


# Varied codes: explicit labels, two codes sharing one label, derived labels (one or more dots, underscores,
# a hyphen), the readable fallback of an unknown verb, and a code with no dot.
VARIED_CODES = [
    "patient.view",
    "patient.read",
    "worklist.view",
    "priorauth.list",
    "careplan_template.create",
    "worklist.appointments.view",
    "appointment.checked-in",
    "widget.frobnicate",
    "widget.frob_nicate",
    "some_new_thing",
    "task.reassign",
    "transitions.stays.view",
]


def test_every_label_the_page_shows_filters_back_to_exactly_its_events(org, log, client_for):
    from carecoord.core.selectors import audit_events_for

    nurse = log["nurse"]
    for code in VARIED_CODES:
        audit_record(actor=nurse, event=code, target=log["alma"], patient=log["alma"])
    auditor = make_actor(org, Role.AUDITOR)
    shown = {e.event: event_label(e.event) for e in audit_events_for(actor=auditor, filters={})}
    assert set(VARIED_CODES) <= shown.keys()
    for code in VARIED_CODES:
        label = shown[code]
        expected = {c for c, other in shown.items() if other == label}
        for typed in (label, label.lower(), f"  {label.upper()} "):
            found = {e.event for e in audit_events_for(actor=auditor, filters={"event": typed})}
            assert found == expected, (code, typed)


def test_derived_labels_filter_on_the_page(org, log, client_for):
    nurse = log["nurse"]
    audit_record(actor=nurse, event="worklist.view")
    audit_record(actor=nurse, event="priorauth.list")
    client = client_for(make_actor(org, Role.AUDITOR))
    worklist = page_of(client, event="Worklist viewed")
    assert '<span title="worklist.view">Worklist viewed</span>' in worklist
    assert "No events match" not in worklist
    assert "Task reassigned</span>" not in worklist
    priorauth = page_of(client, event="Prior authorization list viewed")
    assert '<span title="priorauth.list">Prior authorization list viewed</span>' in priorauth
    assert "Worklist viewed</span>" not in priorauth
    assert "No events match" in page_of(client, event="Nothing like this viewed")


def test_a_code_prefix_still_filters(org, log, client_for):
    from carecoord.core.selectors import audit_events_for

    audit_record(actor=log["nurse"], event="worklist.appointments.view")
    auditor = make_actor(org, Role.AUDITOR)
    assert {e.event for e in audit_events_for(actor=auditor, filters={"event": "worklist."})} == {
        "worklist.appointments.view"
    }
    assert {e.event for e in audit_events_for(actor=auditor, filters={"event": "widget"})} == {"widget.frobnicate"}


def test_the_suggestions_include_the_derived_labels_of_the_events_shown(org, log, client_for):
    audit_record(actor=log["nurse"], event="worklist.view")
    body = page_of(client_for(make_actor(org, Role.AUDITOR)))
    assert '<option value="Worklist viewed">worklist.view</option>' in body
    assert '<option value="Widget: frobnicate">widget.frobnicate</option>' in body


def test_an_automatic_event_names_carecoord_as_its_user(org, log, client_for):
    audit_record(organization=org, event="hl7v2.message", action=AuditAction.CREATE)
    client = client_for(make_actor(org, Role.AUDITOR))
    body = page_of(client, event="hl7v2.message")
    assert "<td>CareCoord (automatic)</td>" in body
    person = page_of(client, event="task.reassign")
    assert "CareCoord (automatic)" not in person
    assert log["nurse"].user.email in person
    export = client.get(reverse("core:audit_export"), {"event": "hl7v2.message"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r["user_email"] for r in rows] == [""]  # the CSV keeps the raw (blank) value


# The audit event codes recorded in src/carecoord that no `event="..."` literal shows: built in f-strings
# (appointment statuses, outside outcomes, template edits, community records) or passed through a variable.
# Grepped 2026-11-27; with `codes_in_the_source()` they are every code recorded.
CODES_NOT_LITERAL = [
    "agency.create",
    "agency.update",
    "amendment.list",
    "appointment.arrived",
    "appointment.booked",
    "appointment.checked-in",
    "appointment.entered-in-error",
    "appointment.fulfilled",
    "appointment.noshow",
    "appointment.outside.attended",
    "appointment.outside.missed",
    "appointment_type.deactivate",
    "appointment_type.reactivate",
    "assessment.view",
    "careplan.view",
    "careplan_template.create",
    "careplan_template.goal_add",
    "careplan_template.goal_remove",
    "careplan_template.goal_update",
    "careplan_template.task_add",
    "careplan_template.task_remove",
    "careplan_template.task_update",
    "careplan_template.update",
    "episode.view",
    "fhir.create",
    "fhir.delete",
    "fhir.read",
    "fhir.update",
    "fhir.vread",
    "measurement.create",
    "medication_list.view",
    "medications.history",
    "medications.view",
    "note.view",
    "patient.deactivate",
    "patient.read",
    "patient.unrestrict",
    "practitioner.deactivate",
    "practitioner.reactivate",
    "reconciliation.view",
    "service.create",
    "service.update",
]


def codes_in_the_source() -> set[str]:
    """The literal codes recorded in src/carecoord now: `event="..."` and the `_audit(actor, "...", ...)` helpers."""
    source = Path(carecoord.__file__).parent
    literal = re.compile(r'(?:event="|_audit\(actor, ")([a-z][a-z0-9_\-]*(?:\.[a-z0-9_\-]+)+)"')
    return {code for path in source.rglob("*.py") for code in literal.findall(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("code", sorted(set(CODES_NOT_LITERAL) | codes_in_the_source()))
def test_every_recorded_code_reads_as_plain_english(code):
    label = event_label(code)
    assert ":" not in label  # the readable fallback of a verb with no past tense
    assert not re.search(r"[a-z0-9]_[a-z0-9]", label)  # a raw snake_case word
    assert label.lower() not in {code.lower(), code.replace(".", " ").lower()}
    assert label[:1].isupper()


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("billing.report", "Care-management billing report viewed"),
        ("transitions.stays.view", "Hospital stays viewed"),
        ("hl7v2.reviews.view", "Patient-match reviews viewed"),
        ("episode.tcm_plan", "Transitional care tasks planned"),
        ("service.status", "Community service status changed"),
    ],
)
def test_the_awkward_labels_seen_read_in_words(code, label):
    assert event_label(code) == label
