"""Multi-visit plans and recurring series, against the real database (run on SQLite and PostgreSQL)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.models import (
    Appointment,
    AppointmentSeries,
    ClosedDate,
    PractitionerUnavailability,
    VisitPlan,
)
from carecoord.scheduling.planning_selectors import series_check, series_dates
from carecoord.scheduling.planning_services import (
    series_book,
    series_cancel_rest,
    series_change_rest,
    visit_plan_book,
    visit_plan_create,
    visit_plan_propose,
)
from carecoord.scheduling.services import appointment_book

from ..factories import LocationFactory, PatientFactory, PractitionerFactory
from .factories import AppointmentTypeFactory, clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday before Thanksgiving


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org, actor):
    """A lab (Mon-Fri 9-12) and a primary care practitioner (Mon-Fri 9-17) at one site, and a patient."""
    site = LocationFactory(organization=org)
    lab_tech = PractitionerFactory(organization=org, family_name="Lab")
    doctor = PractitionerFactory(organization=org, family_name="Doctor")
    lab = AppointmentTypeFactory(organization=org, name="Lab draw", duration_minutes=30)
    follow_up = AppointmentTypeFactory(organization=org, name="PCP follow-up", duration_minutes=30)
    weekly_hours(lab_tech, site, [lab], start=dt.time(9), end=dt.time(12))
    weekly_hours(doctor, site, [follow_up], start=dt.time(9), end=dt.time(17))
    patient = PatientFactory(organization=org)
    return {
        "site": site,
        "lab_tech": lab_tech,
        "doctor": doctor,
        "lab": lab,
        "follow_up": follow_up,
        "patient": patient,
    }


def plan_request(world, *, orders=(), deadline=None, last_day="2026-12-18", **pcp) -> dict:
    return {
        "window": {"first_day": "2026-11-30", "last_day": last_day},
        "availability": {"weekdays": [], "earliest_time": "", "latest_time": "", "needs_transport": True},
        "visits": [
            {"key": "v1", "label": "Lab draw", "appointment_type": str(world["lab"].public_id)},
            {
                "key": "v2",
                "label": "PCP follow-up",
                "appointment_type": str(world["follow_up"].public_id),
                "practitioner": str(world["doctor"].public_id),
                "deadline": deadline,
                **pcp,
            },
        ],
        "orders": list(orders),
    }


def proposed(actor, world, **kwargs) -> VisitPlan:
    plan = visit_plan_create(
        actor=actor, patient=world["patient"], title="Diabetes visits", request=plan_request(world, **kwargs)
    )
    return visit_plan_propose(actor=actor, plan=plan)


# --- visit plans --------------------------------------------------------------------------------------------


def test_feasible_plan_is_proposed_then_booked_in_one_step(actor, world):
    plan = proposed(actor, world, orders=[{"before": "v1", "after": "v2", "kind": "at_least", "days": 2}])
    proposal = plan.request["proposal"]
    assert proposal["feasible"] is True
    starts = {v["key"]: dt.datetime.fromisoformat(v["start"]).astimezone(CHICAGO) for v in proposal["visits"]}
    # The earliest lab is Monday 11/30 at 9:00; the follow-up at least two calendar days later, Wednesday 9:00.
    assert starts == {"v1": local(dt.date(2026, 11, 30), 9), "v2": local(dt.date(2026, 12, 2), 9)}
    assert proposal["trips"] == 2
    assert proposal["transport_days"] == ["2026-11-30", "2026-12-02"]

    booked = visit_plan_book(actor=actor, plan=plan, proposal=proposal, expected_version=plan.version)

    assert len(booked) == 2
    plan.refresh_from_db()
    assert plan.status == "booked"
    assert plan.booked_at == NOW
    rows = Appointment.objects.filter(visit_plan=plan).order_by("start")
    assert [(a.plan_visit_key, a.status) for a in rows] == [("v1", S.BOOKED), ("v2", S.BOOKED)]
    assert rows[1].practitioner == world["doctor"]
    assert AuditEvent.objects.filter(event="visit_plan.book", object_id=str(plan.public_id)).count() == 1
    assert AuditEvent.objects.filter(event="appointment.book").count() == 2


def test_same_day_visits_make_one_trip(actor, world):
    plan = proposed(actor, world)
    proposal = plan.request["proposal"]
    assert proposal["trips"] == 1
    assert proposal["waiting_minutes"] == 0


def test_repeating_visit_is_expanded_into_numbered_occurrences(actor, world):
    request = plan_request(world)
    request["visits"][1].update(times_per_week=2, weeks=2, label="PT")
    plan = visit_plan_create(actor=actor, patient=world["patient"], title="PT", request=request)
    proposal = visit_plan_propose(actor=actor, plan=plan).request["proposal"]
    assert proposal["feasible"]
    assert proposal["optimal"]
    assert sorted(v["label"] for v in proposal["visits"]) == ["Lab draw", "PT #1", "PT #2", "PT #3", "PT #4"]
    assert {v["key"] for v in proposal["visits"]} == {"v1", "v2-1", "v2-2", "v2-3", "v2-4"}


def test_infeasible_plan_is_explained_and_cannot_be_booked(actor, world):
    # Follow-up 10+ days after the lab but done by 12/04: impossible, and the explanation names both rules.
    plan = proposed(
        actor, world, orders=[{"before": "v1", "after": "v2", "kind": "at_least", "days": 10}], deadline="2026-12-04"
    )
    proposal = plan.request["proposal"]
    assert proposal["feasible"] is False
    text = " ".join(proposal["explanation"])
    assert "PCP follow-up" in text
    assert "at least 10 days after" in text
    assert "12/04/2026" in text
    with pytest.raises(InvalidStateError):
        visit_plan_book(actor=actor, plan=plan, proposal=proposal, expected_version=plan.version)
    assert not Appointment.objects.exists()


def test_plan_books_nothing_when_one_visit_was_taken_meanwhile(actor, world):
    plan = proposed(actor, world, orders=[{"before": "v1", "after": "v2", "kind": "at_least", "days": 2}])
    proposal = plan.request["proposal"]
    # Someone else takes the follow-up's time after the proposal was made (the lab stays free).
    appointment_book(
        actor=actor,
        patient=PatientFactory(organization=actor.organization),
        practitioner=world["doctor"],
        location=world["site"],
        appointment_type=world["follow_up"],
        start=local(dt.date(2026, 12, 2), 9),
    )

    with pytest.raises(ConflictError) as error:
        visit_plan_book(actor=actor, plan=plan, proposal=proposal, expected_version=plan.version)

    assert "“PCP follow-up”" in error.value.message
    assert "Nothing was booked" in error.value.message
    assert error.value.details == {"visit": "v2"}
    assert Appointment.objects.filter(visit_plan=plan).count() == 0
    assert Appointment.objects.filter(patient=world["patient"]).count() == 0  # the lab was rolled back too
    plan.refresh_from_db()
    assert plan.status == "draft"
    # A fresh proposal avoids the taken time and books.
    plan = visit_plan_propose(actor=actor, plan=plan)
    booked = visit_plan_book(actor=actor, plan=plan, proposal=plan.request["proposal"], expected_version=plan.version)
    assert len(booked) == 2


def test_booking_a_stale_proposal_is_refused(actor, world):
    plan = proposed(actor, world)
    with pytest.raises(ConflictError):
        visit_plan_book(actor=actor, plan=plan, proposal=plan.request["proposal"], expected_version=plan.version - 1)
    assert not Appointment.objects.exists()


def test_plan_references_must_belong_to_the_organization(actor, other_actor, world):
    request = plan_request(world)
    request["visits"][0]["appointment_type"] = str(
        AppointmentTypeFactory(organization=other_actor.organization).public_id
    )
    with pytest.raises(NotFoundError):
        visit_plan_create(actor=actor, patient=world["patient"], title="x", request=request)
    with pytest.raises(NotFoundError):
        visit_plan_create(actor=other_actor, patient=world["patient"], title="x", request=plan_request(world))
    assert not VisitPlan.objects.exists()


def test_plan_request_shape_is_checked(actor, world):
    request = plan_request(world, orders=[{"before": "v1", "after": "v1", "kind": "within", "days": 3}])
    with pytest.raises(ValidationError):
        visit_plan_create(actor=actor, patient=world["patient"], title="x", request=request)


# --- recurring series ---------------------------------------------------------------------------------------

TUESDAY = dt.date(2026, 12, 1)


@pytest.fixture
def therapy(org, actor):
    practitioner, location, kind = clinic(org)
    return {
        "patient": PatientFactory(organization=org),
        "practitioner": practitioner,
        "location": location,
        "appointment_type": kind,
    }


def pattern(**overrides):
    return {"weekdays": [1, 3], "local_time": dt.time(10), "first_date": TUESDAY, "occurrences": 6, **overrides}


def test_series_dates_follow_the_weekdays():
    assert series_dates(dt.date(2026, 12, 2), [1, 3], 3) == [
        dt.date(2026, 12, 3),
        dt.date(2026, 12, 8),
        dt.date(2026, 12, 10),
    ]


def test_series_check_names_each_conflict(actor, therapy):
    org = actor.organization
    ClosedDate.objects.create(organization=org, date=dt.date(2026, 12, 3), name="Staff training day")
    PractitionerUnavailability.objects.create(
        organization=org,
        practitioner=therapy["practitioner"],
        start=local(dt.date(2026, 12, 8), 0),
        end=local(dt.date(2026, 12, 9), 0),
        reason="vacation",
    )
    other = PatientFactory(organization=org)
    parties = {k: therapy[k] for k in ("practitioner", "location", "appointment_type")}
    appointment_book(actor=actor, patient=other, start=local(dt.date(2026, 12, 10), 10), **parties)
    second_site = LocationFactory(organization=org)
    busy_elsewhere = PractitionerFactory(organization=org)
    weekly_hours(busy_elsewhere, second_site, [therapy["appointment_type"]])
    appointment_book(
        actor=actor,
        patient=therapy["patient"],
        practitioner=busy_elsewhere,
        location=second_site,
        appointment_type=therapy["appointment_type"],
        start=local(dt.date(2026, 12, 15), 10),
    )

    checks = series_check(actor, **therapy, **pattern(weekdays=[1, 3, 5]))

    who = f"{therapy['practitioner'].given_name} {therapy['practitioner'].family_name}"
    outside = f"Sat 10:00 AM is outside {who}'s hours (Mon-Fri 9:00 AM - 5:00 PM)"
    assert [(c.day, c.problem) for c in checks] == [
        (dt.date(2026, 12, 1), ""),
        (dt.date(2026, 12, 3), "closed: Staff training day"),
        (dt.date(2026, 12, 5), outside),  # a Saturday
        (dt.date(2026, 12, 8), "practitioner away"),
        (dt.date(2026, 12, 10), "practitioner busy"),
        (dt.date(2026, 12, 12), outside),
    ]
    checks = series_check(actor, **therapy, **pattern(first_date=dt.date(2026, 12, 15), occurrences=1))
    assert checks[0].problem == "patient busy"


def test_series_books_the_free_occurrences_and_skips_the_listed_ones(actor, therapy):
    ClosedDate.objects.create(organization=actor.organization, date=dt.date(2026, 12, 3), name="Staff day")
    series = series_book(actor=actor, **therapy, **pattern(), skip=[2])
    rows = list(series.appointments.order_by("start"))
    assert [a.series_index for a in rows] == [0, 2, 3, 4, 5]
    assert {a.start.astimezone(CHICAGO).time() for a in rows} == {dt.time(10)}
    assert series.occurrences == 6
    assert AuditEvent.objects.filter(event="series.book").count() == 1


def test_series_books_nothing_when_an_occurrence_not_skipped_conflicts(actor, therapy):
    ClosedDate.objects.create(organization=actor.organization, date=dt.date(2026, 12, 3), name="Staff day")
    with pytest.raises(ConflictError) as error:
        series_book(actor=actor, **therapy, **pattern())
    assert "Occurrence 2" in error.value.message
    assert not AppointmentSeries.objects.exists()
    assert not Appointment.objects.exists()


@time_machine.travel(dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC), tick=False)
def test_series_keeps_local_time_across_the_november_clock_change(actor, therapy):
    series = series_book(
        actor=actor, **therapy, **pattern(weekdays=[0, 2], first_date=dt.date(2026, 10, 26), occurrences=4)
    )
    rows = list(series.appointments.order_by("start"))
    assert [a.start.astimezone(CHICAGO) for a in rows] == [
        local(dt.date(2026, 10, 26), 10),
        local(dt.date(2026, 10, 28), 10),
        local(dt.date(2026, 11, 2), 10),
        local(dt.date(2026, 11, 4), 10),
    ]
    # 10:00 CDT is 15:00 UTC; after the change 10:00 CST is 16:00 UTC.
    assert [a.start.astimezone(dt.UTC).hour for a in rows] == [15, 15, 16, 16]


def test_cancel_the_rest_of_a_series(actor, therapy):
    series = series_book(actor=actor, **therapy, **pattern())
    cancelled = series_cancel_rest(actor=actor, series=series, from_number=3, reason="pat", note="Moving away")
    assert len(cancelled) == 4
    statuses = list(series.appointments.order_by("series_index").values_list("status", "cancellation_reason"))
    assert statuses == [("booked", ""), ("booked", "")] + [("cancelled", "pat")] * 4
    with pytest.raises(InvalidStateError):
        series_cancel_rest(actor=actor, series=series, from_number=3, reason="pat")
    with pytest.raises(ValidationError):
        series_cancel_rest(actor=actor, series=series, from_number=1, reason="")


def test_change_the_rest_to_new_weekdays_and_time(actor, therapy):
    series = series_book(actor=actor, **therapy, **pattern())
    moved = series_change_rest(actor=actor, series=series, from_number=3, weekdays=[0, 2], local_time=dt.time(11))
    # Occurrence 3 was Tuesday 12/08; the rest now fall on Mon/Wed from that day, at 11:00.
    assert [a.start.astimezone(CHICAGO) for a in moved] == [
        local(dt.date(2026, 12, 9), 11),
        local(dt.date(2026, 12, 14), 11),
        local(dt.date(2026, 12, 16), 11),
        local(dt.date(2026, 12, 21), 11),
    ]
    assert [a.series_index for a in moved] == [2, 3, 4, 5]
    active = series.appointments.filter(status="booked").order_by("series_index")
    assert [a.series_index for a in active] == [0, 1, 2, 3, 4, 5]
    assert series.appointments.filter(status="cancelled").count() == 4


def test_change_the_rest_to_a_time_the_spring_clock_change_skips_is_refused(actor, therapy):
    series = series_book(actor=actor, **therapy, **pattern())
    before = sorted(series.appointments.values_list("pk", "start", "status"))

    with pytest.raises(ConflictError) as error:
        series_change_rest(
            actor=actor, series=series, from_number=3, weekdays=[6], local_time=dt.time(2, 30),
            starting=dt.date(2027, 3, 14),
        )  # fmt: skip

    assert error.value.message == "Occurrence 3: 2:30 AM does not exist on 03/14/2027."
    assert sorted(series.appointments.values_list("pk", "start", "status")) == before


def test_change_the_rest_is_all_or_nothing(actor, therapy):
    series = series_book(actor=actor, **therapy, **pattern())
    before = sorted(series.appointments.values_list("pk", "start", "status"))
    parties = {k: therapy[k] for k in ("practitioner", "location", "appointment_type")}
    appointment_book(
        actor=actor,
        patient=PatientFactory(organization=actor.organization),
        start=local(dt.date(2026, 12, 16), 11),
        **parties,
    )

    with pytest.raises(ConflictError) as error:
        series_change_rest(actor=actor, series=series, from_number=3, weekdays=[0, 2], local_time=dt.time(11))

    assert "Occurrence 5" in error.value.message
    assert sorted(series.appointments.values_list("pk", "start", "status")) == before
