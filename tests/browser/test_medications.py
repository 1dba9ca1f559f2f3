"""
Medication reconciliation in a real browser: a coordinator types the hospital's discharge list (adding a row
with the page's own script and picking RxNorm codes from the suggestions), compares it with the nursing home's
MAR already on file, decides each medication — one of them a question for the prescriber, one held until a
procedure — and signs.
"""

import datetime as dt
import importlib
import re

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from carecoord.careplans.models import Task
from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.medications import services
from carecoord.medications.models import MedicationList, MedicationStatement, Reconciliation, ReconciliationDecision

from ..factories import (
    ExternalOrganizationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    make_actor,
)
from .helpers import accept_confirmation, assert_accessible, expect_signed_in, sign_in

SIGN_QUESTION = "Sign the reconciliation? Its list becomes the medications on file and can no longer be changed."


@pytest.fixture
def signed_reconciliations_removable(transactional_db):
    """
    The database refuses to delete signed reconciliations (migration 0002); SQLite's flush after a
    transactional test deletes row by row, so the guard is lifted just to clear them (PostgreSQL truncates).
    """
    yield
    if connection.vendor != "sqlite":
        return
    guard = importlib.import_module("carecoord.medications.migrations.0002_signed_reconciliations_are_final")
    with connection.cursor() as cursor:
        for name in guard.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        MedicationStatement.objects.update(last_order=None)  # a reconciled line keeps the decision that ordered it
        ReconciliationDecision.objects.all().delete()
        Reconciliation.objects.all().delete()
        MedicationStatement.objects.all().delete()
        MedicationList.objects.all().delete()
        for statement in guard.SQLITE_TRIGGERS.values():
            cursor.execute(statement)


def _world():
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    actor = make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="LC-1001")
    PractitionerFactory(organization=org, given_name="Hana", family_name="Ito", suffix="MD")
    heart = ExternalOrganizationFactory(organization=org, name="Heart Partners")
    PractitionerFactory(organization=org, given_name="Carl", family_name="Berg", external_organization=heart)
    services.medication_list_create(
        actor=actor, patient=rosa, source="mar", source_name="Maple Grove MAR",
        list_date=clock.today_in(org.tz), lines=[
            {"display": "Lisinopril 10mg", "dose": "10 mg", "frequency_code": "daily"},
            {"display": "Metoprolol tartrate 25 mg", "dose": "25 mg", "frequency_code": "bid"},
            {"display": "Warfarin 5 mg", "rxnorm_code": "11289", "dose": "5 mg", "frequency_code": "daily"},
        ],
    )  # fmt: skip
    return dana, rosa


def fill_row(page: Page, number: int, name: str, dose: str, frequency: str, prescriber: str) -> None:
    row = page.get_by_role("group", name=f"Medication {number}", exact=True)
    medication = row.get_by_label(re.compile(r"^Medication"))
    medication.fill(name)
    medication.dispatch_event("change")
    row.get_by_label("Dose").fill(dose)
    row.get_by_label("Frequency", exact=True).select_option(label=frequency)
    row.get_by_label("Prescriber").select_option(label=prescriber)


def decide(page: Page, medication: str, action: str):
    row = page.locator("#decisions tbody tr", has=page.get_by_role("rowheader", name=re.compile(medication)))
    row.get_by_role("group", name=re.compile("Decision for")).get_by_label(action, exact=True).check()
    return row


@pytest.mark.browser
def test_reconcile_a_discharge_list_against_the_nursing_home_mar_and_sign(page: Page, signed_reconciliations_removable):
    dana, rosa = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(f"/patients/{rosa.public_id}/")
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name="Medications").click()
    expect(page.get_by_role("heading", name="Current medication list")).to_be_visible()
    expect(page.get_by_text("not clinical decision support")).to_be_visible()
    expect(page.locator(".med-flags")).to_contain_text("Warfarin 5 mg: no prescriber on file")
    assert_accessible(page, "the Medications tab")

    # The discharge list: three rows are there, a fourth comes from "Add another medication".
    page.get_by_role("link", name="Add a source list").click()
    page.get_by_label("Where the list came from").select_option(label="Hospital discharge list")
    page.get_by_label("Source name").fill("Lakeside General discharge")
    fill_row(page, 1, "lisinopril", "10 mg", "Once daily", "Hana Ito, MD")
    expect(page.get_by_role("group", name="Medication 1", exact=True).get_by_label("RxNorm code")).to_have_value(
        "29046"
    )
    fill_row(page, 2, "metoprolol", "50 mg", "Twice daily (BID)", "Carl Berg, MD — Heart Partners")
    fill_row(page, 3, "apixaban", "5 mg", "Twice daily (BID)", "Hana Ito, MD")
    page.get_by_role("button", name="Add another medication").click()
    fill_row(page, 4, "Furosemide 40 mg", "40 mg", "Once daily", "Hana Ito, MD")
    assert_accessible(page, "the new list form")
    page.get_by_role("button", name="Save list").click()
    expect(page.get_by_text("Lakeside General discharge saved with 4 medications.")).to_be_visible()
    discharge = MedicationList.objects.get(source="discharge")
    assert [line.rxnorm_code for line in discharge.lines.all()] == ["29046", "6918", "1364430", ""]

    # Compare it with the MAR.
    page.get_by_label("Base list").select_option(
        label=f"Lakeside General discharge, {discharge.list_date:%m/%d/%Y} (4 medications)"
    )
    page.get_by_role("group", name="Compare with").get_by_label(re.compile("Maple Grove MAR")).check()
    page.get_by_role("button", name="Compare lists").click()
    expect(page.get_by_role("heading", name="Medication reconciliation")).to_be_visible()
    table = page.locator("#decisions")
    expect(table.locator("tbody tr")).to_have_count(5)
    for verdict in ("Matched", "Changed", "New", "Missing"):
        expect(table.get_by_text(verdict, exact=True).first).to_be_visible()
    assert_accessible(page, "the reconciliation")

    # Decide: keep the cardiologist's metoprolol at a new dose, ask about warfarin, hold apixaban before a
    # procedure, continue the rest.
    metoprolol = decide(page, "metoprolol", "Change")
    metoprolol.locator("summary", has_text="Change dose").click()
    metoprolol.get_by_label("New dose").fill("50 mg")
    metoprolol.get_by_label("Ordered by", exact=True).fill("Carl Berg, MD")
    warfarin = decide(page, "Warfarin", "Ask the prescriber")
    warfarin.get_by_label("Note or question for the prescriber").fill("Warfarin is not on the discharge list.")
    apixaban = decide(page, "apixaban", "Hold")
    decide(page, "Furosemide", "Continue")
    page.get_by_role("button", name="Save decisions").click()
    expect(apixaban.get_by_text("apixaban: give the reason for holding it")).to_be_visible()
    apixaban = decide(page, "apixaban", "Hold")
    apixaban.get_by_label("Note or question for the prescriber").fill("Hold 2 days before the colonoscopy")
    apixaban.get_by_label("Ordering prescriber (directory)").select_option(label="Hana Ito, MD")
    resume = clock.today_in(rosa.organization.tz) + dt.timedelta(days=7)
    apixaban.get_by_label("Resume on").fill(resume.isoformat())
    page.get_by_role("button", name="Save decisions").click()
    expect(page.get_by_text("5 decisions saved.")).to_be_visible()  # lisinopril matches: "Continue" is preset
    expect(page.get_by_text("Every medication is decided.")).to_be_visible()
    task = Task.objects.get(source="medications")
    assert task.title == "Ask the prescriber about Warfarin 5 mg"

    page.get_by_label("Note with the signature").fill("Reviewed with Rosa's daughter.")
    asked = accept_confirmation(page)
    page.get_by_role("button", name="Sign reconciliation").click()
    expect(page.get_by_text("Reconciliation signed: the reconciled list is now the current list.")).to_be_visible()
    assert asked == [SIGN_QUESTION]
    expect(page.get_by_role("heading", name="Reconciled list")).to_be_visible()
    expect(page.get_by_role("button", name="Sign reconciliation")).to_have_count(0)
    assert_accessible(page, "the signed reconciliation")
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.status == "signed"
    doses = {line.display: line.dose for line in reconciliation.result_list.lines.all()}
    assert doses["metoprolol"] == "50 mg"
    held = reconciliation.result_list.lines.get(display="apixaban")
    assert (held.status, held.status_reason, held.resume_date) == (
        "on-hold", "Hold 2 days before the colonoscopy", resume
    )  # fmt: skip

    page.get_by_role("link", name=re.compile("Back to .* medications")).click()
    expect(page.get_by_text("Reconciled and signed by Dana Whitfield")).to_be_visible()
    held_row = page.get_by_role("table", name="Current medication list").get_by_role(
        "row", name=re.compile("^apixaban")
    )
    expect(held_row).to_contain_text("Held")
    expect(held_row).to_contain_text("Reason: Hold 2 days before the colonoscopy")
    expect(held_row).to_contain_text(f"Resume on {resume:%m/%d/%Y}")
    assert_accessible(page, "the Medications tab with a held medication")


@pytest.mark.browser
def test_reconcile_the_only_list_on_file_item_by_item_and_sign(page: Page, signed_reconciliations_removable):
    """Rosa has only the nursing home's MAR: it is reviewed on its own, each medication a decision, and signed."""
    dana, rosa = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)
    page.goto(f"/patients/{rosa.public_id}/medications/")
    compare_with = page.get_by_role("group", name="Compare with")
    expect(compare_with.get_by_label("Current medications on file")).to_be_checked()
    expect(compare_with).to_contain_text("On file: Maple Grove MAR")
    assert_accessible(page, "the Medications tab with a single list")
    page.get_by_role("button", name="Compare lists").click()

    expect(page.get_by_role("heading", name="Medication reconciliation")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Maple Grove MAR \(.*\) is reviewed on its own"))).to_be_visible()
    expect(page.locator("#decisions tbody tr")).to_have_count(3)
    assert_accessible(page, "the single-list reconciliation")
    decide(page, "Lisinopril", "Continue")
    metoprolol = decide(page, "Metoprolol", "Change")
    metoprolol.locator("summary", has_text="Change dose").click()
    metoprolol.get_by_label("New dose").fill("12.5 mg")
    metoprolol.get_by_label("Ordered by", exact=True).fill("Dr. Ito")
    warfarin = decide(page, "Warfarin", "Stop")
    warfarin.get_by_label("Note or question for the prescriber").fill("Stopped by the off-site doctor on 3/1.")
    warfarin.get_by_label("Ordered by", exact=True).fill("Dr. Ito")
    page.get_by_role("button", name="Save decisions").click()
    expect(page.get_by_text("3 decisions saved.")).to_be_visible()
    expect(page.get_by_text("Every medication is decided.")).to_be_visible()

    accept_confirmation(page)
    page.get_by_role("button", name="Sign reconciliation").click()
    expect(page.get_by_text("Reconciliation signed: the reconciled list is now the current list.")).to_be_visible()
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.status == "signed"
    assert [found.pk for found in reconciliation.compared_lists.all()] == [reconciliation.base_list_id]
    result = {line.display: line for line in reconciliation.result_list.lines.all()}
    assert result["Metoprolol tartrate 25 mg"].dose == "12.5 mg"
    assert result["Warfarin 5 mg"].status == "stopped"
    assert result["Lisinopril 10mg"].status == "active"
    assert ReconciliationDecision.objects.get(chosen_line__display="Warfarin 5 mg").note.startswith("Stopped by")
