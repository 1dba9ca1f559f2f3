"""
In a real browser: a coordinator runs the benefits pre-screen (entering the household size, which is not
assumed), starts a SNAP application from its result and finds the Insurance tab's form open with SNAP chosen;
and on the prior authorization list sees only the organization's own requests until asking for all, when the
shared patient's home organization's request says whose it is and is not flagged as ours.
"""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from carecoord.core import clock
from carecoord.core.choices import Role

from ..coverage.factories import make_coverage, make_payer
from ..coverage.test_priorauth_list import make_auth
from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor, share_by_consent
from .helpers import assert_accessible, expect_signed_in, sign_in


@pytest.mark.browser
def test_start_a_snap_application_from_the_pre_screen(page: Page, tmp_path):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside", state="IL")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", state="IL")
    sign_in(page, dana.email)
    expect_signed_in(page)

    page.goto(f"/patients/{rosa.public_id}/social-needs/benefits/")
    household = page.get_by_label("People in the household")
    expect(household).to_have_value("")
    household.fill("3")
    page.get_by_label("Household income a year ($)").fill("25000")
    page.get_by_label("Patient's age").fill("40")
    page.get_by_label("Current coverage").select_option("uninsured")
    page.get_by_role("button", name="Check programs").click()
    snap = page.locator("#program-snap")
    expect(snap).to_contain_text("SNAP (food assistance)")
    expect(page.locator("#program-medicaid-adult")).to_be_visible()
    expect(page.get_by_role("link", name="Start an application for", exact=False)).to_have_count(4)
    assert_accessible(page, "the benefits pre-screen with its results")
    page.screenshot(path=str(tmp_path / "prescreen.png"), full_page=True)

    snap.get_by_role("link", name="Start an application for SNAP (food assistance)").click()
    expect(page.locator("#application-new")).to_have_attribute("open", "")
    expect(page.locator("#id_application-program")).to_have_value("snap")
    expect(page.locator("#id_application-program_name")).to_have_value("SNAP (food assistance)")
    page.get_by_role("button", name="Save application").click()
    expect(page.locator("#applications tbody")).to_contain_text("SNAP (food assistance)")
    assert rosa.funding_applications.get().program == "snap"
    assert actor.organization == org


@pytest.mark.browser
def test_the_prior_auth_list_is_ours_until_asked_for_all(page: Page, tmp_path):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    hospital = OrganizationFactory(name="Lakeshore General Hospital", slug="lakeshore", kind="hospital")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    their_actor = make_actor(hospital, Role.COORDINATOR)
    today = clock.today_in(org.tz)
    days = dt.timedelta
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    make_auth(actor, make_coverage(actor, rosa, make_payer(actor, name="Humana", payer_id="61101")), "submitted",
              "Walker", start=today - days(2), end=today + days(60), submitted=today - days(10))  # fmt: skip
    omar = PatientFactory(organization=hospital, given_name="Omar", family_name="Haddad")
    their_payer = make_payer(their_actor, name="Aetna", payer_id="60054")
    make_auth(their_actor, make_coverage(their_actor, omar, their_payer), "submitted", "Cardiac rehab",
              start=today - days(5), end=today + days(60), submitted=today - days(20))  # fmt: skip
    share_by_consent(their_actor, omar, org, signed_on=today - days(30))
    sign_in(page, dana.email)
    expect_signed_in(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Prior auths").click()
    rows = page.locator("#priorauth-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Walker")
    expect(rows.nth(0).locator(".badge-alert")).to_have_text("Overdue by 2 days")
    expect(page.locator("#priorauth-count")).to_contain_text("1 more of other organizations (read only)")

    page.get_by_label("Whose").select_option(label="All I can see")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    theirs = page.locator("#priorauth-results tbody tr", has_text="Cardiac rehab")
    expect(theirs).to_contain_text("Lakeshore General Hospital's · read only")
    expect(theirs).to_contain_text("Overdue by 5 days")
    expect(theirs.locator(".badge-alert")).to_have_count(0)
    assert_accessible(page, "the prior authorization list with other organizations' requests")
    page.screenshot(path=str(tmp_path / "pa-list.png"), full_page=True)

    theirs.get_by_role("link", name="Cardiac rehab").click()
    expect(page.locator("#owner-note")).to_contain_text("Lakeshore General Hospital made this request")
    expect(page.get_by_role("heading", name="Change the status")).to_have_count(0)
