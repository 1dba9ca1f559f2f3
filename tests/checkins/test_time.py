"""Care-management time: one timer per user, stop rounding up, manual entries, in-error, month boundaries."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from carecoord.checkins import time_services as services
from carecoord.checkins.models import CareManagementEnrollment, TimeEntry
from carecoord.checkins.progress_selectors import patient_month_summary
from carecoord.core.choices import Role
from carecoord.core.errors import InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import AuditEvent
from tests.factories import ExternalOrganizationFactory, PatientFactory, PractitionerFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def provider(org):
    return make_actor(org, Role.PROVIDER)


def start(actor, patient, **kwargs):
    return services.time_start(actor=actor, patient=patient, activity="call", **kwargs)


# The timer --------------------------------------------------------------------------------------------------


def test_stop_counts_the_full_minutes_that_ran(actor, patient):
    with time_machine.travel(NOW, tick=False) as traveller:
        entry = start(actor, patient)
        assert (entry.minutes, entry.source, entry.kind) == (None, "timer", "staff")
        traveller.shift(dt.timedelta(minutes=12, seconds=59))
        entry = services.time_stop(actor=actor, entry=entry)
    assert entry.minutes == 12
    events = AuditEvent.objects.filter(event__startswith="time.").order_by("id")
    assert list(events.values_list("event", flat=True)) == ["time.start", "time.stop"]


def test_a_timer_stopped_within_a_minute_records_nothing(actor, patient):
    with time_machine.travel(NOW, tick=False) as traveller:
        entry = start(actor, patient)
        traveller.shift(dt.timedelta(seconds=10))
        with pytest.raises(ValidationError, match="Less than a minute"):
            services.time_stop(actor=actor, entry=entry)
    assert TimeEntry.objects.get(pk=entry.pk).minutes is None


def test_one_running_timer_per_user_and_starting_another_asks_first(actor, patient, org):
    other_patient = PatientFactory(organization=org)
    with time_machine.travel(NOW, tick=False) as traveller:
        first = start(actor, patient)
        traveller.shift(dt.timedelta(minutes=5))
        with pytest.raises(services.TimerRunningError) as caught:
            start(actor, other_patient)
        assert caught.value.running == first
        assert TimeEntry.objects.get(pk=first.pk).minutes is None  # nothing was stopped silently

        second = start(actor, other_patient, stop_running=True)
    first.refresh_from_db()
    assert first.minutes == 5
    assert second.minutes is None
    assert second.patient == other_patient


def test_the_database_refuses_a_second_running_timer(actor, patient):
    with time_machine.travel(NOW, tick=False):
        start(actor, patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.create(organization=patient.organization, patient=patient, user=actor.user,
                                 activity="call", source="timer", started_at=NOW)  # fmt: skip


def test_only_the_user_who_started_a_timer_stops_it(actor, patient, org):
    colleague = make_actor(org, Role.COORDINATOR)
    with time_machine.travel(NOW, tick=False) as traveller:
        entry = start(actor, patient)
        traveller.shift(dt.timedelta(minutes=3))
        with pytest.raises(NotFoundError):
            services.time_stop(actor=colleague, entry=entry)
        services.time_stop(actor=actor, entry=entry)
        with pytest.raises(InvalidStateError):
            services.time_stop(actor=actor, entry=entry)


def test_a_forgotten_timer_needs_the_minutes_actually_spent(actor, patient):
    with time_machine.travel(NOW, tick=False) as traveller:
        entry = start(actor, patient)
        traveller.shift(dt.timedelta(hours=11))
        with pytest.raises(ValidationError, match="actually spent") as caught:
            services.time_stop(actor=actor, entry=entry)
        assert caught.value.field == "minutes"
        entry = services.time_stop(actor=actor, entry=entry, minutes=25)
    assert entry.minutes == 25


def test_a_provider_records_physician_time_unless_told_otherwise(provider, patient):
    with time_machine.travel(NOW, tick=False):
        entry = start(provider, patient)
        assert entry.kind == "physician"
        manual = services.time_add(actor=provider, patient=patient, activity="care_planning", minutes=10,
                                   on_date=dt.date(2026, 11, 20), kind="staff")  # fmt: skip
    assert manual.kind == "staff"


def test_a_user_with_both_roles_counts_as_physician(org, patient):
    both = make_actor(org, Role.COORDINATOR, Role.PROVIDER)
    assert services.time_kind_for(both) == "physician"
    assert services.time_kind_for(make_actor(org, Role.SUPERVISOR)) == "staff"


# Manual entries and in-error --------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "on_date", "field"), [
    (0, dt.date(2026, 11, 20), "minutes"), (601, dt.date(2026, 11, 20), "minutes"),
    (10, dt.date(2026, 11, 27), "on_date"),
])  # fmt: skip
def test_manual_entries_are_checked(actor, patient, minutes, on_date, field):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        services.time_add(actor=actor, patient=patient, activity="call", minutes=minutes, on_date=on_date)
    assert caught.value.field == field


def test_a_manual_entry_reports_every_bad_field_at_once_and_writes_nothing(actor, patient):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        services.time_add(actor=actor, patient=patient, activity="nap", minutes=900, on_date=dt.date(2026, 11, 27))
    assert set(caught.value.field_errors) == {"activity", "minutes", "on_date"}
    assert caught.value.field_errors["on_date"] == ["Time cannot be entered for a day still to come."]
    assert not TimeEntry.objects.exists()
    assert not AuditEvent.objects.filter(event="time.add").exists()


def test_a_manual_entry_falls_on_its_local_day(actor, patient):
    with time_machine.travel(NOW, tick=False):
        entry = services.time_add(
            actor=actor, patient=patient, activity="call", minutes=15, on_date=dt.date(2026, 11, 1)
        )
    assert entry.started_at == dt.datetime(2026, 11, 1, 18, tzinfo=dt.UTC)  # noon CST
    assert entry.source == "manual"


def test_entered_in_error_stays_but_no_longer_counts(actor, patient, org):
    with time_machine.travel(NOW, tick=False):
        kept = services.time_add(
            actor=actor, patient=patient, activity="call", minutes=15, on_date=dt.date(2026, 11, 2)
        )
        wrong = services.time_add(
            actor=actor, patient=patient, activity="call", minutes=40, on_date=dt.date(2026, 11, 3)
        )
        colleague = make_actor(org, Role.COORDINATOR)
        with pytest.raises(NotFoundError):
            services.time_enter_in_error(actor=colleague, entry=wrong)
        services.time_enter_in_error(actor=actor, entry=wrong, reason="wrong patient")
        summary = patient_month_summary(actor, patient, 2026, 11)
    assert TimeEntry.objects.filter(pk__in=[kept.pk, wrong.pk]).count() == 2
    assert summary.staff_minutes == 15
    assert AuditEvent.objects.get(event="time.enter_in_error").detail == {"reason": "wrong patient"}


def test_a_supervisor_may_mark_anyones_entry_and_a_running_timer_closes(actor, patient, org):
    supervisor = make_actor(org, Role.SUPERVISOR)
    with time_machine.travel(NOW, tick=False) as traveller:
        running = start(actor, patient)
        traveller.shift(dt.timedelta(minutes=3))
        services.time_enter_in_error(actor=supervisor, entry=running)
        running.refresh_from_db()
        assert (running.entered_in_error, running.minutes) == (True, 3)
        start(actor, patient)  # the user can start again


def test_another_organization_cannot_touch_the_time(actor, other_actor, patient):
    with time_machine.travel(NOW, tick=False):
        entry = services.time_add(
            actor=actor, patient=patient, activity="call", minutes=5, on_date=dt.date(2026, 11, 2)
        )
        with pytest.raises(NotFoundError):
            services.time_enter_in_error(actor=other_actor, entry=entry)
        with pytest.raises(NotFoundError):
            start(other_actor, patient)


# Months in the organization's time zone ---------------------------------------------------------------------


def test_month_boundaries_follow_the_organization_time_zone(actor, patient):
    def entry_at(when, minutes):
        TimeEntry.objects.create(organization=patient.organization, patient=patient, user=actor.user,
                                 activity="call", source="timer", started_at=when, minutes=minutes)  # fmt: skip

    entry_at(dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC), 7)  # Oct 31, 23:30 in Chicago
    entry_at(dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC), 11)  # Nov 1, 00:30 in Chicago
    entry_at(dt.datetime(2026, 12, 1, 5, 59, tzinfo=dt.UTC), 13)  # Nov 30, 23:59 in Chicago
    entry_at(dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC), 17)  # Dec 1, 00:00 in Chicago
    with time_machine.travel(NOW, tick=False):
        assert patient_month_summary(actor, patient, 2026, 10).staff_minutes == 7
        assert patient_month_summary(actor, patient, 2026, 11).staff_minutes == 24
        assert patient_month_summary(actor, patient, 2026, 12).staff_minutes == 17


def test_the_month_counts_under_the_program_in_force(actor, patient, provider):
    with time_machine.travel(NOW, tick=False):
        services.time_add(actor=actor, patient=patient, activity="call", minutes=22, on_date=dt.date(2026, 11, 3))
        services.time_add(actor=provider, patient=patient, activity="call", minutes=31, on_date=dt.date(2026, 11, 4))
        unenrolled = patient_month_summary(actor, patient, 2026, 11)
        assert (unenrolled.program_label, unenrolled.staff_minutes, unenrolled.readiness) == ("Not enrolled", 22, [])
        services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=dt.date(2026, 10, 1),
                                start_date=dt.date(2026, 10, 1))  # fmt: skip
        summary = patient_month_summary(actor, patient, 2026, 11)
    assert summary.program_label == "Chronic care management"
    assert summary.codes == "99490, 99491"
    assert (summary.staff_minutes, summary.physician_minutes) == (22, 31)


# Enrollment -------------------------------------------------------------------------------------------------


def test_a_new_program_ends_the_open_one_and_overlaps_are_refused(actor, patient):
    with time_machine.travel(NOW, tick=False):
        ccm = services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=dt.date(2026, 1, 2),
                                      start_date=dt.date(2026, 1, 2))  # fmt: skip
        services.enrollment_set(actor=actor, patient=patient, program="pcm", consent_on=dt.date(2026, 11, 1),
                                start_date=dt.date(2026, 11, 1))  # fmt: skip
        ccm.refresh_from_db()
        assert ccm.end_date == dt.date(2026, 10, 31)
        with pytest.raises(ValidationError, match="already enrolled"):
            services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=dt.date(2026, 1, 2),
                                    start_date=dt.date(2026, 10, 15), end_date=dt.date(2026, 11, 10))  # fmt: skip
        assert patient_month_summary(actor, patient, 2026, 11).enrollment.program == "pcm"
        assert patient_month_summary(actor, patient, 2026, 10).enrollment.program == "ccm"


@pytest.mark.parametrize(("consent_on", "start_date", "end_date", "field"), [
    (dt.date(2026, 12, 1), dt.date(2026, 12, 1), None, "consent_on"),
    (dt.date(2026, 11, 5), dt.date(2026, 11, 1), None, "consent_on"),
    (dt.date(2026, 11, 1), dt.date(2026, 11, 5), dt.date(2026, 11, 4), "end_date"),
])  # fmt: skip
def test_enrollment_dates_are_checked(actor, patient, consent_on, start_date, end_date, field):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=consent_on,
                                start_date=start_date, end_date=end_date)  # fmt: skip
    assert caught.value.field == field
    assert not CareManagementEnrollment.objects.exists()


def test_the_billing_practitioner_must_be_in_the_organizations_directory(actor, patient, other_org):
    with time_machine.travel(NOW, tick=False), pytest.raises(NotFoundError):
        services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=dt.date(2026, 11, 1),
                                start_date=dt.date(2026, 11, 1),
                                billing_practitioner=PractitionerFactory(organization=other_org))  # fmt: skip


# CCM/PCM are billed by a physician or an NP, PA, CNS or CNM (STANDARDS.md 5.2-5.3, checkins.domain).
BILLERS = {"207R00000X": "Internal Medicine", "363LF0000X": "Nurse Practitioner, Family",
           "363A00000X": "Physician Assistant", "364S00000X": "Clinical Nurse Specialist",
           "367A00000X": "Advanced Practice Midwife"}  # fmt: skip
NOT_BILLERS = {"172V00000X": "Community Health Worker", "163WC0400X": "Registered Nurse, Case Management",
               "183500000X": "Pharmacist", "1041C0700X": "Social Worker, Clinical", "": ""}  # fmt: skip


@pytest.mark.parametrize("code", BILLERS)
def test_a_physician_or_np_pa_cns_cnm_of_the_organization_may_be_the_billing_practitioner(actor, patient, code):
    practitioner = PractitionerFactory(organization=actor.organization, specialty_code=code,
                                       specialty_display=BILLERS[code])  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        enrollment = services.enrollment_set(actor=actor, patient=patient, program="pcm", consent_on=dt.date(2026,
                                             11, 1), start_date=dt.date(2026, 11, 1),
                                             billing_practitioner=practitioner)  # fmt: skip
    assert enrollment.billing_practitioner == practitioner


@pytest.mark.parametrize("code", NOT_BILLERS)
def test_clinical_staff_cannot_be_the_billing_practitioner(actor, patient, code):
    practitioner = PractitionerFactory(organization=actor.organization, specialty_code=code,
                                       specialty_display=NOT_BILLERS[code])  # fmt: skip
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=dt.date(2026, 11, 1),
                                start_date=dt.date(2026, 11, 1), billing_practitioner=practitioner)  # fmt: skip
    assert caught.value.field == "billing_practitioner"
    assert "physician, nurse practitioner" in caught.value.message
    assert not CareManagementEnrollment.objects.exists()


def test_a_physician_of_an_outside_organization_cannot_be_the_billing_practitioner(actor, patient):
    outside = ExternalOrganizationFactory(organization=actor.organization)
    practitioner = PractitionerFactory(organization=actor.organization, external_organization=outside)
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        services.enrollment_set(actor=actor, patient=patient, program="ccm", consent_on=dt.date(2026, 11, 1),
                                start_date=dt.date(2026, 11, 1), billing_practitioner=practitioner)  # fmt: skip
    assert caught.value.field == "billing_practitioner"
    assert not CareManagementEnrollment.objects.exists()
