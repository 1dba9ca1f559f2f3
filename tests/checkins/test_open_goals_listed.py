"""`open_goals_listed`: the compiled statement gives the ORM's goals, in its order, and reads them afresh each call."""

import datetime as dt

import pytest

from carecoord.careplans.choices import GoalLifecycleStatus
from carecoord.checkins.progress_selectors import open_goals_listed, open_goals_of_checked_patient
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.factories import OrganizationFactory, PatientFactory, make_actor

pytestmark = pytest.mark.django_db


def test_the_listed_goals_are_the_orms_in_its_order_and_a_closed_goal_leaves_the_next_call(actor, patient, plan):
    late = GoalFactory(careplan=plan, description="Walk daily", due_date=dt.date(2027, 3, 1))
    early = GoalFactory(careplan=plan, description="Weigh weekly", due_date=dt.date(2027, 1, 1))
    GoalFactory(careplan=plan, description="Done", lifecycle_status=GoalLifecycleStatus.COMPLETED)
    other_patient = PatientFactory(organization=patient.organization)
    GoalFactory(careplan=CarePlanFactory(patient=other_patient, author=actor.user), description="Not theirs")
    elsewhere = OrganizationFactory()
    outside_plan = CarePlanFactory(patient=patient, organization=elsewhere, author=make_actor(elsewhere).user)
    GoalFactory(careplan=outside_plan, description="Another organization's plan")

    listed = open_goals_listed(actor, patient)

    assert listed == list(open_goals_of_checked_patient(actor, patient))
    assert [goal.pk for goal in listed] == [early.pk, late.pk]
    assert listed[0].careplan == plan  # read with its care plan, as the ORM's select_related

    early.lifecycle_status = GoalLifecycleStatus.CANCELLED
    early.save()
    assert [goal.pk for goal in open_goals_listed(actor, patient)] == [late.pk]


def test_each_patient_gets_their_own_goals_from_the_same_statement(actor, patient, plan):
    mine = GoalFactory(careplan=plan)
    neighbour = PatientFactory(organization=patient.organization)
    theirs = GoalFactory(careplan=CarePlanFactory(patient=neighbour, author=actor.user))

    assert open_goals_listed(actor, patient) == [mine]
    assert open_goals_listed(actor, neighbour) == [theirs]
