"""
Insurance in a real browser: a coordinator adds a patient's Medicare Advantage coverage from the chart's
Insurance tab, makes the X12 270 inquiry, uploads the payer's 271 and reads the copays by network.
"""

import pytest
from playwright.sync_api import Page, expect

from carecoord.core.choices import Role
from carecoord.coverage import services
from carecoord.coverage.models import EligibilityCheck

from ..coverage.factories import X12_DIR
from ..factories import OrganizationFactory, PatientFactory, UserFactory, make_actor
from .helpers import assert_accessible, expect_signed_in, sign_in


@pytest.mark.browser
def test_coverage_and_eligibility_from_the_insurance_tab(page: Page, tmp_path):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    services.payer_create(actor=actor, data={"name": "Humana", "payer_id": "61101"})
    sign_in(page, dana.email)
    expect_signed_in(page)

    page.goto(f"/patients/{rosa.public_id}/insurance/")
    expect(page.get_by_role("heading", name="Coverages")).to_be_visible()
    assert_accessible(page, "the Insurance tab")

    page.locator("summary", has_text="Add a coverage").click()
    form = page.locator("form", has=page.get_by_role("button", name="Add coverage"))
    form.get_by_label("Kind of coverage").select_option(label="Medicare Advantage")
    form.get_by_label("Payer").select_option(label="Humana")
    form.get_by_label("Plan").fill("Gold Plus HMO")
    form.get_by_label("Member ID").fill("H12345678")
    form.get_by_role("button", name="Add coverage").click()
    expect(page.get_by_text("added as primary coverage")).to_be_visible()
    expect(page.locator("#coverages tbody")).to_contain_text("Gold Plus HMO")
    page.screenshot(path=str(tmp_path / "insurance.png"), full_page=True)

    page.locator("summary", has_text="Manage").click()
    page.get_by_role("button", name="Make the 270 inquiry").click()
    expect(page.get_by_role("heading", name="Eligibility check", level=1)).to_be_visible()
    check = EligibilityCheck.objects.get()
    answer = (X12_DIR / "subscriber-health-benefit-check.271").read_text().replace("93175-012547", check.trace_number)
    file = tmp_path / "response.271"
    file.write_text(answer)
    page.get_by_label("271 response file").set_input_files(str(file))
    page.get_by_role("button", name="Read the response").click()
    expect(page.get_by_text("Response read: active coverage.")).to_be_visible()
    costs = page.get_by_role("region", name="What the patient pays")
    expect(costs).to_contain_text("Out of network")
    expect(costs).to_contain_text("$30.00")
    assert_accessible(page, "the eligibility check")
    page.screenshot(path=str(tmp_path / "eligibility.png"), full_page=True)
