"""FHIR Communication: outreach attempts with medium, recipient, outcome and note."""

import datetime as dt

import pytest

from carecoord.checkins.services import outreach_record

from ...factories import PatientFactory, RelatedPersonFactory, make_actor
from .conftest import assert_valid

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def attempt(fhir, patient, method, outcome, hours_ago=1, **extra):
    return outreach_record(
        actor=make_actor(fhir.organization), patient=patient, method=method, outcome=outcome,
        occurred_at=NOW - dt.timedelta(hours=hours_ago), **extra,
    )  # fmt: skip


def test_a_call_reaching_the_daughter(fhir):
    patient = PatientFactory(organization=fhir.organization)
    daughter = RelatedPersonFactory(patient=patient)
    call = attempt(fhir, patient, "phone", "reached", related_person=daughter, note="Mother is doing well")
    body = assert_valid(fhir.get(f"Communication/{call.public_id}").json())
    assert body["status"] == "completed"
    assert body["medium"] == [
        {"coding": [{"system": MODE, "code": "PHONE", "display": "telephone"}], "text": "Phone call"}
    ]
    assert body["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert body["recipient"][0]["reference"] == f"RelatedPerson/{daughter.public_id}"
    assert body["sent"] == "2026-11-26T14:00:00Z"
    assert body["payload"] == [{"contentString": "Mother is doing well"}]
    assert body["sender"]["identifier"]["value"] == str(call.by.public_id)
    assert body["extension"][0]["valueCoding"]["code"] == "reached"


def test_search_by_patient_medium_sent_and_recipient(fhir):
    patient = PatientFactory(organization=fhir.organization)
    letter = attempt(fhir, patient, "letter", "no_answer", hours_ago=72)
    text = attempt(fhir, patient, "sms", "voicemail", hours_ago=2)
    attempt(fhir, PatientFactory(organization=fhir.organization), "phone", "reached")

    def ids(params):
        bundle = fhir.get("Communication", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return [e["resource"]["id"] for e in bundle.get("entry", [])]

    mine = {"patient": f"Patient/{patient.public_id}"}
    assert ids({**mine, "_sort": "sent"}) == [str(letter.public_id), str(text.public_id)]
    assert ids({**mine, "medium": "MAILWRIT"}) == [str(letter.public_id)]
    assert ids({**mine, "sent": "ge2026-11-26"}) == [str(text.public_id)]
    assert set(ids({"recipient": f"Patient/{patient.public_id}"})) == {str(letter.public_id), str(text.public_id)}
    assert ids({**mine, "status": "in-progress"}) == []
    body = fhir.get(f"Communication/{text.public_id}").json()
    assert body["medium"][0]["text"] == "Text message"
    assert "payload" not in body


def test_not_seen_by_another_organization(fhir, make_caller, other_org):
    call = attempt(fhir, PatientFactory(organization=fhir.organization), "phone", "reached")
    assert make_caller(other_org).get(f"Communication/{call.public_id}").status_code == 404
