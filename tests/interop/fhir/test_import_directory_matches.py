"""
An import's directory entries (Practitioner, Organization) are matched against the directory on file with one
query per Bundle and type (resources/_directory.prefetch_matches) instead of one per entry, with the same
answers: by NPI, else by name (a practitioner's exactly, an organization's name and city case-insensitively),
an entry matching one the Bundle created earlier is not created again, and what is on file is found.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.core.choices import Role
from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.bundle import process_bundle

from ...factories import OrganizationFactory, make_actor

pytestmark = pytest.mark.django_db


def _practitioner(family: str, given: str) -> dict:
    return {"resourceType": "Practitioner", "name": [{"family": family, "given": [given]}]}


def _organization(name: str, city: str) -> dict:
    return {"resourceType": "Organization", "name": name, "address": [{"city": city, "state": "MA"}]}


def _import(organization, resources: list[dict]):
    caller = Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": r, "request": {"method": "POST", "url": r["resourceType"]}} for r in resources],
    }
    with CaptureQueriesContext(connection) as captured:
        body = process_bundle(caller, bundle, "urn:test/", lenient=True).body
    statuses = [entry["response"]["status"] for entry in body["entry"]]
    locations = [entry["response"].get("location", "").split("/_history")[0] for entry in body["entry"]]
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return statuses, locations, selects


def test_practitioners_match_by_name_within_the_bundle_and_on_file():
    organization = OrganizationFactory(slug="match-practitioners")
    resources = [_practitioner("Osler", "William"), _practitioner("Osler", "William"), _practitioner("Osler", "W")]
    statuses, locations, _ = _import(organization, resources)
    assert statuses == ["201 Created", "200 OK", "201 Created"]
    assert locations[1] == locations[0] != locations[2]
    again, again_locations, _ = _import(organization, [_practitioner("Osler", "W"), _practitioner("osler", "W")])
    assert again == ["200 OK", "201 Created"]  # a practitioner's name matches exactly
    assert again_locations[0] == locations[2]
    assert Practitioner.objects.filter(organization=organization).count() == 3


def test_organizations_match_name_and_city_case_insensitively():
    organization = OrganizationFactory(slug="match-organizations")
    statuses, locations, _ = _import(
        organization,
        [
            _organization("Leominster Hospital", "Leominster"),
            _organization("LEOMINSTER HOSPITAL", "LEOMINSTER"),
            _organization("Leominster Hospital", "Worcester"),
        ],
    )
    assert statuses == ["201 Created", "200 OK", "201 Created"]
    assert locations[1] == locations[0] != locations[2]
    again, again_locations, _ = _import(organization, [_organization("leominster hospital", "worcester")])
    assert again == ["200 OK"]
    assert again_locations[0] == locations[2]
    assert ExternalOrganization.objects.filter(organization=organization).count() == 2


def test_more_directory_entries_read_the_directory_no_more_often():
    def selects(slug: str, count: int) -> int:
        resources = [_practitioner(f"Family{n}", "Given") for n in range(count)]
        resources += [_organization(f"Clinic {n}", "Boston") for n in range(count)]
        statuses, _, found = _import(OrganizationFactory(slug=slug), resources)
        assert statuses == ["201 Created"] * (2 * count)
        return len([sql for sql in found if "directory_" in sql and "INSERT" not in sql.upper()])

    assert selects("match-few", 2) == selects("match-many", 8)
