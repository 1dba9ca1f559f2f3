"""
Prior authorizations across patients in a real browser: a coordinator opens the list from the main navigation,
sees the most urgent request first (an appeal whose decision is overdue, then a request needed tomorrow, then
an appeal deadline in 10 days), urgency cues in words and red only when near, and filters the list by status.
"""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from carecoord.core import clock
from carecoord.core.choices import Role

from ..coverage.factories import make_coverage, make_payer
from ..coverage.test_priorauth_list import appeal, make_auth
from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import assert_accessible, expect_signed_in, sign_in


@pytest.mark.browser
def test_the_list_opens_from_the_navigation_and_filters_by_status(page: Page):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    payer = make_payer(actor, name="Humana", payer_id="61101")
    today = clock.today_in(org.tz)
    days = dt.timedelta
    rosa = make_coverage(actor, PatientFactory(organization=org, given_name="Rosa", family_name="Delgado"), payer)
    omar = make_coverage(actor, PatientFactory(organization=org, given_name="Omar", family_name="Haddad"), payer)
    make_auth(actor, rosa, "approved", "Physical therapy", start=today - days(30), end=today + days(90),
              submitted=today - days(40), decided=today - days(35))  # fmt: skip
    make_auth(actor, omar, "denied", "Lumbar MRI", start=today, end=today + days(30),
              submitted=today - days(55), decided=today - days(50))  # fmt: skip
    appealed = make_auth(actor, omar, "denied", "Cardiac rehab", start=today - days(60), end=today + days(60),
                         submitted=today - days(75), decided=today - days(70))  # fmt: skip
    appeal(actor, appealed, filed=today - days(40))  # its decision was expected 10 days ago
    make_auth(actor, rosa, "submitted", "Walker", start=today + days(1), end=today + days(60),
              submitted=today - days(3))  # fmt: skip
    make_auth(actor, rosa, "denied", "CPAP supplies", start=today, end=today + days(90),
              submitted=today - days(25), decided=today - days(20))  # fmt: skip
    sign_in(page, dana.email)
    expect_signed_in(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Prior auths").click()
    expect(page.get_by_role("heading", name="Prior authorizations", level=1)).to_be_visible()
    rows = page.locator("#priorauth-results tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Cardiac rehab")
    expect(rows.nth(0)).to_contain_text("First-level appeal filed")
    expect(rows.nth(0).locator(".badge-alert")).to_have_text("Decision overdue by 10 days")
    expect(rows.nth(1)).to_contain_text("Walker")
    expect(rows.nth(1).locator(".badge-alert")).to_have_text("Needed tomorrow")
    expect(rows.nth(2)).to_contain_text("Lumbar MRI")  # its appeal is due in 10 days
    expect(rows.nth(2).locator(".badge-alert")).to_have_text("10 days left")
    expect(rows.nth(3)).to_contain_text("CPAP supplies")  # appeal by in 40 days: not red
    expect(rows.nth(3)).to_contain_text("40 days left")
    expect(rows.nth(3).locator(".badge-alert")).to_have_count(0)
    expect(rows.nth(4)).to_contain_text("Physical therapy")
    assert_accessible(page, "the prior authorization list")

    page.get_by_label("Show").select_option(label="Appeal pending")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Cardiac rehab")

    page.get_by_label("Show").select_option(label="Approved")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Physical therapy")
    expect(rows.first).to_contain_text("Delgado, Rosa")
    rows.first.get_by_role("link", name="Delgado, Rosa").click()
    expect(page.get_by_role("heading", name="Prior authorizations")).to_be_visible()
    expect(page.locator("#prior-auths")).to_contain_text("Physical therapy")
