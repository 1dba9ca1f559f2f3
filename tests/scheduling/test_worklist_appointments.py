"""The worklist's "Upcoming appointments" panel: the coordinator's caseload's next 7 days, with needs flags."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.patients.models import CareTeamMember
from carecoord.scheduling.models import PatientSchedulingPreference
from carecoord.scheduling.outside_services import outside_appointment_record
from carecoord.scheduling.services import appointment_book, appointment_cancel
from carecoord.scheduling.worklist_selectors import upcoming_appointments_for

from ..factories import ExternalOrganizationFactory, PatientFactory, make_actor
from .factories import AppointmentTypeFactory, clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)


def at(day, hour):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def mine(org, actor, **fields):
    patient = PatientFactory(organization=org, **fields)
    CareTeamMember.objects.create(
        organization=org, patient=patient, role="coordinator", user=actor.user, start_date=dt.date(2025, 1, 1)
    )
    return patient


@pytest.fixture
def world(org, actor):
    practitioner, location, kind = clinic(org)

    def book(patient, start, appointment_type=kind):
        return appointment_book(
            actor=actor,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=appointment_type,
            start=start,
        )

    return {
        "book": book,
        "practitioner": practitioner,
        "location": location,
        "practice": ExternalOrganizationFactory(organization=org, name="Heart Partners"),
    }


def test_upcoming_shows_my_patients_next_7_days_inside_and_outside(org, actor, world):
    ada = mine(org, actor, given_name="Ada")
    soon = world["book"](ada, at(dt.date(2026, 11, 30), 9))
    outside = outside_appointment_record(
        actor=actor, patient=ada, start=at(dt.date(2026, 12, 1), 11), duration_minutes=30,
        external_organization=world["practice"],
    )  # fmt: skip
    world["book"](ada, at(dt.date(2026, 12, 3), 9))  # Dec 3 is past the 7 days
    cancelled = world["book"](ada, at(dt.date(2026, 11, 30), 14))
    appointment_cancel(actor=actor, appointment=cancelled, reason="pat")
    world["book"](PatientFactory(organization=org), at(dt.date(2026, 11, 30), 10))  # not my patient
    ended = mine(org, actor)
    CareTeamMember.objects.filter(patient=ended).update(end_date=dt.date(2026, 11, 1))
    world["book"](ended, at(dt.date(2026, 11, 30), 11))  # I no longer coordinate this patient
    assert upcoming_appointments_for(actor) == [soon, outside]


def test_needs_come_from_the_visit_the_preferences_or_the_chart(org, actor, world, django_assert_num_queries):
    by_preference = mine(org, actor)
    PatientSchedulingPreference.objects.create(organization=org, patient=by_preference, needs_transport=True)
    by_chart = mine(org, actor, interpreter_needed=True)
    plain = mine(org, actor)
    world["book"](by_preference, at(dt.date(2026, 11, 30), 9))
    world["book"](by_chart, at(dt.date(2026, 11, 30), 10))
    world["book"](plain, at(dt.date(2026, 11, 30), 11))
    video = AppointmentTypeFactory(organization=org, telehealth=True)
    weekly_hours(world["practitioner"], world["location"], [video])
    world["book"](by_preference, at(dt.date(2026, 11, 30), 13), appointment_type=video)  # no ride to a video call
    with django_assert_num_queries(2):  # the panel adds two queries to the worklist page (caseload, visits)
        rows = upcoming_appointments_for(actor)
        assert [r.patient.display_name for r in rows]  # patients come with the appointments
    assert [(r.transport_needed, r.interpreter_needed) for r in rows] == [
        (True, False), (False, True), (False, False), (False, False),
    ]  # fmt: skip


def test_no_interpreter_to_arrange_with_a_practitioner_who_speaks_the_language(org, actor, client_for):
    speaker, location, kind = clinic(org, languages=["en", "es"])
    other, other_location, other_kind = clinic(org, languages=["en"])
    maria = mine(org, actor, preferred_language="es", interpreter_needed=True)
    with_speaker = appointment_book(actor=actor, patient=maria, practitioner=speaker, location=location,
                                    appointment_type=kind, start=at(dt.date(2026, 11, 30), 9))  # fmt: skip
    with_other = appointment_book(actor=actor, patient=maria, practitioner=other, location=other_location,
                                  appointment_type=other_kind, start=at(dt.date(2026, 11, 30), 11))  # fmt: skip
    rows = upcoming_appointments_for(actor)
    assert [(r.pk, r.interpreter_needed) for r in rows] == [(with_speaker.pk, False), (with_other.pk, True)]
    page = client_for(actor).get(reverse("scheduling:appointment_detail", args=[with_speaker.public_id]))
    assert "Speaks Spanish: no interpreter needed" in page.content.decode()
    page = client_for(actor).get(reverse("scheduling:appointment_detail", args=[with_other.public_id]))
    assert "Spanish interpreter needed" in page.content.decode()


def test_another_organization_sees_none_of_them(org, other_org, actor, world):
    world["book"](mine(org, actor), at(dt.date(2026, 11, 30), 9))
    assert upcoming_appointments_for(make_actor(other_org)) == []


PANEL = "/worklist/appointments/"


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(PANEL, HTTP_HX_REQUEST="true").status_code == 200
    return len(ctx.captured_queries)


def test_the_worklist_loads_the_panel_after_the_page(org, actor, client_for, world):
    client = client_for(actor)
    world["book"](mine(org, actor, given_name="Ada", family_name="Byron"), at(dt.date(2026, 11, 30), 9))
    page = client.get("/worklist/").content.decode()
    assert f'hx-get="{PANEL}" hx-trigger="load"' in page  # htmx fetches it once the tasks are shown
    assert f'<a href="{PANEL}">' in page  # and without JavaScript, a link opens it
    assert "Byron, Ada" not in page


def test_the_panel_shows_the_next_7_days_in_a_fixed_number_of_queries(org, actor, client_for, world):
    client = client_for(actor)
    empty = client.get(PANEL, HTTP_HX_REQUEST="true")
    assert "No appointments for your patients" in empty.content.decode()
    assert "HX-Request" in empty["Vary"]
    ada = mine(org, actor, given_name="Ada", family_name="Byron")
    PatientSchedulingPreference.objects.create(organization=org, patient=ada, needs_transport=True)
    world["book"](ada, at(dt.date(2026, 11, 30), 9))
    outside_appointment_record(
        actor=actor, patient=ada, start=at(dt.date(2026, 12, 1), 11), duration_minutes=30,
        external_organization=world["practice"], confirmed=True, confirmed_with="Dana",
    )  # fmt: skip
    panel = client.get(PANEL, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel
    assert "Byron, Ada" in panel
    assert "Mon 11/30 9:00 AM" in panel
    assert "Transport" in panel
    assert "Outside: Heart Partners" in panel
    assert "Confirmed" in panel
    page = client.get(PANEL).content.decode()  # without htmx: a page of its own
    assert "<html" in page
    assert "Byron, Ada" in page
    from carecoord.core.models import AuditEvent

    views = AuditEvent.objects.filter(user=actor.user, event="worklist.appointments.view").order_by("id")
    assert [view.detail["shown"] for view in views] == [0, 2, 2]  # each showing of the panel, with what it showed
    few = _queries(client)
    for day in range(3):
        world["book"](mine(org, actor), at(dt.date(2026, 11, 30) + dt.timedelta(days=day), 13))
    assert _queries(client) == few


def test_the_panel_is_not_rendered_for_a_results_refresh(org, actor, client_for):
    client = client_for(actor)
    body = client.get("/worklist/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="worklist-results").content.decode()
    assert "Upcoming appointments" not in body
