"""FHIR Consent (read and search): the recorded consent, its scope and the organization it lets us share with."""

import datetime as dt

from carecoord.patients.services import consent_record

from ...factories import OrganizationFactory, PatientFactory, make_actor
from .conftest import assert_valid


def record(fhir, patient, signed_on, **extra):
    staff = make_actor(fhir.organization)
    extra.setdefault("grantee", None)
    return consent_record(
        actor=staff, patient=patient, signed_by="Adaeze Okafor", method="signed form", signed_on=signed_on, **extra
    )


def test_read_shows_scope_period_and_the_recipient(fhir):
    patient = PatientFactory(organization=fhir.organization)
    partner = OrganizationFactory(name="Northside Coordination", slug="northside")
    consent = record(fhir, patient, dt.date(2026, 1, 5), grantee=partner, expires_on=dt.date(2027, 1, 5))
    resource = assert_valid(fhir.get(f"Consent/{consent.public_id}").json())
    assert resource["status"] == "active"
    assert resource["scope"]["coding"][0]["code"] == "patient-privacy"
    assert resource["patient"]["reference"] == f"Patient/{patient.public_id}"
    assert resource["dateTime"] == "2026-01-05"
    assert resource["performer"] == [{"display": "Adaeze Okafor"}]
    assert resource["provision"]["period"] == {"start": "2026-01-05", "end": "2027-01-05"}
    assert resource["provision"]["actor"][0]["reference"] == {
        "identifier": {"system": "urn:carecoord:organization", "value": "northside"},
        "display": "Northside Coordination",
    }


def test_search_by_patient_status_scope_and_date_prefixes(fhir):
    patient, other = (PatientFactory(organization=fhir.organization) for _ in range(2))
    early = record(fhir, patient, dt.date(2025, 3, 1), scope="treatment")
    late = record(fhir, patient, dt.date(2026, 2, 1), grantee=OrganizationFactory())
    record(fhir, other, dt.date(2026, 2, 1))

    def ids(params):
        bundle = fhir.get("Consent", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return {e["resource"]["id"] for e in bundle.get("entry", [])}

    mine = {"patient": f"Patient/{patient.public_id}"}
    assert ids(mine) == {str(early.public_id), str(late.public_id)}
    assert ids({**mine, "scope": "treatment"}) == {str(early.public_id)}
    assert ids({**mine, "date": "ge2026"}) == {str(late.public_id)}
    assert ids({**mine, "date": "lt2026-02-01"}) == {str(early.public_id)}
    assert ids({**mine, "date": "2025-03"}) == {str(early.public_id)}
    assert ids({**mine, "status": "inactive"}) == set()


def test_another_organizations_consent_is_not_found_and_writes_are_refused(fhir):
    stranger = PatientFactory(organization=OrganizationFactory())
    other_staff = make_actor(stranger.organization)
    consent = consent_record(
        actor=other_staff, patient=stranger, grantee=None, signed_on=dt.date(2026, 1, 2), signed_by="X", method="verbal"
    )
    assert fhir.get(f"Consent/{consent.public_id}").status_code == 404
    assert fhir.get("Consent").json()["total"] == 0
    refused = fhir.post("Consent", {"resourceType": "Consent", "status": "active", "scope": {}, "category": [{}]})
    assert refused.status_code in (400, 405)
    assert fhir.delete(f"Consent/{consent.public_id}").status_code in (404, 405)
