"""FHIR Observation: measurements as US Core vital signs and labs, created through the measurement service."""

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.checkins.measurement_services import measurement_record
from carecoord.checkins.models import Measurement

from ...careplans.factories import CarePlanFactory, GoalFactory
from ...factories import PatientFactory, make_actor
from .conftest import assert_valid, outcome_text

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
LOINC = "http://loinc.org"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(fhir):
    return PatientFactory(organization=fhir.organization)


def record(fhir, patient, kind, value, value2=None, hours_ago=2, **extra):
    return measurement_record(
        actor=make_actor(fhir.organization), patient=patient, kind=kind, value=Decimal(value),
        value2=Decimal(value2) if value2 else None, occurred_at=NOW - dt.timedelta(hours=hours_ago), **extra,
    )  # fmt: skip


def bp_resource(patient, systolic=128, diastolic=82, code="85354-9", **extra) -> dict:
    def component(loinc, value):
        return {
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "valueQuantity": {
                "value": value,
                "unit": "mm[Hg]",
                "system": "http://unitsofmeasure.org",
                "code": "mm[Hg]",
            },
        }

    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "effectiveDateTime": "2026-11-26T08:30:00-06:00",
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
        **extra,
    }


def test_blood_pressure_is_us_core_with_two_components(fhir, patient):
    measurement = record(fhir, patient, "bp", "132", "84", note="After a walk")
    body = assert_valid(fhir.get(f"Observation/{measurement.public_id}").json())
    assert body["meta"]["profile"] == [f"{US_CORE}/us-core-blood-pressure"]
    assert body["category"][0]["coding"][0]["code"] == "vital-signs"
    assert body["code"]["coding"][0]["code"] == "85354-9"
    assert "valueQuantity" not in body
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in body["component"]] == [
        ("8480-6", 132),
        ("8462-4", 84),
    ]
    assert body["component"][0]["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert body["effectiveDateTime"] == "2026-11-26T13:00:00Z"
    assert body["status"] == "final"
    assert body["note"] == [{"text": "After a walk"}]
    assert body["performer"][0]["identifier"]["value"] == str(measurement.by.public_id)


def test_weight_and_lab_values_have_their_profiles(fhir, patient):
    weight = assert_valid(fhir.get(f"Observation/{record(fhir, patient, 'weight', '81.25').public_id}").json())
    assert weight["meta"]["profile"] == [f"{US_CORE}/us-core-body-weight"]
    assert weight["valueQuantity"] == {
        "value": 81.25,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    a1c = assert_valid(fhir.get(f"Observation/{record(fhir, patient, 'hba1c', '7.10').public_id}").json())
    assert a1c["meta"]["profile"] == [f"{US_CORE}/us-core-observation-lab"]
    assert a1c["category"][0]["coding"][0]["code"] == "laboratory"
    assert a1c["valueQuantity"]["value"] == 7.1
    steps = assert_valid(fhir.get(f"Observation/{record(fhir, patient, 'steps', '4200').public_id}").json())
    assert "profile" not in steps["meta"]
    assert steps["category"][0]["coding"][0]["code"] == "activity"


def test_create_records_through_the_service_and_counts_toward_a_goal(fhir, patient):
    plan = CarePlanFactory(patient=patient)
    goal = GoalFactory(careplan=plan, lifecycle_status="active", measure_code="8480-6", target_comparator="<",
                       target_value=Decimal("130"), target_unit="mm[Hg]")  # fmt: skip
    created = fhir.post(
        "Observation",
        bp_resource(
            patient,
            extension=[{"url": "urn:carecoord:fhir:goal", "valueReference": {"reference": f"Goal/{goal.public_id}"}}],
        ),
    )
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    measurement = Measurement.objects.get(public_id=body["id"])
    assert (measurement.kind, measurement.value, measurement.value2, measurement.goal) == (
        "bp",
        Decimal("128"),
        Decimal("82"),
        goal,
    )
    assert measurement.occurred_at == dt.datetime(2026, 11, 26, 14, 30, tzinfo=dt.UTC)
    assert body["extension"][0]["valueReference"]["reference"] == f"Goal/{goal.public_id}"
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"


def test_create_takes_synthea_codes_and_pounds_and_refuses_what_it_cannot_keep(fhir, patient):
    synthea = fhir.post("Observation", bp_resource(patient, code="55284-4"))
    assert synthea.status_code == 201, synthea.content
    weight = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "effectiveDateTime": "2026-11-20",
        "valueQuantity": {"value": 180, "unit": "lb", "system": "http://unitsofmeasure.org", "code": "[lb_av]"},
    }
    created = fhir.post("Observation", weight)
    assert created.status_code == 201, created.content
    kept = Measurement.objects.get(public_id=created.json()["id"])
    assert kept.value == Decimal("81.65")
    assert kept.occurred_at == dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)  # midnight in Chicago

    height = {**weight, "code": {"coding": [{"system": LOINC, "code": "8302-2"}]}}
    assert "keeps these measurements only" in outcome_text(fhir.post("Observation", height))
    stones = {**weight, "valueQuantity": {"value": 12, "unit": "stone"}}
    assert "not stone" in outcome_text(fhir.post("Observation", stones))
    upside_down = fhir.post("Observation", bp_resource(patient, systolic=70, diastolic=90))
    assert upside_down.status_code == 422
    assert "systolic value must be above" in outcome_text(upside_down)
    half = bp_resource(patient)
    half["component"] = half["component"][:1]
    assert "8462-4" in outcome_text(fhir.post("Observation", half))
    assert Measurement.objects.count() == 2


def test_search_by_patient_code_category_date_and_delete(fhir, patient):
    bp = record(fhir, patient, "bp", "140", "90", hours_ago=30)
    weight = record(fhir, patient, "weight", "80", hours_ago=2)
    other = record(fhir, PatientFactory(organization=fhir.organization), "weight", "70")

    def ids(params):
        bundle = fhir.get("Observation", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]

    mine = {"patient": f"Patient/{patient.public_id}"}
    assert set(ids(mine)) == {str(bp.public_id), str(weight.public_id)}
    assert ids({**mine, "code": "http://loinc.org|8480-6"}) == [str(bp.public_id)]
    assert ids({"code": "29463-7", "_sort": "date"}) == [str(weight.public_id), str(other.public_id)]
    assert ids({**mine, "category": "vital-signs", "date": "ge2026-11-26"}) == [str(weight.public_id)]
    assert ids({**mine, "category": "laboratory"}) == []

    assert fhir.delete(f"Observation/{weight.public_id}").status_code == 204
    weight.refresh_from_db()
    assert weight.entered_in_error
    assert fhir.get(f"Observation/{weight.public_id}").status_code == 410
    assert ids({**mine, "status": "entered-in-error"}) == [str(weight.public_id)]
    assert ids({**mine, "status": "final"}) == [str(bp.public_id)]


def test_another_organization_does_not_see_the_measurements(fhir, patient, make_caller, other_org):
    measurement = record(fhir, patient, "weight", "80")
    assert make_caller(other_org).get(f"Observation/{measurement.public_id}").status_code == 404


def test_a_signed_in_scheduler_reads_no_results_over_fhir(fhir, patient, client_for):
    from carecoord.core.choices import Role

    measurement = record(fhir, patient, "weight", "81.25")
    url = f"/fhir/R4/Observation/{measurement.public_id}"
    coordinator = client_for(make_actor(fhir.organization, Role.COORDINATOR))
    scheduler = client_for(make_actor(fhir.organization, Role.SCHEDULER))
    assert coordinator.get(url).status_code == 200
    assert scheduler.get(url).status_code == 404
    assert scheduler.get(f"/fhir/R4/Observation?patient=Patient/{patient.public_id}").json()["total"] == 0
    assert scheduler.get(f"/fhir/R4/Patient/{patient.public_id}").status_code == 200  # the chart, not results
