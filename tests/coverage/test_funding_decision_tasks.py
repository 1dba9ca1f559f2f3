"""
A submitted funding application puts "Check for a decision" on the worklist, due when the program should have
decided; saving it again or running the job makes no second one; the decision completes it, withdrawing
cancels it, and a corrected submitted date moves it.
"""

import datetime as dt

import pytest

from carecoord.careplans.models import Task
from carecoord.coverage import domain
from carecoord.coverage import funding_services as svc
from carecoord.coverage.jobs import sync_funding_application_tasks

from ..factories import PatientFactory

NOW = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)  # 11:00 in Chicago
TODAY = dt.date(2026, 3, 10)
pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def create(actor, patient, **data):
    values = {"program": "snap", "program_name": "SNAP (Illinois Link card)", "documents": []}
    return svc.application_create(actor=actor, patient=patient, data={**values, **data})


def update(actor, app, **data):
    app.refresh_from_db()
    return svc.application_update(actor=actor, application=app, data=data, expected_version=app.version)


def decision_tasks(app):
    return Task.objects.filter(focus_id=app.public_id, dedupe_key__startswith="funding-decision:").order_by("id")


def test_a_preparing_application_has_no_decision_task(actor, patient):
    app = create(actor, patient)
    assert not decision_tasks(app).exists()


def test_submitting_puts_one_check_for_a_decision_task_on_the_worklist(actor, patient):
    app = create(actor, patient)
    update(actor, app, status="submitted", submitted_on=dt.date(2026, 3, 2), reference_number="IL123")
    task = decision_tasks(app).get()
    assert task.title == "Check for a decision on SNAP (Illinois Link card)"
    assert task.due_date == dt.date(2026, 4, 1)  # SNAP decides within 30 days of filing
    assert (task.status, task.source, task.kind) == ("requested", "coverage", "paperwork")
    assert "Submitted on 03/02/2026 (reference IL123)" in task.description
    assert task.patient == patient
    # Saving it again, and the periodic job, make no second task.
    update(actor, app, note="Caseworker: Ms. Ortiz")
    sync_funding_application_tasks()
    sync_funding_application_tasks()
    assert decision_tasks(app).count() == 1


@pytest.mark.parametrize(("program", "days"), [("medicaid", 45), ("chip", 45), ("snap", 30), ("liheap", 30)])
def test_the_due_date_follows_the_programs_deadline(actor, patient, program, days):
    app = create(actor, patient, program=program, status="submitted", submitted_on=dt.date(2026, 3, 1))
    assert decision_tasks(app).get().due_date == dt.date(2026, 3, 1) + dt.timedelta(days=days)
    assert domain.decision_check_date(program, dt.date(2026, 3, 1)) == decision_tasks(app).get().due_date


def test_an_application_submitted_long_ago_is_checked_today_not_in_the_past(actor, patient):
    app = create(actor, patient, status="submitted", submitted_on=dt.date(2025, 12, 1))
    assert decision_tasks(app).get().due_date == TODAY


@pytest.mark.parametrize("decision", ["approved", "denied"])
def test_the_decision_completes_the_task(actor, patient, decision):
    app = create(actor, patient, status="submitted", submitted_on=dt.date(2026, 3, 2))
    update(actor, app, status=decision)
    task = decision_tasks(app).get()
    assert task.status == "completed"
    assert task.outcome_note == f"The program decided: {decision}."
    assert task.completed_by == actor.user
    sync_funding_application_tasks()
    assert decision_tasks(app).count() == 1  # the job does not put it back


def test_withdrawing_cancels_the_task(actor, patient):
    app = create(actor, patient, status="submitted", submitted_on=dt.date(2026, 3, 2))
    update(actor, app, status="withdrawn")
    assert decision_tasks(app).get().status == "cancelled"


def test_a_corrected_submitted_date_moves_the_task(actor, patient):
    app = create(actor, patient, status="submitted", submitted_on=dt.date(2026, 3, 2))
    update(actor, app, submitted_on=dt.date(2026, 3, 5))
    old, new = decision_tasks(app)
    assert old.status == "cancelled"
    assert (new.status, new.due_date) == ("requested", dt.date(2026, 4, 4))


def test_the_job_adds_the_task_to_a_submitted_application_that_lacks_it(actor, patient):
    app = create(actor, patient, status="submitted", submitted_on=dt.date(2026, 3, 2))
    decision_tasks(app).delete()  # as for an application submitted before these tasks existed
    assert sync_funding_application_tasks() == 1
    assert decision_tasks(app).get().due_date == dt.date(2026, 4, 1)
