"""The directory pages through the test client: lists and search, forms with errors, saves and permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from tests.factories import ExternalOrganizationFactory, LocationFactory, PractitionerFactory, make_actor

from .helpers import CMS_EXAMPLE_NPI, assert_accessible_page, valid_npi

HOURS_CLOSED = {
    f"{day}_{part}": "" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for part in ("open", "close")
}


def practitioner_form(**overrides) -> dict:
    data = {
        "given_name": "Maria", "family_name": "Lopez", "suffix": "MD", "npi": CMS_EXAMPLE_NPI,
        "specialty": "207RC0000X", "languages": ["en", "es"], "accepting_new_patients": "on",
        "phone": "(312) 555-0100", "email": "maria@example.org",
    }  # fmt: skip
    data.update(overrides)
    return data


def location_form(**overrides) -> dict:
    data = {"name": "Elm Street Clinic", "address_line": "12 Elm St", "city": "Chicago", "state": "IL",
            "postal_code": "60601", **HOURS_CLOSED}  # fmt: skip
    data.update(mon_open="08:00", mon_close="17:00", sun_closed="on")
    data.update(overrides)
    return data


@pytest.fixture
def client(actor, client_for):
    return client_for(actor)


def html(response) -> str:
    return response.content.decode()


# --- lists ----------------------------------------------------------------------------------------------


class TestPractitionerList:
    def test_lists_the_directory_with_the_nav_and_tabs_highlighted(self, actor, client):
        PractitionerFactory(organization=actor.organization, given_name="Maria", family_name="Lopez")
        response = client.get(reverse("directory:practitioner_list"))
        assert response.status_code == 200
        page = html(response)
        assert "Maria Lopez" in page
        assert f'href="{reverse("directory:practitioner_list")}" aria-current="page">Directory' in page
        assert f'href="{reverse("directory:practitioner_list")}" aria-current="page">Practitioners' in page
        assert_accessible_page(page)

    def test_searches_by_name_prefix(self, actor, client):
        PractitionerFactory(organization=actor.organization, given_name="Maria", family_name="Lopez")
        PractitionerFactory(organization=actor.organization, given_name="John", family_name="Okafor")
        page = html(client.get(reverse("directory:practitioner_list"), {"q": "lop"}))
        assert "Maria Lopez" in page
        assert "John Okafor" not in page

    def test_filters_by_specialty_language_and_accepting(self, actor, client):
        org = actor.organization
        PractitionerFactory(organization=org, given_name="Cara", family_name="Heart", specialty_code="207RC0000X",
                            specialty_display="Cardiology", languages=["en", "es"])  # fmt: skip
        PractitionerFactory(organization=org, given_name="Fred", family_name="Family", languages=["en"])
        PractitionerFactory(organization=org, given_name="Nora", family_name="Closed", accepting_new_patients=False)
        url = reverse("directory:practitioner_list")
        assert "Cara Heart" in html(client.get(url, {"specialty": "207RC0000X"}))
        assert "Fred Family" not in html(client.get(url, {"specialty": "207RC0000X"}))
        speaks_spanish = html(client.get(url, {"language": "es"}))
        assert "Cara Heart" in speaks_spanish
        assert "Fred Family" not in speaks_spanish
        assert "Nora Closed" not in html(client.get(url, {"accepting": "yes"}))
        assert "Nora Closed" in html(client.get(url, {"accepting": "no"}))

    def test_inactive_practitioners_show_only_when_asked(self, actor, client):
        PractitionerFactory(organization=actor.organization, given_name="Gone", family_name="Away", active=False)
        url = reverse("directory:practitioner_list")
        assert "Gone Away" not in html(client.get(url))
        assert "Gone Away" in html(client.get(url, {"inactive": "on"}))

    def test_an_htmx_search_answers_only_the_results(self, actor, client):
        PractitionerFactory(organization=actor.organization, given_name="Maria", family_name="Lopez")
        response = client.get(reverse("directory:practitioner_list"), {"q": "mar"}, headers={"HX-Request": "true"})
        page = html(response)
        assert response.status_code == 200
        assert page.lstrip().startswith('<div id="results">')
        assert "Maria Lopez" in page
        assert "<html" not in page
        assert "HX-Request" in response["Vary"]

    def test_pages_through_long_lists(self, actor, client):
        for n in range(30):
            PractitionerFactory(organization=actor.organization, family_name=f"Zed{n:02d}", given_name="A")
        url = reverse("directory:practitioner_list")
        first, second = html(client.get(url, {"q": "zed"})), html(client.get(url, {"q": "zed", "page": 2}))
        assert "Zed00" in first
        assert "Zed29" not in first
        assert "Zed29" in second
        assert "Page 2 of 2" in second
        assert "q=zed&amp;page=1" in second

    def test_readers_see_no_add_button(self, org, client_for):
        response = client_for(make_actor(org, Role.PROVIDER)).get(reverse("directory:practitioner_list"))
        assert response.status_code == 200
        assert "Add practitioner" not in html(response)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _entries(org, url_name: str) -> None:
    """One more entry for the list at `url_name`, linked to an external organization where it can be."""
    partner = ExternalOrganizationFactory(organization=org)
    if url_name == "directory:practitioner_list":
        PractitionerFactory(organization=org, external_organization=partner)
    elif url_name == "directory:location_list":
        LocationFactory(organization=org, external_organization=partner)


@pytest.mark.parametrize(
    "url_name", ["directory:practitioner_list", "directory:organization_list", "directory:location_list"]
)
def test_list_queries_do_not_grow_with_rows(actor, client, url_name):
    url = reverse(url_name)
    _entries(actor.organization, url_name)
    few = queries_for(client, url)
    for _ in range(12):
        _entries(actor.organization, url_name)
    assert queries_for(client, url) == few


def test_organization_and_location_lists_search(actor, client):
    ExternalOrganizationFactory(organization=actor.organization, name="Lakeshore Pharmacy", kind="pharmacy")
    ExternalOrganizationFactory(organization=actor.organization, name="Northside Hospital", kind="hospital")
    LocationFactory(organization=actor.organization, name="Elm Street Clinic", city="Chicago")
    LocationFactory(organization=actor.organization, name="Oak Annex", city="Evanston")
    organizations = html(client.get(reverse("directory:organization_list"), {"q": "pharm"}))
    assert "Lakeshore Pharmacy" in organizations
    assert "Northside Hospital" not in organizations
    assert "Northside Hospital" in html(client.get(reverse("directory:organization_list"), {"kind": "hospital"}))
    locations = html(client.get(reverse("directory:location_list"), {"q": "evans"}))
    assert "Oak Annex" in locations
    assert "Elm Street Clinic" not in locations
    assert_accessible_page(locations)


# --- practitioners: create, edit, deactivate ------------------------------------------------------------


class TestPractitionerCreate:
    def test_the_form_is_accessible(self, client):
        response = client.get(reverse("directory:practitioner_create"))
        assert response.status_code == 200
        assert_accessible_page(html(response))

    def test_saves_and_redirects_to_the_practitioner(self, client):
        response = client.post(reverse("directory:practitioner_create"), practitioner_form())
        practitioner = Practitioner.objects.get()
        assert response.status_code == 302
        assert response["Location"] == practitioner.get_absolute_url()
        assert practitioner.specialty_display == "Internal Medicine, Cardiovascular Disease"
        assert practitioner.languages == ["en", "es"]
        page = html(client.get(response["Location"]))
        assert "Maria Lopez, MD was added to the directory." in page
        assert "English, Spanish" in page
        assert "(312) 555-0100" in page
        assert_accessible_page(page)

    def test_a_bad_npi_re_renders_the_form_with_the_reason(self, client):
        response = client.post(reverse("directory:practitioner_create"), practitioner_form(npi="1234567890"))
        assert response.status_code == 200
        page = html(response)
        assert "1234567890 fails the NPI check digit" in page
        assert 'value="Lopez"' in page, "the user's input is kept"
        assert not Practitioner.objects.exists()
        assert_accessible_page(page)

    def test_a_nine_digit_npi_re_renders_the_form(self, client):
        response = client.post(reverse("directory:practitioner_create"), practitioner_form(npi="123456789"))
        assert response.status_code == 200
        assert "has 9" in html(response)

    def test_a_duplicate_npi_is_shown_as_a_conflict(self, actor, client):
        PractitionerFactory(organization=actor.organization, npi=CMS_EXAMPLE_NPI, given_name="Ann", family_name="Lee")
        response = client.post(reverse("directory:practitioner_create"), practitioner_form())
        assert response.status_code == 200
        assert "already belongs to Ann Lee" in html(response)

    def test_a_bad_phone_and_missing_name_are_shown(self, client):
        response = client.post(reverse("directory:practitioner_create"), practitioner_form(given_name=""))
        assert response.status_code == 200
        assert "This field is required." in html(response)
        response = client.post(reverse("directory:practitioner_create"), practitioner_form(phone="12"))
        assert "is not a valid phone number" in html(response) or "is not a phone number" in html(response)

    def test_another_nucc_code_with_its_name(self, client):
        form = practitioner_form(specialty="other", other_specialty_code="207ri0008x",
                                 other_specialty_display="Hepatology")  # fmt: skip
        assert client.post(reverse("directory:practitioner_create"), form).status_code == 302
        assert Practitioner.objects.get().specialty_code == "207RI0008X"

    def test_a_malformed_other_code_is_shown_next_to_it(self, client):
        form = practitioner_form(specialty="other", other_specialty_code="123", other_specialty_display="X")
        response = client.post(reverse("directory:practitioner_create"), form)
        assert response.status_code == 200
        assert 'id="id_other_specialty_code_error"' in html(response)

    def test_an_unlisted_code_without_a_name_is_shown(self, client):
        form = practitioner_form(specialty="other", other_specialty_code="207RI0008X")
        response = client.post(reverse("directory:practitioner_create"), form)
        assert response.status_code == 200
        assert 'id="id_other_specialty_display_error"' in html(response)

    @pytest.mark.parametrize("role", [Role.PROVIDER, Role.AUDITOR])
    def test_readers_may_not_add(self, org, client_for, role):
        client = client_for(make_actor(org, role))
        assert client.get(reverse("directory:practitioner_create")).status_code == 403
        assert client.post(reverse("directory:practitioner_create"), practitioner_form()).status_code == 403
        assert not Practitioner.objects.exists()


class TestPractitionerEdit:
    def test_the_form_is_prefilled_and_saves(self, actor, client):
        practitioner = PractitionerFactory(organization=actor.organization, given_name="Ann", family_name="Lee",
                                           npi=valid_npi(5), languages=["en", "vi"])  # fmt: skip
        url = reverse("directory:practitioner_edit", args=[practitioner.public_id])
        page = html(client.get(url))
        assert 'value="Ann"' in page
        assert 'name="version" value="1"' in page
        assert_accessible_page(page)
        form = practitioner_form(given_name="Anna", family_name="Lee", npi=valid_npi(5), version="1")
        response = client.post(url, form)
        assert response.status_code == 302
        practitioner.refresh_from_db()
        assert (practitioner.given_name, practitioner.version) == ("Anna", 2)

    def test_a_stale_edit_shows_the_conflict_and_keeps_the_other_change(self, actor, client):
        practitioner = PractitionerFactory(organization=actor.organization, given_name="Ann", family_name="Lee")
        url = reverse("directory:practitioner_edit", args=[practitioner.public_id])
        assert client.post(url, practitioner_form(given_name="First", npi="", version="1")).status_code == 302
        response = client.post(url, practitioner_form(given_name="Second", npi="", version="1"))
        assert response.status_code == 200
        assert "Someone else saved changes to this record" in html(response)
        practitioner.refresh_from_db()
        assert practitioner.given_name == "First"

    def test_an_edit_without_its_version_is_refused(self, actor, client):
        practitioner = PractitionerFactory(organization=actor.organization, given_name="Ann")
        response = client.post(reverse("directory:practitioner_edit", args=[practitioner.public_id]),
                               practitioner_form(npi=""))  # fmt: skip
        assert response.status_code == 200
        assert "This page is out of date" in html(response)
        practitioner.refresh_from_db()
        assert practitioner.given_name == "Ann"

    def test_an_unlisted_code_is_prefilled_as_other(self, actor, client):
        practitioner = PractitionerFactory(organization=actor.organization, specialty_code="207RI0008X",
                                           specialty_display="Hepatology")  # fmt: skip
        page = html(client.get(reverse("directory:practitioner_edit", args=[practitioner.public_id])))
        assert 'value="207RI0008X"' in page
        assert '<option value="other" selected>' in page

    def test_providers_may_not_edit(self, org, client_for):
        practitioner = PractitionerFactory(organization=org)
        client = client_for(make_actor(org, Role.PROVIDER))
        assert client.get(reverse("directory:practitioner_edit", args=[practitioner.public_id])).status_code == 403


def test_deactivate_and_reactivate_from_the_detail_page(actor, client):
    practitioner = PractitionerFactory(organization=actor.organization, given_name="Ann", family_name="Lee")
    detail = reverse("directory:practitioner_detail", args=[practitioner.public_id])
    assert "Deactivate" in html(client.get(detail))
    response = client.post(reverse("directory:practitioner_deactivate", args=[practitioner.public_id]))
    assert response.status_code == 302
    assert response["Location"] == detail
    page = html(client.get(detail))
    assert "is now inactive" in page
    assert "Reactivate" in page
    assert "Ann Lee" not in html(client.get(reverse("directory:practitioner_list")))
    client.post(reverse("directory:practitioner_reactivate", args=[practitioner.public_id]))
    practitioner.refresh_from_db()
    assert practitioner.active
    assert AuditEvent.objects.filter(event__startswith="practitioner.").count() == 2


def test_deactivate_answers_only_post(actor, client):
    practitioner = PractitionerFactory(organization=actor.organization)
    assert client.get(reverse("directory:practitioner_deactivate", args=[practitioner.public_id])).status_code == 405


# --- organizations --------------------------------------------------------------------------------------


class TestOrganizationPages:
    def test_create_with_errors_then_success(self, client):
        url = reverse("directory:organization_create")
        assert_accessible_page(html(client.get(url)))
        data = {"name": "Northside Home Health", "kind": "home_health", "phone": "312-555-0123",
                "postal_code": "606", "state": "IL"}  # fmt: skip
        response = client.post(url, data)
        assert response.status_code == 200
        assert "is not a ZIP code" in html(response)
        assert not ExternalOrganization.objects.exists()
        response = client.post(url, {**data, "postal_code": "60601"})
        organization = ExternalOrganization.objects.get()
        assert response["Location"] == organization.get_absolute_url()
        assert organization.phone == "+13125550123"

    def test_detail_lists_its_practitioners_and_locations(self, actor, client):
        organization = ExternalOrganizationFactory(organization=actor.organization, name="Northside Hospital")
        PractitionerFactory(organization=actor.organization, external_organization=organization, given_name="Ann",
                            family_name="Lee")  # fmt: skip
        LocationFactory(organization=actor.organization, external_organization=organization, name="North Tower")
        page = html(client.get(organization.get_absolute_url()))
        assert "Ann Lee" in page
        assert "North Tower" in page
        assert_accessible_page(page)

    def test_edit_saves_and_detects_stale_versions(self, actor, client):
        organization = ExternalOrganizationFactory(organization=actor.organization, name="Old Name")
        url = reverse("directory:organization_edit", args=[organization.public_id])
        assert_accessible_page(html(client.get(url)))
        data = {"name": "New Name", "kind": "clinic", "active": "on", "version": "1"}
        assert client.post(url, data).status_code == 302
        response = client.post(url, {**data, "name": "Stale"})
        assert response.status_code == 200
        assert "Someone else saved changes" in html(response)
        organization.refresh_from_db()
        assert (organization.name, organization.version) == ("New Name", 2)


# --- locations ------------------------------------------------------------------------------------------


class TestLocationPages:
    def test_create_with_hours(self, client):
        url = reverse("directory:location_create")
        assert_accessible_page(html(client.get(url)))
        response = client.post(url, location_form())
        location = Location.objects.get()
        assert response["Location"] == location.get_absolute_url()
        assert location.hours == {"mon": [["08:00", "17:00"]], "sun": []}
        page = html(client.get(location.get_absolute_url()))
        assert "8:00 AM to 5:00 PM" in page
        assert "Closed" in page
        assert_accessible_page(page)

    def test_closing_before_opening_is_shown_next_to_the_day(self, client):
        response = client.post(reverse("directory:location_create"), location_form(tue_open="17:00", tue_close="09:00"))
        assert response.status_code == 200
        page = html(response)
        assert "Tuesday: the closing time (09:00) must be after the opening time (17:00)." in page
        assert 'id="id_tue_close_error"' in page
        assert not Location.objects.exists()

    def test_one_time_without_the_other_is_shown(self, client):
        response = client.post(reverse("directory:location_create"), location_form(wed_open="09:00"))
        assert response.status_code == 200
        assert 'id="id_wed_close_error"' in html(response)

    def test_a_bad_zip_is_shown(self, client):
        response = client.post(reverse("directory:location_create"), location_form(postal_code="1234"))
        assert response.status_code == 200
        assert "is not a ZIP code" in html(response)

    def test_edit_is_prefilled_and_saves(self, actor, client):
        location = LocationFactory(organization=actor.organization, hours={"mon": [["09:00", "17:00"]], "sun": []})
        url = reverse("directory:location_edit", args=[location.public_id])
        page = html(client.get(url))
        assert 'name="mon_open" value="09:00"' in page
        assert 'name="sun_closed" id="id_sun_closed" checked' in page
        assert_accessible_page(page)
        data = location_form(name="Renamed", address_line=location.address_line, active="on", version="1")
        assert client.post(url, data).status_code == 302
        location.refresh_from_db()
        assert (location.name, location.hours["mon"]) == ("Renamed", [["08:00", "17:00"]])
