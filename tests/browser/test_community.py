"""
Social needs in a real browser: a coordinator screens a patient (food insecurity), finds a food pantry by ZIP
code, refers her with consent; the pantry, which uses CareCoord, accepts and completes the referral in its own
inbox without seeing the chart; the coordinator sees the referral closed with its outcome.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from carecoord.community.models import Referral
from carecoord.core.choices import Role
from carecoord.patients.models import Condition

from ..community.factories import AgencyFactory, ServiceFactory, offered_at
from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import assert_accessible, expect_signed_in, sign_in, sign_out

QUESTIONS = {
    "What is your living situation today?": "I have a steady place to live",
    "Think about the place you live.": "None of the above",
    "you worried that your food would run out": "Sometimes true",
    "the food you bought just didn't last": "Never true",
    "lack of reliable transportation": "No",
    "threatened to shut off services": "No",
    "physically hurt you": "Never",
    "insult or talk down to you": "Never",
    "threaten you with harm": "Never",
    "scream or curse at you": "Never",
}


def _world():
    clinic = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    pantry_org = OrganizationFactory(name="Northside Food Pantry", slug="northside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(clinic, Role.COORDINATOR, user=dana)
    pat = UserFactory(full_name="Pat Okoye", email="pat.okoye@example.org")
    make_actor(pantry_org, Role.COORDINATOR, user=pat)
    rosa = PatientFactory(organization=clinic, given_name="Rosa", family_name="Delgado", mrn="LC-1001",
                          postal_code="60614", phone_primary="+13125550142")  # fmt: skip
    agency = AgencyFactory(organization=clinic, name="Northside Food Pantry", linked_organization=pantry_org)
    pantry = ServiceFactory(agency=agency, name="Weekly groceries", needs=",food-insecurity,", languages=",en,es,")
    offered_at(pantry, address_1="2400 N Clark St", postal_code="60614", latitude=41.9250, longitude=-87.6400)
    far = ServiceFactory(agency=AgencyFactory(organization=clinic, name="West Suburban Pantry"), name="Food shelf")
    offered_at(far, postal_code="60540", latitude=41.7508, longitude=-88.1535)
    bus = ServiceFactory(agency=agency, name="Bus passes", needs=",transportation-insecurity,")
    offered_at(bus, postal_code="60614", latitude=41.9227, longitude=-87.6533)
    return dana, pat, rosa


@pytest.mark.browser
def test_screen_find_a_pantry_refer_and_close_the_loop(page: Page):
    dana, pat, rosa = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)

    # The chart's Social needs tab, then the AHC HRSN screen.
    page.goto(f"/patients/{rosa.public_id}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Social needs").click()
    expect(page.get_by_role("heading", name="Social needs on the chart")).to_be_visible()
    assert_accessible(page, "the Social needs tab")
    page.get_by_role("link", name="Screen for social needs").click()
    assert_accessible(page, "the screening form")
    for question, answer in QUESTIONS.items():
        page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save screening").click()
    expect(
        page.get_by_text("Screening saved: food insecurity. 1 added to the chart as health concerns.")
    ).to_be_visible()
    assert Condition.objects.get(patient=rosa).code == "733423003"

    # Find help near her ZIP code: the nearby pantry first, the bus passes not at all.
    page.get_by_role("link", name="Find help: food insecurity").click()
    results = page.locator("#resource-results")
    expect(results.locator("tbody tr").first).to_contain_text("Weekly groceries")
    expect(results).to_contain_text("Food shelf")
    expect(results).not_to_contain_text("Bus passes")
    page.get_by_label("Within (miles)").fill("5")
    page.get_by_role("button", name="Search").click()
    expect(results).not_to_contain_text("Food shelf")
    assert_accessible(page, "the resource search")

    # Refer, with consent.
    results.get_by_role("link", name="Refer to Weekly groceries").click()
    page.get_by_label("What the patient needs").fill("Food runs out before payday; two children at home.")
    page.get_by_label("Consent given by").fill("Rosa Delgado")
    page.get_by_label("The patient agreed to share").check()
    assert_accessible(page, "the referral form")
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text("Referral sent to Weekly groceries (Northside Food Pantry).")).to_be_visible()
    expect(page.locator("#referral-status")).to_have_text("Sent")
    sign_out(page)

    # The pantry answers in its own inbox; the chart stays closed to it.
    sign_in(page, pat.email)
    expect_signed_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Community").click()
    page.get_by_role("link", name=re.compile("Incoming referrals")).click()
    page.locator("tbody tr", has_text="Rosa Delgado").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral from Lakeside Clinic")
    expect(page.locator("body")).to_contain_text("(312) 555-0142")
    expect(page.locator("body")).not_to_contain_text("LC-1001")
    assert_accessible(page, "the incoming referral")
    page.get_by_label("Status").select_option(label="Accepted")
    page.get_by_role("button", name="Update the referral").click()
    expect(page.get_by_text("Referral accepted.")).to_be_visible()
    page.get_by_label("Status").select_option(label="Completed")
    page.get_by_label("Outcome").select_option(label="Service provided")
    page.get_by_label("Note").fill("Picked up groceries; enrolled for weekly delivery.")
    page.get_by_role("button", name="Update the referral").click()
    expect(page.locator("#referral-status")).to_have_text("Completed")
    response = page.goto(f"/patients/{rosa.public_id}/")
    assert response is not None
    assert response.status == 404
    page.goto("/community/referrals/")
    sign_out(page)

    # Back at the clinic: the loop is closed, with the outcome.
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(f"/patients/{rosa.public_id}/social-needs/")
    row = page.get_by_role("region", name="Referrals").locator("tbody tr").first
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("Service provided")
    referral = Referral.objects.get(patient=rosa)
    assert (referral.status, referral.outcome) == ("completed", "service-provided")
