import pytest
from django.test import Client

from carecoord.core.choices import Role

from .factories import OrganizationFactory, make_actor


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Lakeside Clinic", slug="lakeside")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Riverside Hospital", slug="riverside", kind="hospital")


@pytest.fixture
def actor(org):
    """A coordinator at `org`."""
    return make_actor(org, Role.COORDINATOR)


@pytest.fixture
def other_actor(other_org):
    """A coordinator at `other_org`."""
    return make_actor(other_org, Role.COORDINATOR)


def signed_in_client(actor) -> Client:
    """A test client signed in as `actor` (their organization has two-factor off)."""
    client = Client()
    client.force_login(actor.user)
    session = client.session
    session["carecoord_active_org"] = actor.organization.pk
    session.save()
    return client


@pytest.fixture
def client_for():
    return signed_in_client
