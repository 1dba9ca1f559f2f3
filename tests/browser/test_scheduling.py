"""
Booking in a real browser: a coordinator finds a slot for a patient, books it, sees it on the patient's
Schedule tab and on the practitioner's day, moves it, then cancels it. The server's clock is pinned to a
Tuesday morning in Chicago so the free times are the same on every run.
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role
from carecoord.scheduling.choices import AppointmentStatus
from carecoord.scheduling.models import Appointment, AppointmentType

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    make_actor,
)
from ..scheduling.factories import weekly_hours
from .helpers import assert_accessible, assert_same_document, expect_signed_in, mark_document, sign_in

# Tuesday 11/24/2026, 8:30 in the morning in Chicago (the factories' organizations are in America/Chicago).
MORNING = dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.UTC)
APPOINTMENT_PATH = re.compile(r"/appointments/[0-9a-f-]{36}/$")


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


def _clinic():
    """Lakeside Clinic: Dana (coordinator), Dr. Okafor (Mon-Fri 9-17 at Lakeside Main), Rosa Delgado."""
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    okafor = PractitionerFactory(organization=org, given_name="Chidi", family_name="Okafor", suffix="MD")
    location = LocationFactory(organization=org, name="Lakeside Main")
    kind = AppointmentType.objects.create(organization=org, name="Follow-up visit", duration_minutes=30)
    weekly_hours(okafor, location, [kind])
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    return dana, okafor, rosa


def results(page: Page):
    return page.locator("#slot-results")


@pytest.mark.browser
def test_find_book_reschedule_and_cancel(page: Page, morning):
    dana, _, rosa = _clinic()
    sign_in(page, dana.email)
    expect_signed_in(page)

    # The chart's Schedule tab: nothing booked yet; "Find a slot" opens the search for Rosa.
    page.goto(f"/patients/{rosa.public_id}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name=re.compile("^Upcoming"))).to_be_visible()
    expect(page.get_by_text("No upcoming appointments.")).to_be_visible()
    assert_accessible(page, "the Schedule tab")
    page.get_by_role("link", name="Find a slot").click()
    expect(page.get_by_role("heading", name="Find a slot for Delgado, Rosa")).to_be_visible()
    expect(page.get_by_label("Use the patient's availability")).to_be_checked()
    expect(page.get_by_label("Appointment type")).to_have_value("")  # no type preselected
    page.get_by_label("Appointment type").select_option(label="Follow-up visit (30 min)")
    today = results(page).locator("table", has=page.locator("caption", has_text="Tuesday 11/24/2026"))
    expect(today.get_by_role("row", name=re.compile("Chidi Okafor"))).to_be_visible()
    assert_accessible(page, "the find-a-slot page")

    # Changing the window refreshes the results in place.
    mark_document(page)
    page.get_by_role("textbox", name="From", exact=True).fill("2026-11-30")
    page.get_by_role("textbox", name="From", exact=True).press("Tab")  # leaving the field is a change
    expect(results(page).locator("caption").first).to_contain_text("Monday 11/30/2026")
    assert_same_document(page)

    # Choose Monday 9:30: the confirm step takes the reason; Enter there books once, the time confirmed.
    book_posts: list[str] = []
    page.on("request", lambda r: book_posts.append(r.url) if r.method == "POST" and "/book/" in r.url else None)
    results(page).get_by_role("button", name=re.compile(r"^9:30 AM book Mon 11.30")).click()
    expect(page.get_by_role("heading", name="Confirm the booking")).to_be_visible()
    assert book_posts == []  # choosing a time books nothing
    page.get_by_label("Reason for visit").fill("Diabetes follow-up")
    page.get_by_label("Reason for visit").press("Enter")
    expect(page).to_have_url(APPOINTMENT_PATH)
    expect(page.get_by_text("Booked: Follow-up visit with Chidi Okafor, MD on Mon 11/30/2026 9:30 AM.")).to_be_visible()
    expect(page.get_by_text("No-show rate, last 12 months:")).to_be_visible()
    assert_accessible(page, "the appointment page")
    appointment = Appointment.objects.get(patient=rosa)
    assert appointment.reason == "Diabetes follow-up"
    assert len(book_posts) == 1

    # On Rosa's Schedule tab, and on Dr. Okafor's day.
    page.get_by_role("link", name="Delgado, Rosa · Schedule").click()
    upcoming = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Upcoming")))
    expect(upcoming.get_by_role("row", name=re.compile(r"Mon 11.30.2026 9:30 AM"))).to_contain_text(
        "Diabetes follow-up"
    )
    upcoming.get_by_role("link", name="Mon 11/30/2026 9:30 AM").click()
    page.get_by_role("link", name="Chidi Okafor, MD").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monday 11/30/2026")
    nine_thirty = page.get_by_role("row", name=re.compile(r"^9:30 AM"))
    expect(nine_thirty.get_by_role("link", name="Delgado, Rosa")).to_be_visible()
    assert_accessible(page, "the practitioner's day")
    page.get_by_role("link", name="Week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("11/30\u201312/06/2026")
    assert_accessible(page, "the practitioner's week")

    # Reschedule to 11:00 the same day.
    nine_thirty = page.get_by_role("row", name=re.compile(r"^9:30 AM"))
    nine_thirty.get_by_role("link", name="Delgado, Rosa").click()
    page.locator("summary", has_text="Reschedule").click()
    page.get_by_role("textbox", name="From", exact=True).fill("2026-11-30")
    page.get_by_role("textbox", name="To", exact=True).fill("2026-11-30")
    page.get_by_role("button", name="Show free times").click()
    move = results(page).get_by_role("button", name=re.compile(r"^11:00 AM move to Mon 11.30"))
    move.click()
    expect(page.get_by_text("Moved to Mon 11/30/2026 11:00 AM with Chidi Okafor, MD.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.start == dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)

    # Cancel with a reason: the page says cancelled, the time is free again.
    page.locator("summary", has_text="Cancel appointment").click()
    page.get_by_label("Reason").select_option(label="Patient")
    page.get_by_label("Note").fill("Daughter cannot drive her that day.")
    page.get_by_role("button", name="Cancel this appointment").click()
    expect(page.get_by_text("Appointment cancelled.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancelled")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == (AppointmentStatus.CANCELLED, "pat")
