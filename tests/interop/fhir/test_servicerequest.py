"""FHIR ServiceRequest: referrals read and searched by patient and status, status mapped to request-status."""

import datetime as dt
from zoneinfo import ZoneInfo

from carecoord.community import services
from carecoord.core import clock

from ...community.factories import AgencyFactory, ServiceFactory
from ...factories import ConditionFactory, OrganizationFactory, PatientFactory, make_actor
from .conftest import assert_valid

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"


def _today():
    return clock.today_in(ZoneInfo("America/Chicago"))


def make_referral(organization, patient, *, linked=None, condition=None, need="food-insecurity"):
    actor = make_actor(organization)
    service = ServiceFactory(
        agency=AgencyFactory(organization=organization, name="Northside Pantry", linked_organization=linked),
        name="Weekly groceries",
    )
    referral = services.referral_send(
        actor=actor, patient=patient, service=service, need=need, reason="Runs out of food",
        consent_by="Rosa Delgado", consent_method="Verbal", consent_on=_today(),
        respond_by=_today() + dt.timedelta(days=7), condition=condition,
    )  # fmt: skip
    return actor, referral


def test_read_maps_the_referral(fhir):
    patient = PatientFactory(organization=fhir.organization)
    concern = ConditionFactory(patient=patient, category="health-concern")
    _, referral = make_referral(fhir.organization, patient, condition=concern)
    resource = assert_valid(fhir.get(f"ServiceRequest/{referral.public_id}").json())
    assert (resource["status"], resource["intent"]) == ("active", "order")
    assert resource["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert resource["category"][1]["coding"][0] == {
        "system": SDOHCC, "code": "food-insecurity", "display": "Food insecurity",
    }  # fmt: skip
    assert resource["performer"] == [{"display": "Northside Pantry: Weekly groceries"}]
    assert resource["reasonReference"][0]["reference"] == f"Condition/{concern.public_id}"
    assert resource["orderDetail"][0]["coding"][0]["code"] == "sent"
    assert resource["occurrencePeriod"]["end"] == (_today() + dt.timedelta(days=7)).isoformat()
    assert resource["note"] == [{"text": "Runs out of food"}]


def test_status_mapping_and_search_by_patient_and_status(fhir):
    receiver = OrganizationFactory(name="Pantry", slug="pantry-x")
    pantry = make_actor(receiver)
    rosa = PatientFactory(organization=fhir.organization)
    other = PatientFactory(organization=fhir.organization)
    _, open_one = make_referral(fhir.organization, rosa, linked=receiver)
    _, done = make_referral(fhir.organization, rosa, linked=receiver)
    services.referral_set_status(actor=pantry, referral=done, status="accepted", expected_version=1)
    services.referral_set_status(actor=pantry, referral=done, status="completed", outcome="service-provided",
                                 expected_version=2, note="Picked up")  # fmt: skip
    _, declined = make_referral(fhir.organization, other, linked=receiver)
    services.referral_set_status(actor=pantry, referral=declined, status="declined", expected_version=1, note="Full")

    def ids(params):
        bundle = fhir.get("ServiceRequest", params).json()
        assert bundle["resourceType"] == "Bundle", bundle
        return {e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"}

    assert ids({"patient": f"Patient/{rosa.public_id}"}) == {str(open_one.public_id), str(done.public_id)}
    assert ids({"status": "active"}) == {str(open_one.public_id)}
    assert ids({"status": "completed"}) == {str(done.public_id)}
    assert ids({"status": "revoked"}) == {str(declined.public_id)}
    assert ids({"patient": f"Patient/{rosa.public_id}", "status": "revoked"}) == set()
    assert ids({"category": "food-insecurity"}) == {str(x.public_id) for x in (open_one, done, declined)}
    completed = assert_valid(fhir.get(f"ServiceRequest/{done.public_id}").json())
    assert completed["note"][-1] == {"text": "Outcome: Service provided - Picked up"}


def test_other_organizations_referrals_are_not_found(fhir):
    elsewhere = OrganizationFactory(name="Elsewhere", slug="elsewhere")
    _, referral = make_referral(elsewhere, PatientFactory(organization=elsewhere))
    assert fhir.get(f"ServiceRequest/{referral.public_id}").status_code == 404
    assert fhir.get("ServiceRequest").json().get("total", 0) == 0


def test_service_requests_cannot_be_written(fhir):
    response = fhir.post("ServiceRequest", {"resourceType": "ServiceRequest", "status": "active", "intent": "order",
                                            "subject": {"reference": "Patient/x"}})  # fmt: skip
    assert response.status_code in (405, 403, 400)
