"""
In a real browser: choosing a free time opens the confirm step (nothing booked yet), where the coordinator
reads the booking back, types the reason and books, or goes back to the same search; and the outside-visit
form narrows the practitioners to the chosen practice's and keeps each status radio next to its words.
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role
from carecoord.scheduling.models import Appointment, AppointmentType

from ..factories import (
    ExternalOrganizationFactory,
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
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    okafor = PractitionerFactory(organization=org, given_name="Chidi", family_name="Okafor", suffix="MD")
    location = LocationFactory(organization=org, name="Lakeside Main")
    kind = AppointmentType.objects.create(organization=org, name="Follow-up visit", duration_minutes=30)
    weekly_hours(okafor, location, [kind])
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    return org, dana, rosa


@pytest.mark.browser
def test_a_chosen_time_is_confirmed_with_a_reason_before_it_is_booked(page: Page, morning):
    _, dana, rosa = _clinic()
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(f"/schedule/find/?patient={rosa.public_id}")
    page.get_by_label("Appointment type").select_option(label="Follow-up visit (30 min)")
    page.get_by_role("textbox", name="From", exact=True).fill("2026-11-30")
    page.get_by_role("textbox", name="From", exact=True).press("Tab")
    results = page.locator("#slot-results")
    expect(results.locator("caption").first).to_contain_text("Monday 11/30/2026")

    # A time opens the confirm step: the booking read back, nothing saved yet.
    results.get_by_role("button", name=re.compile(r"^10:00 AM book Mon 11.30")).click()
    expect(page.get_by_role("heading", name="Confirm the booking")).to_be_visible()
    facts = page.locator(".book-confirm .facts")
    expect(facts).to_contain_text("Delgado, Rosa")
    expect(facts).to_contain_text("Chidi Okafor, MD")
    expect(facts).to_contain_text("Lakeside Main")
    expect(facts).to_contain_text("Mon 11/30/2026 10:00 AM\u201310:30 AM")
    expect(facts).to_contain_text("Follow-up visit")
    assert not Appointment.objects.exists()
    assert_accessible(page, "the booking's confirm step")

    # Back to the slots: the same search, still for Rosa; choose again, then book with a reason.
    page.get_by_role("link", name="Back to the slots").click()
    expect(page.get_by_role("heading", name="Find a slot for Delgado, Rosa")).to_be_visible()
    expect(page.locator("#slot-results caption").first).to_contain_text("Monday 11/30/2026")
    page.locator("#slot-results").get_by_role("button", name=re.compile(r"^10:00 AM book Mon 11.30")).click()
    page.get_by_label("Reason for visit").fill("Blood pressure recheck")
    page.get_by_role("button", name="Book").click()
    expect(page).to_have_url(APPOINTMENT_PATH)
    expect(
        page.get_by_text("Booked: Follow-up visit with Chidi Okafor, MD on Mon 11/30/2026 10:00 AM.")
    ).to_be_visible()
    appointment = Appointment.objects.get(patient=rosa)
    assert appointment.reason == "Blood pressure recheck"


@pytest.mark.browser
def test_the_outside_visit_form_narrows_practitioners_and_keeps_radios_by_their_labels(page: Page, morning):
    org, dana, rosa = _clinic()
    heart = ExternalOrganizationFactory(organization=org, name="Heart Partners")
    bones = ExternalOrganizationFactory(organization=org, name="Lakeview Orthopedics")
    PractitionerFactory(organization=org, given_name="Ana", family_name="Ruiz", external_organization=heart)
    PractitionerFactory(organization=org, given_name="Ben", family_name="Stone", external_organization=bones)
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(f"/patients/{rosa.public_id}/outside/new/")
    practitioner = page.get_by_label("Practitioner", exact=True)
    expect(practitioner.locator("option")).to_have_count(4)  # Not known, Okafor, Ruiz, Stone

    mark_document(page)
    page.get_by_label("Practice", exact=True).select_option(label="Heart Partners")
    expect(page.get_by_label("Practitioner", exact=True).locator("option")).to_have_text(["Not known", "Ana Ruiz, MD"])
    assert_same_document(page)
    page.get_by_label("Practitioner", exact=True).select_option(label="Ana Ruiz, MD")
    page.get_by_label("Practice", exact=True).select_option(label="Lakeview Orthopedics")
    expect(page.get_by_label("Practitioner", exact=True).locator("option")).to_have_text(["Not known", "Ben Stone, MD"])
    expect(page.get_by_label("Practitioner", exact=True)).to_have_value("")  # Dr. Ruiz is not at Lakeview

    # Each radio is right before its words, not across the form.
    for name in ("Requested — the practice has yet to confirm", "Confirmed"):
        radio = page.get_by_role("radio", name=name)
        label = page.locator(f'label[for="{radio.get_attribute("id")}"]')
        radio_box, label_box = radio.bounding_box(), label.bounding_box()
        assert radio_box["width"] < 30, name
        words_start = label.evaluate(
            "label => { const r = document.createRange(); r.selectNodeContents(label.lastChild);"
            " return r.getBoundingClientRect().left; }"
        )
        assert 0 <= words_start - (radio_box["x"] + radio_box["width"]) < 20, name
        assert abs((radio_box["y"] + radio_box["height"] / 2) - (label_box["y"] + label_box["height"] / 2)) < 6, name
    page.get_by_text("Confirmed", exact=True).click()
    expect(page.get_by_role("radio", name="Confirmed")).to_be_checked()
    assert_accessible(page, "the outside-visit form")
