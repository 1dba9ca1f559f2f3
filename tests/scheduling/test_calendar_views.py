"""Day and week calendars of a practitioner, a location and a patient, through the test client."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.scheduling.models import Appointment, ClosedDate, PractitionerUnavailability
from carecoord.scheduling.services import appointment_book

from ..factories import LocationFactory, PatientFactory, PractitionerFactory
from .factories import clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)  # Tuesday, before the fall-back change of Sunday 11/01
MONDAY = dt.date(2026, 11, 30)


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def calendar(client, kind, record, **params):
    response = client.get(reverse(f"scheduling:{kind}_calendar", args=[record.public_id]), params)
    assert response.status_code == 200
    return response.content.decode()


def row(body: str, label: str) -> str:
    """The <tr> of the calendar whose row header reads `label` ("9:00 AM")."""
    match = re.search(rf'<tr><th scope="row" class="cal-time">{re.escape(label)}</th>(.*?)</tr>', body, re.S)
    assert match, f"no row {label}"
    return match.group(1)


def cells(row_html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)


def classes(row_html: str) -> list[str]:
    return re.findall(r'<td class="([^"]*)"', row_html)


def test_practitioner_day_shows_hours_time_away_and_appointments_with_names(org, actor, client_for):
    practitioner, location, kind = clinic(org)
    patient = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    day = dt.date(2026, 10, 21)
    appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, location=location, appointment_type=kind,
        start=at(day, 9, 15), reason="Feet",
    )  # fmt: skip
    PractitionerUnavailability.objects.create(
        organization=org, practitioner=practitioner, start=at(day, 13), end=at(day, 14), reason="meeting"
    )
    body = calendar(client_for(actor), "practitioner", practitioner, view="day", date="2026-10-21")
    assert "Wednesday 10/21/2026" in body
    nine = row(body, "9:00 AM")
    assert "cal-open" in nine
    assert "Delgado, Rosa" in nine
    assert "9:15\u20139:45 AM" in nine
    assert "cal-busy" in row(body, "9:30 AM")
    assert "Delgado" not in row(body, "9:30 AM")  # listed once, in the row it starts
    assert "cal-away" in row(body, "1:00 PM")
    assert "Away" in row(body, "1:30 PM")
    assert "cal-off" in row(body, "8:00 AM")  # before hours
    assert 'aria-current="page">Day</a>' in body
    assert "date=2026-10-20" in body
    assert "date=2026-10-22" in body
    assert location.name in body


def test_fall_back_week_keeps_nine_oclock_at_nine(org, actor, client_for):
    """America/Chicago falls back on Sunday 11/01/2026: a 9:00 visit on Saturday and on Sunday both sit at 9:00."""
    practitioner = PractitionerFactory(organization=org)
    location = LocationFactory(organization=org)
    _, _, kind = clinic(org)
    weekly_hours(practitioner, location, [kind], weekdays=range(7))
    patient = PatientFactory(organization=org, family_name="Weekend")
    saturday, sunday = dt.date(2026, 10, 31), dt.date(2026, 11, 1)
    for day in (saturday, sunday):
        appointment_book(
            actor=actor, patient=patient, practitioner=practitioner, location=location, appointment_type=kind,
            start=at(day, 9),
        )  # fmt: skip
    starts = sorted(Appointment.objects.values_list("start", flat=True))
    assert [s.hour for s in starts] == [14, 15]  # 9:00 CDT, then 9:00 CST, in UTC
    body = calendar(client_for(actor), "practitioner", practitioner, view="week", date="2026-11-01")
    assert "10/26\u201311/01/2026" in body
    nine = cells(row(body, "9:00 AM"))
    assert len(nine) == 7
    assert "Weekend" in nine[5]
    assert "Weekend" in nine[6]
    assert all("cal-open" not in c for c in classes(row(body, "8:30 AM")))
    assert "Weekend" not in row(body, "8:00 AM") + row(body, "10:00 AM")
    assert "date=2026-10-25" in body
    assert "date=2026-11-08" in body


def test_patients_the_actor_may_not_see_are_only_busy(org, other_org, actor, client_for):
    practitioner, location, kind = clinic(org)
    stranger = PatientFactory(organization=other_org, family_name="Hidden")
    start = at(dt.date(2026, 10, 22), 10)
    Appointment.objects.create(
        organization=other_org, patient=stranger, practitioner=practitioner, location=location,
        appointment_type=kind, start=start, end=start + dt.timedelta(minutes=30),
    )  # fmt: skip
    body = calendar(client_for(actor), "practitioner", practitioner, date="2026-10-22")
    ten = row(body, "10:00 AM")
    assert "Booked" in ten
    assert "Hidden" not in body


def test_location_day_has_a_column_per_practitioner_and_closed_days(org, actor, client_for):
    location = LocationFactory(organization=org, name="Northside")
    _, _, kind = clinic(org)
    first = PractitionerFactory(organization=org, given_name="Ann", family_name="Aker")
    second = PractitionerFactory(organization=org, given_name="Bo", family_name="Berg")
    weekly_hours(first, location, [kind], start=dt.time(8), end=dt.time(12))
    weekly_hours(second, location, [kind], start=dt.time(13), end=dt.time(17))
    client = client_for(actor)
    body = calendar(client, "location", location, view="day", date="2026-10-21")
    assert re.search(r'<th scope="col" class="[^"]*">\s*Ann Aker, MD', body)
    morning, afternoon = classes(row(body, "8:00 AM")), classes(row(body, "1:00 PM"))
    assert ("cal-open" in morning[0], "cal-off" in morning[1]) == (True, True)
    assert ("cal-off" in afternoon[0], "cal-open" in afternoon[1]) == (True, True)
    ClosedDate.objects.create(organization=org, date=dt.date(2026, 10, 23), name="Staff day")
    week = calendar(client, "location", location, view="week", date="2026-10-21")
    assert "Closed" in week
    assert len(cells(row(week, "8:00 AM"))) == 7


def test_patient_calendar_lists_the_patients_visits(org, actor, client_for):
    practitioner, location, kind = clinic(org, family_name="Okafor")
    patient = PatientFactory(organization=org)
    appointment_book(
        actor=actor, patient=patient, practitioner=practitioner, location=location, appointment_type=kind,
        start=at(dt.date(2026, 10, 21), 11),
    )  # fmt: skip
    body = calendar(client_for(actor), "patient", patient, view="week", date="2026-10-21")
    eleven = row(body, "11:00 AM")
    assert kind.name in eleven
    assert "Okafor" in eleven


def test_calendars_of_another_organization_are_404(org, other_actor, client_for):
    practitioner, location, _ = clinic(org)
    patient = PatientFactory(organization=org)
    client = client_for(other_actor)
    for kind, record in (("practitioner", practitioner), ("location", location), ("patient", patient)):
        response = client.get(reverse(f"scheduling:{kind}_calendar", args=[record.public_id]))
        assert response.status_code == 404, kind


def test_a_bad_view_or_date_falls_back_to_today(org, actor, client_for):
    practitioner, _, _ = clinic(org)
    body = calendar(client_for(actor), "practitioner", practitioner, view="month", date="not-a-date")
    assert "Tuesday 10/20/2026" in body
