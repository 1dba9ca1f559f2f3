"""
Closing the loop on sent referrals in a real browser: the coordinator refers a patient (the form starts with
the patient as the consenting person and the food-insecurity problem as the concern), adds a follow-up note
by its own label, and finds her open referrals on "Sent referrals", the one whose follow-up passed marked.
Screenshots: /tmp/referral-sent.png, /tmp/referral-detail.png, /tmp/referral-form.png.
"""

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carecoord.community import services
from carecoord.core import clock
from carecoord.core.choices import Role

from ..community.factories import AgencyFactory, ServiceFactory, offered_at
from ..factories import ConditionFactory, OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import assert_accessible, expect_signed_in, sign_in

SHOTS = Path(tempfile.gettempdir())  # the screenshots, for a person to look at


def _world():
    clinic = OrganizationFactory(name="Riverside Community Health Center", slug="riverside-chc")
    pantry_org = OrganizationFactory(name="Northside Food Pantry", slug="northside")
    lucia = UserFactory(full_name="Lucia Morales", email="lucia.morales@example.org")
    actor = make_actor(clinic, Role.COORDINATOR, user=lucia)
    rosa = PatientFactory(organization=clinic, given_name="Rosa", family_name="Delgado", postal_code="60608")
    ConditionFactory(patient=rosa, category="problem-list-item", code_system="http://hl7.org/fhir/sid/icd-10-cm",
                     code="Z59.41", display="Food insecurity")  # fmt: skip
    agency = AgencyFactory(organization=clinic, name="Northside Food Pantry", linked_organization=pantry_org)
    pantry = ServiceFactory(agency=agency, name="Weekly groceries", needs=",food-insecurity,")
    offered_at(pantry, postal_code="60608", latitude=41.85, longitude=-87.66)
    shelter = ServiceFactory(agency=AgencyFactory(organization=clinic, name="Harbor Shelter"), name="Emergency beds",
                             needs=",homelessness,")  # fmt: skip
    # A referral sent ten days ago whose follow-up day (three days ago) has passed.
    james = PatientFactory(organization=clinic, given_name="James", family_name="Okafor")
    ten_days_ago = clock.now() - dt.timedelta(days=10)
    with time_machine.travel(ten_days_ago, tick=False):
        today = clock.today_in(clinic.tz)
        late = services.referral_send(
            actor=actor, patient=james, service=shelter, need="homelessness", reason="Needs a bed tonight",
            consent_by="James Okafor", consent_method="Verbal", consent_on=today,
            respond_by=today + dt.timedelta(days=5),
        )  # fmt: skip
        services.referral_note_add(actor=actor, referral=late, note="Shelter full; call back",
                                   follow_up_on=today + dt.timedelta(days=7))  # fmt: skip
    return lucia, rosa, pantry, late


@pytest.mark.browser
def test_refer_note_and_find_the_referral_on_the_sent_list(page: Page):
    lucia, rosa, pantry, late = _world()
    sign_in(page, lucia.email)
    expect_signed_in(page)

    # The refer form starts from the chart.
    page.goto(f"/patients/{rosa.public_id}/social-needs/refer/?service={pantry.public_id}")
    expect(page.get_by_label("Consent given by")).to_have_value("Rosa Delgado")
    expect(page.get_by_label("Health concern it addresses")).to_have_value(re.compile(r"[0-9a-f-]{36}"))
    expect(page.get_by_label("Health concern it addresses").locator("option:checked")).to_have_text("Food insecurity")
    page.get_by_label("What the patient needs").fill("Food runs out before payday.")
    page.get_by_label("The patient agreed to share").check()
    page.screenshot(path=SHOTS / "referral-form.png", full_page=True)
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text("Referral sent to Weekly groceries (Northside Food Pantry).")).to_be_visible()

    # The follow-up note's label fills the follow-up box, not the status form's note.
    page.get_by_label("Follow-up note", exact=True).fill("Called the pantry; intake is Thursday.")
    expect(page.locator("form[action$='/status/'] textarea[name=note]")).to_have_value("")
    tomorrow = clock.today_in(rosa.organization.tz) + dt.timedelta(days=1)
    page.get_by_label("Follow up again on").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_text(re.compile(r"Note added\. Follow up again on"))).to_be_visible()
    assert_accessible(page, "the referral page")
    page.screenshot(path=SHOTS / "referral-detail.png", full_page=True)

    # Sent referrals, from the Community page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Community").click()
    page.get_by_role("link", name="Sent referrals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent referrals")
    rows = page.locator("#sent-referrals tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Delgado, Rosa")  # the newest open one first
    expect(rows.first).to_contain_text("Answers in CareCoord as Northside Food Pantry")
    expect(rows.first).not_to_contain_text("Overdue")
    late_row = page.locator(f"#referral-{late.public_id}")
    expect(late_row).to_contain_text("Okafor, James")
    expect(late_row).to_contain_text("10")  # days open
    expect(late_row.locator(".badge-alert")).to_have_text(["Answer overdue", "Overdue"])
    assert_accessible(page, "the sent referrals")
    page.screenshot(path=SHOTS / "referral-sent.png", full_page=True)

    page.get_by_label("Sent by", exact=True).select_option(label="Me")
    page.get_by_label("Show", exact=True).select_option(label="Closed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#sent-referrals")).to_contain_text("No closed referrals sent by you.")
