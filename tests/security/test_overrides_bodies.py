"""
T17: organization, owner, author and patient fields pointing at organization B in forms, /api/v1 bodies and
FHIR resources are ignored (the record lands in the caller's organization, written by the caller) or refused;
references to B's records (a care plan or appointment for B's patient, a task owned by B's user, a condition
of B's patient, B's practitioner or site) answer 400/404 and write nothing.
"""

import json

import pytest
from django.urls import reverse

from carecoord.careplans.models import CarePlan, Task
from carecoord.core.choices import Role
from carecoord.patients.models import Condition, Patient
from carecoord.scheduling.models import Appointment

from ..conftest import signed_in_client
from ..factories import (
    ConditionFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    make_actor,
)
from .conftest import leaks_in


@pytest.fixture
def b_records(world):
    org = world["b"].organization
    patient = PatientFactory(organization=org, given_name="Bartholomew", family_name="Betaman", mrn="BETA-1")
    return {
        "patient": patient,
        "condition": ConditionFactory(patient=patient),
        "practitioner": PractitionerFactory(organization=org, given_name="Bianca", family_name="Betadoc"),
        "location": LocationFactory(organization=org, name="Beta Annex"),
        "user": world["b"].user,
    }


def post_json(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_api_care_plan_ignores_organization_and_author_fields(world, b_records):
    a = world["a"]
    body = {"patient": str(world["patient"].public_id), "title": "Override probe", "category": "chronic",
            "start_date": "2026-02-01", "organization": world["b"].organization.pk, "organization_id": "beta",
            "author": b_records["user"].pk, "created_by": b_records["user"].pk, "owner": b_records["user"].pk,
            "is_staff": True}  # fmt: skip
    response = post_json(signed_in_client(a), "/api/v1/careplans", body)
    assert response.status_code == 201, response.content
    plan = CarePlan.objects.get(public_id=response.json()["id"])
    assert plan.organization == a.organization
    assert plan.author == a.user
    assert not b_records["user"].is_staff


@pytest.mark.parametrize("field", ["patient", "addresses"])
def test_api_care_plan_for_another_organizations_patient_or_condition_is_404(world, b_records, denied, field):
    body = {"patient": str(world["patient"].public_id), "title": "Override probe", "category": "chronic",
            "start_date": "2026-02-01", "goals": [{"description": "g"}]}  # fmt: skip
    if field == "patient":
        body["patient"] = str(b_records["patient"].public_id)
    else:
        body["addresses"] = [str(b_records["condition"].public_id)]
    before = (CarePlan.objects.count(), Task.objects.count())
    response = post_json(signed_in_client(world["a"]), "/api/v1/careplans", body)
    denied.add(f"care plan with B's {field}", response)
    assert response.status_code == 404, response.content
    assert (CarePlan.objects.count(), Task.objects.count()) == before
    assert "Betaman" not in response.content.decode()


@pytest.mark.parametrize("field", ["patient", "practitioner", "location"])
def test_api_booking_with_another_organizations_record_is_404(world, b_records, denied, field):
    body = {"patient": str(world["patient"].public_id), "practitioner": str(world["practitioner"].public_id),
            "location": str(world["location"].public_id), "type": str(world["appointment_type"].public_id),
            "start": "2030-01-14T09:00:00-06:00", "organization": world["b"].organization.pk}  # fmt: skip
    body[field] = str(b_records[field].public_id)
    before = Appointment.objects.count()
    response = post_json(signed_in_client(world["a"]), "/api/v1/scheduling/appointments", body)
    denied.add(f"booking with B's {field}", response)
    assert response.status_code == 404, response.content
    assert Appointment.objects.count() == before


def test_api_task_cannot_be_reassigned_to_another_organizations_user(world, b_records, denied):
    task = world["task"]
    body = {"owner_email": b_records["user"].email, "note": "x", "version": task.version}
    response = post_json(signed_in_client(world["a"]), f"/api/v1/tasks/{task.public_id}/reassign", body)
    denied.add("reassign to B's user", response)
    assert response.status_code in (400, 404), response.content
    task.refresh_from_db()
    assert task.owner == world["a"].user


def test_form_task_owned_by_another_organizations_user_is_refused(world, b_records):
    careplan = world["careplan"]
    response = signed_in_client(world["a"]).post(
        f"/careplans/{careplan.public_id}/tasks/",
        {"task-title": "Override task", "task-kind": "call", "task-owner": b_records["user"].pk,
         "task-due_date": "2026-02-01", "task-priority": "routine"},
    )  # fmt: skip
    assert response.status_code in (200, 400)
    assert not Task.objects.filter(title="Override task").exists()


def test_form_registration_lands_in_the_callers_organization(world):
    a, b_org = world["a"], world["b"].organization
    response = signed_in_client(a).post(
        reverse("patients:register"),
        {"mrn": "OVR-1", "given_name": "Ovid", "family_name": "Overridden", "birth_date": "1960-01-01",
         "gender": "male", "sex_at_birth": "UNK", "state": "IL", "preferred_language": "en",
         "phone_primary_kind": "mobile", "phone_secondary_kind": "mobile", "preferred_contact_method": "phone",
         "organization": b_org.pk, "organization_id": b_org.pk},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    assert Patient.objects.get(mrn="OVR-1").organization == a.organization


def test_fhir_create_lands_in_the_clients_organization(world, b_records, fhir_as):
    fhir = fhir_as(world["a"].organization)
    resource = {"resourceType": "Patient", "name": [{"family": "Overwrite", "given": ["Otto"]}], "gender": "male",
                "birthDate": "1960-01-01", "identifier": [{"system": "urn:test:mrn", "value": "OVR-FHIR"}],
                "managingOrganization": {"reference": f"Organization/{world['ext'].public_id}"},
                "meta": {"security": [{"code": "beta"}]}}  # fmt: skip
    response = fhir.post("Patient", resource)
    assert response.status_code in (201, 400, 422), response.content
    assert not Patient.objects.filter(family_name="Overwrite", organization=world["b"].organization).exists()
    if response.status_code == 201:
        assert Patient.objects.get(family_name="Overwrite").organization == world["a"].organization


@pytest.mark.parametrize("kind", ["Condition", "Goal", "CarePlan"])
def test_fhir_references_to_another_organizations_patient_are_refused(world, b_records, fhir_as, denied, kind):
    fhir = fhir_as(world["a"].organization)
    subject = {"reference": f"Patient/{b_records['patient'].public_id}"}
    own = {"Condition": world["condition"], "Goal": world["goal"], "CarePlan": world["careplan"]}[kind]
    current = fhir.get(f"{kind}/{own.public_id}").json()
    field = "subject"
    moved = {**current, field: subject}
    before = Condition.objects.filter(patient=b_records["patient"]).count(), CarePlan.objects.count()
    created = fhir.post(kind, {k: v for k, v in moved.items() if k not in ("id", "meta")})
    updated = fhir.put(f"{kind}/{own.public_id}", moved, headers={"If-Match": f'W/"{current["meta"]["versionId"]}"'})
    for label, response in (("create", created), ("update", updated)):
        denied.add(f"FHIR {label} {kind} for B's patient", response)
        assert response.status_code in (400, 404, 422), (
            f"{label} {kind}: {response.status_code} {response.content[:300]}"
        )
        assert not leaks_in(response.content.decode())
    assert (Condition.objects.filter(patient=b_records["patient"]).count(), CarePlan.objects.count()) == before
    own.refresh_from_db()
    assert own.patient == world["patient"]


def test_fhir_appointment_for_another_organizations_practitioner_is_refused(world, b_records, fhir_as, denied):
    fhir = fhir_as(world["a"].organization)
    current = fhir.get(f"Appointment/{world['appointment'].public_id}").json()
    for participant in current.get("participant", []):
        if participant.get("actor", {}).get("reference", "").startswith("Practitioner/"):
            participant["actor"]["reference"] = f"Practitioner/{b_records['practitioner'].public_id}"
    body = {k: v for k, v in current.items() if k not in ("id", "meta")}
    body["start"], body["end"] = "2030-01-14T15:00:00Z", "2030-01-14T15:30:00Z"
    before = Appointment.objects.count()
    response = fhir.post("Appointment", body)
    denied.add("FHIR appointment with B's practitioner", response)
    assert response.status_code in (400, 404, 422), response.content[:300]
    assert Appointment.objects.count() == before


def test_a_scheduler_cannot_take_over_records_by_role_fields(world):
    """A role is not a body field: a scheduler posting role=org_admin to the settings stays a scheduler."""
    scheduler = make_actor(world["a"].organization, Role.SCHEDULER)
    client = signed_in_client(scheduler)
    response = client.post("/settings/organization/", {"role": "org_admin", "require_mfa": "on"})
    assert response.status_code in (403, 404)
    assert not scheduler.user.memberships.filter(role=Role.ORG_ADMIN).exists()
