"""
The front desk (scheduler) registers patients and corrects their demographics and contact details
(core.choices.PATIENT_REGISTRATION_ROLES), and still may not change clinical data, the care team or care plans.
"""

import datetime as dt
import json

import pytest
from django.urls import reverse

from carecoord.careplans.models import CarePlan
from carecoord.core.choices import PATIENT_REGISTRATION_ROLES, PATIENT_WRITE_ROLES, Role
from carecoord.core.errors import PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.patients import services
from carecoord.patients.models import CareTeamMember, Condition, Patient

from ..factories import PatientFactory, make_actor

FORM = {
    "mrn": "F100", "given_name": "Rosa", "family_name": "Delgado", "birth_date": "1950-04-02",
    "gender": "female", "sex_at_birth": "F", "phone_primary": "(312) 555-0142", "phone_primary_kind": "mobile",
    "phone_secondary_kind": "home", "preferred_language": "es", "interpreter_needed": "on",
    "preferred_contact_method": "phone", "state": "IL",
}  # fmt: skip


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Ana", family_name="Reyes", birth_date=dt.date(1961, 5, 3))


def test_registration_roles_are_the_write_roles_and_the_scheduler():
    assert PATIENT_WRITE_ROLES | {Role.SCHEDULER} == PATIENT_REGISTRATION_ROLES
    assert Role.SCHEDULER not in PATIENT_WRITE_ROLES
    assert Role.AUDITOR not in PATIENT_REGISTRATION_ROLES


def test_a_scheduler_registers_and_updates_through_the_services(scheduler):
    patient = services.patient_register(
        actor=scheduler,
        data={"mrn": "S1", "given_name": "Li", "family_name": "Wong", "birth_date": dt.date(1970, 1, 2)},
    )
    assert AuditEvent.objects.filter(event="patient.create", patient_public_id=patient.public_id).exists()
    services.patient_update(
        actor=scheduler,
        patient=patient,
        data={"phone_primary": "312-555-0101", "city": "Chicago", "preferred_language": "zh"},
        expected_version=patient.version,
    )
    patient.refresh_from_db()
    assert (patient.phone_primary, patient.city, patient.preferred_language) == ("+13125550101", "Chicago", "zh")


def test_a_scheduler_still_cannot_change_clinical_data_or_the_care_team(scheduler, patient):
    with pytest.raises(PermissionDeniedError):
        services.condition_add(
            actor=scheduler,
            patient=patient,
            data={"code_system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9", "display": "Diabetes"},
        )
    with pytest.raises(PermissionDeniedError):
        services.care_team_member_add(
            actor=scheduler, patient=patient, role="coordinator", start_date=dt.date(2026, 1, 1), user=scheduler.user
        )
    with pytest.raises(PermissionDeniedError):
        services.patient_restricted_set(actor=scheduler, patient=patient, restricted=True, expected_version=1)
    assert not Condition.objects.exists()
    assert not CareTeamMember.objects.exists()


def test_a_scheduler_registers_a_patient_on_the_web(scheduler, client_for):
    client = client_for(scheduler)
    listing = client.get(reverse("patients:list")).content.decode()
    assert reverse("patients:register") in listing
    assert client.get(reverse("patients:register")).status_code == 200
    response = client.post(reverse("patients:register"), FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get(mrn="F100")
    assert patient.organization == scheduler.organization
    chart = client.get(response["Location"]).content.decode()
    assert reverse("patients:edit", args=[patient.public_id]) in chart  # "Edit demographics"
    assert reverse("patients:restrict", args=[patient.public_id]) not in chart
    assert reverse("records:amendment_list", args=[patient.public_id]) not in chart


def test_a_scheduler_corrects_demographics_on_the_web(scheduler, client_for, patient):
    client = client_for(scheduler)
    url = reverse("patients:edit", args=[patient.public_id])
    assert client.get(url).status_code == 200
    data = {**FORM, "mrn": patient.mrn, "given_name": "Ana", "family_name": "Reyes", "birth_date": "1961-05-03",
            "address_line1": "12 Lake St", "city": "Cicero", "postal_code": "60804",
            "version": patient.version}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert (patient.address_line1, patient.city, patient.phone_primary) == ("12 Lake St", "Cicero", "+13125550142")
    entry = AuditEvent.objects.get(event="patient.update", patient_public_id=patient.public_id)
    assert entry.user_id == scheduler.user.pk


def test_a_scheduler_reads_the_registration_over_the_api_but_gets_403_on_a_care_plan(scheduler, client_for, patient):
    client = client_for(scheduler)
    found = client.get(f"/api/v1/patients/{patient.public_id}")
    assert found.status_code == 200
    assert found.json()["family_name"] == "Reyes"
    body = {"patient": str(patient.public_id), "title": "Diabetes plan", "category": "chronic",
            "start_date": "2026-01-05"}  # fmt: skip
    refused = client.post("/api/v1/careplans", json.dumps(body), content_type="application/json")
    assert refused.status_code == 403, refused.content
    assert refused.json()["code"] == "forbidden"
    web = client.post(reverse("careplans:patient_careplan_create", args=[patient.public_id]), {"title": "Plan"})
    assert web.status_code == 403
    assert not CarePlan.objects.exists()


def test_an_auditor_still_cannot_register(org, client_for):
    client = client_for(make_actor(org, Role.AUDITOR))
    assert client.post(reverse("patients:register"), FORM).status_code == 404
    assert not Patient.objects.exists()
