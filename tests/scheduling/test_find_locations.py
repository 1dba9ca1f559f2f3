"""
The find-a-slot page's Location filter offers every place a result can be at: the organization's own sites
and the partner (outside) sites where its practitioners keep hours, grouped as such; never another tenant's.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from ..factories import ExternalOrganizationFactory, LocationFactory, OrganizationFactory, PractitionerFactory
from .factories import AppointmentTypeFactory, weekly_hours

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday
MONDAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sites(org):
    """Dr Ames at the clinic's own site, Dr Brook at a partner's site, both offering one visit type."""
    kind = AppointmentTypeFactory(organization=org, name="Follow-up")
    own = LocationFactory(organization=org, name="Harbor Clinic")
    partner_org = ExternalOrganizationFactory(organization=org, name="Lakeview Health")
    partner = LocationFactory(organization=org, name="Lakeview Annex", external_organization=partner_org)
    weekly_hours(PractitionerFactory(organization=org, family_name="Ames"), own, [kind])
    weekly_hours(PractitionerFactory(organization=org, family_name="Brook"), partner, [kind])
    return kind, own, partner


def find(client, kind, **extra):
    day = MONDAY.isoformat()
    params = {"appointment_type": str(kind.public_id), "first_day": day, "last_day": day}
    return client.get(reverse("scheduling:find"), {**params, **extra})


def places(response) -> set[str]:
    search = response.context["search"]
    return {row.location.name for group in search.days for row in group.rows}


def test_a_partner_site_in_the_results_can_be_chosen_as_the_location(sites, actor, client_for):
    kind, own, partner = sites
    client = client_for(actor)
    assert places(find(client, kind)) == {"Harbor Clinic", "Lakeview Annex"}  # Any location
    response = find(client, kind, location=str(partner.public_id))
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    assert places(response) == {"Lakeview Annex"}
    assert places(find(client, kind, location=str(own.public_id))) == {"Harbor Clinic"}


def test_the_location_choices_are_grouped_our_sites_then_partner_sites(sites, actor, client_for):
    kind, _own, _partner = sites
    page = find(client_for(actor), kind).content.decode()
    select = page[page.index('name="location"') : page.index("</select>", page.index('name="location"'))]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    assert [(label, re.findall(r">([^<]+)</option>", body)) for label, body in groups] == [
        ("Our sites", ["Harbor Clinic"]),
        ("Partner sites", ["Lakeview Annex (Lakeview Health)"]),
    ]
    assert ">Any location</option>" in select


def test_another_tenants_site_is_neither_offered_nor_accepted(sites, actor, client_for):
    kind, _own, _partner = sites
    elsewhere = LocationFactory(organization=OrganizationFactory(name="Elsewhere"), name="Elsewhere Site")
    response = find(client_for(actor), kind, location=str(elsewhere.public_id))
    assert "Elsewhere Site" not in response.content.decode()
    assert "location" in response.context["form"].errors
    assert response.context["search"] is None


def test_with_only_our_own_sites_the_choices_stay_a_plain_list(org, actor, client_for):
    kind = AppointmentTypeFactory(organization=org)
    weekly_hours(PractitionerFactory(organization=org), LocationFactory(organization=org, name="Harbor Clinic"), [kind])
    page = find(client_for(actor), kind).content.decode()
    select = page[page.index('name="location"') : page.index("</select>", page.index('name="location"'))]
    assert "<optgroup" not in select
    assert ">Harbor Clinic</option>" in select
