"""
The off-site doctor is not in the directory: "Doctor not listed? Add to the directory" opens the directory
form in a new tab; back on the medication list, the new doctor is among the prescriber choices and the rows
already typed are still there (the page is never reloaded). Therapists and nurses are not offered.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role
from carecoord.medications.models import MedicationStatement

from ..factories import OrganizationFactory, PatientFactory, PractitionerFactory, UserFactory, make_actor
from .helpers import expect_signed_in, sign_in


@pytest.mark.browser
def test_a_doctor_added_in_a_new_tab_joins_the_choices_without_losing_the_rows(page: Page):
    org = OrganizationFactory(name="Maple Grove Nursing & Rehab", slug="maple-grove")
    tanya = UserFactory(full_name="Tanya Robinson", email="tanya.robinson@example.org")
    make_actor(org, Role.COORDINATOR, user=tanya)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="MG-1001")
    PractitionerFactory(
        organization=org,
        given_name="Grace",
        family_name="Okafor",
        suffix="MD",
        specialty_code="207RG0300X",
        specialty_display="Internal Medicine, Geriatric Medicine",
    )
    PractitionerFactory(organization=org, given_name="Pete", family_name="Lund", suffix="PT",
                        specialty_code="225100000X", specialty_display="Physical Therapist")  # fmt: skip
    sign_in(page, tanya.email)
    expect_signed_in(page)
    page.goto(f"/patients/{rosa.public_id}/medications/lists/new/")
    page.get_by_label("Where the list came from").select_option(label="Outside prescriber")
    row = page.get_by_role("group", name="Medication 1", exact=True)
    row.get_by_label(re.compile(r"^Medication")).fill("Metoprolol succinate ER 25 mg")
    row.get_by_label("Dose").fill("25 mg")
    prescriber = row.get_by_label("Prescriber")
    expect(prescriber.locator("option")).to_have_text(["— none on file —", "Grace Okafor, MD"])

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Doctor not listed? Add to the directory").click()
    directory = opened.value
    directory.get_by_label("Given name").fill("Carl")
    directory.get_by_label("Family name").fill("Berg")
    directory.get_by_label("Credentials").fill("MD")
    directory.get_by_role("button", name="Add practitioner").click()
    expect(directory.get_by_text("Carl Berg, MD was added to the directory.")).to_be_visible()
    directory.close()

    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # headless Chromium: the tab coming back
    expect(prescriber.locator("option")).to_have_text(["— none on file —", "Carl Berg, MD", "Grace Okafor, MD"])
    expect(row.get_by_label(re.compile(r"^Medication"))).to_have_value("Metoprolol succinate ER 25 mg")
    expect(row.get_by_label("Dose")).to_have_value("25 mg")
    prescriber.select_option(label="Carl Berg, MD")
    page.get_by_role("button", name="Save list").click()
    expect(page.get_by_text("saved with 1 medication")).to_be_visible()
    line = MedicationStatement.objects.get()
    assert (line.display, line.prescriber.display_name) == ("Metoprolol succinate ER 25 mg", "Carl Berg, MD")
