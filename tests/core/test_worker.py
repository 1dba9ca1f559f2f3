import datetime as dt

import time_machine
from django.core.management import call_command

from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent

from ..careplans.factories import TaskFactory
from ..factories import PatientFactory, make_actor


def test_worker_once_escalates_overdue_urgent_tasks_and_seals_audit(org, capsys):
    coordinator = make_actor(org, Role.COORDINATOR)
    patient = PatientFactory(organization=org)
    with time_machine.travel(dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC), tick=False):
        urgent = TaskFactory(patient=patient, owner=coordinator.user, priority="urgent", due_date=dt.date(2026, 11, 23))
        call_command("worker", "--once")
        call_command("worker", "--once")
    escalations = Task.objects.filter(kind="escalation", focus_id=urgent.public_id)
    assert escalations.count() == 1
    assert escalations.get().owner_role == "supervisor"
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()
    assert "escalate_overdue_tasks" in capsys.readouterr().out
