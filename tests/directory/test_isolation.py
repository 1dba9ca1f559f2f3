"""
Tenant isolation of the directory: each organization sees and edits only its own entries. Every directory
URL with another organization's id answers 404 and shows none of its names; lists, searches and pickers
never include another organization's entries; services refuse them.
"""

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.directory import selectors, services
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from tests.factories import ExternalOrganizationFactory, LocationFactory, PractitionerFactory, make_actor

from .helpers import CMS_EXAMPLE_NPI, practitioner_data

THEIR_NAMES = ["Ozymandias", "Varga", "Riverside Secret Pharmacy", "Hidden Annex", CMS_EXAMPLE_NPI, "Quillfeather"]


@pytest.fixture
def theirs(other_org):
    """Another organization's directory, with names that must never reach our pages."""
    pharmacy = ExternalOrganizationFactory(
        organization=other_org, name="Riverside Secret Pharmacy", city="Quillfeather"
    )
    return {
        "practitioner": PractitionerFactory(organization=other_org, given_name="Ozymandias", family_name="Varga",
                                            npi=CMS_EXAMPLE_NPI, languages=["es"], external_organization=pharmacy),
        "organization": pharmacy,
        "location": LocationFactory(organization=other_org, name="Hidden Annex", city="Quillfeather",
                                    external_organization=pharmacy),
    }  # fmt: skip


def directory_url_names_with_ids() -> list[str]:
    resolver = get_resolver().namespace_dict["directory"][1]
    return sorted(
        f"directory:{pattern.name}" for pattern in resolver.url_patterns if "public_id" in pattern.pattern.converters
    )


def entity_of(url_name: str) -> str:
    return url_name.split(":")[1].split("_")[0]


def snapshot(org) -> list:
    return [sorted(map(str, model.objects.filter(organization=org).values()))
            for model in (Practitioner, ExternalOrganization, Location)]  # fmt: skip


def assert_shows_none_of_theirs(body: str, where: str, echoed: str = "") -> None:
    leaked = [name for name in THEIR_NAMES if name.lower() in body.lower() and name.lower() not in echoed.lower()]
    assert not leaked, f"{where} shows another organization's directory: {leaked}"


def test_the_matrix_covers_every_directory_url_with_an_id():
    names = directory_url_names_with_ids()
    assert {entity_of(name) for name in names} == {"practitioner", "organization", "location"}
    assert len(names) >= 8


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_ids_answer_404_everywhere(actor, client_for, theirs, other_org, method):
    before = snapshot(other_org)
    client = client_for(actor)
    for name in directory_url_names_with_ids():
        url = reverse(name, args=[theirs[entity_of(name)].public_id])
        payload = {"given_name": "Hijacked", "name": "Hijacked", "version": "1"} if method == "post" else {}
        response = getattr(client, method)(url, payload)
        assert response.status_code in (404, 405), f"{method.upper()} {url} answered {response.status_code}"
        assert_shows_none_of_theirs(response.content.decode(), f"{method.upper()} {url}")
    assert snapshot(other_org) == before, "another organization's directory changed"


def test_a_reader_gets_404_not_403_for_another_organizations_ids(org, client_for, theirs):
    client = client_for(make_actor(org, Role.PROVIDER))
    for name in directory_url_names_with_ids():
        response = client.get(reverse(name, args=[theirs[entity_of(name)].public_id]))
        assert response.status_code in (404, 405), name


def test_anonymous_callers_are_sent_to_sign_in(theirs):
    client = Client()
    for name in directory_url_names_with_ids():
        response = client.get(reverse(name, args=[theirs[entity_of(name)].public_id]))
        assert response.status_code in (302, 405)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("query", ["", "Ozy", "varga", CMS_EXAMPLE_NPI, "Riverside", "Secret", "Hidden", "Quill"])
def test_lists_and_searches_never_show_another_organizations_entries(actor, client_for, theirs, query):
    PractitionerFactory(organization=actor.organization, given_name="Ours", family_name="Lakeside")
    client = client_for(actor)
    for url_name in ("directory:practitioner_list", "directory:organization_list", "directory:location_list"):
        for params in ({"q": query}, {"q": query, "inactive": "on"}, {"q": query, "language": "es"}):
            response = client.get(reverse(url_name), params)
            assert response.status_code == 200
            assert_shows_none_of_theirs(response.content.decode(), f"{url_name}?{params}", echoed=query)


def test_selectors_are_scoped_to_the_actors_organization(actor, theirs):
    ours = PractitionerFactory(organization=actor.organization, npi=CMS_EXAMPLE_NPI, languages=["es"])
    assert list(selectors.practitioners_for(actor, active_only=False)) == [ours]
    assert list(selectors.practitioners_for(actor, query=CMS_EXAMPLE_NPI)) == [ours]
    assert list(selectors.practitioners_for(actor, language="es")) == [ours]
    assert not selectors.external_organizations_for(actor, active_only=False).exists()
    assert not selectors.locations_for(actor, active_only=False).exists()
    assert not selectors.external_organization_choices(actor, current=theirs["organization"]).exists()
    getters = {"practitioner": selectors.practitioner_get, "organization": selectors.external_organization_get,
               "location": selectors.location_get}  # fmt: skip
    for entity, get in getters.items():
        with pytest.raises(NotFoundError):
            get(actor, theirs[entity].public_id)


def test_nobody_acting_for_no_organization_sees_anything(theirs):
    assert not selectors.practitioners_for(None).exists()
    assert not selectors.external_organizations_for(None).exists()
    assert not selectors.locations_for(None).exists()
    with pytest.raises(NotFoundError):
        selectors.practitioner_get(None, theirs["practitioner"].public_id)


def test_pickers_offer_only_our_organizations(actor, client_for, theirs):
    ExternalOrganizationFactory(organization=actor.organization, name="Our Partner Clinic")
    client = client_for(actor)
    for url_name in ("directory:practitioner_create", "directory:location_create"):
        page = client.get(reverse(url_name)).content.decode()
        assert "Our Partner Clinic" in page
        assert_shows_none_of_theirs(page, url_name)


def test_posting_another_organizations_entry_as_a_choice_is_refused(actor, client_for, theirs):
    data = {"given_name": "Maria", "family_name": "Lopez", "external_organization": theirs["organization"].pk}
    response = client_for(actor).post(reverse("directory:practitioner_create"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Practitioner.objects.filter(organization=actor.organization).exists()


def test_services_refuse_another_organizations_entries(actor, theirs):
    calls = [
        lambda: services.practitioner_update(actor=actor, practitioner=theirs["practitioner"],
                                             data={"given_name": "X"}, expected_version=1),
        lambda: services.practitioner_deactivate(actor=actor, practitioner=theirs["practitioner"]),
        lambda: services.practitioner_reactivate(actor=actor, practitioner=theirs["practitioner"]),
        lambda: services.external_organization_update(actor=actor, organization=theirs["organization"],
                                                      data={"name": "X"}, expected_version=1),
        lambda: services.location_update(actor=actor, location=theirs["location"], data={"name": "X"},
                                         expected_version=1),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(NotFoundError):
            call()
    # Their NPI does not block ours: NPIs are unique per organization.
    assert services.practitioner_create(actor=actor, data=practitioner_data()).npi == CMS_EXAMPLE_NPI
