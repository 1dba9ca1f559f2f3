"""Calendar feeds: created with a one-time address, served as valid iCalendar, revoked at once, tenant-scoped."""

import datetime as dt
import hashlib

import icalendar
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError
from carecoord.core.models import AuditEvent
from carecoord.scheduling.feed_services import feed_create, feed_revoke
from carecoord.scheduling.models import Appointment, CalendarFeed

from ..factories import PatientFactory, PractitionerFactory, make_actor
from .factories import clinic

NOW = dt.datetime(2030, 1, 7, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(org):
    practitioner, location, kind = clinic(org, given_name="Ana", family_name="Varga", suffix="MD")
    patient = PatientFactory(organization=org, given_name="Maria", family_name="Lopez")

    def visit(days, status="booked", who=patient, **fields):
        start = NOW + dt.timedelta(days=days)
        extra = {"cancellation_reason": "pat"} if status == "cancelled" else {}
        return Appointment.objects.create(
            organization=org, patient=who, practitioner=practitioner, location=location, appointment_type=kind,
            start=start, end=start + dt.timedelta(minutes=30), status=status, reason="Diabetes", **extra, **fields,
        )  # fmt: skip

    return {"practitioner": practitioner, "patient": patient, "visit": visit}


def fetch(token, client=None):
    return (client or Client()).get(reverse("scheduling:ics", args=[token]))


def events(response):
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_a_patient_feed_is_valid_icalendar_with_minimal_events(actor, world, clock):
    visit = world["visit"]
    upcoming, cancelled = visit(3), visit(5, status="cancelled")
    old, far, wrong = visit(-40), visit(400), visit(7, status="entered-in-error")
    recent = visit(-10, status="fulfilled")
    feed, token = feed_create(actor=actor, patient=world["patient"])
    assert feed.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.filter(pk=feed.pk).values().get())  # only the hash is kept

    response = fetch(token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    found = events(response)
    assert set(found) == {f"{a.public_id}@carecoord" for a in (upcoming, cancelled, recent)}
    event = found[f"{upcoming.public_id}@carecoord"]
    assert event["summary"] == "Appointment with Dr. Varga"
    assert event.decoded("dtstart") == upcoming.start
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert event.decoded("dtend") == upcoming.end
    assert str(event["status"]) == "CONFIRMED"
    assert str(found[f"{cancelled.public_id}@carecoord"]["status"]) == "CANCELLED"
    body = response.content.decode()
    for private in ("Diabetes", "Lopez", "Maria"):
        assert private not in body
    for left_out in (old, far, wrong):  # outside the window, or entered in error
        assert f"{left_out.public_id}@carecoord" not in found


def test_a_practitioner_feed_shows_patients_by_initials_only(actor, world, clock):
    visit = world["visit"]
    appointment = visit(2)
    other = visit(3, who=PatientFactory(organization=actor.organization, given_name="zoe", family_name="park"))
    _, token = feed_create(actor=actor, practitioner=world["practitioner"])
    response = fetch(token)
    found = events(response)
    assert str(found[f"{appointment.public_id}@carecoord"]["summary"]) == "Visit: M.L."
    assert str(found[f"{other.public_id}@carecoord"]["summary"]) == "Visit: Z.P."
    body = response.content.decode()
    for private in ("Lopez", "Maria", "park", "zoe", "Diabetes"):
        assert private not in body


def test_reading_a_feed_is_audited_for_its_organization_and_notes_its_use(actor, world, clock):
    world["visit"](1)
    feed, token = feed_create(actor=actor, patient=world["patient"])
    fetch(token)
    event = AuditEvent.objects.get(event="feed.read")
    assert event.user is None
    assert event.acting_organization == actor.organization
    assert event.patient_public_id == world["patient"].public_id
    feed.refresh_from_db()
    assert feed.last_used_at == NOW


def test_revoked_and_wrong_tokens_answer_404(actor, world, clock):
    feed, token = feed_create(actor=actor, patient=world["patient"])
    assert fetch(token).status_code == 200
    assert fetch(token[:-1] + ("A" if token[-1] != "A" else "B")).status_code == 404
    assert fetch("x" * 43).status_code == 404
    feed_revoke(actor=actor, feed=feed)
    assert fetch(token).status_code == 404
    assert Client().post(reverse("scheduling:ics", args=[token])).status_code == 405


def test_a_feed_stops_when_the_patient_is_no_longer_shared(actor, other_actor, clock):
    patient = PatientFactory(organization=other_actor.organization)
    feed = CalendarFeed.objects.create(organization=actor.organization, kind="patient", patient=patient,
                                       token_sha256=hashlib.sha256(b"t" * 43).hexdigest())  # fmt: skip
    assert feed.pk
    assert fetch("t" * 43).status_code == 404


def test_another_organizations_patient_or_practitioner_cannot_get_a_feed(actor, other_actor):
    with pytest.raises(NotFoundError):
        feed_create(actor=actor, patient=PatientFactory(organization=other_actor.organization))
    with pytest.raises(NotFoundError):
        feed_create(actor=actor, practitioner=PractitionerFactory(organization=other_actor.organization))
    assert not CalendarFeed.objects.exists()


def test_only_clinical_roles_manage_feeds(org, world):
    auditor = make_actor(org, Role.AUDITOR)
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        feed_create(actor=auditor, patient=world["patient"])


def test_the_feed_page_creates_shows_the_address_once_and_revokes(actor, client_for, world, clock):
    client = client_for(actor)
    url = reverse("scheduling:patient_feeds", args=[world["patient"].public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "No calendar feeds yet." in page.content.decode()
    assert AuditEvent.objects.filter(event="feed.list", patient_public_id=world["patient"].public_id).exists()

    created = client.post(url, {"label": "Daughter's phone"})
    body = created.content.decode()
    assert created.status_code == 200
    feed = CalendarFeed.objects.get()
    address = body.split('id="feed-address" type="text" readonly value="')[1].split('"')[0]
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert address.startswith("http://testserver/calendar/")
    assert hashlib.sha256(token.encode()).hexdigest() == feed.token_sha256
    assert "scheduling-feeds.js" in body
    assert "<script>" not in body  # no inline script (strict CSP)
    assert token not in client.get(url).content.decode()  # shown once only

    revoke = client.post(reverse("scheduling:feed_revoke", args=[feed.public_id]))
    assert revoke.status_code == 302
    assert revoke["Location"] == url
    feed.refresh_from_db()
    assert feed.revoked_at == NOW
    assert fetch(token).status_code == 404
    again = client.post(reverse("scheduling:feed_revoke", args=[feed.public_id]), follow=True)
    assert "already revoked" in again.content.decode()


def test_the_practitioner_feed_page(actor, client_for, world):
    client = client_for(actor)
    url = reverse("scheduling:practitioner_feeds", args=[world["practitioner"].public_id])
    assert client.post(url, {"label": "Dr. Varga's phone"}).status_code == 200
    assert CalendarFeed.objects.get().practitioner == world["practitioner"]
    assert "Dr. Varga&#x27;s phone" in client.get(url).content.decode()


def test_feed_pages_of_another_organization_are_not_found(actor, other_actor, client_for, world):
    feed, _ = feed_create(actor=actor, patient=world["patient"])
    client = client_for(other_actor)
    for url in (
        reverse("scheduling:patient_feeds", args=[world["patient"].public_id]),
        reverse("scheduling:practitioner_feeds", args=[world["practitioner"].public_id]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"label": "x"}).status_code == 404
    assert client.post(reverse("scheduling:feed_revoke", args=[feed.public_id])).status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None
    assert CalendarFeed.objects.count() == 1
