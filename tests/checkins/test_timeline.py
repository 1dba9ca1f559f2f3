"""The patient timeline: every kind of record in one chronological view, filtered and paged."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from carecoord.checkins import services
from carecoord.checkins.models import Measurement, TimeEntry
from carecoord.checkins.selectors import patient_timeline
from carecoord.core.models import AuditEvent
from carecoord.scheduling.models import Appointment, AppointmentType

from ..careplans.factories import TaskFactory
from ..factories import LocationFactory, PatientFactory, PractitionerFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def history(actor, patient):
    """One record of each kind, a day apart: newest the note (1 day ago), oldest the appointment (7)."""
    org, user = actor.organization, actor.user
    note = services.note_create(actor=actor, patient=patient, template="phone_checkin",
                                data={"title": "Weekly call", "occurred_at": ago(1), "body": "ok"})  # fmt: skip
    services.outreach_record(actor=actor, patient=patient, method="phone", outcome="no_answer", occurred_at=ago(2))
    services.assessment_record(actor=actor, patient=patient, instrument="phq2", answers={"phq2-1": 1, "phq2-2": 0},
                               occurred_at=ago(3))  # fmt: skip
    Measurement.objects.create(organization=org, patient=patient, kind="weight", loinc="29463-7", value=81,
                               unit="kg", occurred_at=ago(4), by=user)  # fmt: skip
    TimeEntry.objects.create(organization=org, patient=patient, user=user, activity="call", source="manual",
                             started_at=ago(5), minutes=12)  # fmt: skip
    with time_machine.travel(ago(6), tick=False):
        TaskFactory(patient=patient, owner=user, title="Send foot-care handout")
    practitioner = PractitionerFactory(organization=org)
    kind = AppointmentType.objects.create(organization=org, name="Follow-up visit", duration_minutes=30)
    Appointment.objects.create(organization=org, patient=patient, practitioner=practitioner, appointment_type=kind,
                               location=LocationFactory(organization=org), start=ago(7),
                               end=ago(7) + dt.timedelta(minutes=30))  # fmt: skip
    return note


def test_every_kind_in_one_chronological_view_with_links(actor, patient, history):
    timeline = patient_timeline(actor, patient)
    kinds = [e.kind for e in timeline.entries]
    assert kinds == ["note", "outreach", "assessment", "measurement", "time", "task", "appointment"]
    assert timeline.entries[0].url == reverse("checkins:note_detail", args=[history.public_id])
    assert timeline.entries[-1].title == "Appointment: Follow-up visit"
    assert not timeline.has_next


def test_one_query_per_kind(actor, patient, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        patient_timeline(actor, patient)


def test_filters_by_kind_and_date_range_and_pages(actor, patient, history):
    only = patient_timeline(actor, patient, kinds=["note", "task"])
    assert [e.kind for e in only.entries] == ["note", "task"]
    window = patient_timeline(actor, patient, start=ago(5.5), end=ago(2.5))
    assert [e.kind for e in window.entries] == ["assessment", "measurement", "time"]
    first = patient_timeline(actor, patient, page_size=3)
    second = patient_timeline(actor, patient, page=2, page_size=3)
    third = patient_timeline(actor, patient, page=3, page_size=3)
    assert first.has_next
    assert second.has_next
    assert not third.has_next
    assert [e.kind for e in first.entries + second.entries + third.entries] == [
        "note", "outreach", "assessment", "measurement", "time", "task", "appointment",
    ]  # fmt: skip


def test_the_timeline_page_filters_audits_and_refuses_bad_input(actor, client_for, other_actor, patient, history):
    client = client_for(actor)
    url = reverse("checkins:patient_timeline", args=[patient.public_id])
    page = client.get(url).content.decode()
    assert "Weekly call" in page
    assert "Send foot-care handout" in page
    assert 'aria-current="page">Timeline' in page
    filtered = client.get(url, {"kinds": ["task"], "date_from": "2026-11-19", "date_to": "2026-11-26"})
    assert "Send foot-care handout" in filtered.content.decode()
    assert "Weekly call" not in filtered.content.decode()
    assert client.get(url, {"date_from": "2026-11-26", "date_to": "2026-11-01"}).status_code == 400
    assert client.get(url, {"kinds": ["bogus"]}).status_code == 400
    assert AuditEvent.objects.filter(event="timeline.view", patient_public_id=patient.public_id).exists()
    assert client_for(other_actor).get(url).status_code == 404
