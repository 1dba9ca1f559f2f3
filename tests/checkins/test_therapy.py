"""Therapy plans of care: visits counted from kept appointments, worklist tasks once each, the progress report."""

import datetime as dt
from decimal import Decimal as D

import pytest

from carecoord.careplans.models import Task
from carecoord.checkins import therapy_pdf, therapy_services
from carecoord.checkins.measurement_services import measurement_record
from carecoord.checkins.models import Measurement, TherapyPlan
from carecoord.checkins.therapy_jobs import recount_therapy_plans
from carecoord.core.errors import ConflictError, NotFoundError, ValidationError
from carecoord.scheduling.models import Appointment
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.factories import PatientFactory, PractitionerFactory
from tests.scheduling.factories import AppointmentTypeFactory, clinic

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 26)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado", birth_date=dt.date(1948, 3, 7))


@pytest.fixture
def site(org):
    practitioner, location, kind = clinic(org, given_name="Pat", family_name="Therapist")
    return {"practitioner": practitioner, "location": location, "kind": kind}


def visit(patient, site, when, status="fulfilled", kind=None):
    return Appointment.objects.create(
        organization=patient.organization, patient=patient, practitioner=site["practitioner"],
        location=site["location"], appointment_type=kind or site["kind"], start=when,
        end=when + dt.timedelta(minutes=30), status=status,
    )  # fmt: skip


def plan_data(**overrides):
    data = {"discipline": "PT", "certification_start": dt.date(2026, 11, 1), "certification_end": dt.date(2026, 12, 30),
            "visits_planned": 12, "progress_report_every": 10}  # fmt: skip
    return {**data, **overrides}


def create(actor, patient, site, **overrides):
    return therapy_services.therapy_plan_create(
        actor=actor, patient=patient, data=plan_data(**overrides), appointment_types=[site["kind"]]
    )


def therapy_tasks(plan):
    return Task.objects.filter(focus_type="checkins.TherapyPlan", focus_id=plan.public_id).order_by("id")


# Visits -----------------------------------------------------------------------------------------------------


def test_visits_used_counts_fulfilled_visits_of_the_plans_types_within_the_period(actor, patient, site, org):
    other_kind = AppointmentTypeFactory(organization=org, name="Speech")
    visit(patient, site, dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC))
    visit(patient, site, dt.datetime(2026, 11, 4, 15, tzinfo=dt.UTC))
    visit(patient, site, dt.datetime(2026, 11, 6, 15, tzinfo=dt.UTC), status="noshow")
    visit(patient, site, dt.datetime(2026, 11, 9, 15, tzinfo=dt.UTC), status="booked")
    visit(patient, site, dt.datetime(2026, 11, 10, 15, tzinfo=dt.UTC), kind=other_kind)
    visit(patient, site, dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC))  # Oct 31, 23:30 in Chicago: before
    visit(patient, site, dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC))  # Nov 1, 00:30 in Chicago: inside
    visit(PatientFactory(organization=org), site, dt.datetime(2026, 11, 3, 15, tzinfo=dt.UTC))
    plan = create(actor, patient, site)
    assert TherapyPlan.objects.get(pk=plan.pk).visits_used == 3


def test_recount_follows_new_visits_without_moving_the_edit_version(actor, patient, site):
    plan = create(actor, patient, site)
    version = TherapyPlan.objects.get(pk=plan.pk).version
    visit(patient, site, dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))
    plan = therapy_services.therapy_plan_recount(plan=plan)
    stored = TherapyPlan.objects.get(pk=plan.pk)
    assert (stored.visits_used, stored.version) == (1, version)


# Tasks ------------------------------------------------------------------------------------------------------


def test_a_new_plan_gets_its_recertification_task_due_two_weeks_before_the_end(actor, patient, site):
    plan = create(actor, patient, site)
    (task,) = therapy_tasks(plan)
    assert task.title == "Physical therapy: recertify the plan of care"
    assert (task.due_date, task.source, task.owner_role) == (dt.date(2026, 12, 16), "checkins", "coordinator")


def test_progress_report_and_visits_running_out_tasks_are_created_once(actor, patient, site):
    plan = create(actor, patient, site, visits_planned=12, progress_report_every=5)
    for day in range(2, 12):
        visit(patient, site, dt.datetime(2026, 11, day, 15, tzinfo=dt.UTC))
    therapy_services.therapy_plan_recount(plan=plan)
    therapy_services.therapy_plan_recount(plan=plan)  # again: nothing new
    titles = list(therapy_tasks(plan).values_list("title", flat=True))
    assert titles == [
        "Physical therapy: recertify the plan of care",
        "Physical therapy: progress report due (visit 10)",
        "Physical therapy: 2 of 12 visits left",
    ]
    visit(patient, site, dt.datetime(2026, 11, 12, 15, tzinfo=dt.UTC))
    recount_therapy_plans()
    recount_therapy_plans()
    assert therapy_tasks(plan).count() == 3  # visit 11: no new report yet, the visits task is the same one


def test_the_hourly_job_skips_inactive_plans_and_patients_no_longer_visible(actor, patient, site):
    plan = create(actor, patient, site, progress_report_every=1)
    TherapyPlan.objects.filter(pk=plan.pk).update(active=False)
    visit(patient, site, dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))
    recount_therapy_plans()
    assert TherapyPlan.objects.get(pk=plan.pk).visits_used == 0
    assert therapy_tasks(plan).count() == 1


def test_a_tasks_goes_on_the_linked_care_plan_when_it_is_open(actor, patient, site):
    careplan = CarePlanFactory(patient=patient, author=actor.user, status="active")
    plan = create(actor, patient, site, careplan=careplan)
    assert therapy_tasks(plan).get().careplan == careplan


# Validation and editing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "field"), [
    ({"certification_end": dt.date(2026, 10, 31)}, "certification_end"),
    ({"certification_end": dt.date(2027, 1, 30)}, "certification_end"),  # 91 days: recertify at least every 90
    ({"visits_planned": 0}, "visits_planned"),
    ({"progress_report_every": 11}, "progress_report_every"),
    ({"discipline": "XX"}, "discipline"),
])  # fmt: skip
def test_plans_are_checked(actor, patient, site, overrides, field):
    with pytest.raises(ValidationError) as caught:
        create(actor, patient, site, **overrides)
    assert caught.value.field == field
    assert not TherapyPlan.objects.exists()


def test_practitioners_and_types_must_be_the_organizations(actor, patient, site, other_org):
    with pytest.raises(NotFoundError):
        create(actor, patient, site, referring_practitioner=PractitionerFactory(organization=other_org))
    with pytest.raises(NotFoundError):
        therapy_services.therapy_plan_create(
            actor=actor, patient=patient, data=plan_data(),
            appointment_types=[AppointmentTypeFactory(organization=other_org)],
        )  # fmt: skip


def test_an_edit_needs_the_current_version_and_recounts(actor, patient, site):
    plan = create(actor, patient, site)
    version = TherapyPlan.objects.get(pk=plan.pk).version
    visit(patient, site, dt.datetime(2026, 12, 29, 15, tzinfo=dt.UTC), status="fulfilled")
    updated = therapy_services.therapy_plan_update(
        actor=actor, plan=plan, data=plan_data(certification_end=dt.date(2026, 12, 31)),
        appointment_types=[site["kind"]], expected_version=version,
    )  # fmt: skip
    assert updated.visits_used == 1
    assert therapy_tasks(plan).filter(title__contains="recertify").count() == 2  # one per certification end
    with pytest.raises(ConflictError):
        therapy_services.therapy_plan_update(actor=actor, plan=plan, data=plan_data(), appointment_types=[],
                                             expected_version=version)  # fmt: skip


def test_another_organization_cannot_create_or_edit(actor, other_actor, patient, site):
    with pytest.raises(NotFoundError):
        create(other_actor, patient, site)
    plan = create(actor, patient, site)
    with pytest.raises(NotFoundError):
        therapy_services.therapy_plan_update(actor=other_actor, plan=plan, data=plan_data(), appointment_types=[],
                                             expected_version=plan.version)  # fmt: skip


# The progress report ----------------------------------------------------------------------------------------


def test_the_progress_report_shows_plan_visits_functional_measures_and_goals(actor, patient, site):
    referrer = PractitionerFactory(organization=patient.organization, given_name="Ada", family_name="Lovelace")
    careplan = CarePlanFactory(patient=patient, author=actor.user)
    GoalFactory(careplan=careplan, description="Walk faster", measure_code="83172-7", target_comparator=">=",
                target_value=D("1.0"), target_unit="m/s")  # fmt: skip
    plan = create(actor, patient, site, referring_practitioner=referrer, careplan=careplan)
    for days_ago, speed, tug in ((20, "0.6", "18"), (10, "0.7", "15"), (2, "0.85", "12.5")):
        at = NOW - dt.timedelta(days=days_ago)
        measurement_record(actor=actor, patient=patient, kind="gait_speed", value=D(speed), occurred_at=at)
        measurement_record(actor=actor, patient=patient, kind="tug", value=D(tug), occurred_at=at)
    outside = measurement_record(actor=actor, patient=patient, kind="pain", value=D(3),
                                 occurred_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC))  # fmt: skip
    assert Measurement.objects.filter(pk=outside.pk).exists()

    html = therapy_pdf.progress_report_html(actor, plan)
    assert "Physical therapy progress report" in html
    assert "Rosa Delgado" in html
    assert "March 7, 1948" in html
    assert "For Ada Lovelace, MD, referring provider" in html
    assert "November 1, 2026 to December 30, 2026" in html
    assert "0 of 12 used (12 left)" in html
    assert "Gait speed (4-metre walk)" in html
    assert "+0.25" in html
    assert "better" in html
    assert "Timed up and go (TUG)" in html
    assert "-5.5" in html
    assert "Pain severity" not in html  # measured before the certification period
    assert "Walk faster" in html
    assert "Therapist signature and date" in html


def test_the_progress_report_is_a_pdf(actor, patient, site):
    # pypdf is not a dependency, and WeasyPrint subsets fonts (no plain text to search): the HTML the PDF is
    # made from is checked above; here, that a real one-page-or-more PDF comes out.
    plan = create(actor, patient, site)
    document = therapy_pdf.progress_report_pdf(actor, plan)
    assert document.startswith(b"%PDF")
    assert document.rstrip().endswith(b"%%EOF")
    assert len(document) > 5000  # text and fonts, not an empty page
