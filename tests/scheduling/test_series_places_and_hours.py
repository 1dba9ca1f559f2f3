"""
Recurring series: only places of care as locations, the practitioner's weekly hours beside the weekdays (and in
the conflicts), and the booked series' page telling booked from skipped. Run on SQLite and PostgreSQL.
"""

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps

from carecoord.core.errors import ValidationError
from carecoord.scheduling.models import Appointment, AppointmentSeries
from carecoord.scheduling.plan_forms import SeriesForm
from carecoord.scheduling.planning_selectors import hours_summary, series_check
from carecoord.scheduling.planning_services import series_book
from carecoord.scheduling.slots import WeeklyHours

from ..factories import ExternalOrganizationFactory, LocationFactory, PatientFactory, PractitionerFactory
from .factories import AppointmentTypeFactory, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 11/25/2026
MONDAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org):
    """Dr Okafor sees physical therapy Mon, Tue and Thu 8:00-16:00 at the clinic's own site."""
    practitioner = PractitionerFactory(organization=org, given_name="Ada", family_name="Okafor", suffix="PT")
    site = LocationFactory(organization=org, name="Main Street Clinic")
    therapy = AppointmentTypeFactory(organization=org, name="Physical therapy", duration_minutes=45)
    weekly_hours(practitioner, site, [therapy], weekdays=[0, 1, 3], start=dt.time(8), end=dt.time(16))
    pharmacy = ExternalOrganizationFactory(organization=org, name="Archer Avenue Pharmacy", kind="pharmacy")
    hospital = ExternalOrganizationFactory(organization=org, name="St. Brendan Medical Center", kind="hospital")
    church = ExternalOrganizationFactory(organization=org, name="St. Brendan Parish", kind="community")
    return {
        "patient": PatientFactory(organization=org),
        "practitioner": practitioner,
        "location": site,
        "appointment_type": therapy,
        "pharmacy": LocationFactory(organization=org, name="Archer Avenue Pharmacy", external_organization=pharmacy),
        "hospital": LocationFactory(
            organization=org, name="St. Brendan Medical Center", external_organization=hospital
        ),
        "parish": LocationFactory(organization=org, name="St. Brendan Parish Hall", external_organization=church),
    }


def series_post(world, **overrides) -> dict:
    data = {
        "appointment_type": world["appointment_type"].public_id,
        "practitioner": world["practitioner"].public_id,
        "location": world["location"].public_id,
        "weekdays": [0, 2, 4],
        "local_time": "10:00",
        "first_date": MONDAY.isoformat(),
        "occurrences": 6,
        "action": "check",
    }
    data.update(overrides)
    return data


def url_of(world) -> str:
    return f"/patients/{world['patient'].public_id}/series/new/"


# --- places of care -----------------------------------------------------------------------------------------


def test_the_location_menu_offers_places_of_care_only(org, world):
    offered = set(SeriesForm(organization=org).fields["location"].queryset.values_list("name", flat=True))
    assert offered == {"Main Street Clinic", "St. Brendan Medical Center"}


def test_a_pharmacy_posted_as_location_is_refused(actor, client_for, world):
    response = client_for(actor).post(url_of(world), series_post(world, location=world["pharmacy"].public_id))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_service_refuses_a_pharmacy_too(actor, world):
    parties = {k: world[k] for k in ("patient", "practitioner", "appointment_type")}
    with pytest.raises(ValidationError) as error:
        series_book(
            actor=actor,
            **parties,
            location=world["pharmacy"],
            weekdays=[0],
            local_time=dt.time(10),
            first_date=MONDAY,
            occurrences=2,
        )
    assert error.value.field == "location"
    assert not AppointmentSeries.objects.exists()


# --- the practitioner's hours -------------------------------------------------------------------------------


def test_hours_summary_groups_days_that_share_a_range():
    hours = [
        WeeklyHours(0, dt.time(8), dt.time(16)),
        WeeklyHours(1, dt.time(8), dt.time(16)),
        WeeklyHours(3, dt.time(8), dt.time(16)),
        WeeklyHours(2, dt.time(12), dt.time(18, 30)),
    ]
    assert hours_summary(hours) == "Mon, Tue, Thu 8:00 AM - 4:00 PM; Wed 12:00 PM - 6:30 PM"
    week = [WeeklyHours(day, dt.time(9), dt.time(17)) for day in range(5)]
    assert hours_summary(week) == "Mon-Fri 9:00 AM - 5:00 PM"
    assert hours_summary([]) == ""


def test_htmx_redraws_the_hours_for_the_chosen_practitioner(actor, client_for, world):
    client = client_for(actor)
    query = {"practitioner": world["practitioner"].public_id, "appointment_type": world["appointment_type"].public_id}
    response = client.get(url_of(world), query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="series-hours")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="series-hours"')
    assert "<form" not in body
    assert "Weekly hours of Ada Okafor, PT for Physical therapy" in body
    assert "Mon, Tue, Thu 8:00 AM - 4:00 PM" in body

    other = PractitionerFactory(organization=actor.organization, given_name="Bo", family_name="Lind")
    nobody = client.get(
        url_of(world), {"practitioner": other.public_id}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="series-hours"
    ).content.decode()
    assert "No weekly hours" in nobody
    assert "8:00 AM" not in nobody


def test_the_full_page_shows_the_hours_beside_the_weekdays(actor, client_for, world):
    client = client_for(actor)
    first = client.get(url_of(world)).content.decode()
    assert 'id="series-hours"' in first
    assert "Choose a practitioner to see their weekly hours." in first

    checked = client.post(url_of(world), series_post(world)).content.decode()
    assert checked.index("Weekdays") < checked.index("Mon, Tue, Thu 8:00 AM - 4:00 PM") < checked.index('value="check"')


def test_a_conflict_outside_the_hours_names_the_hours_that_fit(actor, world):
    parties = {k: world[k] for k in ("patient", "practitioner", "location", "appointment_type")}
    checks = series_check(
        actor, **parties, weekdays=[0, 2, 3], local_time=dt.time(15, 30), first_date=MONDAY, occurrences=3
    )
    assert [c.problem for c in checks] == [
        "Mon 3:30 PM - 4:15 PM is outside Ada Okafor's hours (Mon, Tue, Thu 8:00 AM - 4:00 PM)",
        "Wed 3:30 PM is outside Ada Okafor's hours (Mon, Tue, Thu 8:00 AM - 4:00 PM)",
        "Thu 3:30 PM - 4:15 PM is outside Ada Okafor's hours (Mon, Tue, Thu 8:00 AM - 4:00 PM)",
    ]
    elsewhere = series_check(
        actor, **{**parties, "location": world["hospital"]}, weekdays=[0], local_time=dt.time(10),
        first_date=MONDAY, occurrences=1,
    )  # fmt: skip
    assert elsewhere[0].problem == (
        "Ada Okafor has no hours for Physical therapy at St. Brendan Medical Center that week"
    )


# --- the booked series --------------------------------------------------------------------------------------


def test_a_booked_series_says_how_many_of_how_many_and_lists_the_skipped(actor, client_for, world):
    client = client_for(actor)
    checked = client.post(url_of(world), series_post(world)).content.decode()
    assert "6 occurrences: 2 free, 4 with a conflict" in checked  # Mondays fit; Wednesdays and Fridays do not
    assert "Wed 10:00 AM is outside Ada Okafor&#x27;s hours (Mon, Tue, Thu 8:00 AM - 4:00 PM)" in checked

    booked = client.post(url_of(world), series_post(world, action="book", skip=[2, 3, 5, 6]))
    assert booked.status_code == 302
    series = AppointmentSeries.objects.get()
    assert series.booked_count == 2
    assert [row["number"] for row in series.skipped] == [2, 3, 5, 6]
    assert Appointment.objects.count() == 2

    page = client.get(booked["Location"]).content.decode()
    assert "2 of 6 booked" in page
    assert "6 occurrences from" not in page
    assert "Skipped at booking (4)" in page
    assert "Wed 12/02/2026" in page
    assert "Fri 12/11/2026" in page
    assert "Fri 10:00 AM is outside Ada Okafor&#x27;s hours" in page


def test_the_success_message_counts_the_booked_ones(actor, client_for, world):
    client = client_for(actor)
    response = client.post(url_of(world), series_post(world, action="book", skip=[2, 3, 5, 6]), follow=True)
    assert "Series booked: 2 of 6 occurrences, 4 skipped." in response.content.decode()


# --- series booked before the skipped occurrences were kept -------------------------------------------------


def test_the_migration_lists_the_skipped_occurrences_of_older_series(actor, world):
    migration = importlib.import_module("carecoord.scheduling.migrations.0005_series_skipped")
    parties = {k: world[k] for k in ("patient", "practitioner", "location", "appointment_type")}
    series = series_book(
        actor=actor, **parties, weekdays=[0, 2], local_time=dt.time(10), first_date=MONDAY, occurrences=4, skip=[2, 4]
    )
    AppointmentSeries.objects.filter(pk=series.pk).update(skipped=[])  # as stored before the field

    migration.record_skipped(django_apps, None)

    series.refresh_from_db()
    assert series.skipped == [
        {"number": 2, "day": "2026-12-02", "problem": migration.UNRECORDED},
        {"number": 4, "day": "2026-12-09", "problem": migration.UNRECORDED},
    ]
    assert series.booked_count == 2
