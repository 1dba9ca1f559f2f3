"""Overdue high-priority tasks go to a supervisor: `tasks_escalate_overdue` against the real database."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.careplans.selectors import worklist_for
from carecoord.careplans.services import tasks_escalate_overdue
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.patients.models import Consent, PatientShare

from ..factories import OrganizationFactory, PatientFactory, make_actor
from .factories import TaskFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 09:00 on the 26th in Chicago
DUE_24TH = dt.date(2026, 11, 24)  # its day ended at 06:00 UTC on the 25th: 33 h overdue at NOW
DUE_25TH = dt.date(2026, 11, 25)  # 9 h overdue at NOW


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def overdue(patient, **kwargs) -> Task:
    return TaskFactory(patient=patient, **{"priority": "urgent", "due_date": DUE_24TH, "owner_role": "coordinator",
                                           **kwargs})  # fmt: skip


@time_machine.travel(NOW, tick=False)
def test_each_high_priority_task_overdue_beyond_the_threshold_gets_one_supervisor_task(org, patient):
    urgent, stat = overdue(patient, title="Call after the ER visit"), overdue(patient, priority="stat")
    asap = overdue(patient, priority="asap", due_date=dt.date(2026, 10, 1))

    created = tasks_escalate_overdue(organization=org)

    assert {e.escalation_of for e in created} == {urgent, stat, asap}
    for escalation in created:
        source = escalation.escalation_of
        escalation.refresh_from_db()
        assert (escalation.owner, escalation.owner_role, escalation.kind) == (None, Role.SUPERVISOR, "escalation")
        assert (escalation.focus_type, escalation.focus_id) == ("careplans.Task", source.public_id)
        assert escalation.escalation_of == source
        assert escalation.source == "escalation"
        assert (escalation.organization, escalation.patient) == (org, patient)
        assert (escalation.priority, escalation.due_date, escalation.status) == ("urgent", NOW.date(), "requested")
        assert Task.objects.get(pk=source.pk).escalated_at == NOW
    assert "Call after the ER visit" in next(e.title for e in created if e.escalation_of == urgent)
    audits = AuditEvent.objects.filter(event="task.create")
    assert audits.count() == 3
    assert {a.acting_organization_id for a in audits} == {org.pk}


@time_machine.travel(NOW, tick=False)
def test_routine_open_or_not_yet_late_tasks_are_left_alone(org, patient):
    overdue(patient, priority="routine", due_date=dt.date(2026, 9, 1))
    overdue(patient, due_date=DUE_25TH)  # overdue, but only 9 h of the 24 allowed
    overdue(patient, due_date=NOW.date())
    overdue(patient, due_date=NOW.date() + dt.timedelta(days=3))
    overdue(patient, due_date=None)
    for status in ("completed", "cancelled", "failed", "entered-in-error", "draft"):
        overdue(patient, status=status)
    overdue(patient, kind="escalation", owner_role=Role.SUPERVISOR)  # an escalation is not escalated again

    assert tasks_escalate_overdue(organization=org) == []
    assert not Task.objects.filter(escalation_of__isnull=False).exists()
    assert not Task.objects.filter(escalated_at__isnull=False).exists()


@time_machine.travel(NOW, tick=False)
def test_running_twice_creates_nothing_new(org, patient):
    overdue(patient)
    overdue(patient, priority="stat")
    assert len(tasks_escalate_overdue(organization=org)) == 2
    count = Task.objects.count()
    assert tasks_escalate_overdue(organization=org) == []
    assert Task.objects.count() == count == 4


def test_the_threshold_is_the_organizations(patient, org):
    task = overdue(patient, due_date=DUE_25TH)
    with time_machine.travel(NOW, tick=False):
        assert tasks_escalate_overdue(organization=org) == []
    org.escalation_hours = 8
    org.save()
    with time_machine.travel(NOW, tick=False):
        [escalation] = tasks_escalate_overdue(organization=org)
    assert escalation.escalation_of == task


@pytest.mark.parametrize(("now", "escalated"), [
    (dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC), False),  # exactly 24 h after the end of the 24th (Chicago)
    (dt.datetime(2026, 11, 26, 6, 1, tzinfo=dt.UTC), True),
])  # fmt: skip
def test_the_threshold_counts_from_the_end_of_the_due_day_in_the_organizations_zone(org, patient, now, escalated):
    overdue(patient, due_date=dt.date(2026, 11, 24))
    with time_machine.travel(now, tick=False):
        assert bool(tasks_escalate_overdue(organization=org)) is escalated


@pytest.mark.parametrize(("now", "escalated"), [
    (dt.datetime(2026, 3, 9, 5, 30, tzinfo=dt.UTC), False),  # 00:30 CDT on the 9th: 23.5 real hours
    (dt.datetime(2026, 3, 9, 6, 30, tzinfo=dt.UTC), True),  # 01:30 CDT
])  # fmt: skip
def test_the_threshold_across_the_spring_forward_day(org, patient, now, escalated):
    overdue(patient, due_date=dt.date(2026, 3, 7))
    with time_machine.travel(now, tick=False):
        assert bool(tasks_escalate_overdue(organization=org)) is escalated


@time_machine.travel(NOW, tick=False)
def test_escalations_reach_the_supervisors_worklist_not_the_coordinators(org, patient):
    coordinator, supervisor = make_actor(org, Role.COORDINATOR), make_actor(org, Role.SUPERVISOR)
    overdue(patient, owner=coordinator.user, owner_role="")
    [escalation] = tasks_escalate_overdue(organization=org)
    assert [t.pk for t in worklist_for(supervisor).tasks] == [escalation.pk]
    assert escalation.pk not in [t.pk for t in worklist_for(coordinator).tasks]
    assert coordinator.user.full_name in Task.objects.get(pk=escalation.pk).description


@time_machine.travel(NOW, tick=False)
def test_each_organization_escalates_only_its_own_tasks(org, other_org, patient):
    theirs = overdue(PatientFactory(organization=other_org))
    overdue(patient)
    [mine] = tasks_escalate_overdue(organization=org)
    assert mine.organization == org
    assert Task.objects.get(pk=theirs.pk).escalated_at is None
    [escalation] = tasks_escalate_overdue(organization=other_org)
    assert escalation.escalation_of == theirs
    assert escalation.organization == other_org


@time_machine.travel(NOW, tick=False)
def test_a_sharing_organization_escalates_while_the_share_lasts(org, patient):
    coordination = OrganizationFactory(kind="coordination_organization")
    granted_by = make_actor(org).user
    consent = Consent.objects.create(
        organization=org, patient=patient, grantee=coordination, signed_on=dt.date(2026, 1, 2), signed_by="Patient",
        method="form", recorded_by=granted_by,
    )  # fmt: skip
    share = PatientShare.objects.create(patient=patient, organization=coordination, consent=consent,
                                        granted_by=granted_by)  # fmt: skip
    still_shared = PatientFactory(organization=org)
    consent2 = Consent.objects.create(
        organization=org, patient=still_shared, grantee=coordination, signed_on=dt.date(2026, 1, 2),
        signed_by="Patient", method="form", recorded_by=granted_by,
    )  # fmt: skip
    PatientShare.objects.create(patient=still_shared, organization=coordination, consent=consent2,
                                granted_by=granted_by)  # fmt: skip
    revoked_task = TaskFactory(patient=patient, organization=coordination, priority="urgent", due_date=DUE_24TH,
                               owner_role="coordinator")  # fmt: skip
    shared_task = TaskFactory(patient=still_shared, organization=coordination, priority="urgent",
                              due_date=DUE_24TH, owner_role="coordinator")  # fmt: skip
    share.revoked_at = NOW
    share.save()

    [escalation] = tasks_escalate_overdue(organization=coordination)
    assert escalation.escalation_of == shared_task
    assert escalation.organization == coordination
    assert Task.objects.get(pk=revoked_task.pk).escalated_at is None


@time_machine.travel(NOW, tick=False)
def test_finishing_the_overdue_task_closes_its_escalation(org, patient, actor):
    from carecoord.careplans.services import task_set_status

    done, dropped = overdue(patient, title="Call after the ER visit"), overdue(patient, title="Send the form")
    escalations = {e.escalation_of: e for e in tasks_escalate_overdue(organization=org)}

    task_set_status(actor=actor, task=done, status="completed", expected_version=done.version, note="Reached her")
    task_set_status(actor=actor, task=dropped, status="cancelled", expected_version=dropped.version)

    completed, cancelled = (Task.objects.get(pk=escalations[t].pk) for t in (done, dropped))
    assert (completed.status, completed.completed_by) == ("completed", actor.user)
    assert "completed" in completed.outcome_note
    assert cancelled.status == "cancelled"
