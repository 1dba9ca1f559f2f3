"""
The benefits pre-screen's "Start application": one per program the patient may qualify for, opening the
Insurance tab's new-application form with the program (and the patient) chosen; every program the pre-screen
knows has an application program. The household size is asked, not assumed.
"""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from carecoord.community import domain
from carecoord.community.choices import BenefitProgram
from carecoord.core.choices import Role
from carecoord.coverage.choices import FundingProgram
from carecoord.coverage.forms import ApplicationForm

from ..factories import make_actor

ANSWERS = {"household_size": 3, "annual_income": 25000, "state": "IL", "age": 40, "insurance": "uninsured"}


def benefits_url(patient) -> str:
    return reverse("community:patient_benefits", args=[patient.public_id])


def start_links(body: str) -> dict[str, str]:
    """Each "Start application" link of the page, by the program row it is in."""
    found = re.findall(
        r'<tr id="program-([a-z-]+)">.*?<a class="btn btn-small nowrap" href="([^"]+)"[^>]*>Start application', body
    )
    return {program: html.unescape(href) for program, href in found}


def test_every_program_the_pre_screen_knows_has_an_application_program():
    assert set(domain.APPLICATION_PROGRAMS) == set(BenefitProgram.values)
    assert set(domain.APPLICATION_PROGRAMS.values()) <= set(FundingProgram.values)
    # The programs it suggests most often are named, not "Other program".
    assert domain.APPLICATION_PROGRAMS[BenefitProgram.SNAP] == "snap"
    assert domain.APPLICATION_PROGRAMS[BenefitProgram.LIHEAP] == "liheap"


def test_the_application_form_offers_snap_liheap_wic_and_tanf():
    offered = dict(ApplicationForm().fields["program"].choices)
    assert {"snap", "liheap", "wic", "tanf"} <= set(offered)
    assert offered["snap"] == "SNAP (food assistance)"


def test_each_suggested_program_has_a_start_application_link(client_for, actor, patient):
    response = client_for(actor).get(benefits_url(patient), ANSWERS)
    assert response.status_code == 200
    links = start_links(response.content.decode())
    # 25,000 for 3 in Illinois (2026): about 91% of the poverty line.
    assert set(links) == {"medicaid-adult", "snap", "liheap", "charity-free"}
    snap = urlsplit(links["snap"])
    assert snap.path == reverse("coverage:patient_insurance", args=[patient.public_id])
    assert parse_qs(snap.query) == {"program": ["snap"], "program_name": ["SNAP (food assistance)"]}
    assert snap.fragment == "application-new"
    assert parse_qs(urlsplit(links["charity-free"]).query)["program"] == ["charity_care"]


def test_programs_not_likely_have_no_link(client_for, actor, patient):
    body = client_for(actor).get(benefits_url(patient), {**ANSWERS, "annual_income": 200000}).content.decode()
    assert "Start application" not in body


def test_the_link_opens_the_form_with_the_program_chosen(client_for, actor, patient):
    client = client_for(actor)
    link = start_links(client.get(benefits_url(patient), ANSWERS).content.decode())["liheap"]
    body = client.get(link).content.decode()
    assert re.search(r'<details class="disclosure" id="application-new" open>', body)
    assert re.search(r'<option value="liheap" selected>', body)
    assert 'value="LIHEAP (energy assistance)"' in body
    # Saved as it comes, it is a LIHEAP application of this patient.
    response = client.post(
        reverse("coverage:patient_application_add", args=[patient.public_id]),
        {"application-program": "liheap", "application-program_name": "LIHEAP (energy assistance)",
         "application-status": "preparing"},
    )  # fmt: skip
    assert response.status_code == 302
    app = patient.funding_applications.get()
    assert (app.program, app.get_program_display()) == ("liheap", "LIHEAP (energy assistance)")


def test_the_tab_without_a_known_program_keeps_the_form_closed(client_for, actor, patient):
    url = reverse("coverage:patient_insurance", args=[patient.public_id])
    body = client_for(actor).get(url, {"program": "lottery"}).content.decode()
    assert '<details class="disclosure" id="application-new" >' in body
    select = re.search(r'<select name="application-program".*?</select>', body, re.S).group(0)
    assert "selected" not in select


def test_roles_that_cannot_track_applications_get_no_link(client_for, org, patient):
    scheduler = make_actor(org, Role.SCHEDULER)
    response = client_for(scheduler).get(benefits_url(patient), ANSWERS)
    assert response.status_code == 200
    assert "May qualify" in response.content.decode()
    assert "Start application" not in response.content.decode()


def test_the_household_size_is_asked_not_assumed(client_for, actor, patient):
    client = client_for(actor)
    body = client.get(benefits_url(patient)).content.decode()
    field = re.search(r'<input[^>]*name="household_size"[^>]*>', body).group(0)
    assert "value=" not in field
    assert "required" in field
    assert "Ask: the patient and those living with them who share income" in body
    response = client.get(benefits_url(patient), {k: v for k, v in ANSWERS.items() if k != "household_size"})
    assert response.status_code == 400
    assert "May qualify" not in response.content.decode()


@pytest.mark.parametrize("size", [1, 4])
def test_the_household_size_given_is_the_one_screened(client_for, actor, patient, size):
    body = client_for(actor).get(benefits_url(patient), {**ANSWERS, "household_size": size}).content.decode()
    assert f"poverty line for {size} " in body


def test_a_program_already_applied_for_links_to_the_application_instead(client_for, actor, patient):
    from carecoord.coverage.funding_services import application_create

    snap = application_create(
        actor=actor, patient=patient, data={"program": "snap", "program_name": "SNAP", "status": "preparing"}
    )
    application_create(
        actor=actor, patient=patient, data={"program": "liheap", "program_name": "LIHEAP", "status": "withdrawn"}
    )
    body = client_for(actor).get(benefits_url(patient), ANSWERS).content.decode()
    rows = dict(re.findall(r'<tr id="program-([a-z-]+)">(.*?)</tr>', body))
    assert "Start application" not in rows["snap"]  # already in preparation: the row links to it
    assert reverse("coverage:application_detail", args=[snap.public_id]) in rows["snap"]
    assert "Application preparing" in rows["snap"]
    assert "Start application" in rows["liheap"]  # a withdrawn application does not stand: apply again
