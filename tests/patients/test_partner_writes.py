"""
What a partner the patient is shared with may change on the home organization's record (docs/security.md, "A
shared patient's records"): not the registration (demographics, identifiers, the family list), which the home
organization keeps; on the care team only its own people; on the problem list only what its own staff recorded.
The home organization changes all of it. The chart offers only what the service allows.
"""

import datetime as dt

import pytest
from django.urls import reverse

from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.core.errors import PermissionDeniedError
from carecoord.directory.models import Practitioner
from carecoord.patients import services
from carecoord.patients.models import CareTeamMember, Condition, Patient, PatientIdentifier, RelatedPerson
from tests.factories import PatientFactory, PractitionerFactory, RelatedPersonFactory, UserFactory, make_actor

DIABETES = {"code_system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9", "display": "Type 2 diabetes"}


@pytest.fixture
def world(actor, other_actor):
    """`actor` (Lakeside) is the home organization; `other_actor` (Riverside) a partner."""
    today = clock.today_in(actor.organization.tz)
    patient = PatientFactory(organization=actor.organization, family_name="Delgado", birth_date=dt.date(1950, 4, 2))
    services.patient_share_with_consent(
        actor=actor, patient=patient, grantee=other_actor.organization, signed_on=today, signed_by="Rosa",
        method="Signed form",
    )  # fmt: skip
    home_colleague = make_actor(actor.organization, Role.COORDINATOR, user=UserFactory(full_name="Keisha Home"))
    home_member = services.care_team_member_add(
        actor=actor, patient=patient, role="coordinator", user=home_colleague.user, start_date=today
    )
    partner_member = services.care_team_member_add(
        actor=other_actor, patient=patient, role="coordinator", user=other_actor.user, start_date=today
    )
    partner_doctor = PractitionerFactory(organization=other_actor.organization)
    doctor_member = services.care_team_member_add(
        actor=other_actor, patient=patient, role="specialist", practitioner=partner_doctor, start_date=today
    )
    return {
        "home": actor,
        "partner": other_actor,
        "patient": patient,
        "today": today,
        "home_member": home_member,
        "partner_member": partner_member,
        "doctor_member": doctor_member,
        "home_problem": services.condition_add(actor=actor, patient=patient, data=DIABETES),
        "partner_problem": services.condition_add(
            actor=other_actor, patient=patient, data={**DIABETES, "code": "I10", "display": "Hypertension"}
        ),
        "person": RelatedPersonFactory(patient=patient, is_health_care_proxy=True),
    }


def counts() -> dict[str, int]:
    models = (Patient, PatientIdentifier, RelatedPerson, CareTeamMember, Condition, Practitioner)
    return {model.__name__: model.objects.count() for model in models}


def test_a_partner_cannot_change_the_registration(world):
    partner, patient, person = world["partner"], world["patient"], world["person"]
    before = counts()
    attempts = [
        lambda: services.patient_update(
            actor=partner, patient=patient, data={"preferred_name": "Gene"}, expected_version=patient.version
        ),
        lambda: services.identifier_add(actor=partner, patient=patient, type="MA", system="urn:x", value="77"),
        lambda: services.related_person_add(
            actor=partner,
            patient=patient,
            data={"given_name": "Ana", "family_name": "Ruiz", "relationship": "SIB", "phone": "+13125550143"},
        ),
        lambda: services.related_person_update(
            actor=partner, person=person, data={"phone": "+13125550199"}, expected_version=person.version
        ),
        lambda: services.related_person_deactivate(actor=partner, person=person),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError, match="Lakeside Clinic keeps this patient's registration"):
            attempt()
    assert counts() == before
    patient.refresh_from_db()
    person.refresh_from_db()
    assert patient.preferred_name == ""
    assert person.active


def test_the_home_organization_keeps_changing_the_registration(world):
    home, patient = world["home"], world["patient"]
    services.patient_update(
        actor=home, patient=patient, data={"preferred_name": "Rosie"}, expected_version=patient.version
    )
    patient.refresh_from_db()
    assert patient.preferred_name == "Rosie"


def test_a_partner_ends_only_its_own_people_on_the_care_team(world):
    partner, today = world["partner"], world["today"]
    with pytest.raises(PermissionDeniedError, match="Lakeside Clinic manages this member"):
        services.care_team_member_end(actor=partner, member=world["home_member"], end_date=today)
    world["home_member"].refresh_from_db()
    assert world["home_member"].end_date is None
    for own in (world["partner_member"], world["doctor_member"]):
        assert services.care_team_member_end(actor=partner, member=own, end_date=today).end_date == today


def test_the_home_organization_ends_anyone(world):
    ended = services.care_team_member_end(actor=world["home"], member=world["partner_member"], end_date=world["today"])
    assert ended.end_date == world["today"]


def test_a_partner_changes_only_the_problems_its_staff_recorded(world):
    partner, home_problem, partner_problem = world["partner"], world["home_problem"], world["partner_problem"]
    with pytest.raises(PermissionDeniedError, match="Lakeside Clinic recorded this problem"):
        services.condition_update(
            actor=partner,
            condition=home_problem,
            data={"clinical_status": "inactive"},
            expected_version=home_problem.version,
        )
    home_problem.refresh_from_db()
    assert home_problem.clinical_status == "active"
    changed = services.condition_update(
        actor=partner,
        condition=partner_problem,
        data={"clinical_status": "resolved"},
        expected_version=partner_problem.version,
    )
    assert changed.clinical_status == "resolved"


def test_a_problem_set_inactive_gets_the_day_it_ended_and_loses_it_when_active_again(world):
    home, problem = world["home"], world["home_problem"]
    services.condition_update(
        actor=home, condition=problem, data={"clinical_status": "inactive"}, expected_version=problem.version
    )
    problem.refresh_from_db()
    assert problem.abatement_date == world["today"]
    services.condition_update(
        actor=home, condition=problem, data={"clinical_status": "active"}, expected_version=problem.version
    )
    problem.refresh_from_db()
    assert problem.abatement_date is None  # FHIR con-4: an abated condition is inactive, resolved or in remission


def test_the_partners_chart_offers_only_what_it_may_change(world, client_for):
    patient = world["patient"]
    page = client_for(world["partner"]).get(patient.get_absolute_url()).content.decode()
    assert "Lakeside Clinic keeps this patient's registration and family list" in page
    assert reverse("patients:edit", args=[patient.public_id]) not in page
    assert "Add a family member or caregiver" not in page
    assert "Add an identifier" not in page
    assert reverse("patients:family_remove", args=[patient.public_id, world["person"].public_id]) not in page
    end = "patients:care_team_end"
    assert reverse(end, args=[patient.public_id, world["home_member"].public_id]) not in page
    assert reverse(end, args=[patient.public_id, world["partner_member"].public_id]) in page
    status = "patients:condition_status"
    assert reverse(status, args=[patient.public_id, world["home_problem"].public_id]) not in page
    assert reverse(status, args=[patient.public_id, world["partner_problem"].public_id]) in page
    assert "Add a problem" in page
    assert "Add a care-team member" in page


def test_the_home_organizations_chart_offers_everything(world, client_for):
    patient = world["patient"]
    page = client_for(world["home"]).get(patient.get_absolute_url()).content.decode()
    assert reverse("patients:edit", args=[patient.public_id]) in page
    assert "keeps this patient's registration" not in page
    for member in ("home_member", "partner_member"):
        assert reverse("patients:care_team_end", args=[patient.public_id, world[member].public_id]) in page


def test_a_partner_opening_the_edit_page_goes_back_to_the_chart(world, client_for):
    patient = world["patient"]
    response = client_for(world["partner"]).get(reverse("patients:edit", args=[patient.public_id]))
    assert response.status_code == 302
    assert response["Location"] == patient.get_absolute_url()


def test_a_membership_ended_today_leaves_the_current_care_team(world, client_for):
    home, member = world["home"], world["home_member"]
    services.care_team_member_end(actor=home, member=member, end_date=world["today"])
    page = client_for(home).get(world["patient"].get_absolute_url()).content.decode()
    current = page.split('id="care-team-panel"', 1)[1].split("Past members", 1)[0]
    assert "Keisha Home" not in current
    assert "Past members (1)" in page
