"""
The front desk (scheduler) enters and maintains a patient's insurance coverages and checks their eligibility
(core.choices.PATIENT_REGISTRATION_ROLES), and still may not request prior authorizations, keep the payer
directory or change the medication list.
"""

import pytest
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.coverage import services
from carecoord.coverage.choices import CoverageStatus
from carecoord.coverage.models import Coverage, EligibilityCheck, PriorAuthorization
from carecoord.medications.models import MedicationList

from ..factories import PatientFactory, make_actor
from .factories import make_coverage, make_payer


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Adaeze", family_name="Okafor")


def test_a_scheduler_adds_and_maintains_coverages_through_the_services(actor, scheduler, patient):
    payer = make_payer(actor)
    first = make_coverage(scheduler, patient, payer, member_id="M1")
    second = make_coverage(scheduler, patient, payer, member_id="M2", position=1)
    first.refresh_from_db()
    assert (second.order, first.order) == (1, 2)
    services.coverage_update(
        actor=scheduler, coverage=first, data={"group_id": "G-9"}, expected_version=first.version, position=1
    )
    second.refresh_from_db()
    services.coverage_end(actor=scheduler, coverage=second, end_date=None, expected_version=second.version)
    assert Coverage.objects.get(pk=second.pk).status == CoverageStatus.CANCELLED
    assert AuditEvent.objects.filter(event="coverage.add", user_id=scheduler.user.pk).count() == 2


def test_a_scheduler_checks_eligibility_but_cannot_keep_payers(actor, scheduler, patient):
    coverage = make_coverage(actor, patient, make_payer(actor, payer_id="60054"))
    started = services.eligibility_check_start(actor=scheduler, coverage=coverage)
    recorded = services.eligibility_result_record(actor=scheduler, coverage=coverage, method="phone", status="active")
    assert {c.pk for c in EligibilityCheck.objects.filter(coverage=coverage)} == {started.pk, recorded.pk}
    assert started.request_x12.startswith("ISA")
    with pytest.raises(PermissionDeniedError):
        services.payer_create(actor=scheduler, data={"name": "Other Health", "payer_id": "OTH1"})
    auditor = make_actor(patient.organization, Role.AUDITOR)
    with pytest.raises(PermissionDeniedError):  # an auditor works with no patient records
        services.eligibility_check_start(actor=auditor, coverage=coverage)
    assert EligibilityCheck.objects.count() == 2


def test_a_scheduler_adds_a_coverage_on_the_web(actor, scheduler, patient, client_for):
    payer = make_payer(actor)
    client = client_for(scheduler)
    tab = reverse("coverage:patient_insurance", args=[patient.public_id])
    page = client.get(tab).content.decode()
    add_url = reverse("coverage:patient_coverage_add", args=[patient.public_id])
    assert add_url in page
    assert reverse("coverage:patient_priorauth_add", args=[patient.public_id]) not in page
    data = {"coverage-position": "1", "coverage-product_type": "medicaid", "coverage-payer": str(payer.public_id),
            "coverage-member_id": "MCD1", "coverage-relationship": "self"}  # fmt: skip
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    coverage = Coverage.objects.get(member_id="MCD1")
    assert (coverage.order, coverage.organization) == (1, scheduler.organization)
    page = client.get(tab).content.decode()
    assert reverse("coverage:coverage_order", args=[coverage.public_id]) not in page  # one coverage: no order
    assert 'name="coverage-position"' in page
    assert reverse("coverage:coverage_end", args=[coverage.public_id]) in page
    assert reverse("coverage:coverage_eligibility_start", args=[coverage.public_id]) in page
    recorded = client.post(
        reverse("coverage:coverage_eligibility_record", args=[coverage.public_id]),
        {"record-method": "portal", "record-status": "active", "record-plan_name": "Gold"},
    )
    assert recorded.status_code == 302
    assert EligibilityCheck.objects.get(coverage=coverage).status == "active"
    ended = client.post(reverse("coverage:coverage_end", args=[coverage.public_id]), {"version": coverage.version})
    assert ended.status_code == 302
    assert Coverage.objects.get(pk=coverage.pk).status == CoverageStatus.CANCELLED


def test_a_scheduler_gets_403_on_prior_auths_and_medications(actor, scheduler, patient, client_for):
    make_coverage(actor, patient, make_payer(actor, payer_id="60054"))
    client = client_for(scheduler)
    refused = [
        client.post(reverse("coverage:patient_priorauth_add", args=[patient.public_id]), {}),
        client.post(reverse("medications:patient_list_new", args=[patient.public_id]), {}),
    ]
    assert [r.status_code for r in refused] == [403, 403]
    assert not PriorAuthorization.objects.exists()
    assert not MedicationList.objects.filter(patient=patient).exists()
