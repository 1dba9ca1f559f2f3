"""slots_available: filters, busy times, holidays, patient constraints and a fixed number of queries."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.core.errors import NotFoundError
from carecoord.scheduling.models import ClosedDate, PractitionerUnavailability
from carecoord.scheduling.selectors import slots_available
from carecoord.scheduling.services import appointment_book
from carecoord.scheduling.slots import TimeWindow

from ..factories import PatientFactory, PractitionerFactory
from .factories import AppointmentTypeFactory, clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def local_starts(options):
    return [(o.start.astimezone(CHICAGO).strftime("%a %H:%M"), o.practitioner.family_name) for o in options]


def test_free_slots_skip_busy_times_and_respect_filters(org, actor):
    practitioner, location, kind = clinic(org, family_name="Alvarez", languages=["en", "es"])
    patient = PatientFactory(organization=org)
    appointment_book(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO),
    )
    options = slots_available(actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, limit=3)
    assert local_starts(options) == [("Mon 09:30", "Alvarez"), ("Mon 09:45", "Alvarez"), ("Mon 10:00", "Alvarez")]
    assert options[0].location == location
    assert slots_available(actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, language="es")
    assert not slots_available(actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, language="fr")
    assert not slots_available(actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, specialty_code="X")
    practitioner.accepting_new_patients = False
    practitioner.save()
    assert not slots_available(
        actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, accepting_new_patients=True
    )


def test_patient_busy_times_holidays_closed_dates_and_unavailability(org, actor):
    practitioner, location, kind = clinic(org)
    other = PractitionerFactory(organization=org)
    weekly_hours(other, location, [kind])
    patient = PatientFactory(organization=org)
    appointment_book(
        actor=actor,
        patient=patient,
        practitioner=other,
        location=location,
        appointment_type=kind,
        start=dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO),
    )
    mine = slots_available(
        actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, patient=patient, practitioners=[practitioner]
    )
    assert mine[0].start.astimezone(CHICAGO).time() == dt.time(9, 30)  # the patient is busy until 9:30
    week = slots_available(
        actor, appointment_type=kind, first_day=dt.date(2026, 11, 26), last_day=dt.date(2026, 11, 27), limit=None
    )
    assert {o.start.astimezone(CHICAGO).date() for o in week} == {dt.date(2026, 11, 27)}  # Thanksgiving closed
    ClosedDate.objects.create(organization=org, date=dt.date(2026, 11, 27), name="Staff day")
    PractitionerUnavailability.objects.create(
        organization=org,
        practitioner=practitioner,
        start=dt.datetime(2026, 12, 1, 0, 0, tzinfo=CHICAGO),
        end=dt.datetime(2026, 12, 2, 0, 0, tzinfo=CHICAGO),
        reason="vacation",
    )
    assert not slots_available(
        actor, appointment_type=kind, first_day=dt.date(2026, 11, 26), last_day=dt.date(2026, 11, 27)
    )
    tuesday = dt.date(2026, 12, 1)
    options = slots_available(actor, appointment_type=kind, first_day=tuesday, last_day=tuesday, limit=None)
    assert {o.practitioner for o in options} == {other}


def test_patient_days_and_times(org, actor):
    _, _, kind = clinic(org)
    options = slots_available(
        actor,
        appointment_type=kind,
        first_day=MONDAY,
        last_day=dt.date(2026, 12, 6),
        patient_weekdays={2},
        patient_times=[TimeWindow(dt.time(16), dt.time(17))],
        limit=None,
    )
    assert [o.start.astimezone(CHICAGO).strftime("%a %H:%M") for o in options] == [
        "Wed 16:00",
        "Wed 16:15",
        "Wed 16:30",
    ]


def test_constant_number_of_queries(org, actor, django_assert_num_queries):
    _, location, kind = clinic(org)
    for _ in range(8):
        weekly_hours(PractitionerFactory(organization=org), location, [kind])
    patient = PatientFactory(organization=org)
    with django_assert_num_queries(5):
        options = slots_available(
            actor, appointment_type=kind, first_day=MONDAY, last_day=dt.date(2026, 12, 11), patient=patient, limit=None
        )
    assert len({o.practitioner.pk for o in options}) == 9


def test_another_organizations_type_is_not_found(actor, other_org):
    with pytest.raises(NotFoundError):
        slots_available(
            actor, appointment_type=AppointmentTypeFactory(organization=other_org), first_day=MONDAY, last_day=MONDAY
        )
