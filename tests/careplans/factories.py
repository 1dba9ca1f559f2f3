"""Factories for care plans, goals and tasks."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from carecoord.careplans.models import CarePlan, Goal, Task

from ..factories import PatientFactory, UserFactory


class CarePlanFactory(DjangoModelFactory):
    class Meta:
        model = CarePlan

    patient = factory.SubFactory(PatientFactory)
    organization = factory.SelfAttribute("patient.organization")
    title = "Diabetes care plan"
    category = "chronic"
    status = "active"
    start_date = dt.date(2026, 1, 5)
    author = factory.SubFactory(UserFactory)


class GoalFactory(DjangoModelFactory):
    class Meta:
        model = Goal

    careplan = factory.SubFactory(CarePlanFactory)
    patient = factory.SelfAttribute("careplan.patient")
    organization = factory.SelfAttribute("careplan.organization")
    description = "HbA1c below 7 %"
    start_date = dt.date(2026, 1, 5)


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    patient = factory.SubFactory(PatientFactory)
    organization = factory.SelfAttribute("patient.organization")
    kind = "call"
    title = factory.Sequence(lambda n: f"Call the patient #{n}")
    due_date = dt.date(2026, 11, 26)
