"""A coordinator's day in a real browser: find a patient, register one, fill in the chart, sign out."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Locator, Page, expect

from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.patients import services

from ..factories import (
    ConditionFactory,
    OrganizationFactory,
    PatientFactory,
    PractitionerFactory,
    RelatedPersonFactory,
    UserFactory,
    make_actor,
)
from .helpers import (
    LOGIN_PATH,
    assert_accessible,
    assert_same_document,
    expect_signed_in,
    mark_document,
    open_section,
    sign_in,
    sign_out,
)

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "patient-chart.png"
CHART_PATH = re.compile(r"/patients/[0-9a-f-]{36}/$")
CHART_SECTIONS = (
    "Add an identifier",
    "Add a family member or caregiver",
    "Add a care-team member",
    "Add a problem",
    "Share with another organization (with consent)",
)


def fact(container: Locator, term: str) -> Locator:
    """The value shown for `term` in a list of facts (<dt>term</dt><dd>value</dd>)."""
    return container.locator("div", has=container.page.locator("dt", has_text=re.compile(f"^{term}$"))).locator("dd")


def open_all_sections(page: Page) -> None:
    for summary in CHART_SECTIONS:
        open_section(page, summary)


@pytest.mark.browser
def test_coordinator_flow(page):
    org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
    actor = make_actor(org, Role.COORDINATOR)
    PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", birth_date=dt.date(1950, 4, 2),
                   mrn="LC-1001")  # fmt: skip
    PatientFactory(organization=org, given_name="Dolores", family_name="Dempsey", mrn="LC-1002")
    PatientFactory(organization=org, given_name="Marcus", family_name="Webb", mrn="LC-1003")
    doctor = PractitionerFactory(organization=org, given_name="Amara", family_name="Okafor", suffix="MD")

    # Signing in from a bookmarked page comes back to it.
    page.goto("/patients/")
    expect(page).to_have_url(LOGIN_PATH)
    assert_accessible(page, "the sign-in page")
    sign_in(page, actor.user.email, go=False)
    expect(page).to_have_url(re.compile(r"/patients/$"))
    results = page.locator("#patient-results")
    expect(results).to_contain_text("3 patients")
    assert_accessible(page, "the patient list")

    # Live search: the results change as the coordinator types, without reloading the page.
    mark_document(page)
    page.get_by_label("Search by name, date of birth, MRN or phone").fill("delg")
    expect(results).to_contain_text("1 match for “delg”")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.get_by_role("link", name="Delgado, Rosa")).to_be_visible()
    expect(results).not_to_contain_text("Webb")
    assert_same_document(page)
    expect(page).to_have_url(re.compile(r"/patients/\?q=delg$"))
    assert_accessible(page, "the patient list with search results")

    # Registering: required fields first, then the possible duplicate.
    page.get_by_role("link", name="Register a patient").click()
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()
    page.get_by_role("button", name="Register patient").click()
    first_name = page.locator(".field", has=page.get_by_label("Legal first name"))
    expect(first_name.locator(".error")).to_have_text("This field is required.")
    assert_accessible(page, "the registration form with field errors")

    page.get_by_label("MRN").fill("LC-2002")
    page.get_by_label("Legal first name").fill("Rosa")
    page.get_by_label("Legal last name").fill("Delgado")
    page.get_by_label("Birth date").fill("1950-04-03")
    page.get_by_label("Administrative sex").select_option(label="Female")
    page.get_by_label("Main phone", exact=True).fill("(312) 555-0142")
    page.get_by_label("Preferred language").select_option(label="Spanish")
    page.get_by_label("Interpreter needed").check()
    page.get_by_role("button", name="Register patient").click()

    warning = page.get_by_role("alert").filter(has_text="This person may already be registered")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Delgado, Rosa — born 04/02/1950, MRN LC-1001")
    assert_accessible(page, "the registration form with the duplicate warning")
    page.get_by_label("None of these is the same person — register anyway").check()
    page.get_by_role("button", name="Register patient").click()

    expect(page).to_have_url(CHART_PATH)
    chart_url = page.url
    expect(page.get_by_text("Delgado, Rosa is registered.")).to_be_visible()
    banner = page.get_by_role("region", name="Patient")
    expect(banner.get_by_role("heading", level=1)).to_have_text("Delgado, Rosa")
    expect(fact(banner, "MRN")).to_have_text("LC-2002")
    today = clock.today_in(org.tz)
    age = today.year - 1950 - ((today.month, today.day) < (4, 3))
    expect(fact(banner, "Age")).to_have_text(str(age))
    expect(fact(banner, "Date of birth")).to_have_text("04/03/1950")
    expect(fact(banner, "Language")).to_have_text("Spanish")
    expect(fact(banner, "Interpreter")).to_have_text("Needed")
    expect(banner.get_by_text("Spanish interpreter needed")).to_be_visible()

    # Family: the panel re-renders in place.
    mark_document(page)
    family = page.locator("#family-panel")
    expect(family).to_contain_text("No family members or caregivers recorded.")
    open_section(page, "Add a family member or caregiver")
    family.get_by_label("Given name").fill("Marco")
    family.get_by_label("Family name").fill("Delgado")
    family.get_by_label("Relationship").select_option(label="Son")
    family.get_by_label("Phone", exact=True).fill("(312) 555-0199")
    family.get_by_label("Is emergency contact").check()
    family.get_by_label("May receive information").check()
    family.get_by_role("button", name="Add family member").click()
    expect(family.get_by_role("status")).to_have_text("Marco Delgado was added.")
    expect(family.locator("li", has_text="Marco Delgado")).to_contain_text("Son")
    expect(family.locator("li", has_text="Marco Delgado")).to_contain_text("Emergency contact")
    assert_same_document(page)

    # Care team: a practitioner from the organization's directory.
    care_team = page.locator("#care-team-panel")
    open_section(page, "Add a care-team member")
    care_team.get_by_label("Role").select_option(label="Primary care provider")
    care_team.get_by_label("Practitioner (directory)").select_option(label="Amara Okafor, MD — Family Medicine")
    care_team.get_by_role("button", name="Add to care team").click()
    expect(care_team.get_by_role("status")).to_have_text(f"{doctor.display_name} joined the care team.")
    expect(care_team.locator("li", has_text="Amara Okafor, MD")).to_contain_text("Primary care provider")
    assert_same_document(page)

    # Both are on the chart, also after a reload.
    page.reload()
    expect(page.locator("#family-panel li", has_text="Marco Delgado")).to_be_visible()
    expect(page.locator("#care-team-panel li", has_text="Amara Okafor, MD")).to_be_visible()
    open_all_sections(page)
    assert_accessible(page, "the chart with every panel's form open")

    # A panel form with errors stays open and says what is wrong.
    problems = page.locator("#problems-panel")
    mark_document(page)
    problems.get_by_role("combobox", name="Code", exact=True).fill("Q87.40")
    problems.get_by_role("button", name="Add problem").click()
    description = problems.locator(".field", has=page.get_by_label("Description"))
    expect(description.locator(".error")).to_have_text("Describe the condition (the code is not in the common list).")
    assert_same_document(page)
    expect(problems.locator("details", has=page.locator("summary", has_text="Add a problem"))).to_have_attribute(
        "open", ""
    )
    assert_accessible(page, "the chart with a panel form's errors")

    sign_out(page)
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.get_by_text("Delgado, Rosa")).to_have_count(0)
    page.goto(chart_url)
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.get_by_role("heading", name="Sign in to CareCoord")).to_be_visible()
    expect(page.get_by_text("Delgado, Rosa")).to_have_count(0)


def _populated_chart(org, other_org, actor):
    """A patient with the kind of chart a coordinator keeps: family, care team, problems, sharing."""
    patient = PatientFactory(
        organization=org,
        mrn="LC-004217",
        given_name="Rosa",
        preferred_name="Rosie",
        family_name="Delgado",
        birth_date=dt.date(1950, 4, 2),
        pronouns="she/her",
        phone_primary="+13125550142",
        phone_secondary="+13125550178",
        email="rosa.delgado@example.org",
        address_line1="2417 W Cermak Rd",
        address_line2="Apt 3",
        city="Chicago",
        state="IL",
        postal_code="60608",
        preferred_language="es",
        interpreter_needed=True,
        best_time_to_contact="weekday mornings",
        consent_sms=True,
        chart_alert="Hard of hearing: face her when speaking",
    )
    services.identifier_add(actor=actor, patient=patient, type="MA", system="Illinois Medicaid", value="IL49281734")
    family = [
        ("Marco", "Delgado", "SONC", "+13125550199", {"is_emergency_contact": True, "is_health_care_proxy": True}),
        ("Lucía", "Ramos", "DAUC", "+17735550123", {"email": "lucia.ramos@example.org"}),
        ("Ana", "Ortiz", "NBOR", "+13125550111", {"may_receive_information": False}),
    ]
    people = []
    for given, family_name, relationship, phone, extra in family:
        fields = {"given_name": given, "family_name": family_name, "relationship": relationship, "phone": phone}
        people.append(RelatedPersonFactory(patient=patient, **fields, **{"may_receive_information": True, **extra}))
    pcp = PractitionerFactory(organization=org, given_name="Amara", family_name="Okafor", suffix="MD")
    cardiologist = PractitionerFactory(
        organization=org, given_name="David", family_name="Chen", specialty_display="Cardiovascular Disease"
    )
    members = [
        ("coordinator", {"user": actor.user}),
        ("primary_care", {"practitioner": pcp}),
        ("specialist", {"practitioner": cardiologist}),
        ("proxy", {"related_person": people[0]}),
    ]
    start = dt.date(2026, 3, 2)
    for role, who in members:
        services.care_team_member_add(actor=actor, patient=patient, role=role, start_date=start, **who)
    problems = [
        ("I50.22", "Chronic systolic (congestive) heart failure", dt.date(2019, 8, 1), "active"),
        ("E11.65", "Type 2 diabetes mellitus with hyperglycemia", dt.date(2008, 5, 1), "active"),
        ("N18.30", "Chronic kidney disease, stage 3 unspecified", dt.date(2021, 2, 1), "active"),
        ("Z91.81", "History of falling", dt.date(2025, 12, 1), "resolved"),
    ]
    for code, display, onset, status in problems:
        ConditionFactory(patient=patient, code=code, display=display, onset_date=onset, clinical_status=status)
    services.patient_share_with_consent(
        actor=actor, patient=patient, grantee=other_org, signed_on=start, signed_by="Rosa Delgado",
        method="Signed release form",
    )  # fmt: skip
    return patient


@pytest.mark.browser
def test_patient_chart_screenshot(page):
    """A populated chart, saved for the README; the server's date is fixed so the picture is stable."""
    with time_machine.travel(dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC), tick=True):
        org = OrganizationFactory(name="Lakeside Clinic", slug="lakeside")
        other_org = OrganizationFactory(name="Riverside Hospital", slug="riverside", kind="hospital")
        user = UserFactory(full_name="Dana Whitfield", email="dana.whitfield@example.org")
        actor = make_actor(org, Role.COORDINATOR, user=user)
        patient = _populated_chart(org, other_org, actor)

        sign_in(page, user.email)
        expect_signed_in(page)
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(patient.get_absolute_url())
        expect(page.get_by_role("heading", level=1)).to_have_text("Delgado, Rosa “Rosie”")
        expect(page.locator("#family-panel .list > li")).to_have_count(3)
        expect(page.locator("#care-team-panel .list > li")).to_have_count(4)
        expect(page.locator("#problems-panel .list > li")).to_have_count(4)
        expect(page.locator("#sharing-panel")).to_contain_text("Riverside Hospital")
        assert_accessible(page, "a populated chart")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 999)  # no hover effect in the picture
        page.screenshot(path=SCREENSHOT, animations="disabled")
