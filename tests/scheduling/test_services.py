"""Booking, rescheduling, cancelling and status changes, against the real database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from carecoord.core.choices import Role
from carecoord.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.models import AuditEvent
from carecoord.scheduling import services
from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.models import Appointment, ClosedDate, PractitionerUnavailability
from carecoord.scheduling.selectors import appointment_get, appointments_for_patient
from carecoord.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_status_set,
)

from ..factories import LocationFactory, PatientFactory, PractitionerFactory, make_actor
from .factories import AppointmentTypeFactory, clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setup(org, actor):
    practitioner, location, kind = clinic(org)
    patient = PatientFactory(organization=org)
    return {"practitioner": practitioner, "location": location, "appointment_type": kind, "patient": patient}


def book(actor, setup, start, **overrides):
    return appointment_book(actor=actor, **{**setup, "start": start, **overrides})


def test_book_stores_utc_times_and_audits(actor, setup):
    appointment = book(actor, setup, at(9))
    assert appointment.start == dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
    assert appointment.end - appointment.start == dt.timedelta(minutes=30)
    assert appointment.status == S.BOOKED
    assert appointment.booked_by == actor.user
    event = AuditEvent.objects.get(event="appointment.book")
    assert event.patient_public_id == setup["patient"].public_id
    assert event.object_id == str(appointment.public_id)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (at(8, 30), "not seeing patients"),  # before opening
        (at(16, 45), "not seeing patients"),  # runs past closing
        (at(10, day=dt.date(2026, 11, 28)), "not seeing patients"),  # Saturday
        (at(10, day=dt.date(2026, 11, 26)), "not seeing patients"),  # Thanksgiving (Illinois holidays)
        (at(10, day=dt.date(2026, 11, 24)), "in the past"),
        (dt.datetime(2026, 11, 30, 10, 0), "time zone"),  # naive
    ],
)
def test_bad_times_are_refused(actor, setup, start, message):
    with pytest.raises(ValidationError, match=message):
        book(actor, setup, start)
    assert not Appointment.objects.exists()


def test_closed_date_and_unavailability_are_refused(org, actor, setup):
    ClosedDate.objects.create(organization=org, date=MONDAY, name="Staff day")
    with pytest.raises(ValidationError, match="not seeing patients"):
        book(actor, setup, at(10))
    ClosedDate.objects.all().delete()
    PractitionerUnavailability.objects.create(
        organization=org, practitioner=setup["practitioner"], start=at(9), end=at(13), reason="sick"
    )
    with pytest.raises(ValidationError, match="unavailable"):
        book(actor, setup, at(10))
    assert book(actor, setup, at(13))


def test_overlaps_for_practitioner_and_patient_are_conflicts(org, actor, setup):
    book(actor, setup, at(10))
    with pytest.raises(ConflictError, match="practitioner already has"):
        book(actor, setup, at(10, 15), patient=PatientFactory(organization=org))
    other, other_location, _ = clinic(org)
    weekly_hours(other, other_location, [setup["appointment_type"]])
    with pytest.raises(ConflictError, match="patient already has"):
        book(actor, setup, at(9, 45), practitioner=other, location=other_location)
    assert book(actor, setup, at(10, 30))  # back to back is fine
    assert Appointment.objects.count() == 2


def test_type_not_offered_or_wrong_location(org, actor, setup):
    telehealth = AppointmentTypeFactory(organization=org, name="Video visit", telehealth=True)
    with pytest.raises(ValidationError, match="does not offer Video visit"):
        book(actor, setup, at(10), appointment_type=telehealth)
    elsewhere = LocationFactory(organization=org)
    with pytest.raises(ValidationError, match="not seeing patients"):
        book(actor, setup, at(10), location=elsewhere)


def test_other_organizations_directory_entries_are_not_found(actor, setup, other_org):
    for field, value in [
        ("practitioner", PractitionerFactory(organization=other_org)),
        ("location", LocationFactory(organization=other_org)),
        ("appointment_type", AppointmentTypeFactory(organization=other_org)),
    ]:
        with pytest.raises(NotFoundError):
            book(actor, setup, at(10), **{field: value})


def test_another_organization_cannot_book_or_see_our_patients(actor, other_actor, other_org, setup):
    appointment = book(actor, setup, at(10))
    their_practitioner, their_location, their_type = clinic(other_org)
    with pytest.raises(NotFoundError):
        appointment_book(
            actor=other_actor,
            patient=setup["patient"],
            practitioner=their_practitioner,
            location=their_location,
            appointment_type=their_type,
            start=at(11),
        )
    with pytest.raises(NotFoundError):
        appointment_get(other_actor, appointment.public_id)
    with pytest.raises(NotFoundError):
        appointment_cancel(actor=other_actor, appointment=appointment, reason="pat")
    assert not appointments_for_patient(other_actor, setup["patient"]).exists()
    assert appointment_get(actor, appointment.public_id) == appointment


def test_an_auditor_cannot_book(org, setup):
    auditor = make_actor(org, Role.AUDITOR)
    with pytest.raises(PermissionDeniedError):
        book(auditor, setup, at(10))


def test_a_scheduler_can_book(org, setup):
    assert book(make_actor(org, Role.SCHEDULER), setup, at(10)).status == S.BOOKED


def test_cancel_needs_a_reason_frees_the_slot_and_audits(org, actor, setup):
    appointment = book(actor, setup, at(10))
    with pytest.raises(ValidationError, match="reason"):
        appointment_cancel(actor=actor, appointment=appointment, reason="")
    cancelled = appointment_cancel(actor=actor, appointment=appointment, reason="pat", note="Car trouble")
    assert cancelled.status == S.CANCELLED
    assert cancelled.cancelled_at == NOW
    assert AuditEvent.objects.filter(event="appointment.cancel", detail__reason="pat").exists()
    assert book(actor, setup, at(10), patient=PatientFactory(organization=org))
    with pytest.raises(InvalidStateError):
        appointment_cancel(actor=actor, appointment=cancelled, reason="pat")


def test_reschedule_moves_checks_and_uses_the_version(org, actor, setup):
    first = book(actor, setup, at(10))
    second = book(actor, setup, at(11), patient=PatientFactory(organization=org))
    moved = appointment_reschedule(actor=actor, appointment=first, start=at(10, 15), expected_version=1)
    assert moved.start == at(10, 15)
    assert moved.version == 2
    with pytest.raises(ConflictError, match="Someone else saved"):
        appointment_reschedule(actor=actor, appointment=first, start=at(14), expected_version=1)
    with pytest.raises(ConflictError, match="practitioner already has"):
        appointment_reschedule(actor=actor, appointment=first, start=at(11), expected_version=2)
    with pytest.raises(ValidationError, match="not seeing patients"):
        appointment_reschedule(actor=actor, appointment=first, start=at(18), expected_version=2)
    appointment_cancel(actor=actor, appointment=second, reason="prov")
    assert appointment_reschedule(actor=actor, appointment=first, start=at(11), expected_version=2).version == 3
    assert AuditEvent.objects.filter(event="appointment.reschedule").count() == 2


def test_visit_path_and_refused_transitions(actor, setup):
    appointment = book(actor, setup, at(10))
    with pytest.raises(InvalidStateError, match="no-show before it starts"):
        appointment_status_set(actor=actor, appointment=appointment, status=S.NOSHOW)
    with pytest.raises(InvalidStateError, match="cannot be marked fulfilled"):
        appointment_status_set(actor=actor, appointment=appointment, status=S.FULFILLED)
    with time_machine.travel(at(10, 5), tick=False):
        for status in (S.ARRIVED, S.CHECKED_IN, S.FULFILLED):
            appointment = appointment_status_set(actor=actor, appointment=appointment, status=status)
            assert Appointment.objects.get(pk=appointment.pk).status == status
    with pytest.raises(InvalidStateError, match="cannot be moved"):
        appointment_reschedule(actor=actor, appointment=appointment, start=at(14), expected_version=appointment.version)
    with pytest.raises(ValidationError, match="reason"):
        appointment_status_set(actor=actor, appointment=appointment, status=S.CANCELLED)
    assert appointment_status_set(actor=actor, appointment=appointment, status=S.ENTERED_IN_ERROR).status == (
        S.ENTERED_IN_ERROR
    )
    events = list(AuditEvent.objects.filter(event__startswith="appointment.").values_list("event", flat=True))
    assert {"appointment.arrived", "appointment.checked-in", "appointment.fulfilled"} <= set(events)


def test_arrived_waits_for_the_day_and_fulfilled_for_the_start(actor, setup):
    appointment = book(actor, setup, at(9))
    for status in (S.ARRIVED, S.CHECKED_IN):
        with pytest.raises(InvalidStateError, match="before the day of the appointment"):
            appointment_status_set(actor=actor, appointment=appointment, status=status)
    # Sunday 23:30 in Chicago is already Monday in UTC: still the day before in the organization's time zone.
    sunday_night = at(23, 30, day=MONDAY - dt.timedelta(days=1))
    with time_machine.travel(sunday_night, tick=False), pytest.raises(InvalidStateError, match="before the day"):
        appointment_status_set(actor=actor, appointment=appointment, status=S.ARRIVED)
    with time_machine.travel(at(7), tick=False):
        appointment = appointment_status_set(actor=actor, appointment=appointment, status=S.ARRIVED)
        with pytest.raises(InvalidStateError, match=r"seen \(fulfilled\) before it starts"):
            appointment_status_set(actor=actor, appointment=appointment, status=S.FULFILLED)
    with time_machine.travel(at(9), tick=False):
        appointment = appointment_status_set(actor=actor, appointment=appointment, status=S.FULFILLED)
    assert Appointment.objects.get(pk=appointment.pk).status == S.FULFILLED


def test_noshow_after_the_start(actor, setup):
    appointment = book(actor, setup, at(10))
    with time_machine.travel(at(10, 20), tick=False):
        assert appointment_status_set(actor=actor, appointment=appointment, status=S.NOSHOW).status == S.NOSHOW
    assert book(actor, setup, at(10), patient=PatientFactory(organization=setup["patient"].organization))


def _raw(setup, org, start, **fields):
    values = {
        "organization": org,
        **setup,
        "start": start,
        "end": start + dt.timedelta(minutes=30),
        "status": S.BOOKED,
        **fields,
    }
    return Appointment(**values)


def test_database_refuses_overlaps_written_behind_the_services(org, setup):
    _raw(setup, org, at(10)).save()
    other_patient = PatientFactory(organization=org)
    for overlapping in (
        _raw(setup, org, at(10, 15), patient=other_patient),  # same practitioner
        _raw(setup, org, at(9, 45), practitioner=PractitionerFactory(organization=org)),  # same patient
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            overlapping.save()
    _raw(setup, org, at(10, 15), patient=other_patient, status=S.CANCELLED, cancellation_reason="pat").save()
    _raw(setup, org, at(10, 30), patient=other_patient).save()  # adjacent is fine
    proposed = _raw(setup, org, at(10), patient=other_patient, status=S.PROPOSED)
    proposed.save()  # not blocking
    proposed.status = S.BOOKED
    with pytest.raises(IntegrityError), transaction.atomic():
        proposed.save()  # the update path is guarded too


def test_the_service_turns_the_database_refusal_into_conflict(actor, setup, monkeypatch):
    book(actor, setup, at(10))

    # Simulate the race the up-front check cannot see: the check passes, the database refuses.
    def check_without_overlap(**kwargs):
        return at(10, 30).astimezone(dt.UTC)  # the end of a 10:00 visit, as if the time were still free

    monkeypatch.setattr(services, "_validate_time", check_without_overlap)
    with pytest.raises(ConflictError, match="just taken"):
        book(actor, setup, at(10), patient=PatientFactory(organization=setup["patient"].organization))
    assert Appointment.objects.count() == 1


def test_guards_are_installed(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'appt_no_%'")
            assert len(cursor.fetchall()) == 4
        else:
            cursor.execute(
                "SELECT conname FROM pg_constraint"
                " WHERE contype = 'x' AND conrelid = 'scheduling_appointment'::regclass"
            )
            assert {row[0] for row in cursor.fetchall()} == {"appt_no_practitioner_overlap", "appt_no_patient_overlap"}
