"""
A task added to a care plan with a due date before today is overdue the moment it is saved: the form and the
service refuse it with a precise message unless the person confirms ("Save anyway"), because backdating a
task that really fell due earlier is legitimate but a mistyped date is not.
"""

import datetime as dt
import html

import pytest
from django.urls import reverse

from carecoord.careplans import services
from carecoord.careplans.models import Task
from carecoord.core.errors import ValidationError
from tests.factories import PatientFactory

from .factories import CarePlanFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago, the test organization's zone
TODAY = dt.date(2026, 11, 26)
HTMX = {"HTTP_HX_REQUEST": "true"}
REFUSED = "The due date 11/20/2026 is before today (11/26/2026): the task will be overdue as soon as it is saved."
CONFIRM_LABEL = "This date is past: the task will be overdue. Save anyway."

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def plan(actor, org):
    patient = PatientFactory(organization=org)
    return CarePlanFactory(patient=patient, author=actor.user, title="Heart failure plan", start_date=TODAY)


def _task(**overrides) -> dict:
    return {"title": "Call about the scale", "kind": "call", "due_date": TODAY, "owner_role": "coordinator"} | overrides


def test_the_service_refuses_a_past_due_date_without_the_allow_flag(actor, plan):
    with pytest.raises(ValidationError) as refused:
        services.careplan_task_add(actor=actor, careplan=plan, **_task(due_date=dt.date(2026, 11, 20)))
    assert refused.value.field == "due_date"
    assert REFUSED in refused.value.message
    assert not Task.objects.filter(careplan=plan).exists()


def test_the_service_takes_today_and_a_confirmed_past_date(actor, plan):
    today = services.careplan_task_add(actor=actor, careplan=plan, **_task())
    backdated = services.careplan_task_add(
        actor=actor, careplan=plan, allow_past_due=True, **_task(title="Late", due_date=dt.date(2026, 11, 20))
    )
    assert today.due_date == TODAY
    assert backdated.due_date == dt.date(2026, 11, 20)


def test_system_tasks_keep_their_past_due_dates(actor, plan):
    # Jobs and feeds (a check-in already due, an escalation) create through task_create, which has no person to ask.
    task = services.task_create(
        actor=None,
        organization=plan.organization,
        patient=plan.patient,
        kind="call",
        title="Check in",
        due_date=dt.date(2026, 11, 1),
        owner_role="coordinator",
    )
    assert task.due_date == dt.date(2026, 11, 1)


def _post(**overrides) -> dict:
    data = {
        "task-title": "Call about the scale",
        "task-kind": "call",
        "task-priority": "routine",
        "task-due_date": "2026-11-20",
        "task-owner_role": "coordinator",
    }
    data.update({f"task-{k}": v for k, v in overrides.items()})
    return data


def test_the_form_asks_before_saving_a_past_due_date_then_saves_it_when_confirmed(actor, client_for, plan):
    client = client_for(actor)
    url = reverse("careplans:careplan_task_add", args=[plan.public_id])

    asked = client.post(url, _post(), **HTMX)
    page = html.unescape(asked.content.decode())
    assert REFUSED in page
    assert CONFIRM_LABEL in page
    assert not Task.objects.filter(careplan=plan).exists()

    saved = client.post(url, _post(confirm_past_due="on"), **HTMX)
    page = html.unescape(saved.content.decode())
    assert "Task added: Call about the scale (due 11/20/2026, so already overdue)" in page
    assert Task.objects.get(careplan=plan).due_date == dt.date(2026, 11, 20)


def test_the_form_does_not_ask_for_today_or_later(actor, client_for, plan):
    client = client_for(actor)
    url = reverse("careplans:careplan_task_add", args=[plan.public_id])
    saved = client.post(url, _post(due_date="2026-11-26"), **HTMX)
    page = html.unescape(saved.content.decode())
    assert "Task added: Call about the scale" in page
    assert "already overdue" not in page
    assert CONFIRM_LABEL not in page
    assert Task.objects.get(careplan=plan).due_date == TODAY
