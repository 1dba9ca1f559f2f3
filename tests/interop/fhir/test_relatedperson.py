"""FHIR RelatedPerson: US Core output, create/update/delete through the patient services, search, access, errors."""

from carecoord.core import clock
from carecoord.patients.models import CareTeamMember, RelatedPerson

from ...factories import OrganizationFactory, PatientFactory, RelatedPersonFactory
from .conftest import assert_valid, outcome_text

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


def person_resource(patient, **extra) -> dict:
    return {
        "resourceType": "RelatedPerson",
        "active": True,
        "patient": {"reference": f"Patient/{patient.public_id}"},
        "relationship": [{"coding": [{"system": ROLE_CODE, "code": "MTH"}]}],
        "name": [{"family": "Okafor", "given": ["Ngozi"]}],
        "telecom": [{"system": "phone", "value": "(312) 555-0199"}, {"system": "email", "value": "ngozi@example.org"}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}}],
        **extra,
    }


def test_read_is_us_core_with_coded_relationship_and_flags(fhir):
    patient = PatientFactory(organization=fhir.organization)
    person = RelatedPersonFactory(
        patient=patient, relationship="SPS", is_emergency_contact=True, is_health_care_proxy=True, address="1 Elm St"
    )
    caregiver = RelatedPersonFactory(patient=patient, relationship="CAREGIVER")
    resource = assert_valid(fhir.get(f"RelatedPerson/{person.public_id}").json())
    assert resource["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-relatedperson"]
    assert resource["patient"]["reference"] == f"Patient/{patient.public_id}"
    codes = [(c["system"], c["code"]) for r in resource["relationship"] for c in r.get("coding", [])]
    assert (ROLE_CODE, "SPS") in codes
    assert ("http://terminology.hl7.org/CodeSystem/v2-0131", "C") in codes
    assert (ROLE_CODE, "HPOWATT") in codes
    assert resource["address"] == [{"text": "1 Elm St"}]
    paid = assert_valid(fhir.get(f"RelatedPerson/{caregiver.public_id}").json())
    assert paid["relationship"] == [{"text": "Paid caregiver"}]  # not a v3-RoleCode code: text only


def test_create_update_delete_round_trip(fhir):
    patient = PatientFactory(organization=fhir.organization)
    created = fhir.post("RelatedPerson", person_resource(patient))
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    person = RelatedPerson.objects.get(public_id=body["id"])
    assert (person.relationship, person.phone, person.preferred_language) == ("MTH", "+13125550199", "es")
    assert person.patient == patient

    body["relationship"].append({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]})
    body["telecom"] = [{"system": "phone", "value": "312-555-0100"}]
    updated = fhir.put(f"RelatedPerson/{body['id']}", body, headers={"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.content
    assert_valid(updated.json())
    person.refresh_from_db()
    assert (person.phone, person.is_emergency_contact, person.email) == ("+13125550100", True, "")

    member = CareTeamMember.objects.create(
        organization=patient.organization,
        patient=patient,
        role="caregiver",
        related_person=person,
        start_date=clock.today_in(patient.organization.tz),
    )
    assert fhir.delete(f"RelatedPerson/{body['id']}").status_code == 204
    assert fhir.get(f"RelatedPerson/{body['id']}").status_code == 410
    person.refresh_from_db()
    member.refresh_from_db()
    assert person.active is False
    assert member.end_date is not None


def test_search_by_patient_name_and_relationship(fhir):
    patient, other = (PatientFactory(organization=fhir.organization) for _ in range(2))
    RelatedPersonFactory(patient=patient, given_name="Ada", family_name="Mbeki", relationship="MTH")
    RelatedPersonFactory(
        patient=patient, given_name="Bo", family_name="Lund", relationship="FRND", is_emergency_contact=True
    )
    RelatedPersonFactory(patient=other, given_name="Cy", family_name="Mbeki", relationship="MTH")

    def names(params):
        bundle = fhir.get("RelatedPerson", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return sorted(e["resource"]["name"][0]["given"][0] for e in bundle.get("entry", []))

    assert names({"patient": f"Patient/{patient.public_id}"}) == ["Ada", "Bo"]
    assert names({"name": "mbek"}) == ["Ada", "Cy"]
    assert names({"relationship": f"{ROLE_CODE}|MTH", "patient": str(patient.public_id)}) == ["Ada"]
    assert names({"relationship": "http://terminology.hl7.org/CodeSystem/v2-0131|C"}) == ["Bo"]
    included = fhir.get("RelatedPerson", {"name": "ada", "_include": "RelatedPerson:patient"}).json()
    assert {e["resource"]["resourceType"] for e in included["entry"]} == {"RelatedPerson", "Patient"}


def test_another_organizations_related_person_is_not_found(fhir):
    stranger = RelatedPersonFactory(patient=PatientFactory(organization=OrganizationFactory()))
    response = fhir.get(f"RelatedPerson/{stranger.public_id}")
    assert response.status_code == 404
    assert fhir.get("RelatedPerson", {"name": stranger.given_name}).json()["total"] == 0
    posted = fhir.post("RelatedPerson", person_resource(stranger.patient))
    assert posted.status_code == 400
    assert "RelatedPerson.patient" in outcome_text(posted)


def test_bad_input_is_400_naming_the_element_and_saves_nothing(fhir):
    patient = PatientFactory(organization=fhir.organization)
    no_name = fhir.post("RelatedPerson", person_resource(patient, name=[{"text": "Mum"}]))
    assert no_name.status_code == 400
    assert no_name.json()["issue"][0]["expression"] == ["RelatedPerson.name"]
    bad_phone = fhir.post("RelatedPerson", person_resource(patient, telecom=[{"system": "phone", "value": "12"}]))
    assert bad_phone.status_code == 400
    assert "RelatedPerson.telecom" in outcome_text(bad_phone)
    not_fhir = fhir.post("RelatedPerson", person_resource(patient, active="maybe"))
    assert not_fhir.status_code == 400
    assert "RelatedPerson.active" in outcome_text(not_fhir)
    unreachable = fhir.post("RelatedPerson", person_resource(patient, telecom=[]))
    assert unreachable.status_code == 422  # the service's rule: at least one way to reach them
    assert RelatedPerson.objects.count() == 0


def test_a_deactivated_person_cannot_be_reactivated(fhir):
    patient = PatientFactory(organization=fhir.organization)
    body = fhir.post("RelatedPerson", person_resource(patient)).json()
    retired = fhir.put(f"RelatedPerson/{body['id']}", {**body, "active": False})
    assert retired.status_code == 200
    assert retired.json()["active"] is False
    again = fhir.put(f"RelatedPerson/{body['id']}", {**retired.json(), "active": True})
    assert again.status_code == 422
