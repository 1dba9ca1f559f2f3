"""
A refused reconciliation save in a real browser: one row of four is wrong, so nothing is saved; the page comes
back with the error summary at the top of the form, in view and focused, every row as the coordinator left it;
the summary's link leads to the row, and fixing it and saving again saves every row. A refused signature
likewise gets its summary, naming the medications still open.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.medications import services
from carecoord.medications.models import ReconciliationDecision

from ..factories import OrganizationFactory, PatientFactory, PractitionerFactory, UserFactory, make_actor
from .helpers import accept_confirmation, assert_accessible, expect_signed_in, sign_in


def _world():
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    PractitionerFactory(organization=org, given_name="Hana", family_name="Ito", suffix="MD")
    today = clock.today_in(org.tz)
    discharge = services.medication_list_create(
        actor=actor, patient=rosa, source="discharge", source_name="Lakeside General discharge", list_date=today,
        lines=[
            {"display": "Lisinopril 10 mg", "dose": "10 mg", "frequency_code": "daily"},
            {"display": "Metoprolol tartrate 25 mg", "dose": "50 mg", "frequency_code": "bid"},
            {"display": "Apixaban 5 mg", "rxnorm_code": "1364430", "dose": "5 mg", "frequency_code": "bid"},
        ],
    )  # fmt: skip
    mar = services.medication_list_create(
        actor=actor, patient=rosa, source="mar", source_name="Maple Grove MAR", list_date=today, lines=[
            {"display": "Lisinopril 10 mg", "dose": "10 mg", "frequency_code": "daily"},
            {"display": "Metoprolol tartrate 25 mg", "dose": "25 mg", "frequency_code": "bid"},
            {"display": "Warfarin 5 mg", "rxnorm_code": "11289", "dose": "5 mg", "frequency_code": "daily"},
        ],
    )  # fmt: skip
    reconciliation = services.reconciliation_start(actor=actor, patient=rosa, base_list=discharge, other_lists=[mar])
    return dana, reconciliation


def row_of(page: Page, medication: str):
    return page.locator("#decisions tbody tr", has=page.get_by_role("rowheader", name=re.compile(medication)))


def decide(page: Page, medication: str, action: str):
    row = row_of(page, medication)
    row.get_by_role("group", name=re.compile("Decision for")).get_by_label(action, exact=True).check()
    return row


def expect_summary_on_top(page: Page, summary, form_selector: str) -> None:
    """Shown, focused, in view, and the first thing in its form."""
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    first = page.locator(f"{form_selector} > :not(input[type=hidden])").first
    assert first.get_attribute("id") == summary.get_attribute("id")


@pytest.mark.browser
def test_a_bad_row_saves_nothing_the_summary_says_so_on_top_and_fixing_it_saves_all(page: Page):
    dana, reconciliation = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(reconciliation.get_absolute_url())
    expect(page.locator("#decisions tbody tr")).to_have_count(4)

    decide(page, "Lisinopril", "Continue")
    metoprolol = decide(page, "Metoprolol", "Change")
    metoprolol.locator("summary", has_text="Change dose").click()
    metoprolol.get_by_label("New dose").fill("50 mg")
    metoprolol.get_by_label("Ordered by", exact=True).fill("Dr. Carl Berg")
    apixaban = decide(page, "Apixaban", "Hold")
    apixaban.get_by_label("Note or question for the prescriber").fill("Before the colonoscopy")
    apixaban.get_by_label("Ordering prescriber (directory)").select_option(label="Hana Ito, MD")
    resume = clock.today_in(reconciliation.organization.tz) + dt.timedelta(days=7)
    apixaban.get_by_label("Resume on").fill(resume.isoformat())
    warfarin = decide(page, "Warfarin", "Stop")
    warfarin.get_by_label("Note or question for the prescriber").fill("Stopped by the cardiologist")
    page.get_by_role("button", name="Save decisions").click()  # no "Ordered by" for the stop

    summary = page.get_by_role("alert").filter(has_text="Nothing was saved")
    expect_summary_on_top(page, summary, "#decisions")
    expect(summary).to_contain_text("None of the decisions on this page were saved: 1 medication needs attention.")
    expect(summary.get_by_role("listitem")).to_have_text(
        ["Warfarin 5 mg: Stopping Warfarin 5 mg needs the prescriber who ordered it (Ordered by)."]
    )
    assert not ReconciliationDecision.objects.exists()
    # Every row as it was left; the bad field marked.
    expect(metoprolol.get_by_label("New dose")).to_have_value("50 mg")
    expect(metoprolol.get_by_label("Change", exact=True)).to_be_checked()
    expect(apixaban.get_by_label("Note or question for the prescriber")).to_have_value("Before the colonoscopy")
    expect(apixaban.get_by_label("Resume on")).to_have_value(resume.isoformat())
    expect(warfarin.get_by_label("Stop", exact=True)).to_be_checked()
    ordered_by = warfarin.get_by_label("Ordered by", exact=True)
    expect(ordered_by).to_have_attribute("aria-invalid", "true")
    expect(ordered_by).to_have_accessible_description(re.compile("Stopping Warfarin 5 mg needs the prescriber"))
    expect(warfarin).to_have_class(re.compile("med-attention"))
    expect(metoprolol).not_to_have_class(re.compile("med-attention"))
    assert_accessible(page, "the reconciliation after a refused save")

    # The summary's link leads to the row; fixed, everything is saved.
    summary.get_by_role("link", name="Warfarin 5 mg").click()
    expect(page).to_have_url(re.compile(r"#row-\d+$"))
    expect(warfarin).to_be_in_viewport()
    ordered_by.fill("Dr. Hana Ito")
    page.get_by_role("button", name="Save decisions").click()
    expect(page.get_by_text("4 decisions saved.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Nothing was saved")).to_have_count(0)
    decisions = {d.chosen_line.display: d for d in ReconciliationDecision.objects.select_related("chosen_line")}
    assert {name: d.action for name, d in decisions.items()} == {
        "Lisinopril 10 mg": "continue", "Metoprolol tartrate 25 mg": "change", "Apixaban 5 mg": "hold",
        "Warfarin 5 mg": "stop",
    }  # fmt: skip
    assert (decisions["Metoprolol tartrate 25 mg"].dose, decisions["Apixaban 5 mg"].resume_date) == ("50 mg", resume)
    assert decisions["Warfarin 5 mg"].ordered_by == "Dr. Hana Ito"


@pytest.mark.browser
def test_a_refused_signature_names_the_open_medications_on_top_of_the_sign_form(page: Page):
    dana, reconciliation = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(reconciliation.get_absolute_url())
    decide(page, "Lisinopril", "Continue")
    decide(page, "Metoprolol", "Continue")
    page.get_by_role("button", name="Save decisions").click()
    expect(page.get_by_text("2 decisions saved.")).to_be_visible()

    page.get_by_label("Note with the signature").fill("Reviewed with Rosa's daughter.")
    accept_confirmation(page)
    page.get_by_role("button", name="Sign reconciliation").click()

    summary = page.get_by_role("alert").filter(has_text="The reconciliation was not signed")
    expect_summary_on_top(page, summary, "form.form-card")
    expect(summary).to_contain_text("2 medications need attention:")
    expect(summary.get_by_role("link")).to_have_text(["Apixaban 5 mg", "Warfarin 5 mg"])
    expect(page.get_by_label("Note with the signature")).to_have_value("Reviewed with Rosa's daughter.")
    expect(row_of(page, "Warfarin")).to_contain_text("Not decided yet: choose a decision.")
    decision = row_of(page, "Warfarin").get_by_role("group", name=re.compile("Decision for"))
    expect(decision).to_have_accessible_description("Not decided yet: choose a decision.")
    assert_accessible(page, "the reconciliation after a refused signature")
    summary.get_by_role("link", name="Apixaban 5 mg").click()
    expect(row_of(page, "Apixaban")).to_be_in_viewport()
    reconciliation.refresh_from_db()
    assert reconciliation.status == "draft"
