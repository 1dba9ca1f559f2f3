"""FHIR CarePlan: US Core output, writes through the care plan services (drafts, lifecycle), search, errors."""

import datetime as dt

from carecoord.careplans.models import CarePlan, Task

from ...careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from ...factories import ConditionFactory, OrganizationFactory, PatientFactory
from .conftest import assert_valid, outcome_text

US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"


def plan_resource(patient, **extra) -> dict:
    return {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "category": [
            {"coding": [{"system": US_CORE_CATEGORY, "code": "assess-plan"}]},
            {"coding": [{"system": "urn:carecoord:careplan-category", "code": "post_discharge"}]},
        ],
        "title": "After the hip fracture",
        "description": "Home safety and follow-up.",
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "period": {"start": "2026-02-01", "end": "2026-03-15"},
        **extra,
    }


def test_read_is_us_core_with_goals_activities_and_addresses(fhir):
    patient = PatientFactory(organization=fhir.organization)
    plan = CarePlanFactory(patient=patient, description="Keep HbA1c down.")
    condition = ConditionFactory(patient=patient)
    plan.addresses.add(condition)
    goal = GoalFactory(careplan=plan)
    task = TaskFactory(patient=patient, careplan=plan, owner_role="coordinator")
    resource = assert_valid(fhir.get(f"CarePlan/{plan.public_id}").json())
    assert resource["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"]
    assert resource["text"]["status"] == "generated"
    assert "Diabetes care plan" in resource["text"]["div"]
    assert (resource["status"], resource["intent"]) == ("active", "plan")
    assert resource["category"][0]["coding"][0]["code"] == "assess-plan"
    assert resource["category"][1]["text"] == "Chronic condition management"
    assert resource["period"] == {"start": "2026-01-05"}
    assert resource["author"]["identifier"]["value"] == str(plan.author.public_id)
    assert resource["addresses"] == [{"reference": f"Condition/{condition.public_id}", "display": str(condition)}]
    assert resource["goal"][0]["reference"] == f"Goal/{goal.public_id}"
    assert resource["activity"] == [{"reference": {"reference": f"Task/{task.public_id}", "display": task.title}}]


def test_create_makes_a_draft_and_update_and_delete_follow_the_lifecycle(fhir):
    patient = PatientFactory(organization=fhir.organization)
    condition = ConditionFactory(patient=patient)
    created = fhir.post(
        "CarePlan", plan_resource(patient, addresses=[{"reference": f"Condition/{condition.public_id}"}])
    )
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    assert body["status"] == "draft"  # an API client is not a provider: the plan waits for approval
    plan = CarePlan.objects.get(public_id=body["id"])
    assert (plan.category, plan.end_date, list(plan.addresses.all())) == (
        "post_discharge",
        dt.date(2026, 3, 15),
        [condition],
    )

    body["title"] = "After the hip fracture (revised)"
    body["addresses"] = []
    edited = fhir.put(f"CarePlan/{body['id']}", body, headers={"If-Match": f'W/"{body["meta"]["versionId"]}"'})
    assert edited.status_code == 200, edited.content
    plan.refresh_from_db()
    assert plan.title.endswith("(revised)")
    assert plan.addresses.count() == 0

    approve = fhir.put(f"CarePlan/{body['id']}", {**edited.json(), "status": "active"})
    assert approve.status_code == 422
    assert "provider approves" in outcome_text(approve)

    task = TaskFactory(patient=patient, careplan=plan, owner_role="coordinator")
    assert fhir.delete(f"CarePlan/{body['id']}").status_code == 204
    assert fhir.get(f"CarePlan/{body['id']}").status_code == 410
    plan.refresh_from_db()
    task.refresh_from_db()
    assert (plan.status, task.status) == ("entered-in-error", "cancelled")


def test_status_moves_an_approved_plan_through_its_lifecycle(fhir):
    plan = CarePlanFactory(patient=PatientFactory(organization=fhir.organization), status="active")
    body = fhir.get(f"CarePlan/{plan.public_id}").json()
    held = fhir.put(f"CarePlan/{plan.public_id}", {**body, "status": "on-hold"})
    assert held.status_code == 200, held.content
    done = fhir.put(f"CarePlan/{plan.public_id}", {**held.json(), "status": "completed"})
    assert done.status_code == 200
    edit_closed = fhir.put(f"CarePlan/{plan.public_id}", {**done.json(), "title": "New title"})
    assert edit_closed.status_code == 422  # a completed plan is not edited...
    reopened = fhir.put(f"CarePlan/{plan.public_id}", {**done.json(), "status": "active", "title": "Reopened"})
    assert reopened.status_code == 200, reopened.content  # ...unless it is reopened in the same update
    assert reopened.json()["title"] == "Reopened"
    history = fhir.get(f"CarePlan/{plan.public_id}/_history").json()
    assert history["total"] >= 3


def test_search_by_patient_status_category_date_and_include(fhir):
    patient, other = (PatientFactory(organization=fhir.organization) for _ in range(2))
    winter = CarePlanFactory(patient=patient, start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 2, 28))
    spring = CarePlanFactory(
        patient=patient, start_date=dt.date(2026, 4, 1), category="behavioral_health", status="draft"
    )
    CarePlanFactory(patient=other, start_date=dt.date(2026, 4, 1))

    def ids(params):
        bundle = fhir.get("CarePlan", params).json()
        return {e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"}

    mine = {"patient": f"Patient/{patient.public_id}"}
    both = {str(winter.public_id), str(spring.public_id)}
    assert ids(mine) == both
    assert ids({**mine, "category": f"{US_CORE_CATEGORY}|assess-plan"}) == both
    assert ids({**mine, "category": "behavioral_health"}) == {str(spring.public_id)}
    assert ids({**mine, "status": "draft"}) == {str(spring.public_id)}
    assert ids({**mine, "date": "2026-02"}) == {str(winter.public_id)}
    assert ids({**mine, "date": "ge2026-03-01"}) == {str(spring.public_id)}  # winter ended before
    assert ids({**mine, "date": "lt2026-03-01"}) == {str(winter.public_id)}
    assert ids({**mine, "date": "2026-06-15"}) == {str(spring.public_id)}  # open-ended: still going
    bundle = fhir.get("CarePlan", {**mine, "status": "draft", "_include": "CarePlan:patient"}).json()
    for entry in bundle["entry"]:
        assert_valid(entry["resource"])
    assert [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("CarePlan", "match"),
        ("Patient", "include"),
    ]


def test_another_organizations_plan_is_not_found(fhir):
    stranger = CarePlanFactory(patient=PatientFactory(organization=OrganizationFactory()))
    assert fhir.get(f"CarePlan/{stranger.public_id}").status_code == 404
    assert fhir.get("CarePlan").json()["total"] == 0
    posted = fhir.post("CarePlan", plan_resource(stranger.patient))
    assert posted.status_code == 400
    assert "CarePlan.subject" in outcome_text(posted)


def test_bad_input_is_400_naming_the_element(fhir):
    patient = PatientFactory(organization=fhir.organization)
    untitled = fhir.post("CarePlan", {**plan_resource(patient), "title": ""})
    assert untitled.status_code == 400
    no_title = plan_resource(patient)
    del no_title["title"]
    response = fhir.post("CarePlan", no_title)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["CarePlan.title"]
    bad_intent = fhir.post("CarePlan", plan_resource(patient, intent="wish"))
    assert bad_intent.status_code == 400
    assert "CarePlan.intent" in outcome_text(bad_intent)
    bad_date = fhir.post("CarePlan", plan_resource(patient, period={"start": "01/02/2026"}))
    assert bad_date.status_code == 400
    assert "period" in outcome_text(bad_date)
    foreign = ConditionFactory(patient=PatientFactory(organization=fhir.organization))
    wrong = fhir.post("CarePlan", plan_resource(patient, addresses=[{"reference": f"Condition/{foreign.public_id}"}]))
    assert wrong.status_code == 400
    assert "CarePlan.addresses" in outcome_text(wrong)
    backwards = fhir.post("CarePlan", plan_resource(patient, period={"start": "2026-03-01", "end": "2026-02-01"}))
    assert backwards.status_code == 422
    assert CarePlan.objects.count() == 0
    assert Task.objects.count() == 0


def test_a_plan_without_a_title_takes_its_category_name(fhir):
    """Synthea's plans have no title: the name of their category stands in."""
    patient = PatientFactory(organization=fhir.organization)
    resource = plan_resource(patient)
    del resource["title"]
    resource["category"] = [
        {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "698360004", "display": "Diabetes self management plan"}
            ]
        }
    ]
    created = fhir.post("CarePlan", resource)
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    assert body["title"] == "Diabetes self management plan"
    assert body["category"][1]["coding"][0]["code"] == "other"
