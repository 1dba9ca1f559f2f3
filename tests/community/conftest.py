import pytest

from carecoord.core.choices import Role

from ..factories import OrganizationFactory, PatientFactory, make_actor
from .factories import AgencyFactory, ServiceFactory, offered_at


@pytest.fixture
def patient(org):
    return PatientFactory(
        organization=org, given_name="Rosa", family_name="Delgado", postal_code="60614", phone_primary="+13125550142"
    )


@pytest.fixture
def pantry_org(db):
    """A food pantry that uses CareCoord itself."""
    return OrganizationFactory(name="Northside Food Pantry", slug="northside-pantry", kind="government_program")


@pytest.fixture
def pantry_actor(pantry_org):
    return make_actor(pantry_org, Role.COORDINATOR)


@pytest.fixture
def pantry_service(org, pantry_org):
    """The clinic's directory entry for the pantry, linked to the pantry's CareCoord organization."""
    agency = AgencyFactory(organization=org, name="Northside Food Pantry", linked_organization=pantry_org)
    service = ServiceFactory(agency=agency, name="Weekly groceries", needs=",food-insecurity,", languages=",en,es,")
    offered_at(service, postal_code="60614", latitude=41.9227, longitude=-87.6533)
    return service
