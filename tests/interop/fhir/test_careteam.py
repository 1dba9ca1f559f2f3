"""FHIR CareTeam: one read-only team per patient built from its members, versioned by their changes; search."""

import datetime as dt

from carecoord.core import clock
from carecoord.patients.services import care_team_member_add, care_team_member_end

from ...factories import OrganizationFactory, PatientFactory, PractitionerFactory, RelatedPersonFactory, make_actor
from .conftest import assert_valid, outcome_text

SNOMED = "http://snomed.info/sct"


def team_of(fhir):
    """A patient with a coordinator (staff), a primary care practitioner and a daughter who gives care."""
    staff = make_actor(fhir.organization)
    patient = PatientFactory(organization=fhir.organization)
    start = dt.date(2026, 1, 5)
    care_team_member_add(actor=staff, patient=patient, role="coordinator", start_date=start, user=staff.user)
    doctor = PractitionerFactory(organization=fhir.organization)
    care_team_member_add(actor=staff, patient=patient, role="primary_care", start_date=start, practitioner=doctor)
    daughter = RelatedPersonFactory(patient=patient)
    care_team_member_add(actor=staff, patient=patient, role="caregiver", start_date=start, related_person=daughter)
    return staff, patient, doctor, daughter


def test_read_builds_the_team_with_roles_members_and_periods(fhir):
    staff, patient, doctor, daughter = team_of(fhir)
    response = fhir.get(f"CareTeam/{patient.public_id}")
    assert response.status_code == 200, response.content
    team = assert_valid(response.json())
    assert team["id"] == str(patient.public_id)
    assert team["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-careteam"]
    assert team["meta"]["versionId"] == "3"
    assert response["ETag"] == 'W/"3"'
    assert team["status"] == "active"
    assert team["subject"]["reference"] == f"Patient/{patient.public_id}"
    by_role = {p["role"][0]["text"]: p for p in team["participant"]}
    assert by_role["Care coordinator"]["member"] == {
        "identifier": {"system": "urn:carecoord:user", "value": str(staff.user.public_id)},
        "display": str(staff.user),
    }
    assert "coding" not in by_role["Care coordinator"]["role"][0]  # no SNOMED code for it: text only
    primary = by_role["Primary care provider"]
    assert primary["role"][0]["coding"][0] == {
        "system": SNOMED,
        "code": "453231000124104",
        "display": "Primary care provider",
    }
    assert primary["member"]["reference"] == f"Practitioner/{doctor.public_id}"
    assert by_role["Family caregiver"]["member"]["reference"] == f"RelatedPerson/{daughter.public_id}"
    assert primary["period"] == {"start": "2026-01-05"}


def test_the_version_grows_with_each_change_to_a_member(fhir):
    staff, patient, _, _ = team_of(fhir)
    member = patient.care_team.get(role="coordinator")
    care_team_member_end(actor=staff, member=member, end_date=dt.date(2026, 2, 1))
    team = assert_valid(fhir.get(f"CareTeam/{patient.public_id}").json())
    assert team["meta"]["versionId"] == "4"
    coordinator = next(p for p in team["participant"] if p["role"][0]["text"] == "Care coordinator")
    assert coordinator["period"] == {"start": "2026-01-05", "end": "2026-02-01"}


def test_search_by_patient_status_and_last_updated(fhir):
    staff, patient, _, _ = team_of(fhir)
    former = PatientFactory(organization=fhir.organization)
    member = care_team_member_add(
        actor=staff, patient=former, role="nurse", start_date=dt.date(2025, 1, 1), user=staff.user
    )
    care_team_member_end(actor=staff, member=member, end_date=dt.date(2025, 6, 30))
    PatientFactory(organization=fhir.organization)  # no team at all: no CareTeam

    def ids(params):
        bundle = fhir.get("CareTeam", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return sorted(e["resource"]["id"] for e in bundle.get("entry", []))

    both = sorted([str(patient.public_id), str(former.public_id)])
    assert ids({}) == both
    assert ids({"patient": f"Patient/{patient.public_id}"}) == [str(patient.public_id)]
    assert ids({"subject": str(former.public_id)}) == [str(former.public_id)]
    assert ids({"status": "active"}) == [str(patient.public_id)]
    assert ids({"status": "inactive"}) == [str(former.public_id)]
    today = clock.today_in(fhir.organization.tz)
    assert ids({"_lastUpdated": f"ge{(today - dt.timedelta(days=2)).isoformat()}"}) == both
    assert ids({"_lastUpdated": f"lt{(today - dt.timedelta(days=2)).isoformat()}"}) == []


def test_no_team_another_organization_and_writes(fhir):
    lonely = PatientFactory(organization=fhir.organization)
    assert fhir.get(f"CareTeam/{lonely.public_id}").status_code == 404
    stranger = PatientFactory(organization=OrganizationFactory())
    other_staff = make_actor(stranger.organization)
    care_team_member_add(
        actor=other_staff, patient=stranger, role="nurse", start_date=dt.date(2026, 1, 1), user=other_staff.user
    )
    response = fhir.get(f"CareTeam/{stranger.public_id}")
    assert response.status_code == 404
    assert "not known" in outcome_text(response)
    assert fhir.get("CareTeam", {"patient": str(stranger.public_id)}).json()["total"] == 0
    refused = fhir.post("CareTeam", {"resourceType": "CareTeam", "status": "active"})
    assert refused.status_code == 405
    assert fhir.get(f"CareTeam/{lonely.public_id}/_history").status_code == 405


def test_a_lenient_import_leaves_out_a_care_team_and_keeps_the_rest(fhir):
    patient = PatientFactory(organization=fhir.organization)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "CareTeam", "status": "active", "subject": {"reference": "Patient/x"}},
                "request": {"method": "POST", "url": "CareTeam"},
            },
            {
                "resource": {
                    "resourceType": "RelatedPerson",
                    "patient": {"reference": f"Patient/{patient.public_id}"},
                    "name": [{"family": "Lund", "given": ["Bo"]}],
                    "telecom": [{"system": "phone", "value": "312-555-0100"}],
                },
                "request": {"method": "POST", "url": "RelatedPerson"},
            },
        ],
    }
    response = fhir.post("", bundle, headers={"Prefer": "handling=lenient"})
    assert response.status_code == 200, response.content
    first, second = response.json()["entry"]
    assert "Not stored" in first["response"]["outcome"]["issue"][0]["diagnostics"]
    assert second["response"]["status"] == "201 Created"
    strict = fhir.post("", bundle)
    assert strict.status_code == 405
