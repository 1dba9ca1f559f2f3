"""The front desk registers a patient and adds a caregiver right away, without the proxy or sharing boxes."""

import re

import pytest
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role
from carecoord.patients.models import RelatedPerson

from ..factories import OrganizationFactory, make_actor
from .helpers import assert_accessible, sign_in


@pytest.mark.browser
def test_a_scheduler_registers_then_adds_a_caregiver(page: Page):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    scheduler = make_actor(org, Role.SCHEDULER)
    sign_in(page, scheduler.user.email)
    page.goto("/patients/new/")
    page.get_by_label("MRN").fill("LC-3003")
    page.get_by_label("Legal first name").fill("Lena")
    page.get_by_label("Legal last name").fill("Park")
    page.get_by_label("Birth date").fill("1948-09-01")
    page.get_by_label("Administrative sex").select_option(label="Female")
    page.get_by_label("Main phone", exact=True).fill("(312) 555-0142")
    page.get_by_role("button", name="Register, then add family or caregiver").click()

    expect(page).to_have_url(re.compile(r"/patients/[0-9a-f-]{36}/\?form=family#family-panel$"))
    expect(page.get_by_text("Park, Lena is registered.")).to_be_visible()
    family = page.locator("#family-panel")
    expect(family.get_by_label("Is health care proxy")).to_have_count(0)
    expect(family.get_by_label("May receive information")).to_have_count(0)
    family.get_by_label("Given name").fill("Marco")
    family.get_by_label("Family name").fill("Park")
    family.get_by_label("Relationship").select_option(label="Paid caregiver")
    family.get_by_label("Phone", exact=True).fill("(312) 555-0199")
    family.get_by_label("Is emergency contact").check()
    assert_accessible(page, "the chart with the front desk's family form")
    family.get_by_role("button", name="Add family member").click()
    expect(family.locator("li", has_text="Marco Park")).to_contain_text("Emergency contact")
    person = RelatedPerson.objects.get(patient__mrn="LC-3003")
    assert (person.is_emergency_contact, person.is_health_care_proxy) == (True, False)
