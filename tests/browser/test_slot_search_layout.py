"""The find-a-slot form in a real browser: the appointment type menu shows the longest demo type name whole."""

import pytest
from playwright.sync_api import Page

from carecoord.core.choices import Role
from carecoord.demo.scheduling import TYPES
from carecoord.scheduling.models import AppointmentType

from ..factories import OrganizationFactory, UserFactory, make_actor
from .helpers import expect_signed_in, sign_in

ARROW = 22  # px the menu's drop-down arrow takes beside the text

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
