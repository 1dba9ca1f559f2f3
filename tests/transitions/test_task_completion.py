"""
The reverse of episode_record_step: completing, from the worklist (careplans.services.task_set_status, the JSON
API's task-complete endpoint, the worklist's "Complete" form), the episode's own contact / medication
reconciliation / visit task or the patient's TCM care plan task for the same work records the step on the open
episode, at the completion time with the task's outcome note, in the same transaction as the completion. A
task about nothing of the episode is unaffected, and an episode the service refuses (closed) is left alone
while the task still completes.
"""

import datetime as dt
import json

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.careplans.services import task_complete, task_set_status
from carecoord.checkins.models import OutreachAttempt
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.transitions import selectors, services
from carecoord.transitions.models import TransitionEpisode

from ..careplans.factories import TaskFactory
from ..factories import PatientFactory, make_actor
from .tcm_setup import EPISODE_FOCUS, PLAN_TITLES, apply_tcm, at, discharge

NEXT_MORNING = (2026, 3, 3, 10, 0)


def own_task(episode: TransitionEpisode, step: str) -> Task:
    return Task.objects.get(focus_type=EPISODE_FOCUS, focus_id=episode.public_id, dedupe_key__endswith=f":{step}")


def complete(actor, task: Task, note: str) -> None:
    task_set_status(actor=actor, task=task, status="completed", expected_version=task.version, note=note)


def step_audits(episode: TransitionEpisode):
    return AuditEvent.objects.filter(event="episode.step", object_id=str(episode.public_id))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(2026, 3, 2, 18, 0), tick=False):
        yield


def test_completing_the_episodes_contact_task_records_the_contact(org, actor, patient, hospital, client_for):
    episode = discharge(org, patient, hospital)
    task = own_task(episode, "contact")
    note = "Reached Ada's daughter; no new symptoms, pharmacy pickup today."
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        complete(actor, task, note)
    task.refresh_from_db()
    episode.refresh_from_db()
    assert (task.status, task.outcome_note) == ("completed", note)
    assert episode.contact_at == task.completed_at == at(*NEXT_MORNING)
    assert episode.contact_by == actor.user
    # The dashboard no longer shows the contact overdue once its deadline (March 4) has passed.
    assert selectors.episode_progress(episode, dt.date(2026, 3, 5))[0].state == "done"
    attempt = OutreachAttempt.objects.get(patient=patient)
    assert (attempt.outcome, attempt.method, attempt.note, attempt.by, attempt.occurred_at) == (
        "reached", "phone", note, actor.user, at(*NEXT_MORNING),
    )  # fmt: skip
    assert selectors.episode_contact_note(episode).note == note
    timeline = client_for(actor).get(reverse("checkins:patient_timeline", args=[patient.public_id])).content.decode()
    assert "Reached Ada&#x27;s daughter; no new symptoms, pharmacy pickup today." in timeline
    # The triggering task was completed once (one status event), and the step was recorded once.
    assert list(task.events.filter(kind="status").values_list("to_status", flat=True)) == ["completed"]
    assert step_audits(episode).count() == 1


def test_completing_the_tcm_plans_med_rec_task_records_the_med_rec(org, actor, patient, hospital):
    plan = apply_tcm(org, patient, dt.date(2026, 3, 3))  # in force before the discharge: it holds the steps
    episode = discharge(org, patient, hospital)
    assert not Task.objects.filter(focus_type=EPISODE_FOCUS, focus_id=episode.public_id, kind="medication_review")
    plan_task = Task.objects.get(careplan=plan, title=PLAN_TITLES["med_rec"])
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        complete(actor, plan_task, "Reconciled the discharge list with Ada's pill bottles.")
    episode.refresh_from_db()
    assert episode.med_rec_at == at(*NEXT_MORNING)
    assert (episode.contact_at, episode.visit_at) == (None, None)
    assert "No medication reconciliation is recorded." not in selectors.episode_tcm_reasons(episode)
    plan_task.refresh_from_db()
    assert plan_task.status == "completed"
    # The plan's other tasks are not touched, and no outreach is made for a medication reconciliation.
    others = Task.objects.filter(careplan=plan).exclude(pk=plan_task.pk)
    assert set(others.values_list("status", flat=True)) == {"requested"}
    assert not OutreachAttempt.objects.exists()


def test_completing_one_of_two_tasks_for_the_step_completes_the_other_once(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))  # made after the discharge: both sets exist
    plan_task = Task.objects.get(careplan=plan, title=PLAN_TITLES["contact"])
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        complete(actor, plan_task, "Spoke with Ada.")
    episode.refresh_from_db()
    assert episode.contact_at == at(*NEXT_MORNING)
    task = own_task(episode, "contact")
    assert (task.status, task.outcome_note, task.completed_by) == ("completed", "Spoke with Ada.", actor.user)
    assert OutreachAttempt.objects.filter(patient=patient).count() == 1
    assert step_audits(episode).count() == 1


def test_completing_through_the_json_api_records_the_step(org, actor, patient, hospital, client_for):
    episode = discharge(org, patient, hospital)
    task = own_task(episode, "contact")
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        response = client_for(actor).post(
            f"/api/v1/tasks/{task.public_id}/complete",
            json.dumps({"note": "Reached Ada by phone.", "version": task.version}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["task"]["status"] == "completed"
    episode.refresh_from_db()
    assert episode.contact_at == at(*NEXT_MORNING)
    assert OutreachAttempt.objects.get(patient=patient).note == "Reached Ada by phone."


def test_completing_from_the_worklist_form_records_the_visit(org, actor, patient, hospital, client_for):
    episode = discharge(org, patient, hospital)
    task = own_task(episode, "visit")
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        response = client_for(actor).post(
            f"/tasks/{task.public_id}/complete/",
            {"note": "Seen by Dr. Okafor today.", "version": task.version},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert "Completed:" in response.content.decode()
    episode.refresh_from_db()
    assert episode.visit_at == at(*NEXT_MORNING)
    assert (episode.contact_at, episode.med_rec_at) == (None, None)


def test_a_task_about_nothing_of_the_episode_is_unaffected(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    version = episode.version
    # A call that is not a step's task, and the episode's checklist task.
    task = TaskFactory(patient=patient, owner=actor.user, kind="call", title="Call about the walker")
    complete(actor, task, "Walker delivered.")
    checklist = own_task(episode, "checklist")
    complete(actor, checklist, "Home health started.")
    episode.refresh_from_db()
    assert episode.version == version
    assert (episode.contact_at, episode.med_rec_at, episode.visit_at) == (None, None, None)
    assert not OutreachAttempt.objects.exists()
    assert not step_audits(episode).exists()


def test_another_patients_tcm_task_does_not_record_this_episode(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    other = PatientFactory(organization=org)
    plan = apply_tcm(org, other, dt.date(2026, 3, 2))
    plan_task = Task.objects.get(careplan=plan, title=PLAN_TITLES["contact"])
    complete(actor, plan_task, "Reached.")
    episode.refresh_from_db()
    assert episode.contact_at is None
    assert own_task(episode, "contact").status == "requested"


def test_a_closed_episode_is_left_alone_and_the_task_completes(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    TransitionEpisode.objects.filter(pk=episode.pk).update(status="closed", closed_at=at(2026, 3, 2, 17))
    task = own_task(episode, "contact")
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        task_complete(actor=actor, task=task, note="Reached Ada late.", expected_version=task.version)
    task.refresh_from_db()
    episode.refresh_from_db()
    assert task.status == "completed"
    assert episode.contact_at is None
    assert not OutreachAttempt.objects.exists()
    assert not step_audits(episode).exists()


def test_a_scheduler_completes_the_task_without_recording_the_step(org, patient, hospital):
    # A scheduler works tasks but may not change patient records: the task completes, the episode is unchanged.
    episode = discharge(org, patient, hospital)
    scheduler = make_actor(org, Role.SCHEDULER)
    task = own_task(episode, "visit")
    complete(scheduler, task, "Visit booked and kept.")
    task.refresh_from_db()
    episode.refresh_from_db()
    assert task.status == "completed"
    assert episode.visit_at is None


def test_a_step_already_recorded_is_not_recorded_again(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    plan = apply_tcm(org, patient, dt.date(2026, 3, 2))
    services.episode_record_step(actor=actor, episode=episode, step="contact", note="Spoke with Ada.",
                                 expected_version=episode.version)  # fmt: skip
    episode.refresh_from_db()
    first = episode.contact_at
    # Another plan for the same work, applied later: completing its contact task leaves the recorded contact.
    other_plan = apply_tcm(org, patient, dt.date(2026, 3, 2))
    assert other_plan.pk != plan.pk
    later = Task.objects.get(careplan=other_plan, title=PLAN_TITLES["contact"])
    with time_machine.travel(at(*NEXT_MORNING), tick=False):
        complete(actor, later, "Called again.")
    episode.refresh_from_db()
    assert episode.contact_at == first
    assert OutreachAttempt.objects.filter(patient=patient).count() == 1
    assert step_audits(episode).count() == 1


def test_a_long_contact_note_is_kept_on_the_task_and_bounded_on_the_outreach(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    task = own_task(episode, "contact")
    note = "Reached Ada. " + "x" * 600
    complete(actor, task, note)
    task.refresh_from_db()
    episode.refresh_from_db()
    assert task.outcome_note == note
    assert episode.contact_at is not None
    assert OutreachAttempt.objects.get(patient=patient).note == note[: services.CONTACT_NOTE_MAX]


def test_the_completion_and_the_step_roll_back_together(org, actor, patient, hospital):
    episode = discharge(org, patient, hospital)
    task = own_task(episode, "contact")
    recorded = []

    @transaction.atomic
    def complete_then_fail():
        complete(actor, task, "Reached Ada.")
        recorded.append(TransitionEpisode.objects.get(pk=episode.pk).contact_at)
        raise RuntimeError("the request failed after the completion")

    with pytest.raises(RuntimeError):
        complete_then_fail()
    assert recorded[0] is not None  # the step was recorded inside the completion's transaction
    task.refresh_from_db()
    episode.refresh_from_db()
    assert task.status == "requested"
    assert episode.contact_at is None
    assert not OutreachAttempt.objects.exists()
