"""
Layout on a coordinator's laptop (1366 x 768) in a real browser: the page header keeps every navigation item
on one row with the account menu beside it, "Find a slot" keeps Waitlist with its other actions, the Check-ins
tab uses the width in two columns, and a progress note's goal boxes take the width of the form.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role

from ..careplans.factories import CarePlanFactory, GoalFactory
from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import expect_signed_in, sign_in, totp_code

LAPTOP = {"width": 1366, "height": 768}
# Every item an organization admin who also coordinates sees, in order.
ALL_ITEMS = ["Worklist", "Patients", "Schedule", "Prior auths", "Outbox", "Reports", "Transitions", "Community",
             "Education", "Directory", "Audit log", "Setup", "Settings"]  # fmt: skip


def _boxes(page: Page, selector: str) -> list[dict]:
    return page.locator(selector).evaluate_all("els => els.map(e => e.getBoundingClientRect().toJSON())")


def assert_header_on_one_row(page: Page, items: list[str]) -> None:
    nav = page.get_by_role("navigation", name="Main")
    for name in items:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    links = _boxes(page, ".mainnav a")
    assert len(links) == len(items)
    # One row: every item at the same height, and the header no taller than one item and a half.
    assert len({round(box["top"]) for box in links}) == 1, links
    line = max(box["height"] for box in links)
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 1.5 * line + 16, (header, line)
    # The account menu and "Sign out" sit on that row too, inside the window.
    for part in (page.locator(".account-menu > summary"), page.get_by_role("button", name="Sign out")):
        box = part.bounding_box()
        assert header["y"] <= box["y"], (box, header)
        assert box["y"] + box["height"] <= header["y"] + header["height"], (box, header)
        assert box["x"] + box["width"] <= LAPTOP["width"], box


@pytest.fixture
def laptop(page: Page) -> Page:
    page.set_viewport_size(LAPTOP)
    return page


@pytest.mark.browser
def test_an_admin_in_two_organizations_has_the_whole_header_on_one_row(laptop: Page):
    page = laptop
    home = OrganizationFactory(name="Riverside Community Health Center", slug="riverside-chc")
    other = OrganizationFactory(name="Lakeshore General Hospital", slug="lakeshore-gh")
    grace = UserFactory(full_name="Grace Kim-Whitfield", email="grace@example.org")
    make_actor(home, Role.COORDINATOR, Role.ORG_ADMIN, user=grace)
    make_actor(other, Role.COORDINATOR, user=grace)
    sign_in(page, grace.email)
    # An organization admin turns on two-factor first (the header is already whole there).
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))
    secret = page.get_by_test_id("otp-secret").inner_text()
    page.get_by_label("Six-digit code").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect_signed_in(page)
    page.goto("/worklist/")

    # The organization switcher is in the account menu, folded away, and still switches.
    summary = page.locator(".account-menu > summary")
    expect(summary).to_contain_text("Grace Kim-Whitfield")
    expect(page.get_by_label("Organization")).to_be_hidden()
    switch_to(page, "Riverside Community Health Center")
    assert_header_on_one_row(page, ALL_ITEMS)
    summary.click()
    expect(page.get_by_role("link", name="Password, sessions and break-glass")).to_be_visible()
    summary.click()  # folds it again
    expect(page.get_by_label("Organization")).to_be_hidden()
    # A coordinator in the other organization: the admin's items are gone, the rest still on one row.
    switch_to(page, "Lakeshore General Hospital")
    assert_header_on_one_row(page, ALL_ITEMS[:10])


def switch_to(page: Page, organization: str) -> None:
    page.locator(".account-menu > summary").click()
    page.get_by_label("Organization").select_option(label=organization)
    page.get_by_role("button", name="Switch", exact=True).click()
    expect(page.locator(".account-menu > summary")).to_contain_text(organization)
    expect(page.get_by_label("Organization")).to_be_hidden()


@pytest.mark.browser
def test_the_header_wraps_on_a_narrow_window_without_losing_an_item(page: Page):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    page.set_viewport_size({"width": 800, "height": 700})
    sign_in(page, dana.email)
    expect_signed_in(page)
    nav = page.get_by_role("navigation", name="Main")
    for name in ALL_ITEMS[:10]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


@pytest.mark.browser
def test_find_a_slot_keeps_the_waitlist_with_its_other_actions(laptop: Page):
    page = laptop
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto("/schedule/find/")
    actions = page.locator(".page-head .page-actions")
    waitlist = actions.get_by_role("link", name="Waitlist", exact=True)
    calendars = actions.get_by_role("link", name="Therapy calendars")
    expect(waitlist).to_be_visible()
    expect(calendars).to_be_visible()
    heading = page.get_by_role("heading", name="Find a slot").bounding_box()
    w, c = waitlist.bounding_box(), calendars.bounding_box()
    # Side by side at the right of the heading's row, not floating in the middle of the page.
    assert abs(w["y"] - c["y"]) < 2, (w, c)
    assert 0 < c["x"] - (w["x"] + w["width"]) < 24, (w, c)
    assert w["x"] > LAPTOP["width"] * 0.6, w
    assert w["y"] < heading["y"] + heading["height"], (w, heading)


@pytest.mark.browser
def test_the_checkins_tab_and_the_note_form_use_the_width(laptop: Page):
    page = laptop
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    plan = CarePlanFactory(patient=rosa, author=dana)
    GoalFactory(careplan=plan, description="Walks 20 minutes a day")
    sign_in(page, dana.email)
    expect_signed_in(page)

    page.goto(f"/patients/{rosa.public_id}/checkins/")
    schedule = page.locator("section", has=page.locator("#cadence-title")).bounding_box()
    outreach = page.locator("section#outreach").bounding_box()
    notes = page.locator("section", has=page.locator("#notes-title")).bounding_box()
    # Schedule and outreach side by side, together as wide as the full-width notes panel below.
    assert abs(schedule["y"] - outreach["y"]) < 2, (schedule, outreach)
    assert abs((outreach["x"] + outreach["width"]) - (notes["x"] + notes["width"])) < 2, (outreach, notes)
    assert abs(schedule["width"] - outreach["width"]) < 2, (schedule, outreach)

    page.goto(f"/patients/{rosa.public_id}/notes/new/?template=phone_checkin")
    progress = page.get_by_label("Progress", exact=True)
    expect(progress).to_be_visible()
    section = page.locator("fieldset", has_text="Progress on goals").bounding_box()
    box = progress.bounding_box()
    assert box["width"] > 0.6 * section["width"], (box, section)
