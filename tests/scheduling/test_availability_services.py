"""Services and selectors of scheduling setup against the real database."""

import datetime as dt

import pytest
import time_machine

from carecoord.core.choices import Role
from carecoord.core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.scheduling import availability_selectors as selectors
from carecoord.scheduling import availability_services as services
from carecoord.scheduling.models import (
    AppointmentType,
    ClosedDate,
    PractitionerSchedule,
    PractitionerUnavailability,
    ReminderPolicy,
)
from carecoord.scheduling.selectors import slots_available

from ..factories import ExternalOrganizationFactory, LocationFactory, PractitionerFactory, make_actor
from .factories import AppointmentTypeFactory, clinic

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)  # Monday 08:00 in Chicago
NPI = "1234567893"


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def admin(org):
    return make_actor(org, Role.ORG_ADMIN)


def events(name):
    return AuditEvent.objects.filter(event=name)


# Appointment types ------------------------------------------------------------------------------------------


def test_scheduler_adds_edits_and_deactivates_a_type_with_audit(scheduler):
    kind = services.appointment_type_create(
        actor=scheduler, name="  New  patient visit ", code="ROUTINE", duration_minutes=60, new_patient=True
    )
    assert kind.name == "New patient visit"
    assert events("appointment_type.create").get().object_id == str(kind.public_id)
    services.appointment_type_update(
        actor=scheduler,
        appointment_type=kind,
        expected_version=kind.version,
        name="New patient visit",
        code="CHECKUP",
        duration_minutes=45,
        telehealth=True,
        new_patient=True,
    )
    kind.refresh_from_db()
    assert (kind.code, kind.duration_minutes, kind.telehealth) == ("CHECKUP", 45, True)
    services.appointment_type_deactivate(actor=scheduler, appointment_type=kind)
    assert not AppointmentType.objects.get(pk=kind.pk).active
    assert selectors.appointment_types_for(scheduler, active_only=True).count() == 0
    services.appointment_type_reactivate(actor=scheduler, appointment_type=kind)
    assert AppointmentType.objects.get(pk=kind.pk).active
    assert events("appointment_type.deactivate").count() == 1


def test_type_refuses_bad_values_and_a_stale_edit(scheduler):
    AppointmentTypeFactory(organization=scheduler.organization, name="Follow-up")
    for kwargs, field in [
        ({"name": "follow-UP"}, "name"),
        ({"name": ""}, "name"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"code": "NOPE"}, "code"),
    ]:
        data = {"name": "Visit", "code": "ROUTINE", "duration_minutes": 30, **kwargs}
        with pytest.raises(ValidationError) as info:
            services.appointment_type_create(actor=scheduler, **data)
        assert info.value.field == field
    kind = services.appointment_type_create(actor=scheduler, name="Visit", code="ROUTINE", duration_minutes=30)
    with pytest.raises(ConflictError):
        services.appointment_type_update(
            actor=scheduler,
            appointment_type=kind,
            expected_version=kind.version + 3,
            name="Visit",
            code="ROUTINE",
            duration_minutes=20,
            telehealth=False,
            new_patient=False,
        )


def test_coordinator_may_look_but_not_change_setup(actor):
    with pytest.raises(PermissionDeniedError):
        services.appointment_type_create(actor=actor, name="Visit", code="ROUTINE", duration_minutes=30)
    with pytest.raises(PermissionDeniedError):
        services.closed_date_create(actor=actor, date=dt.date(2026, 5, 1), name="Move")
    assert not AppointmentType.objects.exists()


def test_other_organizations_records_are_not_found(scheduler, other_actor):
    kind = AppointmentTypeFactory(organization=other_actor.organization)
    with pytest.raises(NotFoundError):
        services.appointment_type_deactivate(actor=scheduler, appointment_type=kind)
    with pytest.raises(NotFoundError):
        selectors.appointment_type_get(scheduler, kind.public_id)
    with pytest.raises(NotFoundError):
        selectors.appointment_type_get(scheduler, "not-a-uuid")


# Weekly hours -----------------------------------------------------------------------------------------------


def _add(actor, practitioner, location, kinds, **kwargs):
    data = {"weekday": 0, "start_time": dt.time(9), "end_time": dt.time(12), **kwargs}
    return services.hours_block_create(
        actor=actor, practitioner=practitioner, location=location, appointment_types=kinds, **data
    )


def test_hours_refuse_an_overlap_on_the_same_weekday_with_a_clear_message(scheduler):
    org = scheduler.organization
    practitioner = PractitionerFactory(organization=org)
    location = LocationFactory(organization=org, name="Main Street")
    kind = AppointmentTypeFactory(organization=org)
    first = _add(scheduler, practitioner, location, [kind])
    with pytest.raises(ValidationError) as info:
        _add(scheduler, practitioner, location, [kind], start_time=dt.time(11), end_time=dt.time(14))
    assert "overlap" in info.value.message
    assert "Monday 9:00 AM to 12:00 PM at Main Street" in info.value.message
    _add(scheduler, practitioner, location, [kind], start_time=dt.time(12), end_time=dt.time(14))
    _add(scheduler, practitioner, location, [kind], weekday=1)
    _add(scheduler, PractitionerFactory(organization=org), location, [kind])  # another practitioner
    assert PractitionerSchedule.objects.count() == 4
    assert events("hours.create").count() == 4
    # Editing a block may keep its own time; it may not move onto another block.
    services.hours_block_update(
        actor=scheduler,
        block=first,
        expected_version=first.version,
        weekday=0,
        start_time=dt.time(8),
        end_time=dt.time(12),
        location=location,
        appointment_types=[kind],
    )
    with pytest.raises(ValidationError, match="overlap"):
        services.hours_block_update(
            actor=scheduler,
            block=first,
            expected_version=first.version,
            weekday=0,
            start_time=dt.time(8),
            end_time=dt.time(13),
            location=location,
            appointment_types=[kind],
        )


def test_hours_refuse_bad_values(scheduler, other_actor):
    org = scheduler.organization
    practitioner, location = PractitionerFactory(organization=org), LocationFactory(organization=org)
    kind = AppointmentTypeFactory(organization=org)
    foreign_location = LocationFactory(organization=other_actor.organization)
    inactive = AppointmentTypeFactory(organization=org, active=False)
    cases = [
        ({"end_time": dt.time(9)}, [kind], location, "end_time"),
        ({"effective_from": dt.date(2026, 5, 1), "effective_until": dt.date(2026, 4, 1)}, [kind], location,
         "effective_until"),
        ({}, [], location, "appointment_types"),
        ({}, [inactive], location, "appointment_types"),
        ({}, [kind], foreign_location, "location"),
    ]  # fmt: skip
    for kwargs, kinds, place, field in cases:
        with pytest.raises(ValidationError) as info:
            _add(scheduler, practitioner, place, kinds, **kwargs)
        assert info.value.field == field
    assert not PractitionerSchedule.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_hours_of_an_outside_practitioner_give_slots_and_delete_removes_them(scheduler):
    org = scheduler.organization
    practice = ExternalOrganizationFactory(organization=org, name="Riverbend PT")
    practitioner = PractitionerFactory(organization=org, external_organization=practice)
    location = LocationFactory(organization=org, external_organization=practice)
    kind = AppointmentTypeFactory(organization=org, duration_minutes=60)
    block = _add(scheduler, practitioner, location, [kind], weekday=2)  # Wednesdays 9-12
    slots = slots_available(
        scheduler, appointment_type=kind, first_day=dt.date(2026, 3, 2), last_day=dt.date(2026, 3, 8)
    )
    assert [s.start.astimezone(org.tz).time() for s in slots][:2] == [dt.time(9), dt.time(9, 15)]
    assert {s.practitioner for s in slots} == {practitioner}
    services.hours_block_delete(actor=scheduler, block=block)
    assert not PractitionerSchedule.objects.exists()
    assert events("hours.delete").get().object_id == str(block.public_id)


# Import -----------------------------------------------------------------------------------------------------


def _import_world(org):
    practitioner = PractitionerFactory(organization=org, npi=NPI, external_organization=ExternalOrganizationFactory(
        organization=org))  # fmt: skip
    location = LocationFactory(organization=org, name="Riverbend Clinic")
    evaluation = AppointmentTypeFactory(organization=org, name="Evaluation", duration_minutes=60)
    follow_up = AppointmentTypeFactory(organization=org, name="Follow-up")
    return practitioner, location, evaluation, follow_up


def test_import_saves_every_row(scheduler):
    practitioner, location, evaluation, follow_up = _import_world(scheduler.organization)
    text = (
        "npi,weekday,start,end,location,appointment_types,effective_from,effective_until\n"
        f"{NPI},Mon,08:00,12:00,riverbend clinic,Evaluation;Follow-up,2026-03-01,\n"
        f"{NPI},Thu,13:00,17:00,Riverbend Clinic,follow-up,,\n"
    )
    created = services.hours_import(actor=scheduler, text=text)
    assert len(created) == 2
    monday = PractitionerSchedule.objects.get(weekday=0)
    assert (monday.practitioner, monday.location) == (practitioner, location)
    assert set(monday.appointment_types.all()) == {evaluation, follow_up}
    assert monday.effective_from == dt.date(2026, 3, 1)


def test_import_saves_nothing_when_any_row_is_bad(scheduler):
    practitioner, location, evaluation, _ = _import_world(scheduler.organization)
    _add(scheduler, practitioner, location, [evaluation], weekday=4, start_time=dt.time(9), end_time=dt.time(10))
    text = "\n".join(
        [
            f"{NPI},Mon,08:00,12:00,Riverbend Clinic,Evaluation",  # good
            "1245319599,Mon,08:00,12:00,Riverbend Clinic,Evaluation",  # no such practitioner
            f"{NPI},Tue,08:00,12:00,Nowhere,Evaluation",  # no such location
            f"{NPI},Wed,08:00,12:00,Riverbend Clinic,Massage",  # no such type
            f"{NPI},Fri,09:30,11:00,Riverbend Clinic,Evaluation",  # overlaps the Friday hours on file
            f"{NPI},Sat,25:00,26:00,Riverbend Clinic,Evaluation",  # bad time
        ]
    )
    with pytest.raises(services.ImportRefused) as info:
        services.hours_import(actor=scheduler, text=text)
    lines = [error.line for error in info.value.errors]
    assert lines == [2, 3, 4, 5, 6]
    messages = info.value.details["errors"]
    assert "NPI 1245319599" in messages[0]
    assert "Nowhere" in messages[1]
    assert "Massage" in messages[2]
    assert "overlap" in messages[3]
    assert PractitionerSchedule.objects.count() == 1  # only the Friday block from before
    assert events("hours.create").count() == 1


def test_import_can_replace_the_hours_on_file(scheduler):
    practitioner, location, evaluation, _ = _import_world(scheduler.organization)
    old = _add(scheduler, practitioner, location, [evaluation], weekday=0)
    services.hours_import(actor=scheduler, text=f"{NPI},Mon,09:00,12:00,Riverbend Clinic,Evaluation\n", replace=True)
    assert not PractitionerSchedule.objects.filter(pk=old.pk).exists()
    assert PractitionerSchedule.objects.count() == 1


def test_import_is_for_schedulers_only(actor):
    with pytest.raises(PermissionDeniedError):
        services.hours_import(actor=actor, text=f"{NPI},Mon,09:00,12:00,Annex,Visit\n")


# Time away and closed dates ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_time_away_blocks_slots_and_can_be_removed(scheduler):
    org = scheduler.organization
    practitioner, _location, kind = clinic(org)
    tz = org.tz
    away = services.time_away_create(
        actor=scheduler,
        practitioner=practitioner,
        start=dt.datetime(2026, 3, 3, 0, 0, tzinfo=tz),
        end=dt.datetime(2026, 3, 4, 0, 0, tzinfo=tz),
        reason="vacation",
        note="Spring break",
    )
    assert away.start == dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)
    days = {s.start.astimezone(tz).date() for s in slots_available(
        scheduler, appointment_type=kind, first_day=dt.date(2026, 3, 3), last_day=dt.date(2026, 3, 4))}  # fmt: skip
    assert days == {dt.date(2026, 3, 4)}
    assert list(selectors.time_away_for(scheduler, practitioner)) == [away]
    services.time_away_delete(actor=scheduler, away=away)
    assert not PractitionerUnavailability.objects.exists()
    assert events("away.create").count() == events("away.delete").count() == 1


def test_time_away_refuses_bad_ranges(scheduler):
    practitioner = PractitionerFactory(organization=scheduler.organization)
    start = dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)
    for end, reason, field in [
        (start, "vacation", "end"),
        (start + dt.timedelta(days=400), "vacation", "end"),
        (start + dt.timedelta(hours=1), "napping", "reason"),
    ]:
        with pytest.raises(ValidationError) as info:
            services.time_away_create(actor=scheduler, practitioner=practitioner, start=start, end=end, reason=reason)
        assert info.value.field == field


@time_machine.travel(NOW, tick=False)
def test_closed_dates_add_refuse_duplicates_and_delete(scheduler):
    closed = services.closed_date_create(actor=scheduler, date=dt.date(2026, 3, 20), name=" Staff  day ")
    assert closed.name == "Staff day"
    with pytest.raises(ValidationError) as info:
        services.closed_date_create(actor=scheduler, date=dt.date(2026, 3, 20), name="Again")
    assert info.value.field == "date"
    with pytest.raises(ValidationError):
        services.closed_date_create(actor=scheduler, date=dt.date(2026, 3, 21), name=" ")
    services.closed_date_delete(actor=scheduler, closed=closed)
    assert not ClosedDate.objects.exists()
    assert events("closed.delete").get().object_id == str(closed.public_id)


def test_public_holidays_ahead_cover_twelve_months_of_the_state(org):
    holidays = selectors.public_holidays_ahead(org, dt.date(2026, 3, 2))
    dates = [h.date for h in holidays]
    assert dates == sorted(dates)
    assert dt.date(2026, 7, 3) in [h.observed for h in holidays]  # Independence Day observed (July 4 is a Saturday)
    assert dt.date(2027, 1, 1) in dates
    assert all(any(dt.date(2026, 3, 2) <= day <= dt.date(2027, 3, 2) for day in h.days) for h in holidays)
    assert any("Lincoln" in h.name for h in holidays)  # Illinois keeps Lincoln's Birthday (Feb 12, 2027)


# Reminder policy --------------------------------------------------------------------------------------------


def test_reminder_policy_default_is_unsaved(org):
    policy = selectors.reminder_policy_for(org)
    assert policy.pk is None
    assert (policy.days_before, policy.send_time, policy.needs_task_days_before) == ([3, 1], dt.time(10), 3)
    assert policy.enabled


def test_reminder_policy_set_saves_sorted_days_and_updates(admin):
    policy = services.reminder_policy_set(
        actor=admin, enabled=True, days_before=[1, 7], send_time=dt.time(9, 30), needs_task_days_before=2
    )
    assert ReminderPolicy.objects.get().days_before == [7, 1]
    assert selectors.reminder_policy_for(admin.organization).pk == policy.pk
    services.reminder_policy_set(
        actor=admin,
        enabled=False,
        days_before=[2],
        send_time=dt.time(8),
        needs_task_days_before=0,
        expected_version=policy.version,
    )
    saved = ReminderPolicy.objects.get()
    assert (saved.enabled, saved.days_before, saved.version) == (False, [2], policy.version + 1)
    assert events("reminder_policy.set").count() == 2
    with pytest.raises(ConflictError):
        services.reminder_policy_set(
            actor=admin,
            enabled=True,
            days_before=[2],
            send_time=dt.time(8),
            needs_task_days_before=0,
            expected_version=policy.version,
        )


def test_reminder_policy_refuses_bad_days_and_non_admins(admin, scheduler):
    for days in ([0], [31], [3, 3], []):
        with pytest.raises(ValidationError) as info:
            services.reminder_policy_set(
                actor=admin, enabled=True, days_before=days, send_time=dt.time(9), needs_task_days_before=3
            )
        assert info.value.field == "days_before"
    with pytest.raises(PermissionDeniedError):
        services.reminder_policy_set(
            actor=scheduler, enabled=True, days_before=[3], send_time=dt.time(9), needs_task_days_before=3
        )
    assert not ReminderPolicy.objects.exists()
