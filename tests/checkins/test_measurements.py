"""Recording measurements: range checks per kind, goal matching, and the goal's achievement status following."""

import datetime as dt
from decimal import Decimal as D

import pytest

from carecoord.careplans.models import CarePlanRevision, Goal
from carecoord.checkins import measurement_services as services
from carecoord.checkins.charts import MeasurementSeries, describe, measurement_chart_svg, svg_data_uri
from carecoord.checkins.models import Measurement
from carecoord.core.choices import Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from tests.careplans.factories import CarePlanFactory, GoalFactory
from tests.factories import PatientFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def systolic_goal(plan, **fields):
    defaults = {"description": "Systolic below 130", "measure_code": "8480-6", "measure_display": "Systolic BP",
                "target_comparator": "<", "target_value": D(130), "target_unit": "mm[Hg]"}  # fmt: skip
    return GoalFactory(careplan=plan, **{**defaults, **fields})


def record(actor, patient, kind="weight", value="80", days_ago=1, **kwargs):
    return services.measurement_record(
        actor=actor,
        patient=patient,
        kind=kind,
        value=D(value),
        occurred_at=NOW - dt.timedelta(days=days_ago),
        **kwargs,
    )


# Validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "value2", "field", "message"),
    [
        ("weight", "0.4", None, "value", "between 0.5 and 500 kg"),
        ("hba1c", "21", None, "value", "between 3 and 20 %"),
        ("pain", "11", None, "value", "between 0 and 10"),
        ("bp", "120", None, "value2", "diastolic value too"),
        ("bp", "120", "130", "value2", "systolic value must be above the diastolic"),
        ("bp", "120", "120", "value2", "systolic value must be above the diastolic"),
        ("bp", "120", "20", "value2", "between 40 and 300"),
        ("weight", "80", "70", "value2", "one value only"),
        ("nonsense", "1", None, "kind", "Choose what was measured"),
    ],
)
def test_values_are_checked_against_the_kind(actor, patient, kind, value, value2, field, message):
    with pytest.raises(ValidationError, match=message) as caught:
        record(actor, patient, kind=kind, value=value, value2=D(value2) if value2 else None)
    assert caught.value.field == field
    assert not Measurement.objects.exists()


def test_a_measurement_cannot_be_in_the_future(actor, patient):
    with pytest.raises(ValidationError, match="future") as caught:
        record(actor, patient, days_ago=-1)
    assert caught.value.field == "occurred_at"


def test_a_blood_pressure_keeps_both_values_with_loinc_and_unit_and_is_audited(actor, patient):
    m = record(actor, patient, kind="bp", value="142", value2=D(88))
    assert (m.loinc, m.unit, m.value, m.value2, m.goal) == ("85354-9", "mm[Hg]", D(142), D(88), None)
    event = AuditEvent.objects.get(event="measurement.create")
    assert (event.object_id, event.patient_public_id) == (str(m.public_id), patient.public_id)


def test_roles_that_do_not_edit_patients_cannot_record(org, patient):
    scheduler = make_actor(org, Role.SCHEDULER)
    with pytest.raises(PermissionDeniedError):
        record(scheduler, patient)


def test_another_organization_cannot_record_for_the_patient(other_actor, patient):
    with pytest.raises(NotFoundError):
        record(other_actor, patient)


# Goals ------------------------------------------------------------------------------------------------------


def test_a_measurement_counts_toward_the_open_goal_measuring_it_and_moves_its_status(actor, patient, plan):
    goal = systolic_goal(plan)
    GoalFactory(careplan=plan, description="Lose weight", measure_code="29463-7", target_comparator="<",
                target_value=D(75))  # fmt: skip

    first = record(actor, patient, kind="bp", value="150", value2=D(90), days_ago=10)
    assert first.goal == goal
    goal.refresh_from_db()
    assert goal.achievement_status == "in-progress"

    record(actor, patient, kind="bp", value="140", value2=D(85), days_ago=5)
    goal.refresh_from_db()
    assert goal.achievement_status == "improving"

    record(actor, patient, kind="bp", value="128", value2=D(80), days_ago=2)
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"

    record(actor, patient, kind="bp", value="126", value2=D(80), days_ago=1)
    goal.refresh_from_db()
    assert goal.achievement_status == "sustaining"
    # Saved through the care-plan service: the plan's history shows the change.
    assert CarePlanRevision.objects.filter(careplan=plan, summary__startswith="Goal changed").exists()
    assert AuditEvent.objects.filter(event="goal.update", object_id=str(goal.public_id)).count() == 3


def test_a_diastolic_goal_follows_the_second_value(actor, patient, plan):
    goal = GoalFactory(careplan=plan, description="Diastolic below 80", measure_code="8462-4", target_comparator="<",
                       target_value=D(80))  # fmt: skip
    record(actor, patient, kind="bp", value="150", value2=D(79))  # systolic far off, diastolic met
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"


def test_measurements_are_ordered_by_when_they_happened_not_when_entered(actor, patient, plan):
    goal = systolic_goal(plan)
    record(actor, patient, kind="bp", value="128", value2=D(80), days_ago=1)
    record(actor, patient, kind="bp", value="150", value2=D(90), days_ago=20)  # entered late, happened first
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"  # the latest (by time) meets the target; the one before does not


def test_a_goal_chosen_explicitly_must_be_open_and_measure_the_same_thing(actor, patient, plan):
    weight_goal = GoalFactory(careplan=plan, description="Weight", measure_code="29463-7")
    with pytest.raises(ValidationError, match="measures"):
        record(actor, patient, kind="bp", value="120", value2=D(80), goal=weight_goal)
    closed = systolic_goal(plan, lifecycle_status="completed")
    with pytest.raises(NotFoundError):
        record(actor, patient, kind="bp", value="120", value2=D(80), goal=closed)
    other_patient_goal = systolic_goal(CarePlanFactory(patient=PatientFactory(organization=patient.organization)))
    with pytest.raises(NotFoundError):
        record(actor, patient, kind="bp", value="120", value2=D(80), goal=other_patient_goal)
    free_goal = GoalFactory(careplan=plan, description="Walk more")  # no code: any kind may count toward it
    assert record(actor, patient, kind="steps", value="4000", goal=free_goal).goal == free_goal


def test_without_a_matching_goal_nothing_is_tied(actor, patient, plan):
    systolic_goal(plan, lifecycle_status="cancelled")
    assert record(actor, patient, kind="bp", value="120", value2=D(80)).goal is None


def test_entered_in_error_no_longer_counts_and_the_status_is_recomputed(actor, patient, plan):
    goal = systolic_goal(plan)
    record(actor, patient, kind="bp", value="150", value2=D(90), days_ago=3)
    wrong = record(actor, patient, kind="bp", value="120", value2=D(80), days_ago=1)
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"

    services.measurement_enter_in_error(actor=actor, measurement=wrong, reason="typo")
    wrong.refresh_from_db()
    goal.refresh_from_db()
    assert wrong.entered_in_error
    assert goal.achievement_status == "in-progress"
    assert AuditEvent.objects.filter(event="measurement.enter_in_error").count() == 1
    with pytest.raises(InvalidStateError):
        services.measurement_enter_in_error(actor=actor, measurement=wrong)


def test_a_goal_without_a_target_keeps_its_status(actor, patient, plan):
    goal = GoalFactory(
        careplan=plan, description="Feel stronger", measure_code="83172-7", achievement_status="improving"
    )
    record(actor, patient, kind="gait_speed", value="0.8")
    goal.refresh_from_db()
    assert goal.achievement_status == "improving"
    assert Goal.objects.get(pk=goal.pk).version == goal.version


def test_only_the_recording_organization_marks_in_error(actor, other_actor, patient):
    m = record(actor, patient)
    with pytest.raises(NotFoundError):
        services.measurement_enter_in_error(actor=other_actor, measurement=m)


# Charts -----------------------------------------------------------------------------------------------------


def test_the_chart_is_svg_with_title_desc_target_and_no_script():
    points = [(dt.datetime(2026, 10, 1, 9), D(150), D(90)), (dt.datetime(2026, 11, 1, 9), D(128), D(80))]
    series = MeasurementSeries("bp", points, "<", D(130), None, "Systolic BP below 130 mm[Hg]")
    svg = measurement_chart_svg(series)
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert '<title id="' in svg
    assert "Blood pressure (mmHg)" in svg
    assert "<desc" in svg
    assert "2 measurements from 10/01/2026 (150/90 mmHg) to 11/01/2026 (128/80 mmHg)" in svg
    assert "Target: Systolic BP below 130 mm[Hg]." in svg
    assert ">Target<" in svg
    assert ">Diastolic<" in svg
    assert svg_data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_a_between_target_draws_a_band_of_two_lines():
    series = MeasurementSeries("glucose", [(dt.datetime(2026, 11, 1), D(180), None)], "between", D(80), D(130), "x")
    svg = measurement_chart_svg(series)
    assert "Target (low)" in svg
    assert "Target (high)" in svg
    assert describe(MeasurementSeries("glucose", [])) == "No blood glucose measurements yet."
