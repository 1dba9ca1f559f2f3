"""
The booking's confirm step through the test client: a free time opens a page that spells out the booking and
takes the reason; only its "Book" books. A time taken meanwhile says so and leads back to the search.
"""

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.models import AuditEvent
from carecoord.scheduling.models import Appointment, PatientSchedulingPreference
from carecoord.scheduling.services import appointment_book

from ..factories import PatientFactory
from .factories import clinic

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 6:00 in Chicago
MONDAY = dt.date(2026, 11, 30)


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def slot_value(practitioner, location, start):
    return f"{practitioner.public_id}|{location.public_id}|{start.astimezone(dt.UTC).isoformat()}"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org):
    practitioner, location, kind = clinic(org, given_name="Ana", family_name="Alvarez", suffix="MD")
    patient = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    return {"practitioner": practitioner, "location": location, "kind": kind, "patient": patient}


def confirm_url(patient):
    return reverse("scheduling:patient_book_confirm", args=[patient.public_id])


def book_url(patient):
    return reverse("scheduling:patient_book", args=[patient.public_id])


def search_of(world):
    return f"appointment_type={world['kind'].public_id}&first_day=2026-11-30&last_day=2026-11-30"


def chosen(world, start, **extra):
    """What a result's button sends to the confirm step."""
    return {
        "appointment_type": str(world["kind"].public_id),
        "slot": slot_value(world["practitioner"], world["location"], start),
        "search": search_of(world),
        **extra,
    }


def hidden_fields(page: str) -> dict:
    """The hidden inputs of the confirm step's form, as the browser would send them."""
    return {
        name: html.unescape(value) for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page)
    }


def back_link(body: str) -> str:
    return re.search(r'href="([^"]*)">Back to the slots', body).group(1).replace("&amp;", "&")


def test_the_results_lead_to_the_confirm_step_and_book_nothing(world, actor, client_for):
    params = {
        "patient": str(world["patient"].public_id),
        **dict(pair.split("=") for pair in search_of(world).split("&")),
    }
    body = client_for(actor).get(reverse("scheduling:find"), params).content.decode()
    form = re.search(r'<form method="get" action="([^"]+)" class="slot-form">', body)
    assert form.group(1) == confirm_url(world["patient"])
    assert 'name="reason"' not in body  # the reason is typed on the confirm step
    assert 'name="slot"' in body
    assert not Appointment.objects.exists()


def test_the_confirm_step_shows_the_booking_and_asks_for_the_reason(world, actor, client_for):
    PatientSchedulingPreference.objects.create(
        organization=actor.organization, patient=world["patient"], needs_transport=True
    )
    response = client_for(actor).get(confirm_url(world["patient"]), chosen(world, at(10, 15)))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Confirm the booking" in body
    assert "Delgado, Rosa" in body
    assert "Ana Alvarez, MD" in body
    assert str(world["location"]) in body
    assert "Mon 11/30/2026 10:15 AM\u201310:45 AM" in body
    assert f'{world["kind"].name} <span class="muted">(30 min)</span>' in body
    assert "Needs transport" in body
    assert re.search(r'<label for="id_reason">Reason for visit', body)
    assert f'action="{book_url(world["patient"])}"' in body
    assert ">Book</button>" in body
    assert back_link(body) == f"/schedule/find/?{search_of(world)}&patient={world['patient'].public_id}"
    assert not Appointment.objects.exists()  # looking is not booking
    assert AuditEvent.objects.filter(event="appointment.search", object_id=str(world["patient"].public_id)).exists()


def test_book_from_the_confirm_step_saves_the_reason(world, actor, client_for):
    client = client_for(actor)
    page = client.get(confirm_url(world["patient"]), chosen(world, at(10, 15))).content.decode()
    hidden = hidden_fields(page)
    assert hidden["slot"] == slot_value(world["practitioner"], world["location"], at(10, 15))
    response = client.post(book_url(world["patient"]), {**hidden, "reason": "  Diabetes follow-up "})
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment_detail", args=[appointment.public_id])
    assert (appointment.start, appointment.reason, appointment.practitioner) == (
        at(10, 15),
        "Diabetes follow-up",
        world["practitioner"],
    )


def test_a_time_taken_before_the_confirm_step_opens_says_so_and_offers_no_book_button(world, actor, client_for):
    other = PatientFactory(organization=actor.organization)
    appointment_book(
        actor=actor,
        patient=other,
        practitioner=world["practitioner"],
        location=world["location"],
        appointment_type=world["kind"],
        start=at(10),
    )
    response = client_for(actor).get(confirm_url(world["patient"]), chosen(world, at(10)))
    body = response.content.decode()
    assert response.status_code == 409
    assert "This time cannot be booked" in body
    assert "The practitioner already has an appointment at that time." in body
    assert ">Book</button>" not in body
    assert back_link(body).startswith("/schedule/find/?")


def test_a_time_taken_while_confirming_says_so_and_leads_back_to_the_search(world, actor, client_for):
    client = client_for(actor)
    page = client.get(confirm_url(world["patient"]), chosen(world, at(10))).content.decode()
    assert ">Book</button>" in page
    other = PatientFactory(organization=actor.organization)
    appointment_book(  # another coordinator books the time meanwhile
        actor=actor,
        patient=other,
        practitioner=world["practitioner"],
        location=world["location"],
        appointment_type=world["kind"],
        start=at(10),
    )
    hidden = hidden_fields(page)
    response = client.post(book_url(world["patient"]), {**hidden, "reason": "Knee pain"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "The practitioner already has an appointment at that time." in body
    assert "Someone booked this time while you were choosing." in body
    assert "“Knee pain”" in body
    assert ">Book</button>" not in body
    assert not Appointment.objects.filter(patient=world["patient"]).exists()
    fresh = client.get(back_link(body)).content.decode()
    assert "10:00 AM<span" not in fresh
    assert "10:30 AM<span" in fresh


@pytest.mark.parametrize(
    ("slot", "status", "message"),
    [
        ("garbage", 400, "could not be read"),
        (None, 400, "That time is in the past."),
    ],
)
def test_an_unusable_time_is_explained_on_the_confirm_step(world, actor, client_for, slot, status, message):
    params = chosen(world, at(10, day=dt.date(2026, 11, 24)))
    if slot is not None:
        params["slot"] = slot
    response = client_for(actor).get(confirm_url(world["patient"]), params)
    body = response.content.decode()
    assert response.status_code == status
    assert message in body
    assert ">Book</button>" not in body
    assert "Back to the slots" in body


def test_the_confirm_step_without_a_time_goes_back_to_the_search(world, actor, client_for):
    response = client_for(actor).get(confirm_url(world["patient"]), {"search": search_of(world)})
    assert response.status_code == 302
    assert response["Location"] == f"/schedule/find/?{search_of(world)}&patient={world['patient'].public_id}"


def test_the_confirm_step_for_another_organizations_patient_is_404(world, other_actor, client_for):
    response = client_for(other_actor).get(confirm_url(world["patient"]), chosen(world, at(10)))
    assert response.status_code == 404
