import pytest

from ..factories import ExternalOrganizationFactory, PatientFactory


@pytest.fixture
def hospital(org):
    return ExternalOrganizationFactory(organization=org, name="Lakeside General", kind="hospital")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Ada", family_name="Byron")
