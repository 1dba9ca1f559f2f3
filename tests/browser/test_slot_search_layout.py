"""The find-a-slot form in a real browser: the appointment type menu shows the longest demo type name whole."""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import Page

from carecoord.core.choices import Role
from carecoord.demo.scheduling import TYPES
from carecoord.scheduling.models import AppointmentType
from carecoord.scheduling.services import appointment_book

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    make_actor,
)
from ..scheduling.factories import weekly_hours
from .helpers import expect_signed_in, sign_in

ARROW = 22  # px the menu's drop-down arrow takes beside the text
NATIVE_ARROW = 18  # px Chromium leaves for the arrow of a menu at its natural width

# The chosen option's text against the room the menu leaves for it (content box less the arrow).
FITS = """(select) => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const text = context.measureText(select.options[select.selectedIndex].text).width;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {text, room};
}"""


@pytest.mark.browser
def test_the_appointment_type_menu_shows_the_longest_demo_name(page: Page):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    kinds = [AppointmentType(organization=org, name=name, duration_minutes=minutes) for name, _, minutes, *_ in TYPES]
    longest = max(map(str, AppointmentType.objects.bulk_create(kinds)), key=len)  # "Name (60 min)" as listed
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto("/schedule/find/")
    menu = page.get_by_label("Appointment type")
    menu.select_option(label=longest)
    size = menu.evaluate(FITS)
    assert size["text"] + ARROW <= size["room"], (longest, size)


@pytest.mark.browser
def test_the_reschedule_panel_shows_the_practitioners_full_name(page: Page):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    molly = PractitionerFactory(organization=org, given_name="Molly", family_name="Byrne-Fitzgerald", suffix="LCSW")
    location = LocationFactory(organization=org, name="Lakeside Main")
    kind = AppointmentType.objects.create(organization=org, name="Follow-up visit", duration_minutes=30)
    weekly_hours(molly, location, [kind])
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    with time_machine.travel(dt.datetime(2026, 11, 24, 14, 30, tzinfo=dt.UTC), tick=True):
        start = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
        appointment = appointment_book(
            actor=actor, patient=rosa, practitioner=molly, location=location, appointment_type=kind, start=start
        )
        sign_in(page, dana.email)
        expect_signed_in(page)
        page.goto(f"/appointments/{appointment.public_id}/")
        page.get_by_text("Reschedule", exact=True).click()
        menu = page.get_by_label("Practitioner")
        size = menu.evaluate(FITS)
    # Chromium sizes a menu left at its natural width to its longest option plus ~21 px of arrow.
    assert size["text"] + NATIVE_ARROW <= size["room"], (str(molly), size)
