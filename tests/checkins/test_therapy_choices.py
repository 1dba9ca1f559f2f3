"""
Therapy plans, easier to use: only therapists (PT/OT/SLP and assistants, by NUCC code) offered and accepted as a
plan's therapist; the discipline ticks its own visit types; the chart and the Schedule page lead to the plans
and the therapy calendars.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from carecoord.checkins import therapy_services
from carecoord.checkins.models import TherapyPlan
from carecoord.checkins.therapy_selectors import discipline_appointment_types, therapists_for, therapy_calendars
from carecoord.core.choices import Role
from carecoord.core.errors import ValidationError
from tests.factories import (
    ExternalOrganizationFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    make_actor,
)
from tests.scheduling.factories import AppointmentTypeFactory, weekly_hours

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def staff(org):
    """A rehab site's people: therapists and assistants of each discipline, and the others a directory holds."""

    def person(family, code, display, suffix=""):
        return PractitionerFactory(organization=org, family_name=family, given_name="Sam", suffix=suffix,
                                   specialty_code=code, specialty_display=display)  # fmt: skip

    return {
        "pt": person("Ptolemy", "225100000X", "Physical Therapist", "PT, DPT"),
        "pt_geriatric": person("Gerard", "2251G0304X", "Physical Therapist, Geriatrics", "PT"),
        "pta": person("Assis", "225200000X", "Physical Therapy Assistant", "PTA"),
        "ot": person("Otterly", "225X00000X", "Occupational Therapist", "OTR/L"),
        "ota": person("Otaway", "224Z00000X", "Occupational Therapy Assistant", "COTA"),
        "slp": person("Speechly", "235Z00000X", "Speech-Language Pathologist", "CCC-SLP"),
        "physician": person("Doctorow", "207Q00000X", "Family Medicine", "MD"),
        "physiatrist": person("Rehabber", "208100000X", "Physical Medicine & Rehabilitation", "MD"),
        "pharmacist": person("Pharma", "183500000X", "Pharmacist", "PharmD"),
        "nurse": person("Nurse", "163W00000X", "Registered Nurse", "RN"),
        "audiologist": person("Hearing", "231H00000X", "Audiologist", "AuD"),
        "blank": person("Nospecialty", "", ""),
    }


def plan_data(**overrides):
    data = {"discipline": "PT", "certification_start": dt.date(2026, 11, 1), "certification_end": dt.date(2026, 12, 30),
            "visits_planned": 12, "progress_report_every": 10}  # fmt: skip
    return {**data, **overrides}


def body(response) -> str:
    return response.content.decode()


def select_options(html: str, name: str) -> list[str]:
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no <select name={name}>"
    return re.findall(r"<option[^>]*>([^<]*)</option>", match.group(1))


def ticked(html: str) -> set[str]:
    """The labels of the ticked appointment-type boxes."""
    fieldset = re.search(r'<fieldset class="checks" id="therapy-types".*?</fieldset>', html, re.S)
    assert fieldset, "no appointment types fieldset"
    return {
        label.strip()
        for attrs, label in re.findall(r"<label[^>]*><input ([^>]*)>\s*([^<]*)</label>", fieldset.group(0))
        if "checked" in attrs
    }


# Who is offered and accepted as the therapist -----------------------------------------------------------------


def test_therapist_choices_are_therapists_and_assistants_only(actor, staff):
    offered = set(therapists_for(actor))
    assert offered == {staff[k] for k in ("pt", "pt_geriatric", "pta", "ot", "ota", "slp")}
    assert set(therapists_for(actor, "OT")) == {staff["ot"], staff["ota"]}


def test_an_outside_practices_therapist_is_offered_too(actor, client_for, patient, org, staff):
    riverbend = ExternalOrganizationFactory(organization=org, name="Riverbend Physical Therapy")
    outside = PractitionerFactory(organization=org, family_name="Outside", specialty_code="225100000X",
                                  specialty_display="Physical Therapist", external_organization=riverbend)  # fmt: skip
    assert outside in therapists_for(actor, "PT")
    html = body(client_for(actor).get(reverse("checkins:patient_therapy_create", args=[patient.public_id])))
    assert f"{outside.display_name} (Riverbend Physical Therapy)" in select_options(html, "therapist")


def test_the_form_offers_no_physician_or_pharmacist_as_therapist(actor, client_for, patient, staff):
    html = body(client_for(actor).get(reverse("checkins:patient_therapy_create", args=[patient.public_id])))
    therapists = " | ".join(select_options(html, "therapist"))
    for key in ("pt", "pta", "ot", "ota", "slp"):
        assert staff[key].display_name in therapists
    for key in ("physician", "physiatrist", "pharmacist", "nurse", "audiologist", "blank"):
        assert staff[key].display_name not in therapists
    select = re.search(r'<select name="therapist".*?</select>', html, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _ in groups] == ["Physical therapy", "Occupational therapy", "Speech-language pathology"]
    assert staff["pta"].display_name in groups[0][1]
    assert staff["ota"].display_name in groups[1][1]
    # The referring provider is still anyone in the directory (a physician refers).
    assert staff["physician"].display_name in " | ".join(select_options(html, "referring_practitioner"))


@pytest.mark.parametrize("key", ["physician", "pharmacist", "physiatrist", "blank"])
def test_the_service_refuses_a_non_therapist(actor, patient, staff, key):
    with pytest.raises(ValidationError) as caught:
        therapy_services.therapy_plan_create(
            actor=actor, patient=patient, data=plan_data(therapist=staff[key]), appointment_types=[]
        )
    assert caught.value.field == "therapist"
    assert f"{staff[key].display_name} (" in caught.value.message
    assert "is not a therapist" in caught.value.message
    assert not TherapyPlan.objects.exists()


def test_the_service_refuses_a_therapist_of_another_discipline(actor, patient, staff):
    with pytest.raises(ValidationError) as caught:
        therapy_services.therapy_plan_create(
            actor=actor, patient=patient, data=plan_data(discipline="PT", therapist=staff["slp"]), appointment_types=[]
        )
    assert caught.value.message == (
        f"{staff['slp'].display_name} is in speech-language pathology (Speech-Language Pathologist): "
        "a physical therapy plan needs a physical therapist or physical therapy assistant."
    )


def test_the_service_accepts_the_disciplines_therapist_or_assistant(actor, patient, staff):
    for discipline, key in (("PT", "pt_geriatric"), ("PT", "pta"), ("OT", "ota"), ("SLP", "slp")):
        plan = therapy_services.therapy_plan_create(
            actor=actor, patient=patient, data=plan_data(discipline=discipline, therapist=staff[key]),
            appointment_types=[],
        )  # fmt: skip
        assert plan.therapist == staff[key]


def test_an_edit_cannot_make_a_physician_the_therapist(actor, patient, staff):
    plan = therapy_services.therapy_plan_create(
        actor=actor, patient=patient, data=plan_data(therapist=staff["pt"]), appointment_types=[]
    )
    with pytest.raises(ValidationError, match="is not a therapist"):
        therapy_services.therapy_plan_update(
            actor=actor, plan=plan, data={"therapist": staff["physician"]}, appointment_types=[],
            expected_version=plan.version,
        )  # fmt: skip
    plan.refresh_from_db()
    assert plan.therapist == staff["pt"]


def test_posting_a_physician_as_therapist_shows_the_reason_on_the_form(actor, client_for, patient, staff):
    data = {"discipline": "PT", "certification_start": "2026-11-01", "certification_end": "2026-12-30",
            "visits_planned": "12", "progress_report_every": "10", "active": "on",
            "therapist": str(staff["pharmacist"].pk)}  # fmt: skip
    response = client_for(actor).post(reverse("checkins:patient_therapy_create", args=[patient.public_id]), data)
    assert response.status_code == 400
    assert "Choose a physical or occupational therapist, a speech-language pathologist" in body(response)
    assert not TherapyPlan.objects.exists()


# The discipline's visit types ---------------------------------------------------------------------------------


@pytest.fixture
def rehab(org, staff):
    """Hours at a therapy site: each discipline its own types; a check-in the physician offers too."""
    site = LocationFactory(organization=org, name="Outpatient Therapy")
    clinic = LocationFactory(organization=org, name="Main Clinic")
    names = ("Physical therapy", "Physical therapy evaluation", "Occupational therapy", "Speech therapy",
             "Follow-up visit", "Telehealth check-in")  # fmt: skip
    types = {name: AppointmentTypeFactory(organization=org, name=name) for name in names}
    weekly_hours(staff["pt"], site, [types["Physical therapy"], types["Physical therapy evaluation"],
                                     types["Telehealth check-in"]])  # fmt: skip
    weekly_hours(staff["pta"], site, [types["Physical therapy"]])
    weekly_hours(staff["ot"], site, [types["Occupational therapy"]])
    weekly_hours(staff["slp"], site, [types["Speech therapy"]])
    weekly_hours(staff["physician"], clinic, [types["Follow-up visit"], types["Telehealth check-in"]])
    return {"site": site, "clinic": clinic, "types": types}


def test_a_disciplines_types_are_those_only_its_therapists_offer(actor, rehab):
    names = {t.name for t in discipline_appointment_types(actor, "PT")}
    assert names == {"Physical therapy", "Physical therapy evaluation"}  # not the physician's telehealth check-in
    assert {t.name for t in discipline_appointment_types(actor, "OT")} == {"Occupational therapy"}
    assert {t.name for t in discipline_appointment_types(actor, "SLP")} == {"Speech therapy"}
    assert list(discipline_appointment_types(actor, "XX")) == []


def test_without_therapists_hours_the_types_named_for_the_discipline(actor, org):
    for name in ("Physical therapy visit", "Physical therapy evaluation", "Speech therapy", "Follow-up"):
        AppointmentTypeFactory(organization=org, name=name)
    names = {t.name for t in discipline_appointment_types(actor, "PT")}
    assert names == {"Physical therapy visit", "Physical therapy evaluation"}


def test_opening_the_form_with_a_discipline_ticks_its_types(actor, client_for, patient, rehab):
    url = reverse("checkins:patient_therapy_create", args=[patient.public_id])
    client = client_for(actor)
    plain = body(client.get(url))
    assert ticked(plain) == set()
    assert 'hx-get="' + url + '"' in plain  # the discipline menu asks again when it changes
    pt = body(client.get(url, {"discipline": "PT"}))
    assert ticked(pt) == {"Physical therapy (30 min)", "Physical therapy evaluation (30 min)"}
    assert re.search(r'<option value="PT" selected>', pt)
    assert ticked(body(client.get(url, {"discipline": "nonsense"}))) == set()


def test_changing_the_discipline_answers_only_the_types_fieldset(actor, client_for, patient, rehab):
    url = reverse("checkins:patient_therapy_create", args=[patient.public_id])
    response = client_for(actor).get(url, {"discipline": "OT"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = body(response)
    assert html.lstrip().startswith('<fieldset class="checks" id="therapy-types"')
    assert "<html" not in html
    assert ticked(html) == {"Occupational therapy (30 min)"}


def test_on_the_edit_page_a_new_discipline_ticks_its_types(actor, client_for, patient, rehab, staff):
    plan = therapy_services.therapy_plan_create(
        actor=actor, patient=patient, data=plan_data(therapist=staff["pt"]),
        appointment_types=[rehab["types"]["Physical therapy"]],
    )  # fmt: skip
    url = reverse("checkins:therapy_edit", args=[plan.public_id])
    client = client_for(actor)
    assert ticked(body(client.get(url))) == {"Physical therapy (30 min)"}  # the plan's own
    swapped = client.get(url, {"discipline": "SLP"}, headers={"HX-Request": "true"})
    assert ticked(body(swapped)) == {"Speech therapy (30 min)"}


# The way there ------------------------------------------------------------------------------------------------


def test_the_chart_lists_the_patients_therapy_plans_and_links_to_a_new_one(actor, client_for, patient, staff):
    plan = therapy_services.therapy_plan_create(
        actor=actor, patient=patient, data=plan_data(therapist=staff["pt"]), appointment_types=[]
    )
    html = body(client_for(actor).get(reverse("patients:chart", args=[patient.public_id])))
    panel = re.search(r'<section class="panel" id="therapy-panel".*?</section>', html, re.S)
    assert panel, "no therapy panel on the chart"
    panel = panel.group(0)
    assert "Physical therapy" in panel
    assert "0 of 12 visits used" in panel
    assert reverse("checkins:patient_therapy_create", args=[patient.public_id]) in panel
    assert ">New therapy plan<" in panel
    assert reverse("checkins:therapy_edit", args=[plan.public_id]) in panel
    assert reverse("scheduling:practitioner_calendar", args=[staff["pt"].public_id]) in panel
    assert reverse("checkins:therapy_list") in panel
    # The links lead somewhere.
    client = client_for(actor)
    for href in re.findall(r'href="([^"#]+)', panel):
        assert client.get(href).status_code == 200, href


def test_the_chart_shows_no_therapy_panel_to_a_scheduler(org, client_for, patient):
    scheduler = make_actor(org, Role.SCHEDULER)
    html = body(client_for(scheduler).get(reverse("patients:chart", args=[patient.public_id])))
    assert 'id="therapy-panel"' not in html


def test_the_schedule_page_leads_to_the_therapy_plans_and_calendars(actor, client_for, patient, staff, rehab):
    plan = therapy_services.therapy_plan_create(
        actor=actor, patient=patient, data=plan_data(therapist=staff["pt"]), appointment_types=[]
    )
    TherapyPlan.objects.create(organization=actor.organization, patient=patient, discipline="OT", visits_planned=4,
                               certification_start=dt.date(2026, 9, 1), certification_end=dt.date(2026, 10, 1),
                               active=False)  # fmt: skip
    client = client_for(actor)
    list_url = reverse("checkins:therapy_list")
    assert list_url in body(client.get(reverse("scheduling:find")))
    html = body(client.get(list_url))
    assert reverse("scheduling:location_calendar", args=[rehab["site"].public_id]) in html
    assert reverse("scheduling:location_calendar", args=[rehab["clinic"].public_id]) not in html  # no therapist
    for key in ("pt", "pta", "ot", "slp"):
        assert reverse("scheduling:practitioner_calendar", args=[staff[key].public_id]) in html
    assert reverse("scheduling:practitioner_calendar", args=[staff["physician"].public_id]) not in html
    assert reverse("checkins:therapy_edit", args=[plan.public_id]) in html
    assert html.count("Occupational therapy</td>") == 0  # the inactive plan is not listed
    assert reverse("patients:chart", args=[patient.public_id]) in html
    calendars = therapy_calendars(actor)
    assert calendars.sites == [rehab["site"]]


def test_the_therapy_page_lists_only_the_organizations_plans(actor, other_actor, client_for, patient, other_org):
    own = TherapyPlan.objects.create(organization=actor.organization, patient=patient, discipline="PT",
                                     visits_planned=8, certification_start=dt.date(2026, 11, 1),
                                     certification_end=dt.date(2026, 12, 1))  # fmt: skip
    html = body(client_for(other_actor).get(reverse("checkins:therapy_list")))
    assert str(own.public_id) not in html
    assert patient.display_name not in html
