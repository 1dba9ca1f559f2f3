"""Outside appointment pages through the test client: record, the page and its actions, other organizations."""

import datetime as dt

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.models import Appointment

from ..factories import ExternalOrganizationFactory, PatientFactory, make_actor
from .factories import clinic

NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def practice(org):
    return ExternalOrganizationFactory(organization=org, name="Heart Partners")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Ada", family_name="Byron")


def form_data(practice, **overrides):
    return {
        "external_organization": str(practice.public_id),
        "date": "2026-11-30",
        "time": "10:00",
        "duration_minutes": "45",
        "reason": "Cardiology follow-up",
        "status": "requested",
        "track_summary": "on",
        **overrides,
    }


def test_record_an_outside_appointment_and_see_it(actor, client_for, patient, practice):
    client = client_for(actor)
    url = f"/patients/{patient.public_id}/outside/new/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Heart Partners" in page.content.decode()
    response = client.post(url, form_data(practice))
    appointment = Appointment.objects.get(is_outside=True)
    assert response.status_code == 302
    assert response["Location"] == f"/appointments/{appointment.public_id}/outside/"
    assert appointment.start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 10:00 in Chicago
    assert appointment.status == S.PENDING
    assert appointment.reason == "Cardiology follow-up"
    assert Task.objects.get(focus_id=appointment.public_id).title == "Confirm appointment with Heart Partners"
    body = client.get(response["Location"]).content.decode()
    assert "Requested" in body
    assert "10:00 AM" in body
    assert "Mark confirmed" in body
    appointment_page = client.get(f"/appointments/{appointment.public_id}/").content.decode()
    assert "<dt>Where</dt><dd>Heart Partners</dd>" in appointment_page


def test_the_practice_list_offers_places_of_care_only(org, actor, client_for, patient, practice):
    ExternalOrganizationFactory(organization=org, name="Corner Pharmacy", kind="pharmacy")
    ExternalOrganizationFactory(organization=org, name="Blue Plan", kind="payer")
    ExternalOrganizationFactory(organization=org, name="Quest Draw Site", kind="laboratory")
    page = client_for(actor).get(f"/patients/{patient.public_id}/outside/new/").content.decode()
    assert "Heart Partners" in page
    assert "Quest Draw Site" in page
    assert "Corner Pharmacy" not in page
    assert "Blue Plan" not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"external_organization": ""}, "Name the practice or the practitioner"),
        ({"status": "confirmed"}, "Say who at the practice confirmed"),
        ({"date": "2026-11-20"}, "That time is in the past."),
    ],
)
def test_record_shows_errors_inline_and_saves_nothing(actor, client_for, patient, practice, overrides, message):
    response = client_for(actor).post(f"/patients/{patient.public_id}/outside/new/", form_data(practice, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_record_refuses_a_time_the_patient_is_busy(org, actor, client_for, patient, practice):
    client = client_for(actor)
    client.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice))
    response = client.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice, time="10:30"))
    assert response.status_code == 400
    assert "already has an appointment at that time" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_confirm_outcome_and_summary_actions(actor, client_for, patient, practice):
    client = client_for(actor)
    client.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice))
    appointment = Appointment.objects.get()
    page_url = f"/appointments/{appointment.public_id}/outside/"

    response = client.post(
        f"/appointments/{appointment.public_id}/confirm/",
        {"confirmed_with": "Dana", "version": appointment.version, "next": page_url},
    )
    assert response.status_code == 302
    assert response["Location"] == page_url
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert appointment.confirmed_with == "Dana"
    assert "Confirmed with Dana." in client.get(page_url).content.decode()

    early = client.post(
        f"/appointments/{appointment.public_id}/outcome/", {"outcome": "attended", "version": appointment.version}
    )
    assert early.status_code == 302
    assert "has not started yet" in client.get(page_url).content.decode()

    with time_machine.travel(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC), tick=False):
        client = client_for(actor)  # days later: a fresh sign-in, past the idle timeout
        client.post(
            f"/appointments/{appointment.public_id}/outcome/", {"outcome": "attended", "version": appointment.version}
        )
        appointment.refresh_from_db()
        assert appointment.status == S.FULFILLED
        assert "Visit summary received" in client.get(page_url).content.decode()
        client.post(f"/appointments/{appointment.public_id}/summary/", {"version": appointment.version})
    appointment.refresh_from_db()
    assert appointment.summary_status == "received"
    assert Task.objects.get(dedupe_key=f"outside-summary:{appointment.public_id}").status == "completed"


def test_a_stale_version_is_refused_with_a_message(actor, client_for, patient, practice):
    client = client_for(actor)
    client.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice))
    appointment = Appointment.objects.get()
    client.post(f"/appointments/{appointment.public_id}/confirm/", {"confirmed_with": "Dana", "version": 0})
    appointment.refresh_from_db()
    assert appointment.status == S.PENDING
    assert (
        "Someone else saved changes" in client.get(f"/appointments/{appointment.public_id}/outside/").content.decode()
    )


def test_the_next_parameter_cannot_leave_the_site(actor, client_for, patient, practice):
    client = client_for(actor)
    client.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice))
    appointment = Appointment.objects.get()
    response = client.post(
        f"/appointments/{appointment.public_id}/confirm/",
        {"confirmed_with": "Dana", "version": appointment.version, "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/appointments/{appointment.public_id}/outside/"


def test_other_organizations_and_inside_appointments_get_404(org, other_org, actor, client_for, patient, practice):
    client_for(actor).post(f"/patients/{patient.public_id}/outside/new/", form_data(practice))
    appointment = Appointment.objects.get()
    stranger = client_for(make_actor(other_org))
    assert stranger.get(f"/patients/{patient.public_id}/outside/new/").status_code == 404
    assert stranger.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice)).status_code == 404
    assert stranger.get(f"/appointments/{appointment.public_id}/outside/").status_code == 404
    for action in ("confirm", "outcome", "summary"):
        data = {"confirmed_with": "X", "outcome": "missed", "version": appointment.version}
        assert stranger.post(f"/appointments/{appointment.public_id}/{action}/", data).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == S.PENDING

    practitioner, location, kind = clinic(org)
    inside = Appointment.objects.create(organization=org, patient=patient, practitioner=practitioner,
                                        location=location, appointment_type=kind, start=NOW + dt.timedelta(days=9),
                                        end=NOW + dt.timedelta(days=9, minutes=30))  # fmt: skip
    mine = client_for(actor)
    assert mine.get(f"/appointments/{inside.public_id}/outside/").status_code == 404
    assert (
        mine.post(f"/appointments/{inside.public_id}/confirm/", {"confirmed_with": "X", "version": 1}).status_code
        == 404
    )


def test_the_appointment_page_of_an_outside_visit_offers_its_own_actions(actor, client_for, patient, practice):
    client = client_for(actor)
    client.post(f"/patients/{patient.public_id}/outside/new/", form_data(practice))
    appointment = Appointment.objects.get(is_outside=True)
    page = client.get(f"/appointments/{appointment.public_id}/").content.decode()
    assert f"/appointments/{appointment.public_id}/confirm/" in page
    assert "Checked in" not in page
    assert f"/appointments/{appointment.public_id}/status/" not in page
