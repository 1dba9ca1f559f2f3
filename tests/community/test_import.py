"""HSDS 3.0 import: the specification's own JSON and CSV examples, idempotence by HSDS id, per-row errors."""

import json
from pathlib import Path

import pytest

from carecoord.community.importer import hsds_import_csv, hsds_import_json, needs_from_terms
from carecoord.community.models import Agency, CommunityService, ResourceLocation, ServiceAtLocation
from carecoord.core.errors import ValidationError

DATA = Path(__file__).resolve().parent.parent / "data" / "hsds"
ORG_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"


def csv_package() -> dict[str, str]:
    return {path.name: path.read_text() for path in (DATA / "csv").glob("*.csv")}


def test_the_specifications_organization_json_imports(actor):
    report = hsds_import_json(actor=actor, payload=json.loads((DATA / "organization_full.json").read_text()))
    agency = Agency.objects.get(organization=actor.organization, hsds_id=ORG_ID)
    service = CommunityService.objects.get(hsds_id=SERVICE_ID)
    assert (agency.name, service.agency, service.name) == ("Example Organization Inc.", agency, "Community Counselling")
    assert (service.minimum_age, service.maximum_age, service.status) == (12, 100, "active")
    assert service.language_list == ["ur"]
    assert service.hours[0]["opens_at"] == "10:00:00"
    assert service.hours[0]["byday"] == "TH,FR"
    assert service.cost_options[0]["option"] == "Under 18s and Over 60s"
    assert service.phone == "+44 1234 234567"
    # The example's location sits at latitude 100: reported, row by row, not imported.
    assert [(e.table, e.hsds_id) for e in report.errors] == [
        ("locations", "3a19ff88-4620-4d17-9830-ac1d859eb5d5"),
        ("service_at_location", "e94c9f38-1e8f-4564-91d4-d53501ab1765"),
    ]
    assert "not on Earth" in report.errors[0].message
    assert report.created == {"organizations": 1, "services": 1}


def test_importing_again_updates_instead_of_duplicating(actor):
    payload = json.loads((DATA / "organization_full.json").read_text())
    hsds_import_json(actor=actor, payload=payload)
    payload["services"][0]["name"] = "Community Counselling (renamed)"
    report = hsds_import_json(actor=actor, payload=payload)
    assert report.updated == {"organizations": 1, "services": 1}
    assert report.created == {}
    assert CommunityService.objects.get().name == "Community Counselling (renamed)"
    assert Agency.objects.count() == 1


def test_a_list_page_of_services_imports_under_a_known_organization(actor):
    hsds_import_json(actor=actor, payload=json.loads((DATA / "organization_full.json").read_text()))
    report = hsds_import_json(actor=actor, payload=json.loads((DATA / "service_list.json").read_text()))
    assert report.updated.get("services") == 1
    assert CommunityService.objects.count() == 1


def test_the_csv_package_imports_with_a_report_per_row(actor):
    report = hsds_import_csv(actor=actor, files=csv_package())
    service = CommunityService.objects.get(hsds_id=SERVICE_ID)
    assert service.agency.hsds_id == ORG_ID
    assert service.language_list == ["ur"]
    assert service.taxonomy_terms == []  # the example attribute links another record (link_id f28dd44b...)
    messages = [str(e) for e in report.errors]
    assert any(m.startswith("locations row 1 (3a19ff88") and "not on Earth" in m for m in messages)
    assert any(m.startswith("service_at_location row 1") for m in messages)
    again = hsds_import_csv(actor=actor, files=csv_package())
    assert again.created == {}
    assert again.updated["services"] == 1


def test_a_usable_package_links_services_to_located_places(actor):
    files = csv_package()
    files["locations.csv"] = files["locations.csv"].replace(",100,101,", ",41.9227,-87.6533,")
    files["addresses.csv"] = files["addresses.csv"].replace("ABC 1234", "60614")
    files["attributes.csv"] = (
        files["attributes.csv"]
        .replace("3f7b145d-84af-42d7-8fae-eaca714b02b2", "food-term")
        .replace("f28dd44b-0c4d-479f-8e90-4c52219a8b3c", SERVICE_ID)
    )
    files["taxonomy_terms.csv"] += "food-term,food-insecurity,Food pantry,,,,eng,,\n"
    report = hsds_import_csv(actor=actor, files=files)
    assert report.errors == []
    location = ResourceLocation.objects.get()
    assert (location.postal_code, location.latitude) == ("60614", 41.9227)
    assert ServiceAtLocation.objects.get().location == location
    assert CommunityService.objects.get().need_list == ["food-insecurity"]


def test_a_package_without_records_is_refused(actor):
    with pytest.raises(ValidationError, match=r"organizations\.csv"):
        hsds_import_csv(actor=actor, files={"phones.csv": "id,number\n"})


def test_a_bad_row_does_not_stop_the_others(actor):
    payload = [
        {"id": "a1", "name": "Good Pantry", "description": "x", "services": [
            {"id": "s1", "name": "Groceries", "status": "active"},
            {"id": "s2", "name": "Broken", "status": "open 24/7"},
        ]},
        "not an object",
    ]  # fmt: skip
    report = hsds_import_json(actor=actor, payload=payload)
    assert [str(e) for e in report.errors] == [
        "services row 2 (s2): Unknown service status “open 24/7”.",
        "json row 2 (no id): Not an HSDS object.",
    ]
    assert list(CommunityService.objects.values_list("name", flat=True)) == ["Groceries"]


def test_the_import_is_the_organizations_own(actor, other_actor):
    hsds_import_json(actor=actor, payload=json.loads((DATA / "organization_full.json").read_text()))
    hsds_import_json(actor=other_actor, payload=json.loads((DATA / "organization_full.json").read_text()))
    assert Agency.objects.filter(hsds_id=ORG_ID).count() == 2  # the same HSDS id in two directories


@pytest.mark.parametrize(
    ("terms", "needs"),
    [
        (["food-insecurity"], ["food-insecurity"]),
        (["Food Pantries"], ["food-insecurity"]),
        (["Emergency Shelter"], ["homelessness"]),
        (["Utility Assistance"], ["utility-insecurity"]),
        (["code", "name"], []),
    ],
)
def test_needs_from_taxonomy_terms(terms, needs):
    assert needs_from_terms(terms) == needs
