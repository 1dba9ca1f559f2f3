"""
The front desk (PATIENT_REGISTRATION_ROLES) adds, changes and removes a patient's family members, caregivers and
emergency contacts, but does not name a health care proxy or record that the patient lets us share information
with someone (services.RELATED_PERMISSION_FIELDS): those stay with PATIENT_WRITE_ROLES. Services, then the chart.
"""

import datetime as dt

import pytest
from django.urls import reverse

from carecoord.core.choices import PATIENT_REGISTRATION_ROLES, Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.patients import services
from carecoord.patients.models import CareTeamMember, Patient, RelatedPerson

from ..factories import PatientFactory, RelatedPersonFactory, make_actor

CAREGIVER = {"given_name": "Marco", "family_name": "Delgado", "relationship": "CAREGIVER", "phone": "(312) 555-0199"}


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def coordinator(org):
    return make_actor(org, Role.COORDINATOR)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


def test_a_scheduler_adds_updates_and_removes_a_caregiver_with_audit_entries(scheduler, patient):
    person = services.related_person_add(
        actor=scheduler, patient=patient, data={**CAREGIVER, "is_emergency_contact": True}
    )
    assert (person.phone, person.is_emergency_contact, person.is_health_care_proxy) == ("+13125550199", True, False)
    created = AuditEvent.objects.get(event="related_person.create", object_id=str(person.public_id))
    assert (created.user_id, created.patient_public_id) == (scheduler.user.pk, patient.public_id)

    services.related_person_update(
        actor=scheduler, person=person, data={"phone": "312-555-0101", "note": "Evenings"}, expected_version=1
    )
    person.refresh_from_db()
    assert (person.phone, person.note, person.version) == ("+13125550101", "Evenings", 2)
    updated = AuditEvent.objects.get(event="related_person.update", object_id=str(person.public_id))
    assert updated.detail["fields"] == ["note", "phone"]

    services.related_person_deactivate(actor=scheduler, person=person)
    person.refresh_from_db()
    assert not person.active
    assert AuditEvent.objects.filter(event="related_person.deactivate", user_id=scheduler.user.pk).exists()


@pytest.mark.parametrize("flag", services.RELATED_PERMISSION_FIELDS)
def test_a_scheduler_may_not_add_a_proxy_or_an_information_permission(scheduler, patient, flag):
    with pytest.raises(PermissionDeniedError) as refused:
        services.related_person_add(actor=scheduler, patient=patient, data={**CAREGIVER, flag: True})
    assert refused.value.field == flag
    assert "care team" in refused.value.message
    assert not RelatedPerson.objects.exists()
    assert not AuditEvent.objects.filter(event="related_person.create").exists()


@pytest.mark.parametrize("flag", services.RELATED_PERMISSION_FIELDS)
def test_a_scheduler_may_not_change_a_flag_either_way(scheduler, patient, flag):
    person = RelatedPersonFactory(patient=patient, **{flag: True})
    with pytest.raises(PermissionDeniedError):
        services.related_person_update(actor=scheduler, person=person, data={flag: False}, expected_version=1)
    person.refresh_from_db()
    assert getattr(person, flag) is True
    plain = RelatedPersonFactory(patient=patient)
    with pytest.raises(PermissionDeniedError):
        services.related_person_update(actor=scheduler, person=plain, data={flag: True}, expected_version=1)


def test_a_scheduler_updates_a_proxys_phone_when_the_flags_are_sent_unchanged(scheduler, patient):
    proxy = RelatedPersonFactory(patient=patient, is_health_care_proxy=True, may_receive_information=True)
    data = {"phone": "(312) 555-0123", "is_health_care_proxy": True, "may_receive_information": True}
    services.related_person_update(actor=scheduler, person=proxy, data=data, expected_version=1)
    proxy.refresh_from_db()
    assert (proxy.phone, proxy.is_health_care_proxy) == ("+13125550123", True)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("proxy", {"is_health_care_proxy": True}), ("informed", {"may_receive_information": True}), ("team", {})],
)
def test_a_scheduler_may_not_remove_a_proxy_an_informed_person_or_a_care_team_member(
    org, scheduler, coordinator, patient, kind, extra
):
    person = RelatedPersonFactory(patient=patient, **extra)
    if kind == "team":
        services.care_team_member_add(
            actor=coordinator, patient=patient, role="caregiver", start_date=dt.date(2026, 1, 5), related_person=person
        )
    with pytest.raises(PermissionDeniedError):
        services.related_person_deactivate(actor=scheduler, person=person)
    person.refresh_from_db()
    assert person.active
    assert not CareTeamMember.objects.filter(end_date__isnull=False).exists()
    services.related_person_deactivate(actor=coordinator, person=person)  # the care team may
    person.refresh_from_db()
    assert not person.active


def test_the_care_team_sets_the_flags(coordinator, patient):
    person = services.related_person_add(
        actor=coordinator,
        patient=patient,
        data={**CAREGIVER, "is_health_care_proxy": True, "may_receive_information": True},
    )
    assert (person.is_health_care_proxy, person.may_receive_information) == (True, True)


def test_an_auditor_is_refused_and_another_organization_sees_nothing(org, other_org, patient):
    auditor = make_actor(org, Role.AUDITOR)
    with pytest.raises(PermissionDeniedError):
        services.related_person_add(actor=auditor, patient=patient, data=CAREGIVER)
    stranger = make_actor(other_org, Role.SCHEDULER)
    with pytest.raises(NotFoundError):
        services.related_person_add(actor=stranger, patient=patient, data=CAREGIVER)
    assert not RelatedPerson.objects.exists()


def test_every_registration_role_may_add_a_contact(org, patient):
    for role in PATIENT_REGISTRATION_ROLES:
        services.related_person_add(actor=make_actor(org, role), patient=patient, data=CAREGIVER)
    assert RelatedPerson.objects.filter(patient=patient).count() == len(PATIENT_REGISTRATION_ROLES)


# The chart --------------------------------------------------------------------------------------------------


def family_form(client, patient) -> str:
    return client.get(reverse("patients:chart", args=[patient.public_id]) + "?form=family").content.decode()


def test_a_scheduler_sees_the_family_form_without_the_permission_boxes(scheduler, coordinator, client_for, patient):
    page = family_form(client_for(scheduler), patient)
    assert reverse("patients:family_add", args=[patient.public_id]) in page
    assert 'name="family-is_emergency_contact"' in page
    assert 'name="family-is_health_care_proxy"' not in page
    assert 'name="family-may_receive_information"' not in page
    assert "recorded by the care team" in page
    full = family_form(client_for(coordinator), patient)
    assert 'name="family-is_health_care_proxy"' in full
    assert 'name="family-may_receive_information"' in full


def test_a_scheduler_adds_a_caregiver_on_the_chart_and_a_proxy_box_sent_anyway_is_ignored(
    scheduler, client_for, patient
):
    client = client_for(scheduler)
    data = {f"family-{k}": v for k, v in CAREGIVER.items()} | {"family-preferred_language": "en"}
    data |= {"family-is_health_care_proxy": "on", "family-may_receive_information": "on"}
    response = client.post(reverse("patients:family_add", args=[patient.public_id]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    person = RelatedPerson.objects.get(patient=patient)
    assert (person.display_name, person.is_health_care_proxy, person.may_receive_information) == (
        "Marco Delgado",
        False,
        False,
    )
    assert AuditEvent.objects.filter(event="related_person.create", user_id=scheduler.user.pk).exists()


def test_the_remove_button_shows_only_for_contacts_the_scheduler_may_remove(scheduler, client_for, patient):
    plain = RelatedPersonFactory(patient=patient)
    proxy = RelatedPersonFactory(patient=patient, is_health_care_proxy=True)
    client = client_for(scheduler)
    chart = client.get(reverse("patients:chart", args=[patient.public_id])).content.decode()
    assert reverse("patients:family_remove", args=[patient.public_id, plain.public_id]) in chart
    assert reverse("patients:family_remove", args=[patient.public_id, proxy.public_id]) not in chart

    refused = client.post(
        reverse("patients:family_remove", args=[patient.public_id, proxy.public_id]), HTTP_HX_REQUEST="true"
    )
    assert "Only the care team can remove a health care proxy." in refused.content.decode()
    without_htmx = client.post(reverse("patients:family_remove", args=[patient.public_id, proxy.public_id]))
    assert without_htmx.status_code == 302
    shown = client.get(without_htmx["Location"]).content.decode()
    assert "Only the care team can remove a health care proxy." in shown
    proxy.refresh_from_db()
    assert proxy.active
    removed = client.post(reverse("patients:family_remove", args=[patient.public_id, plain.public_id]))
    assert removed.status_code == 302
    plain.refresh_from_db()
    assert not plain.active


def test_registering_then_adding_family_opens_the_family_form(scheduler, client_for):
    client = client_for(scheduler)
    form = client.get(reverse("patients:register")).content.decode()
    assert 'name="then" value="family"' in form
    data = {"mrn": "F200", "given_name": "Lena", "family_name": "Park", "birth_date": "1948-09-01",
            "gender": "female", "sex_at_birth": "F", "phone_primary": "(312) 555-0142", "phone_primary_kind": "mobile",
            "phone_secondary_kind": "home", "preferred_language": "en", "preferred_contact_method": "phone",
            "state": "IL", "then": "family"}  # fmt: skip
    response = client.post(reverse("patients:register"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get(mrn="F200")
    assert response["Location"] == reverse("patients:chart", args=[patient.public_id]) + "?form=family#family-panel"
    chart = client.get(response["Location"]).content.decode()
    assert "Park, Lena is registered." in chart
    assert f'action="{reverse("patients:family_add", args=[patient.public_id])}"' in chart
    other = {"mrn": "F201", "given_name": "Ida", "family_name": "Moss", "birth_date": "1960-01-01", "then": ""}
    plain = client.post(reverse("patients:register"), {**data, **other})
    assert plain["Location"] == Patient.objects.get(mrn="F201").get_absolute_url()
