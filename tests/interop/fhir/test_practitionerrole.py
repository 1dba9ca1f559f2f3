"""PractitionerRole: a directory practitioner's practice, specialty and the locations of their hours."""

from ...factories import ExternalOrganizationFactory, LocationFactory, OrganizationFactory, PractitionerFactory
from ...scheduling.factories import AppointmentTypeFactory, weekly_hours
from .conftest import assert_valid, outcome_text


def test_a_role_names_the_practice_specialty_and_locations(fhir):
    org = fhir.organization
    practice = ExternalOrganizationFactory(organization=org, name="Heart Partners")
    cardiologist = PractitionerFactory(
        organization=org,
        external_organization=practice,
        specialty_code="207RC0000X",
        specialty_display="Cardiovascular Disease Physician",
    )
    clinic = LocationFactory(organization=org, name="Heart Partners East")
    weekly_hours(cardiologist, clinic, [AppointmentTypeFactory(organization=org)], weekdays=[1, 3])
    PractitionerFactory(organization=org, specialty_code="207Q00000X")

    role = assert_valid(fhir.get(f"PractitionerRole/{cardiologist.public_id}").json())
    assert role["practitioner"]["reference"] == f"Practitioner/{cardiologist.public_id}"
    assert role["organization"]["reference"] == f"Organization/{practice.public_id}"
    assert role["specialty"][0]["coding"][0]["code"] == "207RC0000X"
    assert [loc["reference"] for loc in role["location"]] == [f"Location/{clinic.public_id}"]

    def ids(params):
        return [e["resource"]["id"] for e in fhir.get("PractitionerRole", params).json().get("entry", [])]

    assert ids({"specialty": "207RC0000X"}) == [str(cardiologist.public_id)]
    assert ids({"location": f"Location/{clinic.public_id}"}) == [str(cardiologist.public_id)]
    assert ids({"organization": str(practice.public_id)}) == [str(cardiologist.public_id)]
    assert ids({"practitioner": f"Practitioner/{cardiologist.public_id}"}) == [str(cardiologist.public_id)]


def test_roles_are_read_only_and_other_organizations_see_none(fhir):
    stranger = PractitionerFactory(organization=OrganizationFactory())
    assert fhir.get(f"PractitionerRole/{stranger.public_id}").status_code == 404
    refused = fhir.post("PractitionerRole", {"resourceType": "PractitionerRole"})
    assert refused.status_code == 405
    assert "PractitionerRole" in outcome_text(refused)
