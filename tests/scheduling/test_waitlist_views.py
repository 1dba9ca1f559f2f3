"""Waitlist pages through the test client: add, the list, accept/decline/remove with and without htmx."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.choices import WaitlistStatus as W
from carecoord.scheduling.models import Appointment, WaitlistEntry
from carecoord.scheduling.services import appointment_book

from ..factories import PatientFactory, make_actor
from .factories import clinic

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org, actor):
    practitioner, location, kind = clinic(org)
    patient = PatientFactory(organization=org, given_name="Ada", family_name="Byron")
    return {"practitioner": practitioner, "location": location, "kind": kind, "patient": patient}


def offered_entry(org, actor, world):
    """Ada waiting with her Dec 10 visit, offered Monday 10:00."""
    current = appointment_book(actor=actor, patient=world["patient"], practitioner=world["practitioner"],
                               location=world["location"], appointment_type=world["kind"],
                               start=dt.datetime(2026, 12, 10, 14, 0, tzinfo=CHICAGO))  # fmt: skip
    return WaitlistEntry.objects.create(
        organization=org, patient=world["patient"], appointment_type=world["kind"], current_appointment=current,
        earliest_date=dt.date(2026, 11, 30), latest_date=dt.date(2026, 12, 9), status=W.OFFERED,
        offered_start=MONDAY_10, offered_practitioner=world["practitioner"], offered_location=world["location"],
        offered_at=NOW, created_by=actor.user,
    )  # fmt: skip


def test_add_a_patient_and_see_the_waitlist(actor, client_for, world):
    client = client_for(actor)
    url = f"/patients/{world['patient'].public_id}/waitlist/add/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"appointment_type": str(world["kind"].public_id), "earliest_date": "2026-11-30", "latest_date": "2026-12-11"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/schedule/waitlist/"
    entry = WaitlistEntry.objects.get()
    assert entry.status == W.WAITING
    assert entry.latest_date == dt.date(2026, 12, 11)
    page = client.get("/schedule/waitlist/").content.decode()
    assert "Byron, Ada" in page
    assert "11/30/2026 – 12/11/2026" in page  # noqa: RUF001 -- the page shows an en dash
    assert "Waiting" in page


def test_add_shows_errors_inline(actor, client_for, world):
    url = f"/patients/{world['patient'].public_id}/waitlist/add/"
    response = client_for(actor).post(
        url,
        {"appointment_type": str(world["kind"].public_id), "earliest_date": "2026-12-11", "latest_date": "2026-11-30"},
    )
    assert response.status_code == 400
    assert "The window ends before it starts." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_accept_with_htmx_books_and_answers_the_row(org, actor, client_for, world):
    entry = offered_entry(org, actor, world)
    client = client_for(actor)
    assert "Accept and book" in client.get("/schedule/waitlist/").content.decode()
    response = client.post(f"/schedule/waitlist/{entry.public_id}/accept/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="waitlist-{entry.public_id}"' in body
    assert "Booked Byron, Ada on Mon 11/30/2026 10:00 AM" in body
    entry.refresh_from_db()
    assert entry.status == W.BOOKED
    assert entry.booked_appointment.start == MONDAY_10
    assert Appointment.objects.get(pk=entry.current_appointment_id).status == S.CANCELLED


def test_accept_of_a_taken_time_says_so_and_the_patient_waits_again(org, actor, client_for, world):
    entry = offered_entry(org, actor, world)
    appointment_book(actor=actor, patient=PatientFactory(organization=org), practitioner=world["practitioner"],
                     location=world["location"], appointment_type=world["kind"], start=MONDAY_10)  # fmt: skip
    response = client_for(actor).post(f"/schedule/waitlist/{entry.public_id}/accept/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "back on the waitlist" in body
    entry.refresh_from_db()
    assert entry.status == W.WAITING


def test_decline_and_remove_without_javascript(org, actor, client_for, world):
    entry = offered_entry(org, actor, world)
    client = client_for(actor)
    response = client.post(f"/schedule/waitlist/{entry.public_id}/decline/")
    assert response.status_code == 302
    assert response["Location"] == "/schedule/waitlist/"
    entry.refresh_from_db()
    assert entry.status == W.WAITING
    assert "Offer declined" in client.get("/schedule/waitlist/").content.decode()
    client.post(f"/schedule/waitlist/{entry.public_id}/remove/")
    entry.refresh_from_db()
    assert entry.status == W.REMOVED
    assert "Nobody is waiting." in client.get("/schedule/waitlist/").content.decode()


def test_another_organization_sees_nothing_and_changes_nothing(org, other_org, actor, client_for, world):
    entry = offered_entry(org, actor, world)
    stranger = client_for(make_actor(other_org))
    assert "Byron" not in stranger.get("/schedule/waitlist/").content.decode()
    assert stranger.get(f"/patients/{world['patient'].public_id}/waitlist/add/").status_code == 404
    for action in ("accept", "decline", "remove"):
        assert stranger.post(f"/schedule/waitlist/{entry.public_id}/{action}/").status_code == 404
    entry.refresh_from_db()
    assert entry.status == W.OFFERED


def test_the_waitlist_says_when_offers_are_made_and_links_a_waiting_entry_to_find_a_slot(actor, client_for, world):
    client = client_for(actor)
    url = f"/patients/{world['patient'].public_id}/waitlist/add/"
    client.post(
        url,
        {"appointment_type": str(world["kind"].public_id), "earliest_date": "2026-11-30", "latest_date": "2026-12-10"},
    )
    page = client.get("/schedule/waitlist/").content.decode()
    assert "background check every 15 minutes" in page
    links = re.findall(r'href="(/schedule/find/\?[^"]+)"', page)
    assert links == [f"/schedule/find/?patient={world['patient'].public_id}&amp;type={world['kind'].public_id}"]
    found = client.get(links[0].replace("&amp;", "&"))
    assert found.context["form"]["appointment_type"].value() == str(world["kind"].public_id)
    assert found.context["search"] is not None
    assert found.context["search"].total
