"""FHIR Task: the worklist item both ways, status and owner changes through the task services, search, errors."""

import datetime as dt

from carecoord.careplans.models import Task, TaskEvent

from ...careplans.factories import CarePlanFactory, GoalFactory, TaskFactory
from ...factories import OrganizationFactory, PatientFactory, make_actor
from .conftest import assert_valid, outcome_text

USER = "urn:carecoord:user"
KIND = "urn:carecoord:task-kind"


def task_resource(patient, owner=None, **extra) -> dict:
    resource = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "priority": "urgent",
        "code": {"coding": [{"system": KIND, "code": "call"}]},
        "description": "Call about the discharge medicines",
        "for": {"reference": f"Patient/{patient.public_id}"},
        "restriction": {"period": {"end": "2026-12-01"}},
        "note": [{"text": "Ask about the new inhaler."}],
    }
    if owner is not None:
        resource["owner"] = {"identifier": {"system": USER, "value": str(owner.public_id)}}
    return {**resource, **extra}


def test_read_maps_owner_due_date_plan_goal_and_focus(fhir):
    staff = make_actor(fhir.organization)
    plan = CarePlanFactory(patient=PatientFactory(organization=fhir.organization))
    goal = GoalFactory(careplan=plan)
    task = TaskFactory(
        patient=plan.patient,
        careplan=plan,
        goal=goal,
        owner=staff.user,
        priority="asap",
        description="Bring the pill box.",
        focus_type="scheduling.Appointment",
        focus_id="5d0c4b46-0000-4000-8000-000000000001",
    )
    resource = assert_valid(fhir.get(f"Task/{task.public_id}").json())
    assert (resource["status"], resource["intent"], resource["priority"]) == ("requested", "order", "asap")
    assert resource["description"] == task.title
    assert resource["code"]["coding"][0] == {"system": KIND, "code": "call", "display": "Call"}
    assert resource["for"]["reference"] == f"Patient/{plan.patient.public_id}"
    assert resource["owner"] == {
        "identifier": {"system": USER, "value": str(staff.user.public_id)},
        "display": str(staff.user),
    }
    assert resource["restriction"] == {"period": {"end": "2026-11-26"}}
    assert resource["basedOn"][0]["reference"] == f"CarePlan/{plan.public_id}"
    assert resource["reasonReference"]["reference"] == f"Goal/{goal.public_id}"
    assert resource["focus"] == {"reference": "Appointment/5d0c4b46-0000-4000-8000-000000000001"}
    assert resource["note"] == [{"text": "Bring the pill box."}]
    role_task = TaskFactory(patient=plan.patient, owner_role="supervisor")
    by_role = assert_valid(fhir.get(f"Task/{role_task.public_id}").json())
    assert "owner" not in by_role
    assert by_role["performerType"][0]["text"] == "Supervisor"


def test_create_on_a_plan_then_work_it_to_completion(fhir):
    staff, other = make_actor(fhir.organization), make_actor(fhir.organization)
    plan = CarePlanFactory(patient=PatientFactory(organization=fhir.organization))
    created = fhir.post(
        "Task", task_resource(plan.patient, staff.user, basedOn=[{"reference": f"CarePlan/{plan.public_id}"}])
    )
    assert created.status_code == 201, created.content
    body = assert_valid(created.json())
    task = Task.objects.get(public_id=body["id"])
    assert (task.owner, task.careplan, task.source, task.priority, task.due_date, task.kind) == (
        staff.user,
        plan,
        "careplan",
        "urgent",
        dt.date(2026, 12, 1),
        "call",
    )
    assert task.description == "Ask about the new inhaler."

    reassigned = {**body, "owner": {"identifier": {"value": other.user.email}}, "status": "in-progress"}
    response = fhir.put(f"Task/{body['id']}", reassigned, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert (task.owner, task.status) == (other.user, "in-progress")

    unexplained = fhir.put(f"Task/{body['id']}", {**response.json(), "status": "completed"})
    assert unexplained.status_code == 422
    assert "outcome" in outcome_text(unexplained)
    done = {**response.json(), "status": "completed", "output": [{"type": {"text": "Outcome"}, "valueString": "Done."}]}
    completed = fhir.put(f"Task/{body['id']}", done)
    assert completed.status_code == 200, completed.content
    finished = assert_valid(completed.json())
    assert finished["output"] == [{"type": {"text": "Outcome"}, "valueString": "Done."}]
    assert "end" in finished["executionPeriod"]
    assert TaskEvent.objects.filter(task=task, kind="status", to_status="completed").exists()


def test_other_elements_cannot_change_and_delete_marks_entered_in_error(fhir):
    patient = PatientFactory(organization=fhir.organization)
    body = fhir.post("Task", task_resource(patient)).json()
    assert body["performerType"][0]["text"] == "Coordinator"  # no owner given: the coordinator role takes it
    retitled = fhir.put(f"Task/{body['id']}", {**body, "description": "Something else"})
    assert retitled.status_code == 422
    assert retitled.json()["issue"][0]["expression"] == ["Task.description"]
    assert fhir.delete(f"Task/{body['id']}").status_code == 204
    assert fhir.get(f"Task/{body['id']}").status_code == 410
    assert Task.objects.get(public_id=body["id"]).status == "entered-in-error"


def test_search_by_patient_owner_status_period_and_last_updated(fhir):
    staff = make_actor(fhir.organization)
    patient, other = (PatientFactory(organization=fhir.organization) for _ in range(2))
    mine = TaskFactory(patient=patient, owner=staff.user, due_date=dt.date(2026, 12, 1))
    later = TaskFactory(patient=patient, owner_role="coordinator", due_date=dt.date(2027, 1, 15), status="on-hold")
    TaskFactory(patient=other, owner=staff.user, due_date=dt.date(2026, 12, 1))

    def ids(params):
        bundle = fhir.get("Task", params).json()
        for entry in bundle.get("entry", []):
            assert_valid(entry["resource"])
        return {e["resource"]["id"] for e in bundle.get("entry", [])}

    of_patient = {"patient": f"Patient/{patient.public_id}"}
    assert ids(of_patient) == {str(mine.public_id), str(later.public_id)}
    assert ids({**of_patient, "owner": staff.user.email.upper()}) == {str(mine.public_id)}
    assert ids({**of_patient, "owner": f"{USER}|{staff.user.public_id}"}) == {str(mine.public_id)}
    assert ids({**of_patient, "status": "on-hold"}) == {str(later.public_id)}
    assert ids({**of_patient, "period": "ge2027-01"}) == {str(later.public_id)}
    assert ids({**of_patient, "period": "lt2027"}) == {str(mine.public_id)}
    assert ids({**of_patient, "_lastUpdated": "gt2020-01-01"}) == {str(mine.public_id), str(later.public_id)}
    assert ids({**of_patient, "_lastUpdated": "lt2020-01-01"}) == set()


def test_another_organizations_task_is_not_found(fhir):
    stranger = TaskFactory(patient=PatientFactory(organization=OrganizationFactory()), owner_role="coordinator")
    assert fhir.get(f"Task/{stranger.public_id}").status_code == 404
    assert fhir.get("Task").json()["total"] == 0
    assert fhir.post("Task", task_resource(stranger.patient)).status_code == 400


def test_bad_input_is_400_naming_the_element(fhir):
    patient = PatientFactory(organization=fhir.organization)
    outsider = make_actor(OrganizationFactory())
    cases = {
        "Task.description": task_resource(patient, description=""),
        "Task.owner": task_resource(patient, outsider.user),
        "Task.status": task_resource(patient, status="completed"),
        "Task.restriction.period.end": task_resource(patient, restriction={"period": {"end": "next week"}}),
        "Task.basedOn": task_resource(patient, basedOn=[{"reference": "Appointment/abc"}]),
        "Task.for": task_resource(patient, **{"for": {"reference": "Group/1"}}),
    }
    for element, resource in cases.items():
        response = fhir.post("Task", resource)
        assert response.status_code == 400, (element, response.content)
        assert element in outcome_text(response), element
    assert Task.objects.count() == 0
