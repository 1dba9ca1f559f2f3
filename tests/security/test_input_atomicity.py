"""
T27 (RELIABILITY.md): a multi-object write commits entirely or not at all. A care plan with 20 goals where
goal 17 is invalid answers 400 naming the goal's field; one reference the caller may not see answers 404;
in both cases not one row is written (plan, goal, revision or audit entry) — through /api/v1/careplans and
through a FHIR transaction Bundle.
"""

import json

import pytest
from django.apps import apps

from carecoord.careplans.models import CarePlan, Goal
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent

from ..conftest import signed_in_client
from ..factories import ConditionFactory, PatientFactory, make_actor

URL = "/api/v1/careplans"
INVALID = 16  # goal 17


@pytest.fixture
def setting(org, other_org):
    actor = make_actor(org, Role.COORDINATOR)
    patient = PatientFactory(organization=org, given_name="Odalys", family_name="Brankovic")
    condition = ConditionFactory(patient=patient)
    stranger = PatientFactory(organization=other_org, given_name="Quillon", family_name="Verhoeven")
    return {"actor": actor, "patient": patient, "condition": condition, "stranger": stranger,
            "foreign_condition": ConditionFactory(patient=stranger)}  # fmt: skip


def plan_body(patient, goals=20, **overrides) -> dict:
    body = {
        "patient": str(patient.public_id),
        "title": "Diabetes self-management",
        "category": "chronic",
        "start_date": "2026-03-01",
        "goals": [
            {"description": f"Goal number {i + 1}", "start_date": "2026-03-01", "due_date": "2026-06-01"}
            for i in range(goals)
        ],
    }
    body.update(overrides)
    return body


def counts() -> dict[str, int]:
    labels = ["careplans.careplan", "careplans.goal", "careplans.careplanrevision", "careplans.task"]
    found = {label: apps.get_model(label).objects.count() for label in labels}
    found["audit writes"] = AuditEvent.objects.filter(action__in=["C", "U", "D"]).count()
    return found


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_a_plan_with_twenty_goals_is_created_in_one_request(setting):
    client = signed_in_client(setting["actor"])
    body = plan_body(setting["patient"], addresses=[str(setting["condition"].public_id)])
    response = post(client, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert len(created["goals"]) == 20
    plan = CarePlan.objects.get(public_id=created["id"])
    assert list(plan.addresses.all()) == [setting["condition"]]
    assert Goal.objects.filter(careplan=plan).count() == 20


@pytest.mark.parametrize(
    ("bad_goal", "field"),
    [
        ({"description": "Goal 17", "start_date": "2026-03-01", "due_date": "2026-01-01"}, "goals[16].due_date"),
        ({"description": "G17", "target_comparator": "between", "target_value": "7"}, "goals[16].target_value_high"),
        ({"description": "Goal 17", "lifecycle_status": "smashing"}, "goals[16].lifecycle_status"),
        ({"description": ""}, "goals[16].description"),
        ({"description": "x" * 301}, "goals[16].description"),
        ({"description": "Goal 17", "due_date": "not a date"}, "goals[16].due_date"),
    ],
)  # fmt: skip
def test_an_invalid_goal_seventeen_writes_nothing(setting, bad_goal, field):
    client = signed_in_client(setting["actor"])
    before = counts()
    body = plan_body(setting["patient"])
    body["goals"][INVALID] = bad_goal
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert counts() == before


@pytest.mark.parametrize("which", ["patient", "condition", "unknown condition"])
def test_one_inaccessible_reference_answers_404_and_writes_nothing(setting, which):
    client = signed_in_client(setting["actor"])
    before = counts()
    if which == "patient":
        body = plan_body(setting["stranger"])
    elif which == "condition":
        body = plan_body(setting["patient"], addresses=[str(setting["condition"].public_id),
                                                        str(setting["foreign_condition"].public_id)])  # fmt: skip
    else:
        body = plan_body(setting["patient"], addresses=["00000000-0000-4000-8000-000000000000"])
    response = post(client, body)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not-found"
    assert "Quillon" not in response.content.decode()
    assert "Verhoeven" not in response.content.decode()
    assert counts() == before


# FHIR transaction Bundle --------------------------------------------------------------------------------------


def _fhir_templates(fhir, setting) -> tuple[dict, dict]:
    """A CarePlan and a Goal as our FHIR API writes them (read back from a plan made through the JSON API)."""
    made = post(signed_in_client(setting["actor"]), plan_body(setting["patient"], goals=1)).json()
    careplan = fhir.get(f"CarePlan/{made['id']}").json()
    goal = fhir.get(f"Goal/{made['goals'][0]['id']}").json()
    for resource in (careplan, goal):
        for key in ("id", "meta", "text"):
            resource.pop(key, None)
    careplan.pop("goal", None)
    careplan.pop("activity", None)
    return careplan, goal


def _bundle(careplan: dict, goal: dict, goals: int = 20) -> dict:
    plan_url = "urn:uuid:9d0c3f2e-5f1b-4a51-9a4e-0d1f8f9b0001"
    entries = [{"fullUrl": plan_url, "resource": careplan, "request": {"method": "POST", "url": "CarePlan"}}]
    for i in range(goals):
        one = json.loads(json.dumps(goal))
        one["description"] = {"text": f"Goal number {i + 1}"}
        for extension in one.get("extension", []):
            if "valueReference" in extension and extension["valueReference"]["reference"].startswith("CarePlan/"):
                extension["valueReference"] = {"reference": plan_url}
        entries.append({"resource": one, "request": {"method": "POST", "url": "Goal"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_a_fhir_transaction_with_an_invalid_goal_seventeen_writes_nothing(setting, fhir_as):
    fhir = fhir_as(setting["actor"].organization)
    careplan, goal = _fhir_templates(fhir, setting)
    good = fhir.post("", _bundle(careplan, goal))
    assert good.status_code == 200, good.content  # the template is valid: 1 + 20 entries created
    assert len(good.json()["entry"]) == 21
    before = counts()
    bundle = _bundle(careplan, goal)
    bundle["entry"][1 + INVALID]["resource"]["lifecycleStatus"] = "smashing"
    response = fhir.post("", bundle)
    assert response.status_code in (400, 422), response.content
    assert response.json()["resourceType"] == "OperationOutcome"
    assert counts() == before


def test_a_fhir_transaction_naming_another_organizations_patient_writes_nothing(setting, fhir_as):
    fhir = fhir_as(setting["actor"].organization)
    careplan, goal = _fhir_templates(fhir, setting)
    before = counts()
    bundle = _bundle(careplan, goal)
    bundle["entry"][0]["resource"]["subject"] = {"reference": f"Patient/{setting['stranger'].public_id}"}
    response = fhir.post("", bundle)
    assert response.status_code in (400, 404), response.content
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "Quillon" not in response.content.decode()
    assert "Verhoeven" not in response.content.decode()
    assert counts() == before
