"""The check-in periodic job: registered, puts due check-ins on the worklist, idempotent."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.choices import TaskSource
from carecoord.careplans.models import Task
from carecoord.checkins import services
from carecoord.checkins.jobs import create_due_checkin_tasks
from carecoord.core.periodic import REGISTRY

from ..factories import OrganizationFactory, PatientFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 26)


def test_the_job_is_registered_every_30_minutes():
    job = REGISTRY["carecoord.checkins.jobs.create_due_checkin_tasks"]
    assert job.every == dt.timedelta(minutes=30)


@pytest.mark.usefixtures("_frozen_clock")
def test_the_job_covers_every_active_organization_and_runs_again_without_duplicates(actor):
    other = make_actor(OrganizationFactory())
    due_today = PatientFactory(organization=actor.organization)
    due_tomorrow = PatientFactory(organization=other.organization)
    later = PatientFactory(organization=actor.organization)
    services.cadence_set(actor=actor, patient=due_today, interval_days=7, first_due=TODAY)
    services.cadence_set(actor=other, patient=due_tomorrow, interval_days=30, first_due=TODAY + dt.timedelta(days=1))
    services.cadence_set(actor=actor, patient=later, interval_days=30, first_due=TODAY + dt.timedelta(days=2))
    assert create_due_checkin_tasks() == 2
    assert create_due_checkin_tasks() == 2  # the same tasks come back (dedupe), none is added
    tasks = Task.objects.filter(source=TaskSource.CHECKINS)
    assert {t.patient for t in tasks} == {due_today, due_tomorrow}
    assert {t.organization for t in tasks} == {actor.organization, other.organization}


@pytest.mark.usefixtures("_frozen_clock")
def test_an_overdue_checkin_keeps_its_one_task_and_a_new_one_comes_after_the_next_contact(actor):
    patient = PatientFactory(organization=actor.organization)
    services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY - dt.timedelta(days=3))
    create_due_checkin_tasks()
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        create_due_checkin_tasks()
    (task,) = Task.objects.filter(patient=patient)
    assert task.due_date == TODAY - dt.timedelta(days=3)  # shows as overdue on the worklist
    services.outreach_record(actor=actor, patient=patient, method="phone", outcome="reached", occurred_at=NOW)
    with time_machine.travel(NOW + dt.timedelta(days=6), tick=False):
        create_due_checkin_tasks()
    assert Task.objects.filter(patient=patient).count() == 2
    assert Task.objects.get(patient=patient, status="requested").due_date == TODAY + dt.timedelta(days=7)


@pytest.mark.usefixtures("_frozen_clock")
def test_inactive_organizations_and_stopped_cadences_get_nothing(actor):
    patient = PatientFactory(organization=actor.organization)
    cadence = services.cadence_set(actor=actor, patient=patient, interval_days=7, first_due=TODAY)
    services.cadence_stop(actor=actor, cadence=cadence)
    closed = make_actor(OrganizationFactory(active=False))
    services.cadence_set(actor=closed, patient=PatientFactory(organization=closed.organization), interval_days=7,
                         first_due=TODAY)  # fmt: skip
    assert create_due_checkin_tasks() == 0
