"""
GET|POST /api/v1/patients/{id}/related-persons and PATCH .../related-persons/{person_id}: a patient's family
members, caregivers and proxies through the chart's form and services. Every clinical role reads; the
registration roles write, the front desk without the permission flags (403); an auditor and another
organization get 404; bad input answers 400 naming every field; a stale version answers 412.
"""

import json

import pytest

from carecoord.core.choices import PATIENT_REGISTRATION_ROLES, Role
from carecoord.core.models import AuditEvent
from carecoord.patients.models import RelatedPerson

from ..conftest import signed_in_client
from ..factories import PatientFactory, RelatedPersonFactory, make_actor

CAREGIVER = {"given_name": "Marco", "family_name": "Delgado", "relationship": "CAREGIVER", "phone": "(312) 555-0199"}


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def url(patient, person=None) -> str:
    base = f"/api/v1/patients/{patient.public_id}/related-persons"
    return f"{base}/{person.public_id}" if person else base


@pytest.mark.parametrize("role", sorted(PATIENT_REGISTRATION_ROLES))
def test_registration_roles_add_and_list_a_caregiver(org, patient, role):
    client = signed_in_client(make_actor(org, role))
    response = send(client, "post", url(patient), {**CAREGIVER, "is_emergency_contact": True})
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["phone"], added["relationship_display"], added["is_emergency_contact"], added["version"]) == (
        "+13125550199", "Paid caregiver", True, 1
    )  # fmt: skip
    assert AuditEvent.objects.filter(event="related_person.create", object_id=added["id"]).exists()
    listed = client.get(url(patient))
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [added["id"]]
    assert AuditEvent.objects.filter(event="related_person.list", patient_public_id=patient.public_id).exists()


def test_an_auditor_and_another_organization_get_404_and_write_nothing(org, other_org, patient):
    person = RelatedPersonFactory(patient=patient)
    for actor in (make_actor(org, Role.AUDITOR), make_actor(other_org, Role.COORDINATOR)):
        client = signed_in_client(actor)
        assert client.get(url(patient)).status_code == 404
        assert send(client, "post", url(patient), CAREGIVER).status_code == 404
        assert send(client, "patch", url(patient, person), {"note": "x", "version": 1}).status_code == 404
    assert RelatedPerson.objects.count() == 1
    person.refresh_from_db()
    assert (person.note, person.version) == ("", 1)


def test_the_front_desk_gets_403_for_the_permission_flags(org, patient):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    refused = send(client, "post", url(patient), {**CAREGIVER, "is_health_care_proxy": True})
    assert refused.status_code == 403, refused.content
    assert (refused.json()["code"], refused.json()["field"]) == ("forbidden", "is_health_care_proxy")
    assert not RelatedPerson.objects.exists()
    person = RelatedPersonFactory(patient=patient)
    refused = send(client, "patch", url(patient, person), {"may_receive_information": True, "version": 1})
    assert refused.status_code == 403
    person.refresh_from_db()
    assert not person.may_receive_information


def test_a_coordinator_names_a_proxy(org, patient):
    client = signed_in_client(make_actor(org, Role.COORDINATOR))
    response = send(client, "post", url(patient), {**CAREGIVER, "is_health_care_proxy": True})
    assert response.status_code == 201
    assert response.json()["is_health_care_proxy"] is True


def test_invalid_input_names_every_field_and_writes_nothing(org, patient):
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    body = {"given_name": "Marco", "relationship": "cousin", "phone": "12", "email": "not-an-email"}
    response = send(client, "post", url(patient), body)
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"family_name", "relationship", "email"} <= fields
    assert not RelatedPerson.objects.exists()
    no_contact = send(client, "post", url(patient), {**CAREGIVER, "phone": ""})
    assert (no_contact.status_code, no_contact.json()["field"]) == (400, "phone")


def test_patch_changes_the_fields_sent_and_a_stale_version_answers_412(org, patient):
    person = RelatedPersonFactory(patient=patient, is_health_care_proxy=True, note="Keys with neighbor")
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    changed = send(client, "patch", url(patient, person), {"phone": "312-555-0101", "version": 1})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["phone"], changed.json()["note"], changed.json()["version"]) == (
        "+13125550101", "Keys with neighbor", 2
    )  # fmt: skip
    assert changed.json()["is_health_care_proxy"] is True
    stale = send(client, "patch", url(patient, person), {"note": "Lost update", "version": 1})
    assert stale.status_code == 412
    assert (stale.json()["code"], stale.json()["field"]) == ("precondition-failed", "version")
    person.refresh_from_db()
    assert (person.note, person.version) == ("Keys with neighbor", 2)
    missing = send(client, "patch", url(patient, person), {"note": "x"})
    assert (missing.status_code, missing.json()["field"]) == (400, "version")


def test_active_false_removes_the_person(org, patient):
    person = RelatedPersonFactory(patient=patient)
    client = signed_in_client(make_actor(org, Role.SCHEDULER))
    mixed = send(client, "patch", url(patient, person), {"active": False, "note": "x", "version": 1})
    assert (mixed.status_code, mixed.json()["field"]) == (400, "active")
    stale = send(client, "patch", url(patient, person), {"active": False, "version": 7})
    assert stale.status_code == 412
    removed = send(client, "patch", url(patient, person), {"active": False, "version": 1})
    assert removed.status_code == 200, removed.content
    assert removed.json()["active"] is False
    assert client.get(url(patient)).json()["results"] == []
    everyone = client.get(url(patient), {"include_inactive": "true"}).json()["results"]
    assert [row["id"] for row in everyone] == [str(person.public_id)]
    again = send(client, "patch", url(patient, person), {"note": "x", "version": 2})
    assert again.status_code == 409
    assert AuditEvent.objects.filter(event="related_person.deactivate", object_id=str(person.public_id)).exists()


def test_an_unknown_person_of_a_visible_patient_is_404(org, patient):
    other = RelatedPersonFactory(patient=PatientFactory(organization=org))
    client = signed_in_client(make_actor(org, Role.COORDINATOR))
    assert send(client, "patch", url(patient, other), {"note": "x", "version": 1}).status_code == 404
