"""
The refer form starts filled from the chart: "Consent given by" is the patient, and the health concern is the
one active condition matching the service's need (coded as the screening codes it, or as an ICD-10-CM Z code
on the problem list); several matches or none leave it blank.
"""

import re

import pytest
from django.urls import reverse

from carecoord.community.views import need_of_condition
from carecoord.patients.models import RelatedPerson

from ..factories import ConditionFactory, RelatedPersonFactory
from .factories import ServiceFactory

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


def refer_url(patient, service, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"service": service.public_id, **params}.items())
    return reverse("community:patient_referral_new", args=[patient.public_id]) + "?" + query


def selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select[1])
    return option[1] if option else None


def value_of(page: str, name: str) -> str | None:
    field = re.search(rf'<input type="text" name="{name}"[^>]*>', page)
    assert field is not None, name
    value = re.search(r'value="([^"]*)"', field[0])
    return value[1] if value else None


def concern(patient, code, display, system=SNOMED, category="health-concern", status="active"):
    return ConditionFactory(patient=patient, category=category, code_system=system, code=code, display=display,
                            clinical_status=status)  # fmt: skip


def test_consent_is_prefilled_with_the_patient_even_with_a_proxy(client_for, actor, patient, pantry_service):
    RelatedPersonFactory(patient=patient, given_name="Marta", family_name="Delgado", is_health_care_proxy=True)
    assert RelatedPerson.objects.filter(patient=patient, is_health_care_proxy=True).exists()
    page = client_for(actor).get(refer_url(patient, pantry_service)).content.decode()
    assert value_of(page, "consent_by") == "Rosa Delgado"


def test_the_one_matching_problem_list_z_code_is_preselected(client_for, actor, patient, pantry_service):
    food = concern(patient, "Z59.41", "Food insecurity", system=ICD10, category="problem-list-item")
    concern(patient, "E11.9", "Type 2 diabetes mellitus", system=ICD10, category="problem-list-item")
    page = client_for(actor).get(refer_url(patient, pantry_service)).content.decode()
    assert selected(page, "condition") == str(food.public_id)
    assert "Type 2 diabetes" not in page  # a problem that is not a social need is not offered


def test_the_match_follows_the_services_need_and_sets_the_need(client_for, actor, org, patient):
    agency = ServiceFactory(agency__organization=org).agency
    both = ServiceFactory(agency=agency, name="Food and rides", needs=",food-insecurity,transportation-insecurity,")
    rides = concern(patient, "Z59.82", "Transportation insecurity", system=ICD10)
    page = client_for(actor).get(refer_url(patient, both)).content.decode()
    assert selected(page, "condition") == str(rides.public_id)
    assert selected(page, "need") == "transportation-insecurity"


@pytest.mark.parametrize(
    "others",
    [
        [("733423003", "Food insecurity (finding)", SNOMED)],  # two matches: the screening's and the Z code
        [],  # the only food concern is resolved: no match
    ],
)
def test_several_matches_or_none_leave_the_concern_blank(client_for, actor, patient, pantry_service, others):
    concern(patient, "Z59.41", "Food insecurity", system=ICD10, status="resolved")
    for code, display, system in others:
        concern(patient, code, display, system=system)
    if others:
        concern(patient, "Z59.41", "Food insecurity", system=ICD10)
    page = client_for(actor).get(refer_url(patient, pantry_service)).content.decode()
    assert selected(page, "condition") in ("", None)
    assert selected(page, "need") == "food-insecurity"


def test_an_asked_need_limits_the_match(client_for, actor, org, patient):
    agency = ServiceFactory(agency__organization=org).agency
    both = ServiceFactory(agency=agency, name="Food and rides", needs=",food-insecurity,transportation-insecurity,")
    food = concern(patient, "733423003", "Food insecurity (finding)")
    rides = concern(patient, "Z59.82", "Transportation insecurity", system=ICD10)
    client = client_for(actor)
    assert selected(client.get(refer_url(patient, both)).content.decode(), "condition") in ("", None)  # two
    page = client.get(refer_url(patient, both, need="food-insecurity")).content.decode()
    assert (selected(page, "condition"), selected(page, "need")) == (str(food.public_id), "food-insecurity")
    page = client.get(refer_url(patient, both, need="transportation-insecurity")).content.decode()
    assert selected(page, "condition") == str(rides.public_id)


def test_a_problem_list_concern_can_be_sent_with_the_referral(client_for, actor, patient, pantry_service):
    from carecoord.community.models import Referral
    from carecoord.core import clock

    food = concern(patient, "Z59.41", "Food insecurity", system=ICD10, category="problem-list-item")
    today = clock.today_in(actor.organization.tz)
    form = {
        "service": str(pantry_service.public_id), "need": "food-insecurity", "reason": "Groceries",
        "condition": str(food.public_id), "consent_by": "Rosa Delgado", "consent_method": "Verbal",
        "consent_on": today.isoformat(), "respond_by": today.isoformat(), "consent_confirmed": "on",
    }  # fmt: skip
    response = client_for(actor).post(reverse("community:patient_referral_new", args=[patient.public_id]), form)
    assert response.status_code == 302
    assert Referral.objects.get().condition == food


@pytest.mark.parametrize(
    ("system", "code", "need"),
    [
        (SNOMED, "733423003", "food-insecurity"),
        (ICD10, "Z59.41", "food-insecurity"),
        (ICD10, "z5941", "food-insecurity"),
        (ICD10, "Z59.12", "utility-insecurity"),  # within Z59.1 inadequate housing: the longer prefix wins
        (ICD10, "Z59.19", "inadequate-housing"),
        (ICD10, "Z59.02", "homelessness"),
        (ICD10, "Z59.811", "housing-instability"),
        (ICD10, "Z59.869", "financial-insecurity"),
        (ICD10, "Z60.2", "social-connection"),
        (ICD10, "E11.9", ""),
        (SNOMED, "Z59.41", ""),  # a Z code only in ICD-10-CM
    ],
)
def test_the_need_a_condition_is_coded_as(system, code, need):
    class Coded:
        code_system = system

    Coded.code = code
    assert need_of_condition(Coded()) == need
