"""
Observations in a transaction Bundle (what a Synthea import is mostly made of): the reads an Observation
create and an import's match need happen once per Bundle and patient, not once per entry (statement counts,
not timings: those live in bench/fhir.py), while each entry still gets its measurement, history version and
audit entries, counts toward the patient's open goal, and an entry matching an earlier one is not created twice.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.checkins.models import Measurement
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.bundle import process_bundle
from carecoord.interop.fhir.models import ResourceVersion

from ...careplans.factories import CarePlanFactory, GoalFactory
from ...factories import OrganizationFactory, PatientFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
LOINC = "http://loinc.org"
PATIENT_URL = "urn:uuid:7d1c0a2e-0000-4000-8000-0000000000aa"

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]


def _weight(patient_ref: str, value, day: int = 20) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": f"2026-11-{day:02d}T10:00:00Z",
        "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }


def _post(resource: dict, full_url: str = "") -> dict:
    entry = {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
    return {**entry, "fullUrl": full_url} if full_url else entry


def _new_patient_bundle(observations: int) -> dict:
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:test:mrn", "value": "OBS-1"}],
        "name": [{"family": "Weighton", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1950-02-03",
    }
    entries = [_post(patient, PATIENT_URL)]
    entries += [_post(_weight(PATIENT_URL, 60 + n)) for n in range(observations)]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _caller(organization) -> Caller:
    return Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")


def _run(organization, bundle: dict, *, lenient: bool):
    with CaptureQueriesContext(connection) as captured:
        result = process_bundle(_caller(organization), bundle, "urn:test/", lenient=lenient)
    return result.body, [q["sql"].lstrip().split(" ", 1)[0].upper() for q in captured.captured_queries]


@pytest.mark.parametrize("lenient", [True, False], ids=["import", "strict"])
def test_more_observations_add_their_writes_and_no_read(lenient):
    _, few = _run(OrganizationFactory(slug="obs-few"), _new_patient_bundle(3), lenient=lenient)
    many_body, many = _run(OrganizationFactory(slug="obs-many"), _new_patient_bundle(9), lenient=lenient)
    assert [e["response"]["status"] for e in many_body["entry"]] == ["201 Created"] * 10
    assert few.count("SELECT") == many.count("SELECT")  # the patient, goals and matches: read once per Bundle
    assert few.count("SAVEPOINT") == many.count("SAVEPOINT")  # none for an entry that cannot fail after writing
    extra = len(many) - len(few)
    assert extra % 6 == 0  # six more observations, the same writes each
    assert extra // 6 <= 5  # measurement, history version (update, insert), two audit entries
    assert Measurement.objects.filter(patient__family_name="Weighton").count() == 12


def test_an_observation_refused_by_the_service_is_left_out_and_the_import_goes_on():
    organization = OrganizationFactory(slug="obs-refused")
    bundle = _new_patient_bundle(1)
    bundle["entry"] += [_post(_weight(PATIENT_URL, 900, 21)), _post(_weight(PATIENT_URL, 71, 22))]  # 900 kg: no
    body, _ = _run(organization, bundle, lenient=True)
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "201 Created", "200 OK", "201 Created"]
    assert "between 0.5 and 500 kg" in body["entry"][2]["response"]["outcome"]["issue"][0]["diagnostics"]
    values = Measurement.objects.filter(organization=organization).order_by("occurred_at").values_list("value")
    assert [v for (v,) in values] == [Decimal(60), Decimal(71)]


def test_each_observation_keeps_its_history_and_audit_entries():
    organization = OrganizationFactory(slug="obs-audit")
    body, _ = _run(organization, _new_patient_bundle(4), lenient=True)
    ids = [entry["response"]["location"].split("/")[1] for entry in body["entry"][1:]]
    assert Measurement.objects.filter(public_id__in=ids).count() == 4
    assert ResourceVersion.objects.filter(resource_type="Observation", resource_id__in=ids).count() == 4
    for event in ("measurement.create", "fhir.create"):
        audited = AuditEvent.objects.filter(event=event, object_type__icontains="measurement")
        assert sorted(audited.values_list("object_id", flat=True)) == sorted(ids), event


def test_an_observation_matching_an_earlier_entry_of_the_bundle_is_not_created_again():
    organization = OrganizationFactory(slug="obs-twice")
    bundle = _new_patient_bundle(2)
    bundle["entry"].append(_post(_weight(PATIENT_URL, 60)))  # the same as the first observation
    body, _ = _run(organization, bundle, lenient=True)
    statuses = [entry["response"]["status"] for entry in body["entry"]]
    assert statuses == ["201 Created", "201 Created", "201 Created", "200 OK"]
    assert body["entry"][3]["response"]["location"] == body["entry"][1]["response"]["location"]
    assert Measurement.objects.filter(organization=organization).count() == 2
    again, _ = _run(organization, _new_patient_bundle(2), lenient=True)  # a second run matches what is on file
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK"] * 3


def _goal(patient, plan, loinc: str) -> dict:
    return {
        "resourceType": "Goal",
        "extension": [
            {"url": "urn:carecoord:fhir:careplan", "valueReference": {"reference": f"CarePlan/{plan.public_id}"}}
        ],
        "lifecycleStatus": "active",
        "description": {"text": "Steps every day"},
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "target": [{"measure": {"coding": [{"system": LOINC, "code": loinc}]}}],
    }


@pytest.mark.parametrize("lenient", [True, False], ids=["import", "strict"])
def test_observations_of_a_bundle_count_toward_the_open_goal_and_a_goal_added_between_them(lenient):
    organization = OrganizationFactory(slug="obs-goal")
    patient = PatientFactory(organization=organization)
    plan = CarePlanFactory(patient=patient)
    GoalFactory(careplan=plan, measure_code="8480-6", description="Systolic")
    weight_goal = GoalFactory(careplan=plan, measure_code="29463-7", description="Weight", target_comparator="<",
                              target_value=Decimal("75"), target_unit="kg")  # fmt: skip
    ref = f"Patient/{patient.public_id}"
    steps = dict(_weight(ref, 4000, 17), code={"coding": [{"system": LOINC, "code": "41950-7"}]})
    steps["valueQuantity"] = {"value": 4000, "unit": "/d", "system": "http://unitsofmeasure.org", "code": "/d"}
    later_steps = dict(steps, effectiveDateTime="2026-11-21T10:00:00Z")
    entries = [_weight(ref, 80, 18), steps, _goal(patient, plan, "41950-7"), _weight(ref, 70, 19), later_steps]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [_post(e) for e in entries]}
    body, _ = _run(organization, bundle, lenient=lenient)
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 5
    rows = Measurement.objects.filter(patient=patient).order_by("occurred_at")
    goals = [(m.kind, m.goal.description if m.goal else None) for m in rows]
    assert goals == [
        ("steps", None),  # no goal measured steps yet
        ("weight", "Weight"),
        ("weight", "Weight"),
        ("steps", "Steps every day"),  # the goal the Bundle added before it
    ]
    weight_goal.refresh_from_db()
    assert weight_goal.achievement_status == "achieved"  # recomputed after each measurement
