"""FHIR Encounter: a stay from the ADT feed read as US Core Encounter, searched by patient, date, status, class."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carecoord.transitions import services

from ...factories import ExternalOrganizationFactory, OrganizationFactory, PatientFactory
from .conftest import assert_valid, outcome_text

CHICAGO = ZoneInfo("America/Chicago")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.fixture
def hospital(fhir):
    return ExternalOrganizationFactory(organization=fhir.organization, name="Lakeside General", kind="hospital")


@pytest.fixture
def patient(fhir):
    return PatientFactory(organization=fhir.organization, given_name="Ada", family_name="Byron")


def stay(org, patient, hospital, *, visit, admitted, discharged=None, disposition="03", klass="IMP"):
    data = {"visit_number": visit, "encounter_class": klass, "admission_type": "E", "admitted_at": admitted,
            "location": "4W 401 A", "attending": "SMITH, ANNA", "reason": "Heart failure",
            "diagnoses": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9",
                           "display": "Heart failure, unspecified", "type": "A"}]}  # fmt: skip
    if klass == "EMER":
        return services.encounter_register(organization=org, patient=patient, facility=hospital, data=data,
                                           source={"event": "A04"})  # fmt: skip
    encounter = services.encounter_admit(organization=org, patient=patient, facility=hospital, data=data,
                                         source={"event": "A01"})  # fmt: skip
    if discharged:
        encounter, _ = services.encounter_discharge(
            organization=org, patient=patient, facility=hospital, source={"event": "A03"},
            data={**data, "discharged_at": discharged, "discharge_disposition": disposition,
                  "discharged_to": "Rosewood Nursing Home"},
        )  # fmt: skip
    return encounter


def ids(bundle: dict) -> list[str]:
    return sorted(entry["resource"]["id"] for entry in bundle.get("entry", []))


def test_read_is_us_core_encounter(fhir, patient, hospital):
    encounter = stay(fhir.organization, patient, hospital, visit="V1", admitted=at(2026, 2, 25, 9),
                     discharged=at(2026, 3, 2, 11))  # fmt: skip
    response = fhir.get(f"Encounter/{encounter.public_id}")
    assert response.status_code == 200
    resource = assert_valid(response.json())
    assert resource["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter"]
    assert resource["status"] == "finished"
    assert resource["class"] == {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP",
                                 "display": "Inpatient"}  # fmt: skip
    assert resource["type"] == [{"text": "Hospital inpatient stay"}]
    assert resource["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert resource["period"] == {"start": "2026-02-25T15:00:00Z", "end": "2026-03-02T17:00:00Z"}
    assert resource["identifier"][0]["value"] == "V1"
    assert resource["priority"]["coding"][0]["code"] == "EM"
    assert resource["participant"][0]["individual"] == {"display": "SMITH, ANNA"}
    assert resource["reasonCode"] == [
        {"text": "Heart failure"},
        {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9",
                     "display": "Heart failure, unspecified"}], "text": "Heart failure, unspecified"},
    ]  # fmt: skip
    hospitalization = resource["hospitalization"]
    assert hospitalization["dischargeDisposition"]["coding"][0] == {
        "system": "http://www.nubc.org/patient-discharge", "code": "03", "display": "Skilled nursing facility",
    }  # fmt: skip
    assert hospitalization["destination"] == {"display": "Rosewood Nursing Home"}
    assert "reAdmission" not in hospitalization
    assert resource["serviceProvider"]["reference"] == f"Organization/{hospital.public_id}"
    assert resource["location"][0]["status"] == "completed"


def test_a_readmission_says_so(fhir, patient, hospital):
    stay(fhir.organization, patient, hospital, visit="V1", admitted=at(2026, 2, 25, 9), discharged=at(2026, 3, 2, 11),
         disposition="01")  # fmt: skip
    again = stay(fhir.organization, patient, hospital, visit="V2", admitted=at(2026, 3, 12, 9))
    resource = assert_valid(fhir.get(f"Encounter/{again.public_id}").json())
    assert resource["status"] == "in-progress"
    assert "end" not in resource["period"]
    assert resource["hospitalization"]["reAdmission"]["coding"][0]["code"] == "R"


@pytest.fixture
def three(fhir, patient, hospital):
    org = fhir.organization
    other = PatientFactory(organization=org)
    return {
        "feb": stay(org, patient, hospital, visit="V1", admitted=at(2026, 2, 1, 9), discharged=at(2026, 2, 5, 11)),
        "mar": stay(org, patient, hospital, visit="V2", admitted=at(2026, 3, 10, 9)),  # still in hospital
        # An ED registration the feed never ended: an open period, so it runs on after any date.
        "ed": stay(org, other, hospital, visit="E1", admitted=at(2026, 2, 20, 22), klass="EMER"),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"date": "2026-02-03"}, ["feb"]), ({"date": "eq2026-02"}, ["ed", "feb"]),
     ({"date": "ge2026-03-01"}, ["ed", "mar"]),
     ({"date": "lt2026-02-10"}, ["feb"]), ({"date": "le2026-02-20"}, ["ed", "feb"]),
     ({"date": "gt2026-02-25"}, ["ed", "mar"]), ({"date": "eb2026-02-06"}, ["feb"]),
     ({"date": "ne2026-02"}, ["mar"]), ({"date": "sa2026-02-28"}, ["mar"]),
     ({"date": ["ge2026-02-01", "le2026-02-28"]}, ["ed", "feb"]),
     ({"status": "finished"}, ["feb"]), ({"status": "in-progress"}, ["ed", "mar"]),
     ({"class": "EMER"}, ["ed"]), ({"class": "http://terminology.hl7.org/CodeSystem/v3-ActCode|IMP"}, ["feb", "mar"]),
     ({"identifier": "V2"}, ["mar"])],
)  # fmt: skip
def test_search(fhir, three, params, expected):
    response = fhir.get("Encounter", params)
    assert response.status_code == 200, response.content
    bundle = response.json()
    assert ids(bundle) == sorted(str(three[key].public_id) for key in expected)
    for entry in bundle.get("entry", []):
        assert_valid(entry["resource"])


def test_search_by_patient(fhir, three, patient):
    for name in ("patient", "subject"):
        bundle = fhir.get("Encounter", {name: f"Patient/{patient.public_id}"}).json()
        assert ids(bundle) == sorted(str(three[k].public_id) for k in ("feb", "mar"))


def test_bad_dates_are_400(fhir, three):
    response = fhir.get("Encounter", {"date": "2026-13-45"})
    assert response.status_code == 400
    assert "not" in outcome_text(response)


def test_another_organization_sees_no_encounter(fhir, three, make_caller):
    other = make_caller(OrganizationFactory())
    assert other.get(f"Encounter/{three['feb'].public_id}").status_code == 404
    assert other.get("Encounter").json().get("total") == 0


def test_encounters_are_read_only(fhir, three, patient):
    body = {"resourceType": "Encounter", "status": "planned", "class": {"code": "AMB"},
            "subject": {"reference": f"Patient/{patient.public_id}"}}  # fmt: skip
    assert fhir.post("Encounter", body).status_code == 405
    assert fhir.delete(f"Encounter/{three['feb'].public_id}").status_code == 405
