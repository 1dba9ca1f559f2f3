"""FHIR QuestionnaireResponse: PHQ-2, PHQ-9 and GAD-7 assessments with LOINC answers and the total."""

import datetime as dt

import pytest

from carecoord.checkins.services import assessment_record

from ...factories import PatientFactory, make_actor
from .conftest import assert_valid

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
LOINC = "http://loinc.org"

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def give(fhir, patient, instrument, answers, hours_ago=1):
    assessment, _ = assessment_record(
        actor=make_actor(fhir.organization), patient=patient, instrument=instrument, answers=answers,
        occurred_at=NOW - dt.timedelta(hours=hours_ago),
    )  # fmt: skip
    return assessment


def test_phq9_items_answers_and_total(fhir):
    patient = PatientFactory(organization=fhir.organization)
    answers = {f"phq9-{n}": score for n, score in zip(range(1, 10), [1, 2, 3, 0, 1, 2, 0, 1, 0], strict=True)}
    assessment = give(fhir, patient, "phq9", answers)
    body = assert_valid(fhir.get(f"QuestionnaireResponse/{assessment.public_id}").json())
    assert body["questionnaire"] == "http://loinc.org/q/44249-1"
    assert body["status"] == "completed"
    assert body["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert body["authored"] == "2026-11-26T14:00:00Z"
    items = body["item"]
    assert len(items) == 10
    assert items[0]["linkId"] == "44250-9"
    assert items[0]["text"] == "Little interest or pleasure in doing things"
    coding = items[0]["answer"][0]["valueCoding"]
    assert (coding["system"], coding["code"], coding["display"]) == (LOINC, "LA6569-3", "Several days")
    assert coding["extension"] == [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1}]
    assert items[2]["answer"][0]["valueCoding"]["code"] == "LA6571-9"
    assert items[3]["answer"][0]["valueCoding"]["code"] == "LA6568-5"
    assert items[-1] == {"linkId": "44261-6", "text": "PHQ-9 total score", "answer": [{"valueInteger": 10}]}


def test_search_by_patient_questionnaire_and_authored(fhir):
    patient = PatientFactory(organization=fhir.organization)
    phq2 = give(fhir, patient, "phq2", {"phq2-1": 2, "phq2-2": 1}, hours_ago=50)
    gad7 = give(fhir, patient, "gad7", {f"gad7-{n}": 1 for n in range(1, 8)}, hours_ago=1)
    give(fhir, PatientFactory(organization=fhir.organization), "phq2", {"phq2-1": 0, "phq2-2": 0})

    def ids(params):
        bundle = fhir.get("QuestionnaireResponse", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return [e["resource"]["id"] for e in bundle.get("entry", [])]

    mine = {"patient": str(patient.public_id)}
    assert ids({**mine, "_sort": "authored"}) == [str(phq2.public_id), str(gad7.public_id)]
    assert ids({**mine, "questionnaire": "http://loinc.org/q/55757-9"}) == [str(phq2.public_id)]
    assert ids({**mine, "questionnaire": "69737-5"}) == [str(gad7.public_id)]
    assert ids({**mine, "authored": "ge2026-11-26"}) == [str(gad7.public_id)]
    assert ids({**mine, "status": "in-progress"}) == []
    gad = fhir.get(f"QuestionnaireResponse/{gad7.public_id}").json()
    assert gad["item"][-1] == {"linkId": "70274-6", "text": "GAD-7 total score", "answer": [{"valueInteger": 7}]}


def test_read_only_and_not_seen_by_another_organization(fhir, make_caller, other_org):
    patient = PatientFactory(organization=fhir.organization)
    assessment = give(fhir, patient, "phq2", {"phq2-1": 0, "phq2-2": 0})
    assert make_caller(other_org).get(f"QuestionnaireResponse/{assessment.public_id}").status_code == 404
    body = fhir.get(f"QuestionnaireResponse/{assessment.public_id}").json()
    del body["id"], body["meta"]
    assert fhir.post("QuestionnaireResponse", body).status_code == 405
