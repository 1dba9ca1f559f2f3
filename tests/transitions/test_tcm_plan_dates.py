"""
The TCM care plan takes its due dates from the episode's deadlines (one source of truth): the contact counts 2
business days (Thanksgiving 2026 is Thursday November 26), the visit and medication reconciliation 14 calendar
days at moderate complexity (7 at high), the readmission watch the 30 days beginning on the discharge day.
Other templates keep counting days from the plan's start.
"""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.builtin import sync_builtin_templates
from carecoord.careplans.models import CarePlanTemplate, Goal, Task
from carecoord.careplans.services import careplan_template_apply
from carecoord.core.choices import Role
from carecoord.transitions import services

from ..factories import make_actor
from .tcm_setup import PLAN_TITLES, apply_tcm, at, discharge

WEDNESDAY = dt.date(2026, 11, 25)
GOALS = {
    "contact": "Interactive contact with the patient or caregiver within 2 business days of discharge.",
    "med_rec": "Medications reconciled no later than the face-to-face visit.",
    "visit": "Face-to-face visit within 7 days (high complexity) or 14 days (moderate complexity).",
    "readmission": "No unplanned readmission within 30 days of discharge.",
}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(2026, 11, 25, 18, 0), tick=False):
        yield


def discharge_wednesday(org, patient, hospital):
    return discharge(org, patient, hospital, when=at(2026, 11, 25, 11), admitted_at=at(2026, 11, 23, 9))


def task_due(plan, key) -> dt.date:
    return Task.objects.get(careplan=plan, title=PLAN_TITLES[key]).due_date


def goal_due(plan, key) -> dt.date:
    return Goal.objects.get(careplan=plan, description=GOALS[key]).due_date


def test_a_tcm_plan_applied_during_an_episode_takes_the_episodes_deadlines(org, patient, hospital):
    episode = discharge_wednesday(org, patient, hospital)
    assert (episode.contact_due, episode.visit_due, episode.window_end) == (
        dt.date(2026, 11, 30), dt.date(2026, 12, 9), dt.date(2026, 12, 24),
    )  # fmt: skip
    plan = apply_tcm(org, patient, WEDNESDAY)
    assert task_due(plan, "contact") == goal_due(plan, "contact") == dt.date(2026, 11, 30)
    assert task_due(plan, "med_rec") == goal_due(plan, "med_rec") == dt.date(2026, 12, 9)
    assert task_due(plan, "visit") == goal_due(plan, "visit") == dt.date(2026, 12, 9)
    assert goal_due(plan, "readmission") == dt.date(2026, 12, 24)


def test_a_tcm_plan_made_before_the_discharge_follows_the_episode(org, patient, hospital):
    plan = apply_tcm(org, patient, dt.date(2026, 11, 24))  # planned for the expected discharge day
    assert task_due(plan, "contact") == dt.date(2026, 11, 26)  # calendar days, Thanksgiving included
    discharge_wednesday(org, patient, hospital)
    assert task_due(plan, "contact") == goal_due(plan, "contact") == dt.date(2026, 11, 30)
    assert task_due(plan, "med_rec") == goal_due(plan, "med_rec") == dt.date(2026, 12, 9)
    assert task_due(plan, "visit") == goal_due(plan, "visit") == dt.date(2026, 12, 9)
    assert goal_due(plan, "readmission") == dt.date(2026, 12, 24)


def test_a_higher_complexity_moves_the_plans_visit_task_and_goal(org, actor, patient, hospital):
    episode = discharge_wednesday(org, patient, hospital)
    plan = apply_tcm(org, patient, WEDNESDAY)
    services.episode_set_complexity(actor=actor, episode=episode, complexity="high", expected_version=episode.version)
    assert task_due(plan, "visit") == goal_due(plan, "visit") == dt.date(2026, 12, 2)
    assert task_due(plan, "med_rec") == goal_due(plan, "med_rec") == dt.date(2026, 12, 2)
    assert task_due(plan, "contact") == dt.date(2026, 11, 30)


def test_another_template_keeps_counting_from_the_plans_start(org, patient, hospital):
    discharge_wednesday(org, patient, hospital)
    sync_builtin_templates()
    template = CarePlanTemplate.objects.get(organization=None, key="type-2-diabetes")
    plan = careplan_template_apply(
        actor=make_actor(org, Role.PROVIDER), patient=patient, template=template, start_date=WEDNESDAY
    )
    for task in Task.objects.filter(careplan=plan).select_related():
        template_task = template.tasks.get(title=task.title)
        assert task.due_date == WEDNESDAY + dt.timedelta(days=template_task.offset_days)
    for goal in Goal.objects.filter(careplan=plan):
        offset = template.goals.get(description=goal.description).due_offset_days
        assert goal.due_date == (WEDNESDAY + dt.timedelta(days=offset) if offset is not None else None)


def test_without_an_open_episode_the_tcm_plan_counts_days_from_its_start(org, patient):
    plan = apply_tcm(org, patient, WEDNESDAY)
    assert task_due(plan, "contact") == dt.date(2026, 11, 27)
    assert goal_due(plan, "readmission") == dt.date(2026, 12, 24)
