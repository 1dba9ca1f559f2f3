"""The Add-a-coverage form: Payer and Member ID are marked required, and self-pay still needs neither."""

import re

import pytest
from django.urls import reverse

from carecoord.coverage.models import Coverage

from ..conftest import signed_in_client
from ..factories import PatientFactory
from .factories import make_payer

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Ines", family_name="Arroyo")


def _label(body: str, field: str) -> str:
    found = re.search(rf'<label for="id_coverage-{field}">(.*?)</label>', body, re.S)
    assert found, f"no label for {field}"
    return found.group(1)


def test_the_rendered_form_marks_payer_and_member_id_as_required(actor, patient):
    make_payer(actor)
    body = signed_in_client(actor).get(reverse("coverage:patient_insurance", args=[patient.public_id])).content
    body = body.decode()
    for field in ("payer", "member_id", "product_type"):
        assert 'class="req"' in _label(body, field), field
    assert 'class="req"' not in _label(body, "plan_name")
    assert re.search(r'<select name="coverage-payer"[^>]*\brequired\b', body)


def test_a_coverage_without_payer_is_refused_at_the_field(actor, patient):
    url = reverse("coverage:patient_coverage_add", args=[patient.public_id])
    data = {"coverage-position": "9", "coverage-product_type": "commercial", "coverage-member_id": "W1",
            "coverage-relationship": "self"}  # fmt: skip
    response = signed_in_client(actor).post(url, data)
    assert response.status_code == 400
    assert re.search(r'id="id_coverage-payer_error">Choose the payer\.<', response.content.decode())
    assert not Coverage.objects.exists()


def test_self_pay_needs_no_payer_nor_member_id(actor, patient):
    url = reverse("coverage:patient_coverage_add", args=[patient.public_id])
    data = {"coverage-position": "9", "coverage-product_type": "self_pay", "coverage-relationship": "self"}
    response = signed_in_client(actor).post(url, data)
    assert response.status_code == 302
    coverage = Coverage.objects.get(patient=patient)
    assert coverage.payer is None
    assert coverage.member_id == ""
