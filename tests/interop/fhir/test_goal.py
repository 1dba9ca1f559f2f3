"""FHIR Goal: US Core output, targets both ways, the care-plan extension, writes through goal services, search."""

import datetime as dt
from decimal import Decimal

from carecoord.careplans.models import Goal

from ...careplans.factories import CarePlanFactory, GoalFactory
from ...factories import OrganizationFactory, PatientFactory
from .conftest import assert_valid, outcome_text

EXTENSION = "urn:carecoord:fhir:careplan"
LOINC = "http://loinc.org"


def goal_resource(plan, **extra) -> dict:
    return {
        "resourceType": "Goal",
        "extension": [{"url": EXTENSION, "valueReference": {"reference": f"CarePlan/{plan.public_id}"}}],
        "lifecycleStatus": "active",
        "achievementStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-achievement", "code": "in-progress"}]
        },
        "description": {"text": "HbA1c below 7 %"},
        "subject": {"reference": f"Patient/{plan.patient.public_id}"},
        "startDate": "2026-01-10",
        "target": [
            {
                "measure": {"coding": [{"system": LOINC, "code": "4548-4", "display": "Hemoglobin A1c"}]},
                "detailQuantity": {"value": 7, "comparator": "<", "unit": "%"},
                "dueDate": "2026-06-30",
            }
        ],
        **extra,
    }


def plan_for(fhir, **extra):
    return CarePlanFactory(patient=PatientFactory(organization=fhir.organization), **extra)


def test_read_is_us_core_with_target_plan_and_author(fhir):
    goal = GoalFactory(
        careplan=plan_for(fhir),
        measure_code="8480-6",
        measure_display="Systolic blood pressure",
        target_comparator="between",
        target_value=Decimal("110.00"),
        target_value_high=Decimal("129.50"),
        target_unit="mm[Hg]",
        due_date=dt.date(2026, 9, 1),
    )
    resource = assert_valid(fhir.get(f"Goal/{goal.public_id}").json())
    assert resource["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal"]
    assert resource["extension"][0]["valueReference"]["reference"] == f"CarePlan/{goal.careplan.public_id}"
    assert resource["target"] == [
        {
            "measure": {
                "coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}],
                "text": "Systolic blood pressure",
            },
            "detailRange": {"low": {"value": 110, "unit": "mm[Hg]"}, "high": {"value": 129.5, "unit": "mm[Hg]"}},
            "dueDate": "2026-09-01",
        }
    ]
    assert resource["expressedBy"]["identifier"]["value"] == str(goal.careplan.author.public_id)
    assert resource["achievementStatus"]["coding"][0]["code"] == "in-progress"


def test_create_update_delete_round_trip(fhir):
    plan = plan_for(fhir)
    created = fhir.post("Goal", goal_resource(plan))
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    goal = Goal.objects.get(public_id=body["id"])
    assert (goal.careplan, goal.measure_code, goal.target_comparator, goal.target_value, goal.due_date) == (
        plan,
        "4548-4",
        "<",
        Decimal("7"),
        dt.date(2026, 6, 30),
    )
    assert body["target"][0]["detailQuantity"] == {"value": 7, "comparator": "<", "unit": "%"}

    body["achievementStatus"]["coding"][0]["code"] = "improving"
    body["target"][0]["detailQuantity"]["value"] = 7.5
    updated = fhir.put(f"Goal/{body['id']}", body, headers={"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.content
    goal.refresh_from_db()
    assert (goal.achievement_status, goal.target_value) == ("improving", Decimal("7.5"))
    assert assert_valid(updated.json())["target"][0]["detailQuantity"]["value"] == 7.5

    assert fhir.delete(f"Goal/{body['id']}").status_code == 204
    assert fhir.get(f"Goal/{body['id']}").status_code == 410
    goal.refresh_from_db()
    assert goal.lifecycle_status == "entered-in-error"


def test_the_care_plan_extension_is_required_and_fixed(fhir):
    plan = plan_for(fhir)
    missing = fhir.post("Goal", {**goal_resource(plan), "extension": []})
    assert missing.status_code == 400
    assert EXTENSION in outcome_text(missing)
    unknown = goal_resource(plan)
    unknown["extension"][0]["valueReference"]["reference"] = "CarePlan/00000000-0000-0000-0000-000000000001"
    assert fhir.post("Goal", unknown).status_code == 400
    other_plan = plan_for(fhir)
    wrong_patient = fhir.post("Goal", {**goal_resource(plan), "subject": goal_resource(other_plan)["subject"]})
    assert wrong_patient.status_code == 400
    assert "Goal.subject" in outcome_text(wrong_patient)
    body = fhir.post("Goal", goal_resource(plan)).json()
    moved = fhir.put(f"Goal/{body['id']}", {**body, "extension": goal_resource(other_plan)["extension"]})
    assert moved.status_code == 400
    closed = plan_for(fhir, status="completed")
    assert fhir.post("Goal", goal_resource(closed)).status_code == 422  # the service: a closed plan takes no goals


def test_bad_targets_and_codes_are_400_naming_the_element(fhir):
    plan = plan_for(fhir)
    exact = goal_resource(plan)
    del exact["target"][0]["detailQuantity"]["comparator"]
    response = fhir.post("Goal", exact)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Goal.target.detailQuantity.comparator"]
    bad_status = fhir.post("Goal", goal_resource(plan, lifecycleStatus="finished"))
    assert bad_status.status_code == 400
    assert "Goal.lifecycleStatus" in outcome_text(bad_status)
    no_text = fhir.post("Goal", goal_resource(plan, description={"coding": []}))
    assert no_text.status_code == 400
    assert "Goal.description" in outcome_text(no_text)
    bad_due = goal_resource(plan)
    bad_due["target"][0]["dueDate"] = "June"
    assert fhir.post("Goal", bad_due).status_code == 400
    assert Goal.objects.count() == 0


def test_search_by_patient_statuses_and_target_date(fhir):
    plan = plan_for(fhir)
    soon = GoalFactory(careplan=plan, due_date=dt.date(2026, 3, 1))
    later = GoalFactory(careplan=plan, due_date=dt.date(2026, 9, 1), achievement_status="achieved")
    GoalFactory(careplan=plan, lifecycle_status="cancelled", due_date=dt.date(2026, 3, 1))
    GoalFactory(careplan=plan_for(fhir))

    def ids(params):
        bundle = fhir.get("Goal", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return {e["resource"]["id"] for e in bundle.get("entry", [])}

    mine = {"patient": f"Patient/{plan.patient.public_id}", "lifecycle-status": "active"}
    assert ids(mine) == {str(soon.public_id), str(later.public_id)}
    assert ids({**mine, "achievement-status": "achieved"}) == {str(later.public_id)}
    assert ids({**mine, "target-date": "le2026-03-01"}) == {str(soon.public_id)}
    assert ids({**mine, "target-date": "gt2026-03-01"}) == {str(later.public_id)}
    assert ids({"patient": str(plan.patient.public_id), "lifecycle-status:not": "active"}) != set()


def test_another_organizations_goal_is_not_found(fhir):
    stranger = GoalFactory(careplan=CarePlanFactory(patient=PatientFactory(organization=OrganizationFactory())))
    assert fhir.get(f"Goal/{stranger.public_id}").status_code == 404
    assert fhir.get("Goal").json()["total"] == 0
    attempt = fhir.post("Goal", goal_resource(stranger.careplan))
    assert attempt.status_code == 400


def test_the_capability_statement_documents_the_care_plan_extension(fhir):
    statement = assert_valid(fhir.get("metadata").json())
    goal = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Goal")
    assert EXTENSION in goal["documentation"]
    assert {"patient", "lifecycle-status", "achievement-status", "target-date"} <= {
        p["name"] for p in goal["searchParam"]
    }
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert [i["code"] for i in types["CareTeam"]["interaction"]] == ["read", "search-type"]
    assert "create" not in [i["code"] for i in types["Consent"]["interaction"]]
