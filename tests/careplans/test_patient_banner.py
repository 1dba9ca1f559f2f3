"""
Pages about one patient outside the chart's tabs (a care plan, a task, an eligibility check) carry the chart's
patient banner: who the patient is, without a second page heading, at a cost that does not grow with the record.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.coverage import services as coverage_services
from tests.factories import PatientFactory, RelatedPersonFactory

from ..coverage.factories import make_coverage, make_payer
from .factories import CarePlanFactory, TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(
        organization=org, given_name="Rosa", family_name="Delgado", mrn="RC-4417",
        birth_date=dt.date(1948, 3, 7), chart_alert="Latex allergy",
    )  # fmt: skip


def banner(page: str) -> str:
    found = re.search(r'<section class="banner" aria-label="Patient">(.*?)</section>', page, re.S)
    assert found, "no patient banner"
    return found[1]


def assert_banner_names(page: str, patient) -> None:
    shown = banner(page)
    for fact in (patient.display_name, patient.mrn, "03/07/1948", "Latex allergy"):
        assert fact in shown
    assert "Edit demographics" not in shown  # record actions stay on the chart
    assert page.count("<h1") == 1  # the page's own heading, not the patient's name
    assert "{#" not in page


def test_a_care_plan_page_shows_the_patient_banner(actor, client_for, patient):
    plan = CarePlanFactory(patient=patient, author=actor.user, title="Heart failure plan")
    page = client_for(actor).get(reverse("careplans:detail", args=[plan.public_id])).content.decode()
    assert_banner_names(page, patient)
    assert re.search(r"<h1[^>]*>Heart failure plan", page)


def test_a_task_page_shows_the_patient_banner_with_the_proxy(actor, client_for, patient):
    RelatedPersonFactory(patient=patient, given_name="Ana", family_name="Delgado", is_health_care_proxy=True)
    task = TaskFactory(patient=patient, owner=actor.user)
    page = client_for(actor).get(reverse("careplans:task_detail", args=[task.public_id])).content.decode()
    assert_banner_names(page, patient)
    assert "Proxy: Ana Delgado" in banner(page)


def test_an_eligibility_check_page_shows_the_patient_banner(actor, client_for, patient):
    coverage = make_coverage(actor, patient, make_payer(actor))
    check = coverage_services.eligibility_check_start(actor=actor, coverage=coverage, service_types=["30"])
    page = client_for(actor).get(reverse("coverage:eligibility_detail", args=[check.public_id])).content.decode()
    assert_banner_names(page, patient)


def test_the_banner_costs_the_same_however_many_proxies_the_patient_has(actor, client_for, patient):
    plan = CarePlanFactory(patient=patient, author=actor.user)
    client = client_for(actor)
    url = reverse("careplans:detail", args=[plan.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for name in ("Ana", "Luis", "Marta"):
        RelatedPersonFactory(patient=patient, given_name=name, is_health_care_proxy=True)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(one)
    assert banner(page).count("Proxy: ") == 3
