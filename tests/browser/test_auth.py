"""Sign-in in a real browser: lockout after wrong passwords, idle sign-out, two-factor set-up and verification."""

import datetime as dt
import re
import time

import pytest
import time_machine
from playwright.sync_api import expect

from carecoord.core.choices import Role

from ..factories import OrganizationFactory, PatientFactory, make_actor
from .helpers import (
    LOGIN_PATH,
    assert_accessible,
    expect_signed_in,
    sign_in,
    sign_out,
    totp_code,
    wrong_code,
)

IDLE_MESSAGE = "You were signed out after a period of inactivity."


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.mark.browser
def test_lockout(page):
    org = OrganizationFactory()
    actor = make_actor(org, Role.COORDINATOR)
    email = actor.user.email

    page.goto("/account/login/")
    for attempt in range(1, 5):
        sign_in(page, email, f"wrong-password-{attempt}", go=False)
        expect(page.get_by_role("alert")).to_have_text("That email and password do not match an active account.")
    assert_accessible(page, "the sign-in page with an error")

    with page.expect_response(lambda r: r.request.method == "POST") as fifth:
        sign_in(page, email, "wrong-password-5", go=False)
    assert fifth.value.status == 429
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    assert_accessible(page, "the lockout page")

    # Even the right password is refused now, from this computer.
    page.get_by_role("link", name="Back to sign in").click()
    with page.expect_response(lambda r: r.request.method == "POST") as sixth:
        sign_in(page, email, go=False)
    assert sixth.value.status == 429
    expect(page.get_by_role("heading", name="Too many failed sign-in attempts")).to_be_visible()
    page.goto("/patients/")
    expect(page).to_have_url(LOGIN_PATH)


@pytest.mark.browser
def test_idle_logout_on_the_server(page):
    org = OrganizationFactory(idle_timeout_minutes=15)
    actor = make_actor(org, Role.COORDINATOR)
    PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    sign_in(page, actor.user.email)
    expect_signed_in(page)
    page.goto("/patients/")
    started = _now()

    # Ten idle minutes are within the organization's fifteen.
    with time_machine.travel(started + dt.timedelta(minutes=10), tick=True):
        page.reload()
        expect(page.get_by_role("link", name="Delgado, Rosa")).to_be_visible()

    # Twenty minutes after that request, the next one lands on the sign-in page.
    with time_machine.travel(started + dt.timedelta(minutes=30), tick=True):
        page.reload()
        expect(page).to_have_url(LOGIN_PATH)
        expect(page.get_by_text(IDLE_MESSAGE)).to_be_visible()
        expect(page.get_by_text("Delgado, Rosa")).to_have_count(0)
        page.goto("/patients/")
        expect(page).to_have_url(LOGIN_PATH)


@pytest.mark.browser
def test_idle_logout_in_the_browser(page):
    """The page itself leaves for the sign-in page once the organization's idle period has passed."""
    org = OrganizationFactory(idle_timeout_minutes=1)
    actor = make_actor(org, Role.COORDINATOR)
    PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    sign_in(page, actor.user.email)
    expect_signed_in(page)

    page.clock.install()
    page.goto("/patients/")
    loaded = _now()
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "60")
    requested = []
    page.on("request", lambda r: requested.append(r.url) if r.resource_type == "document" else None)

    page.clock.fast_forward("00:40")
    page.wait_for_timeout(200)
    expect(page.get_by_role("link", name="Delgado, Rosa")).to_be_visible()
    assert requested == []

    # The server's clock moves too, as it would have: the session is idle there as well.
    with time_machine.travel(loaded + dt.timedelta(seconds=66), tick=True):
        page.clock.fast_forward("00:26")
        expect(page).to_have_url(LOGIN_PATH)
        expect(page.get_by_text(IDLE_MESSAGE)).to_be_visible()
    assert requested[0].endswith("/account/login/?idle=1&next=%2Fpatients%2F"), requested
    expect(page.get_by_text("Delgado, Rosa")).to_have_count(0)


@pytest.mark.browser
def test_two_factor_setup(page):
    org = OrganizationFactory(require_mfa=True)
    actor = make_actor(org, Role.COORDINATOR)
    email = actor.user.email

    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_text("Your organization requires a second factor")).to_be_visible()
    assert_accessible(page, "the two-factor set-up page")

    # Patient records stay closed until two-factor is on.
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))

    secret = page.get_by_test_id("otp-secret").inner_text()
    page.get_by_label("Six-digit code").fill(wrong_code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    assert_accessible(page, "the two-factor set-up page with an error")
    time.sleep(1.1)  # django-otp throttles for a second after a wrong code

    set_up_at = time.time()
    page.get_by_label("Six-digit code").fill(totp_code(secret, at=set_up_at))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect_signed_in(page)
    expect(page.get_by_text("Two-factor authentication is on for your account.")).to_be_visible()
    page.goto("/patients/")
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    sign_out(page)

    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/account/verify/"))
    expect(page.get_by_role("heading", name="Enter your two-factor code")).to_be_visible()
    assert_accessible(page, "the two-factor code page")
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/account/verify/\?next=/patients/$"))

    page.get_by_label("Six-digit code").fill(wrong_code(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not valid")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/account/verify/"))
    assert_accessible(page, "the two-factor code page with an error")
    time.sleep(1.1)

    # A code works once: the app's code after the one used at set-up (django-otp allows one step of drift).
    page.get_by_label("Six-digit code").fill(totp_code(secret, at=set_up_at + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()


@pytest.mark.browser
def test_signing_in_after_an_idle_sign_out_returns_to_the_page(page):
    """After the screen's idle sign-out, signing in again goes back to the page the person was on."""
    org = OrganizationFactory(idle_timeout_minutes=1)
    actor = make_actor(org, Role.COORDINATOR)
    sign_in(page, actor.user.email)
    expect_signed_in(page)
    page.goto("/patients/")
    with time_machine.travel(_now() + dt.timedelta(minutes=2), tick=True):
        # Where app.js sends the browser when the idle period has passed.
        page.goto("/account/login/?idle=1&next=%2Fpatients%2F")
        expect(page.get_by_text(IDLE_MESSAGE)).to_be_visible()
        sign_in(page, actor.user.email, go=False)
        expect(page).to_have_url(re.compile(r"/patients/$"))
        expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
