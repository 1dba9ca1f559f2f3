"""
The reminder job against the database: reminders queued once at their time, moved visits reminded anew,
cancelled visits' reminders cancelled, channel refusals summarized, and transport/interpreter tasks once.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.periodic import REGISTRY
from carecoord.messaging.choices import MessageStatus
from carecoord.messaging.models import OutboxMessage
from carecoord.patients.models import CareTeamMember
from carecoord.scheduling.jobs_reminders import send_appointment_reminders
from carecoord.scheduling.models import Appointment, PatientSchedulingPreference, ReminderPolicy
from carecoord.scheduling.reminder_services import reminder_key, reminders_run
from carecoord.scheduling.services import appointment_cancel, appointment_reschedule

from ..factories import ExternalOrganizationFactory, PatientFactory
from .factories import AppointmentTypeFactory, clinic

CHICAGO = ZoneInfo("America/Chicago")
VISIT = dt.datetime(2030, 1, 10, 16, 0, tzinfo=dt.UTC)  # Thursday 10:00 in Chicago
MONDAY_TEN = dt.datetime(2030, 1, 7, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_TEN - dt.timedelta(minutes=5), tick=False) as traveller:
        yield traveller


@pytest.fixture
def setup(org):
    practitioner, location, kind = clinic(org, given_name="Ana", family_name="Varga", suffix="MD")
    return {"practitioner": practitioner, "location": location, "kind": kind}


def texting_patient(org, **fields):
    defaults = {"preferred_contact_method": "sms", "consent_sms": True, "phone_primary": "+13125550100",
                "phone_primary_kind": "mobile"}  # fmt: skip
    return PatientFactory(organization=org, **{**defaults, **fields})


def book(org, setup, patient, start=VISIT, **fields):
    fields = {"appointment_type": setup["kind"], **fields}
    return Appointment.objects.create(
        organization=org, patient=patient, practitioner=setup["practitioner"], location=setup["location"],
        start=start, end=start + dt.timedelta(minutes=30), **fields,
    )  # fmt: skip


def reminders(appointment):
    return list(OutboxMessage.objects.filter(focus_id=appointment.public_id).order_by("id"))


def test_the_job_is_registered_to_run_every_five_minutes():
    job = REGISTRY["carecoord.scheduling.jobs_reminders.send_appointment_reminders"]
    assert job.every == dt.timedelta(minutes=5)


def test_a_reminder_goes_out_at_its_send_time_once_per_days_before(org, setup, clock):
    appointment = book(org, setup, texting_patient(org))
    assert reminders_run(organization=org)["queued"] == 0
    assert reminders(appointment) == []

    clock.move_to(MONDAY_TEN)
    assert send_appointment_reminders()["queued"] == 1
    assert send_appointment_reminders().get("queued", 0) == 0  # the job runs again: nothing new
    (three_day,) = reminders(appointment)
    assert three_day.idempotency_key == f"reminder:{appointment.public_id}:3:{VISIT.isoformat()}"
    assert three_day.channel == "sms"
    assert three_day.to_address == "+13125550100"
    assert three_day.subject == ""  # a text message has no subject
    assert "Thursday, January 10, 2030 at 10:00 AM" in three_day.body

    clock.move_to(MONDAY_TEN + dt.timedelta(days=2))
    reminders_run(organization=org)
    reminders_run(organization=org)
    assert [m.idempotency_key for m in reminders(appointment)] == [
        reminder_key(appointment, 3),
        reminder_key(appointment, 1),
    ]


def test_the_organizations_policy_sets_the_days_and_time_and_can_turn_reminders_off(org, setup, clock):
    appointment = book(org, setup, texting_patient(org))
    policy = ReminderPolicy.objects.create(organization=org, days_before=[2], send_time=dt.time(8, 0))
    clock.move_to(MONDAY_TEN)  # three days before: not a reminder day any more
    reminders_run(organization=org)
    clock.move_to(dt.datetime(2030, 1, 8, 13, 59, tzinfo=dt.UTC))  # Tuesday 07:59 Chicago
    reminders_run(organization=org)
    assert reminders(appointment) == []
    clock.move_to(dt.datetime(2030, 1, 8, 14, 0, tzinfo=dt.UTC))  # Tuesday 08:00 Chicago
    reminders_run(organization=org)
    assert [m.idempotency_key for m in reminders(appointment)] == [reminder_key(appointment, 2)]

    policy.enabled = False
    policy.save()
    clock.move_to(VISIT - dt.timedelta(hours=1))
    assert reminders_run(organization=org).get("queued", 0) == 0


def test_cancelled_and_past_and_other_organizations_visits_are_not_reminded(org, other_org, setup, clock):
    cancelled = book(org, setup, texting_patient(org), status="cancelled", cancellation_reason="pat")
    other_setup = dict(zip(("practitioner", "location", "kind"), clinic(other_org), strict=True))
    theirs = book(other_org, other_setup, texting_patient(other_org))
    clock.move_to(MONDAY_TEN)
    reminders_run(organization=org)
    assert reminders(cancelled) == []
    assert reminders(theirs) == []


def test_a_rescheduled_visit_gets_new_reminders_and_its_old_ones_are_cancelled(
    org, actor, setup, clock, django_capture_on_commit_callbacks
):
    appointment = book(org, setup, texting_patient(org))
    clock.move_to(MONDAY_TEN)
    reminders_run(organization=org)
    (old,) = reminders(appointment)
    friday = dt.datetime(2030, 1, 11, 16, 0, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        moved = appointment_reschedule(
            actor=actor, appointment=appointment, start=friday, expected_version=appointment.version
        )
    old.refresh_from_db()
    assert old.status == MessageStatus.CANCELLED  # at once, by the appointment_freed receiver
    clock.move_to(MONDAY_TEN + dt.timedelta(days=1))  # Tuesday 10:00: three days before Friday
    reminders_run(organization=org)
    new = reminders(moved)[-1]
    assert new.status == MessageStatus.QUEUED
    assert new.idempotency_key == f"reminder:{appointment.public_id}:3:{friday.isoformat()}"


def test_a_cancelled_visits_queued_reminders_are_cancelled(
    org, actor, setup, clock, django_capture_on_commit_callbacks
):
    appointment = book(org, setup, texting_patient(org))
    clock.move_to(MONDAY_TEN)
    reminders_run(organization=org)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=actor, appointment=appointment, reason="pat")
    assert [m.status for m in reminders(appointment)] == [MessageStatus.CANCELLED]


def test_the_job_cancels_reminders_of_visits_changed_behind_its_back(org, setup, clock):
    appointment = book(org, setup, texting_patient(org))
    clock.move_to(MONDAY_TEN)
    reminders_run(organization=org)
    # Changed without the service (an import, an admin edit): no signal, so the next run catches it.
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled", cancellation_reason="prov")
    assert reminders_run(organization=org)["cancelled"] == 1
    assert [m.status for m in reminders(appointment)] == [MessageStatus.CANCELLED]


def test_reminders_follow_the_preference_and_skip_without_consent(org, setup, clock):
    silent = texting_patient(org, consent_sms=False)
    emailer = texting_patient(org, consent_email=True, email="pat@example.org")
    PatientSchedulingPreference.objects.create(organization=org, patient=emailer, reminder_channel="email")
    opted_out = texting_patient(org)
    PatientSchedulingPreference.objects.create(organization=org, patient=opted_out, reminder_channel="none")
    visits = [book(org, setup, p, start=VISIT + dt.timedelta(hours=i)) for i, p in enumerate([silent, emailer,
                                                                                               opted_out])]  # fmt: skip
    clock.move_to(MONDAY_TEN)
    summary = reminders_run(organization=org)
    assert summary["queued"] == 1
    assert summary["skipped_no_sms_consent"] == 1
    assert summary["skipped_opted_out"] == 1
    assert reminders(visits[0]) == []
    (email,) = reminders(visits[1])
    assert (email.channel, email.to_address, email.subject) == ("email", "pat@example.org",
                                                               "Appointment reminder from Lakeside Clinic")  # fmt: skip


def test_a_spanish_reader_gets_the_reminder_in_spanish(org, setup, clock):
    appointment = book(org, setup, texting_patient(org, preferred_language="es"), reason="Diabetes")
    clock.move_to(MONDAY_TEN)
    reminders_run(organization=org)
    (message,) = reminders(appointment)
    assert message.language == "es"
    assert "le recordamos su cita con Dr. Varga el jueves 10 de enero de 2030 a las 10:00" in message.body
    assert "Diabetes" not in message.body


def test_outside_appointments_are_reminded_too(org, setup, clock):
    practice = ExternalOrganizationFactory(organization=org, name="Heart Partners")
    appointment = Appointment.objects.create(
        organization=org, patient=texting_patient(org), is_outside=True, external_organization=practice,
        start=VISIT, end=VISIT + dt.timedelta(minutes=45), status="pending",
    )  # fmt: skip
    clock.move_to(MONDAY_TEN)
    reminders_run(organization=org)
    (message,) = reminders(appointment)
    assert "at Heart Partners." in message.body


def test_transport_and_interpreter_tasks_are_created_once_for_the_coordinator(org, actor, setup, clock):
    patient = texting_patient(org)
    CareTeamMember.objects.create(organization=org, patient=patient, role="coordinator", user=actor.user,
                                  start_date=dt.date(2029, 1, 1))  # fmt: skip
    PatientSchedulingPreference.objects.create(organization=org, patient=patient, needs_interpreter=True,
                                               needs_transport=False)  # fmt: skip
    thursday = dt.datetime(2030, 1, 24, 16, 0, tzinfo=dt.UTC)  # three business days before, MLK day skipped
    appointment = book(org, setup, patient, start=thursday, needs_transport=True)
    summary = reminders_run(organization=org)
    assert summary["transport_task_created"] == 1
    assert summary["interpreter_task_created"] == 1
    reminders_run(organization=org)
    send_appointment_reminders()
    tasks = Task.objects.filter(focus_id=appointment.public_id).order_by("dedupe_key")
    assert [t.dedupe_key for t in tasks] == [
        f"interpreter:{appointment.public_id}:{thursday.isoformat()}",
        f"transport:{appointment.public_id}:{thursday.isoformat()}",
    ]
    for task in tasks:
        assert task.owner == actor.user
        assert task.due_date == dt.date(2030, 1, 18)
        assert task.source == "scheduling"
        assert task.focus_type == "scheduling.Appointment"
        assert task.organization == org


def test_no_interpreter_task_when_the_practitioner_speaks_the_patients_language(org, actor, setup, clock):
    setup["practitioner"].languages = ["en", "es"]
    setup["practitioner"].save()
    speaker = book(org, setup, texting_patient(org, preferred_language="es-MX", interpreter_needed=True),
                   needs_interpreter=True)  # fmt: skip
    other = texting_patient(org, preferred_language="vi", interpreter_needed=True, phone_primary="+13125550101")
    not_spoken = book(org, setup, other, start=VISIT + dt.timedelta(hours=1), needs_interpreter=True)
    summary = reminders_run(organization=org)
    assert summary["interpreter_task_created"] == 1
    assert not Task.objects.filter(focus_id=speaker.public_id).exists()
    assert Task.objects.get(focus_id=not_spoken.public_id).dedupe_key.startswith("interpreter:")


def test_a_video_visit_gets_no_transport_task_but_keeps_its_interpreter(org, actor, setup, clock):
    patient = texting_patient(org, preferred_language="vi", interpreter_needed=True)
    PatientSchedulingPreference.objects.create(organization=org, patient=patient, needs_transport=True)
    video = AppointmentTypeFactory(organization=org, name="Telehealth check-in", telehealth=True)
    on_video = book(org, setup, patient, appointment_type=video, needs_transport=True)
    in_person = book(org, setup, patient, start=VISIT + dt.timedelta(days=1))
    summary = reminders_run(organization=org)
    assert summary["transport_task_created"] == 1
    kinds = {task.focus_id: task.dedupe_key.split(":")[0] for task in Task.objects.filter(dedupe_key__startswith="t")}
    assert kinds == {in_person.public_id: "transport"}
    assert Task.objects.get(focus_id=on_video.public_id).dedupe_key.startswith("interpreter:")


def test_a_visit_without_a_coordinator_tasks_the_coordinator_role_due_today_when_late(org, setup, clock):
    appointment = book(org, setup, texting_patient(org), start=VISIT, needs_transport=True)
    reminders_run(organization=org)
    task = Task.objects.get(focus_id=appointment.public_id)
    assert task.owner is None
    assert task.owner_role == "coordinator"
    assert task.due_date == dt.date(2030, 1, 7)  # three business days before Thursday is Monday: today
