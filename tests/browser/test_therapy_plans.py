"""
Therapy plans in a real browser: the chart's Therapy plans panel, "New therapy plan" with only therapists to
choose from, the discipline ticking its own visit types (htmx, no reload), the saved plan on the chart, and
the Schedule page's way to the therapy site's calendar. Screenshots go to /tmp/therapy-*.png for a look.
"""

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carecoord.checkins.models import TherapyPlan
from carecoord.core import clock
from carecoord.core.choices import Role

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    make_actor,
)
from ..scheduling.factories import AppointmentTypeFactory, weekly_hours
from .helpers import assert_accessible, expect_signed_in, sign_in

SHOTS = Path(tempfile.gettempdir())  # /tmp on the project's machines


def _world():
    org = OrganizationFactory(name="Maple Grove Nursing & Rehab", slug="maple-grove")
    dana = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
    make_actor(org, Role.COORDINATOR, user=dana)
    rosa = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", mrn="MG-1001")
    site = LocationFactory(organization=org, name="Maple Grove Outpatient Therapy")
    clinic = LocationFactory(organization=org, name="Maple Grove Nursing & Rehab")

    def person(family, code, display, suffix):
        return PractitionerFactory(organization=org, given_name="Sam", family_name=family, suffix=suffix,
                                   specialty_code=code, specialty_display=display)  # fmt: skip

    staff = {
        "pt": person("Ptolemy", "225100000X", "Physical Therapist", "PT, DPT"),
        "ot": person("Otterly", "225X00000X", "Occupational Therapist", "OTR/L"),
        "physician": person("Doctorow", "207QG0300X", "Family Medicine, Geriatric Medicine", "MD"),
        "pharmacist": person("Pharma", "183500000X", "Pharmacist", "PharmD"),
    }
    types = {
        name: AppointmentTypeFactory(organization=org, name=name, duration_minutes=minutes)
        for name, minutes in (("Physical therapy", 45), ("Physical therapy evaluation", 60),
                              ("Occupational therapy", 45), ("Follow-up visit", 20))
    }  # fmt: skip
    weekly_hours(staff["pt"], site, [types["Physical therapy"], types["Physical therapy evaluation"]])
    weekly_hours(staff["ot"], site, [types["Occupational therapy"]])
    weekly_hours(staff["physician"], clinic, [types["Follow-up visit"]])
    return dana, rosa, site, staff


@pytest.mark.browser
def test_a_pt_plan_from_the_chart_with_its_visit_types_and_the_therapy_calendar(page: Page):
    dana, rosa, site, staff = _world()
    sign_in(page, dana.email)
    expect_signed_in(page)

    # The chart's Summary shows the therapy panel with "New therapy plan".
    page.goto(f"/patients/{rosa.public_id}/")
    panel = page.get_by_role("region", name="Therapy plans")
    expect(panel).to_contain_text("No therapy plans.")
    panel.screenshot(path=SHOTS / "therapy-chart-empty.png")
    panel.get_by_role("link", name="New therapy plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New therapy plan of care")

    # Only therapists to choose from, under their discipline.
    therapist = page.get_by_label("Therapist")
    options = therapist.locator("option").all_inner_texts()
    expect(therapist.locator("optgroup[label='Physical therapy'] option")).to_have_text([staff["pt"].display_name])
    expect(therapist.locator("optgroup[label='Occupational therapy'] option")).to_have_text([staff["ot"].display_name])
    assert not any("Doctorow" in o or "Pharma" in o for o in options), options

    # Choosing physical therapy ticks its visit types, then occupational therapy swaps them.
    types = page.get_by_role("group", name="Appointment types that count as visits")
    page.get_by_label("Discipline").select_option(label="Physical therapy")
    expect(types.get_by_label("Physical therapy (45 min)")).to_be_checked()
    expect(types.get_by_label("Physical therapy evaluation (60 min)")).to_be_checked()
    expect(types.get_by_label("Occupational therapy (45 min)")).not_to_be_checked()
    expect(types.get_by_label("Follow-up visit (20 min)")).not_to_be_checked()
    page.get_by_label("Discipline").select_option(label="Occupational therapy")
    expect(types.get_by_label("Occupational therapy (45 min)")).to_be_checked()
    expect(types.get_by_label("Physical therapy (45 min)")).not_to_be_checked()
    page.get_by_label("Discipline").select_option(label="Physical therapy")
    expect(types.get_by_label("Physical therapy (45 min)")).to_be_checked()
    assert_accessible(page, "the therapy plan form")

    today = clock.today_in(rosa.organization.tz)
    therapist.select_option(label=staff["pt"].display_name)
    page.get_by_label("Certification end").fill((today + dt.timedelta(days=59)).isoformat())
    page.get_by_label("Visits planned").fill("12")
    page.screenshot(path=SHOTS / "therapy-form.png", full_page=True)
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_text("Physical therapy plan of care created.")).to_be_visible()

    plan = TherapyPlan.objects.get(patient=rosa)
    assert plan.therapist == staff["pt"]
    assert {t.name for t in plan.appointment_types.all()} == {"Physical therapy", "Physical therapy evaluation"}

    # Back on the chart: the plan is listed; its therapist's name opens their calendar.
    page.goto(f"/patients/{rosa.public_id}/")
    panel = page.get_by_role("region", name="Therapy plans")
    expect(panel).to_contain_text("Physical therapy")
    expect(panel).to_contain_text("0 of 12 visits used")
    assert_accessible(page, "the chart with its therapy panel")
    panel.screenshot(path=SHOTS / "therapy-chart.png")

    # From the main navigation: Schedule, then the therapy calendars, then the therapy site's week.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Therapy calendars").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapy plans and calendars")
    expect(page.get_by_role("link", name="Delgado, Rosa", exact=True)).to_be_visible()
    assert_accessible(page, "the therapy plans and calendars page")
    page.screenshot(path=SHOTS / "therapy-list.png", full_page=True)
    page.get_by_role("link", name=site.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(site.name)
