"""Outside appointments: record, confirm, outcome, summary, cancel, and the worklist tasks that follow."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.patients.models import CareTeamMember
from carecoord.scheduling import outside_services as outside
from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.choices import SummaryStatus
from carecoord.scheduling.models import Appointment
from carecoord.scheduling.services import appointment_book, appointment_cancel

from ..factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory, make_actor
from .factories import clinic

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)  # Wednesday before Thanksgiving, noon in Chicago
MONDAY = dt.date(2026, 11, 30)


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture
def clock_at():
    traveller = time_machine.travel(NOW, tick=False)
    shifted = traveller.start()
    yield shifted
    traveller.stop()


@pytest.fixture
def practice(org):
    return ExternalOrganizationFactory(organization=org, name="Heart Partners")


@pytest.fixture
def patient(org, actor):
    patient = PatientFactory(organization=org)
    CareTeamMember.objects.create(
        organization=org, patient=patient, role="coordinator", user=actor.user, start_date=dt.date(2025, 1, 1)
    )
    return patient


def record(actor, patient, practice, **overrides):
    fields = {"start": at(10), "duration_minutes": 45, "external_organization": practice, "reason": "Cardiology"}
    return outside.outside_appointment_record(actor=actor, patient=patient, **{**fields, **overrides})


def tasks_of(appointment):
    return list(Task.objects.filter(focus_id=appointment.public_id).order_by("id"))


def test_record_requested_creates_a_confirm_task_for_the_coordinator(clock_at, actor, patient, practice):
    appointment = record(actor, patient, practice)
    assert appointment.is_outside
    assert appointment.status == S.PENDING
    assert appointment.start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)
    assert appointment.summary_status == SummaryStatus.AWAITING
    (task,) = tasks_of(appointment)
    assert task.title == "Confirm appointment with Heart Partners"
    assert task.due_date == dt.date(2026, 11, 27)  # next business day (Thanksgiving skipped)
    assert task.owner == actor.user
    assert task.source == "scheduling"
    assert task.focus_type == "scheduling.Appointment"
    assert AuditEvent.objects.filter(event="appointment.outside.record", object_id=str(appointment.public_id)).exists()


def test_record_confirmed_needs_who_confirmed_and_makes_no_task(clock_at, actor, patient, practice):
    with pytest.raises(ValidationError) as refused:
        record(actor, patient, practice, confirmed=True)
    assert refused.value.field == "confirmed_with"
    appointment = record(actor, patient, practice, confirmed=True, confirmed_with="Dana at the front desk")
    assert appointment.status == S.BOOKED
    assert appointment.confirmed_with == "Dana at the front desk"
    assert appointment.confirmed_by == actor.user
    assert appointment.confirmed_at == NOW
    assert tasks_of(appointment) == []


def test_record_with_a_practitioner_takes_their_practice_and_names_both(clock_at, org, actor, patient, practice):
    doctor = PractitionerFactory(organization=org, given_name="Ana", family_name="Ruiz", external_organization=practice)
    appointment = record(actor, patient, None, practitioner=doctor)
    assert appointment.external_organization == practice
    assert tasks_of(appointment)[0].title == "Confirm appointment with Ana Ruiz, MD at Heart Partners"


def test_record_refusals(clock_at, org, actor, other_org, patient, practice):
    with pytest.raises(ValidationError, match="practice or the practitioner"):
        record(actor, patient, None)
    with pytest.raises(ValidationError, match="in the past"):
        record(actor, patient, practice, start=at(9, day=dt.date(2026, 11, 24)))
    with pytest.raises(ValidationError, match="duration"):
        record(actor, patient, practice, duration_minutes=2)
    with pytest.raises(NotFoundError):
        record(actor, patient, ExternalOrganizationFactory(organization=other_org))
    with pytest.raises(NotFoundError):
        record(make_actor(other_org), patient, practice)
    assert not Appointment.objects.exists()
    assert not Task.objects.exists()


def test_record_refuses_an_overlap_with_the_patients_other_visits(clock_at, org, actor, patient, practice):
    practitioner, location, kind = clinic(org)
    appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, location=location, appointment_type=kind, start=at(10)
    )
    with pytest.raises(ConflictError, match="already has an appointment"):
        record(actor, patient, practice, start=at(9, 30))
    record(actor, patient, practice, start=at(10, 30))  # touching is fine
    with pytest.raises(ConflictError):
        record(actor, patient, practice, start=at(11))  # overlaps the outside visit just recorded
    assert Appointment.objects.filter(is_outside=True).count() == 1


def test_the_database_refuses_an_overlap_the_check_missed(clock_at, org, actor, patient, practice):
    first = record(actor, patient, practice)
    second = Appointment(
        organization=org, patient=patient, is_outside=True, external_organization=practice,
        start=first.start, end=first.end, status=S.BOOKED,
    )  # fmt: skip
    with pytest.raises(ConflictError):
        outside._save_guarded(second.save)


def test_confirm_completes_the_confirm_task(clock_at, actor, patient, practice):
    appointment = record(actor, patient, practice)
    confirmed = outside.outside_appointment_confirm(actor=actor, appointment=appointment, confirmed_with="Dana")
    assert confirmed.status == S.BOOKED
    assert confirmed.confirmed_with == "Dana"
    assert confirmed.confirmed_by == actor.user
    (task,) = tasks_of(appointment)
    assert task.status == "completed"
    assert task.outcome_note == "Confirmed with Dana."
    with pytest.raises(InvalidStateError):
        outside.outside_appointment_confirm(actor=actor, appointment=confirmed, confirmed_with="Dana")


def test_confirm_needs_a_name_and_refuses_inside_appointments(clock_at, org, actor, patient, practice):
    appointment = record(actor, patient, practice)
    with pytest.raises(ValidationError):
        outside.outside_appointment_confirm(actor=actor, appointment=appointment, confirmed_with="  ")
    practitioner, location, kind = clinic(org)
    inside = appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, location=location, appointment_type=kind, start=at(14)
    )
    with pytest.raises(NotFoundError):
        outside.outside_appointment_confirm(actor=actor, appointment=inside, confirmed_with="Dana")


def test_attended_creates_a_summary_task_completed_when_the_summary_arrives(clock_at, actor, patient, practice):
    appointment = record(actor, patient, practice, confirmed=True, confirmed_with="Dana")
    with pytest.raises(InvalidStateError, match="not started"):
        outside.outside_appointment_outcome(actor=actor, appointment=appointment, outcome="attended")
    clock_at.move_to(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC))
    attended = outside.outside_appointment_outcome(actor=actor, appointment=appointment, outcome="attended")
    assert attended.status == S.FULFILLED
    (task,) = tasks_of(appointment)
    assert task.title == "Get visit summary from Heart Partners"
    assert task.due_date == dt.date(2026, 12, 3)  # three business days after the visit
    received = outside.outside_appointment_summary_received(actor=actor, appointment=attended)
    assert received.summary_status == SummaryStatus.RECEIVED
    assert received.summary_received_at is not None
    task.refresh_from_db()
    assert task.status == "completed"
    with pytest.raises(InvalidStateError):
        outside.outside_appointment_summary_received(actor=actor, appointment=received)


def test_attended_without_summary_tracking_makes_no_task(clock_at, actor, patient, practice):
    appointment = record(actor, patient, practice, track_summary=False)
    clock_at.move_to(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC))
    outside.outside_appointment_outcome(actor=actor, appointment=appointment, outcome="attended")
    (confirm,) = tasks_of(appointment)  # only the confirm task, now completed: the visit happened
    assert confirm.status == "completed"
    assert confirm.outcome_note == "Visit attended."


def test_missed_creates_a_reschedule_task_once(clock_at, actor, patient, practice):
    appointment = record(actor, patient, practice, confirmed=True, confirmed_with="Dana")
    clock_at.move_to(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC))
    missed = outside.outside_appointment_outcome(actor=actor, appointment=appointment, outcome="missed")
    assert missed.status == S.NOSHOW
    assert missed.summary_status == SummaryStatus.NOT_NEEDED
    (task,) = tasks_of(appointment)
    assert task.title == "Reschedule missed appointment with Heart Partners"
    assert task.kind == "schedule"
    assert task.due_date == dt.date(2026, 12, 1)
    with pytest.raises(InvalidStateError):
        outside.outside_appointment_outcome(actor=actor, appointment=missed, outcome="attended")
    with pytest.raises(InvalidStateError):
        outside.outside_appointment_summary_received(actor=actor, appointment=missed)
    assert len(tasks_of(appointment)) == 1


def test_outcome_must_be_attended_or_missed(clock_at, actor, patient, practice):
    appointment = record(actor, patient, practice)
    with pytest.raises(ValidationError):
        outside.outside_appointment_outcome(actor=actor, appointment=appointment, outcome="maybe")


def test_cancel_via_appointment_cancel_cancels_the_open_task(
    clock_at, actor, patient, practice, django_capture_on_commit_callbacks
):
    appointment = record(actor, patient, practice)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = appointment_cancel(actor=actor, appointment=appointment, reason="pat", note="Feeling better")
    assert cancelled.status == S.CANCELLED
    (task,) = tasks_of(appointment)
    assert task.status == "cancelled"
    assert task.events.filter(to_status="cancelled", note="The appointment was cancelled.").exists()


def test_tasks_go_to_the_patients_coordinator_else_to_the_recorder(clock_at, org, practice):
    scheduler = make_actor(org, Role.SCHEDULER)
    patient = PatientFactory(organization=org)
    task = tasks_of(record(scheduler, patient, practice))[0]
    assert task.owner == scheduler.user  # the person who recorded it, as no coordinator is on the care team
    other = make_actor(org, Role.COORDINATOR)
    CareTeamMember.objects.create(
        organization=org, patient=patient, role="coordinator", user=other.user, start_date=dt.date(2025, 1, 1)
    )
    task = tasks_of(record(scheduler, patient, practice, start=at(13)))[0]
    assert task.owner == other.user
