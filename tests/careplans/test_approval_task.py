"""
A draft care plan waits for a provider's approval: drafting it puts a task on the organization's providers'
worklist (due in two business days), approving the plan completes that task and revoking the draft cancels it.
A provider's own plan is approved at once and asks no one.
"""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans import services
from carecoord.careplans.models import Task
from carecoord.core.choices import Role
from carecoord.core.errors import ValidationError
from tests.factories import PatientFactory, make_actor

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Chicago, before Thanksgiving


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


def draft(actor, patient):
    data = {"title": "COPD plan", "category": "chronic", "start_date": dt.date(2026, 11, 25)}
    return services.careplan_create(actor=actor, patient=patient, data=data)


def approval_tasks(plan):
    return list(Task.objects.filter(careplan=plan, dedupe_key=f"careplan-approval:{plan.public_id}"))


def test_a_draft_asks_the_providers_for_approval(actor, patient):
    plan = draft(actor, patient)
    [task] = approval_tasks(plan)
    assert task.owner_role == Role.PROVIDER
    assert task.owner is None
    assert task.status == "requested"
    assert task.title == "Review and approve the care plan: COPD plan"
    # Two business days after Wednesday 11/25: Thursday is Thanksgiving, so Friday and Monday.
    assert task.due_date == dt.date(2026, 11, 30)


def test_approving_completes_the_task(actor, patient, org):
    plan = draft(actor, patient)
    provider = make_actor(org, Role.PROVIDER)
    services.careplan_approve(actor=provider, careplan=plan, expected_version=plan.version)
    [task] = approval_tasks(plan)
    assert task.status == "completed"
    assert task.completed_by == provider.user


def test_revoking_the_draft_cancels_the_task(actor, patient):
    plan = draft(actor, patient)
    services.careplan_set_status(actor=actor, careplan=plan, status="revoked", expected_version=plan.version)
    [task] = approval_tasks(plan)
    assert task.status == "cancelled"


def test_a_providers_plan_asks_no_one(org, patient):
    plan = draft(make_actor(org, Role.PROVIDER), patient)
    assert plan.status == "active"
    assert approval_tasks(plan) == []


def test_the_task_is_not_completed_by_hand_while_the_plan_is_a_draft(actor, patient):
    plan = draft(actor, patient)
    [task] = approval_tasks(plan)
    with pytest.raises(ValidationError, match="approve it"):
        services.task_set_status(actor=actor, task=task, status="completed", expected_version=task.version, note="ok")
    task.refresh_from_db()
    assert task.status == "requested"


def test_the_plan_page_of_another_organization_lists_its_tasks_without_links(actor, patient, org, client_for):
    from carecoord.careplans.models import CarePlan
    from tests.factories import OrganizationFactory, share_by_consent

    partner = make_actor(OrganizationFactory(name="Prairie Care Partners"), Role.COORDINATOR)
    share_by_consent(actor, patient, partner.organization, dt.date(2026, 11, 1))
    plan = draft(partner, patient)
    [task] = approval_tasks(plan)
    page = client_for(actor).get(plan.get_absolute_url()).content.decode()
    assert task.title in page
    assert task.get_absolute_url() not in page  # the task is Prairie's: a link would lead to "Not found"
    assert "Prairie Care Partners, Provider" in page
    edit = client_for(actor).get(f"{plan.get_absolute_url()}edit/")
    assert edit.status_code == 302  # another organization's plan opens no edit form
    assert CarePlan.objects.get(pk=plan.pk).title == "COPD plan"
