"""Pages of visit plans and recurring series, through the test client (run on SQLite and PostgreSQL)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.scheduling.models import Appointment, AppointmentSeries, ClosedDate, VisitPlan
from carecoord.scheduling.planning_services import series_book
from carecoord.scheduling.services import appointment_book

from ..careplans.factories import CarePlanFactory
from ..factories import PatientFactory
from .factories import clinic

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org, actor):
    practitioner, location, kind = clinic(org, family_name="Okafor")
    return {
        "patient": PatientFactory(organization=org, family_name="Lindqvist"),
        "practitioner": practitioner,
        "location": location,
        "appointment_type": kind,
    }


def management(prefix: str, total: int) -> dict:
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0}


def plan_post(world, **overrides) -> dict:
    kind = world["appointment_type"].public_id
    data = {
        "title": "After discharge",
        "first_day": "2026-11-30",
        "last_day": "2026-12-18",
        **management("visit", 2),
        "visit-0-label": "Follow-up",
        "visit-0-appointment_type": kind,
        "visit-1-label": "Second look",
        "visit-1-appointment_type": kind,
        "visit-1-deadline": "2026-12-11",
        **management("order", 1),
        "order-0-after": 2,
        "order-0-kind": "at_least",
        "order-0-days": 3,
        "order-0-before": 1,
    }
    data.update(overrides)
    return data


def test_new_plan_page_renders_with_the_patients_care_plans(actor, client_for, world):
    CarePlanFactory(patient=world["patient"], author=actor.user, title="Heart failure plan")
    response = client_for(actor).get(f"/patients/{world['patient'].public_id}/visit-plans/new/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Find the best plan" in body
    assert "Heart failure plan" in body
    assert 'id="id_visit-TOTAL_FORMS"' in body
    assert "<template data-plan-visit-template>" in body
    assert "scheduling-plan.js" in body
    assert "<script>" not in body  # no inline script (strict CSP)


def test_find_the_best_plan_then_book_it(actor, client_for, world):
    client = client_for(actor)
    response = client.post(f"/patients/{world['patient'].public_id}/visit-plans/new/", plan_post(world))
    assert response.status_code == 302
    plan = VisitPlan.objects.get()
    assert response["Location"] == f"/visit-plans/{plan.public_id}/"
    assert plan.status == "draft"
    assert plan.request["orders"] == [{"before": "v1", "after": "v2", "kind": "at_least", "days": 3}]

    page = client.get(response["Location"]).content.decode()
    assert "Proposed schedule" in page
    assert "Monday 11/30/2026" in page
    assert "Thursday 12/03/2026" in page
    assert "9:00 AM–9:30 AM" in page  # noqa: RUF001 -- local (Chicago) time, not UTC
    assert "Book this plan" in page

    booked = client.post(f"/visit-plans/{plan.public_id}/book/", {"version": plan.version})
    assert booked.status_code == 302
    assert Appointment.objects.filter(visit_plan=plan).count() == 2
    page = client.get(booked["Location"]).content.decode()
    assert "Booked appointments" in page
    assert "Book this plan" not in page


def test_infeasible_plan_shows_the_explanation(actor, client_for, world):
    data = plan_post(world, **{"order-0-days": 20})
    response = client_for(actor).post(f"/patients/{world['patient'].public_id}/visit-plans/new/", data, follow=True)
    body = response.content.decode()
    assert "No schedule meets every requirement" in body
    assert "at least 20 days after" in body
    assert "Book this plan" not in body


def test_booking_a_taken_time_names_the_visit_and_books_nothing(actor, client_for, world):
    client = client_for(actor)
    client.post(f"/patients/{world['patient'].public_id}/visit-plans/new/", plan_post(world))
    plan = VisitPlan.objects.get()
    second = plan.request["proposal"]["visits"][1]
    parties = {k: world[k] for k in ("practitioner", "location", "appointment_type")}
    start = dt.datetime.fromisoformat(second["start"])
    appointment_book(actor=actor, patient=PatientFactory(organization=actor.organization), start=start, **parties)

    response = client.post(f"/visit-plans/{plan.public_id}/book/", {"version": plan.version})

    assert response.status_code == 409
    body = response.content.decode()
    assert "“Second look”" in body
    assert "Nothing was booked" in body
    assert "Find a fresh plan" in body
    assert not Appointment.objects.filter(visit_plan=plan).exists()


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"visit-0-label": "", "visit-1-label": ""}, "This field is required"),
        ({"last_day": "2026-11-01"}, "The search window ends before it starts."),
        ({"visit-1-times_per_week": 2}, "give both times a week and weeks"),
        ({"order-0-after": 1}, "Choose two different visits."),
        ({"order-0-after": 5}, "This plan has visits 1 to 2."),
    ],
)
def test_bad_plan_input_answers_400_with_field_errors(actor, client_for, world, overrides, field_error):
    response = client_for(actor).post(
        f"/patients/{world['patient'].public_id}/visit-plans/new/", plan_post(world, **overrides)
    )
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not VisitPlan.objects.exists()


def series_post(world, **overrides) -> dict:
    data = {
        "appointment_type": world["appointment_type"].public_id,
        "practitioner": world["practitioner"].public_id,
        "location": world["location"].public_id,
        "weekdays": [1, 3],
        "local_time": "10:00",
        "first_date": "2026-12-01",
        "weeks": 2,
        "action": "check",
    }
    data.update(overrides)
    return data


def test_series_check_lists_conflicts_then_books_the_free_ones(actor, client_for, world):
    ClosedDate.objects.create(organization=actor.organization, date=dt.date(2026, 12, 3), name="Staff training day")
    client = client_for(actor)
    url = f"/patients/{world['patient'].public_id}/series/new/"
    assert client.get(url).status_code == 200

    checked = client.post(url, series_post(world))
    body = checked.content.decode()
    assert checked.status_code == 200
    assert "4 occurrences: 3 free, 1 with a conflict" in body
    assert "closed: Staff training day" in body
    assert "10:00 AM" in body
    assert 'name="skip" value="2"' in body
    assert not Appointment.objects.exists()

    booked = client.post(url, series_post(world, action="book", skip=[2]))
    assert booked.status_code == 302
    series = AppointmentSeries.objects.get()
    assert booked["Location"] == f"/series/{series.public_id}/"
    assert sorted(series.appointments.values_list("series_index", flat=True)) == [0, 2, 3]
    page = client.get(booked["Location"]).content.decode()
    assert "Tue + Thu at 10:00 AM" in page
    assert "Tue 12/01/2026 10:00 AM" in page
    assert f"/appointments/{series.appointments.first().public_id}/" in page


def test_series_book_without_skipping_a_conflict_books_nothing(actor, client_for, world):
    ClosedDate.objects.create(organization=actor.organization, date=dt.date(2026, 12, 3), name="Staff training day")
    url = f"/patients/{world['patient'].public_id}/series/new/"
    response = client_for(actor).post(url, series_post(world, action="book"))
    assert response.status_code == 409
    assert "Occurrence 2" in response.content.decode()
    assert not AppointmentSeries.objects.exists()


def test_bad_series_input_answers_400_with_field_errors(actor, client_for, world):
    url = f"/patients/{world['patient'].public_id}/series/new/"
    response = client_for(actor).post(url, series_post(world, weekdays=[], weeks=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert "This field is required" in body
    assert "Give the number of weeks or of occurrences." in body


@pytest.fixture
def series(actor, world):
    return series_book(
        actor=actor,
        weekdays=[1, 3],
        local_time=dt.time(10),
        first_date=dt.date(2026, 12, 1),
        occurrences=4,
        **world,
    )


def test_cancel_the_rest_needs_a_reason(actor, client_for, series):
    client = client_for(actor)
    url = f"/series/{series.public_id}/cancel-rest/"
    response = client.post(url, {"from_number": 3, "reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert series.appointments.filter(status="booked").count() == 4

    assert client.post(url, {"from_number": 3, "reason": "pat"}).status_code == 302
    assert series.appointments.filter(status="cancelled").count() == 2


def test_move_the_rest_reports_a_clash_and_changes_nothing(actor, client_for, world, series):
    parties = {k: world[k] for k in ("practitioner", "location", "appointment_type")}
    taken = dt.datetime(2026, 12, 9, 11, tzinfo=CHICAGO)
    appointment_book(actor=actor, patient=PatientFactory(organization=actor.organization), start=taken, **parties)
    client = client_for(actor)
    url = f"/series/{series.public_id}/change-rest/"

    response = client.post(url, {"from_number": 3, "weekdays": [0, 2], "local_time": "11:00"})

    assert response.status_code == 409
    assert "Occurrence 3" in response.content.decode()
    assert series.appointments.filter(status="booked").count() == 4
    response = client.post(url, {"from_number": 3, "weekdays": [0, 4], "local_time": "11:00"})
    assert response.status_code == 302
    assert series.appointments.filter(status="booked", start__hour=17).count() == 2  # 11:00 CST is 17:00 UTC


def test_another_organization_gets_404(other_actor, client_for, world, series):
    client = client_for(other_actor)
    patient = world["patient"].public_id
    assert client.get(f"/patients/{patient}/visit-plans/new/").status_code == 404
    assert client.post(f"/patients/{patient}/visit-plans/new/", plan_post(world)).status_code == 404
    assert client.get(f"/patients/{patient}/series/new/").status_code == 404
    assert client.get(f"/series/{series.public_id}/").status_code == 404
    assert (
        client.post(f"/series/{series.public_id}/cancel-rest/", {"from_number": 1, "reason": "pat"}).status_code == 404
    )
    assert series.appointments.filter(status="booked").count() == 4
