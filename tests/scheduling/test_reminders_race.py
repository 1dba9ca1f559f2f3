"""
Two workers running the reminder job at the same moment (threads with their own database connections):
the outbox's unique idempotency key lets exactly one reminder per visit and day through, and the tasks'
dedupe key one task. Runs on PostgreSQL, and on SQLite through a file database (see test_race.py).
"""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.messaging.models import OutboxMessage
from carecoord.scheduling.models import Appointment
from carecoord.scheduling.reminder_services import reminders_run

from ..factories import OrganizationFactory, PatientFactory
from .factories import clinic
from .test_race import race, shared_database  # noqa: F401 -- the fixture giving each thread a real database

WORKERS = 6
VISIT = dt.datetime(2030, 1, 10, 16, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_racing_workers_queue_each_reminder_once(shared_database):  # noqa: F811 -- the imported fixture
    org = OrganizationFactory()
    practitioner, location, kind = clinic(org)
    visits = []
    for hour in range(4):
        patient = PatientFactory(organization=org, preferred_contact_method="sms", consent_sms=True,
                                 phone_primary="+13125550100", phone_primary_kind="mobile")  # fmt: skip
        start = VISIT + dt.timedelta(hours=hour)
        visits.append(Appointment.objects.create(
            organization=org, patient=patient, practitioner=practitioner, location=location,
            appointment_type=kind, start=start, end=start + dt.timedelta(minutes=30), needs_transport=True,
        ))  # fmt: skip
    with time_machine.travel(dt.datetime(2030, 1, 7, 16, 0, tzinfo=dt.UTC), tick=False):
        successes, _conflicts, errors = race([lambda: reminders_run(organization=org)] * WORKERS, shared_database)
    assert errors == []
    assert len(successes) == WORKERS
    assert sum(summary["queued"] for summary in successes) == len(visits)
    for visit in visits:
        assert OutboxMessage.objects.filter(focus_id=visit.public_id).count() == 1
        assert Task.objects.filter(focus_id=visit.public_id).count() == 1
