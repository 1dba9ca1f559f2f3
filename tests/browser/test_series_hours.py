"""
Recurring visits in a real browser: choosing a practitioner shows their weekly hours beside the weekdays
(htmx), the location menu offers places of care only, and the check names the hours that would fit.
Leaves a screenshot of the checked form in the test's tmp_path (series-form-hours.png).
"""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role
from carecoord.directory.models import ExternalOrganization
from carecoord.scheduling.models import AppointmentType

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

MORNING = dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.UTC)  # Tuesday 8:30 AM in Chicago


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=True):
        yield


@pytest.mark.browser
def test_choosing_a_practitioner_shows_their_hours(page: Page, morning, tmp_path):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    okafor = PractitionerFactory(organization=org, given_name="Chidi", family_name="Okafor", suffix="PT")
    site = LocationFactory(organization=org, name="Lakeside Main")
    therapy = AppointmentType.objects.create(organization=org, name="Physical therapy", duration_minutes=45)
    weekly_hours(okafor, site, [therapy], weekdays=[0, 1, 3], start=dt.time(8), end=dt.time(16))
    pharmacy = ExternalOrganization.objects.create(organization=org, name="Archer Avenue Pharmacy", kind="pharmacy")
    LocationFactory(organization=org, name="Archer Avenue Pharmacy", external_organization=pharmacy)
    patient = PatientFactory(organization=org, given_name="Andrea", family_name="Jimenez")

    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(f"/patients/{patient.public_id}/series/new/")
    hours = page.locator("#series-hours")
    expect(hours).to_contain_text("Choose a practitioner to see their weekly hours.")
    assert "Archer Avenue Pharmacy" not in page.get_by_label("Location").inner_text()

    mark_document(page)
    page.get_by_label("Practitioner").select_option(label="Chidi Okafor, PT")
    expect(hours).to_contain_text("Weekly hours of Chidi Okafor, PT")
    page.get_by_label("Appointment type").select_option(label="Physical therapy (45 min)")
    expect(hours).to_contain_text("for Physical therapy")
    expect(hours).to_contain_text("Mon, Tue, Thu 8:00 AM - 4:00 PM")
    page.get_by_label("Location").select_option(label="Lakeside Main")
    expect(hours).to_contain_text("(chosen)")
    assert_same_document(page)  # htmx redrew the panel; the page did not reload

    for day in ("Monday", "Wednesday", "Friday"):
        page.get_by_label(day).check()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("is outside Chidi Okafor's hours (Mon, Tue, Thu 8:00 AM - 4:00 PM)").first).to_be_visible()
    expect(page.locator("#series-hours")).to_contain_text("Mon, Tue, Thu 8:00 AM - 4:00 PM")
    page.get_by_role("button", name="Check").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "series-form-hours.png"), full_page=True)
    assert_accessible(page, "the recurring visits form with the practitioner's hours")
