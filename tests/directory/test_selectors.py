"""Directory reads: name-prefix search, NPI lookup, filters, and lookups by public id."""

import uuid

import pytest

from carecoord.core.errors import NotFoundError
from carecoord.directory import selectors
from tests.factories import ExternalOrganizationFactory, LocationFactory, PractitionerFactory

from .helpers import CMS_EXAMPLE_NPI


def names(queryset) -> list[str]:
    return [f"{p.given_name} {p.family_name}" for p in queryset]


@pytest.fixture
def people(actor):
    org = actor.organization
    return [
        PractitionerFactory(organization=org, given_name="John", family_name="Smith", languages=["en"]),
        PractitionerFactory(organization=org, given_name="Joan", family_name="de la Cruz", languages=["es", "en"]),
        PractitionerFactory(organization=org, given_name="Amir", family_name="Haddad-Nour", languages=["ase"],
                            accepting_new_patients=False, npi=CMS_EXAMPLE_NPI, specialty_code="225100000X"),
        PractitionerFactory(organization=org, given_name="Sam", family_name="Smithers", active=False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Joan de la Cruz", "Amir Haddad-Nour", "John Smith"]),
        ("smi", ["John Smith"]),
        ("jo", ["Joan de la Cruz", "John Smith"]),
        ("jo smi", ["John Smith"]),
        ("Smith, John", ["John Smith"]),
        ("cruz", ["Joan de la Cruz"]),
        ("nour", ["Amir Haddad-Nour"]),
        ("mith", []),
        ("123 456 7893", ["Amir Haddad-Nour"]),
        ("1234567890", []),
    ],
)
def test_search_matches_name_prefixes_or_an_npi(actor, people, query, expected):
    assert names(selectors.practitioners_for(actor, query=query)) == expected


def test_inactive_practitioners_only_when_asked(actor, people):
    assert "Sam Smithers" not in names(selectors.practitioners_for(actor, query="smi"))
    assert "Sam Smithers" in names(selectors.practitioners_for(actor, query="smi", active_only=False))


def test_filters(actor, people):
    assert names(selectors.practitioners_for(actor, language="es")) == ["Joan de la Cruz"]
    assert names(selectors.practitioners_for(actor, language="ase")) == ["Amir Haddad-Nour"]
    assert names(selectors.practitioners_for(actor, specialty="225100000X")) == ["Amir Haddad-Nour"]
    assert names(selectors.practitioners_for(actor, accepting=False)) == ["Amir Haddad-Nour"]
    assert len(selectors.practitioners_for(actor, accepting=True)) == 2


def test_by_external_organization(actor):
    clinic = ExternalOrganizationFactory(organization=actor.organization)
    worker = PractitionerFactory(organization=actor.organization, external_organization=clinic)
    PractitionerFactory(organization=actor.organization)
    site = LocationFactory(organization=actor.organization, external_organization=clinic)
    LocationFactory(organization=actor.organization)
    assert list(selectors.practitioners_for(actor, external_organization=clinic)) == [worker]
    assert list(selectors.locations_for(actor, external_organization=clinic)) == [site]


def test_organization_and_location_searches(actor):
    ExternalOrganizationFactory(organization=actor.organization, name="Northside Hospital", city="Evanston")
    ExternalOrganizationFactory(organization=actor.organization, name="Old Pharmacy", active=False)
    assert [o.name for o in selectors.external_organizations_for(actor, "hosp")] == ["Northside Hospital"]
    assert [o.name for o in selectors.external_organizations_for(actor, "evan")] == ["Northside Hospital"]
    assert not selectors.external_organizations_for(actor, "pharm").exists()
    assert selectors.external_organizations_for(actor, "pharm", active_only=False).exists()
    LocationFactory(organization=actor.organization, name="Elm Street Clinic", city="Chicago")
    assert [loc.name for loc in selectors.locations_for(actor, query="chic")] == ["Elm Street Clinic"]


def test_choices_keep_the_current_inactive_organization(actor):
    active = ExternalOrganizationFactory(organization=actor.organization, name="A")
    closed = ExternalOrganizationFactory(organization=actor.organization, name="B", active=False)
    assert list(selectors.external_organization_choices(actor)) == [active]
    assert list(selectors.external_organization_choices(actor, current=closed)) == [active, closed]


@pytest.mark.parametrize("public_id", [uuid.uuid4(), "not-a-uuid", ""])
def test_get_answers_not_found_for_unknown_ids(actor, public_id):
    for get in (selectors.practitioner_get, selectors.external_organization_get, selectors.location_get):
        with pytest.raises(NotFoundError):
            get(actor, public_id)


def test_get_finds_inactive_entries(actor):
    practitioner = PractitionerFactory(organization=actor.organization, active=False)
    assert selectors.practitioner_get(actor, practitioner.public_id) == practitioner
    assert selectors.practitioner_get(actor, str(practitioner.public_id)) == practitioner
