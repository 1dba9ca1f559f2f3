"""Shared check-in fixtures: a patient of the organization and a care plan of theirs (a module may define its own)."""

import pytest

from tests.careplans.factories import CarePlanFactory
from tests.factories import PatientFactory


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def plan(actor, patient):
    return CarePlanFactory(patient=patient, author=actor.user)
