"""
Writes on measurements: record one (range-checked per kind, optionally toward a goal) and mark one entered in
error. After either, the goal's achievement status is recomputed from its measurements (oldest first) with
`domain.achievement_from` and saved through the care-plan service `goal_update`.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import GoalAchievementStatus
from carecoord.careplans.models import Goal
from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_entry, audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from .domain import achievement_from
from .measures import MEASURES, MeasureKind
from .models import Measurement
from .progress_selectors import DIASTOLIC_BP, measure_codes, open_goals_listed, open_goals_of_checked_patient


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_measurement_values(measure: MeasureKind, value: Decimal, value2: Decimal | None) -> None:
    """Raises ValidationError unless the values are plausible for the kind (and systolic above diastolic)."""
    for name, number, label in (("value", value, measure.display), ("value2", value2, measure.second_display)):
        if number is None:
            continue
        if not measure.low <= number <= measure.high:
            raise ValidationError(
                f"{label} must be between {_plain(measure.low)} and {_plain(measure.high)}{_unit(measure)}.",
                field=name,
            )
    if measure.paired and value2 is None:
        raise ValidationError(f"Give the {measure.second_display.lower()} value too.", field="value2")
    if not measure.paired and value2 is not None:
        raise ValidationError(f"{measure.display} has one value only.", field="value2")
    if measure.paired and value2 is not None and value <= value2:
        raise ValidationError("The systolic value must be above the diastolic value.", field="value2")


def _goal_for(actor: Actor, patient: Patient, kind: str, goal: Goal | None, open_goals: list | None) -> Goal | None:
    """The goal a new measurement counts toward: the one chosen, else the first open goal measuring it."""
    if goal is None:
        goals = open_goals if open_goals is not None else open_goals_listed(actor, patient)
        return next((g for g in goals if g.measure_code in measure_codes(kind)), None)
    if not open_goals_of_checked_patient(actor, patient).filter(pk=goal.pk).exists():
        raise NotFoundError("That goal is not an open goal of this patient.")
    if goal.measure_code and goal.measure_code not in measure_codes(kind):
        raise ValidationError(f"That goal measures {goal.measure_display or goal.measure_code}.", field="goal")
    return goal


@transaction.atomic
def measurement_record(
    *,
    actor: Actor,
    patient: Patient,
    kind: str,
    value: Decimal,
    occurred_at: dt.datetime,
    value2: Decimal | None = None,
    goal: Goal | None = None,
    note: str = "",
) -> Measurement:
    """Records a measurement; tied to a goal, the goal's achievement status follows its measurements."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    return measurement_record_checked(
        actor=actor, patient=patient, kind=kind, value=value, occurred_at=occurred_at, value2=value2, goal=goal,
        note=note,
    )  # fmt: skip


def measurement_record_checked(
    *,
    actor: Actor,
    patient: Patient,
    kind: str,
    value: Decimal,
    occurred_at: dt.datetime,
    value2: Decimal | None = None,
    goal: Goal | None = None,
    note: str = "",
    open_goals: list[Goal] | None = None,
    insert_later: Callable[[Measurement, AuditEvent], None] | None = None,
) -> Measurement:
    """
    `measurement_record` for a patient `patient_get` has just returned to this actor in this transaction (the
    FHIR Observation create, one resource or many in a transaction Bundle): the patient is not read again and
    the goal look-up does not embed the visibility query again (together most of a create's CPU time).
    `open_goals`: `open_goals_of_checked_patient(actor, patient)` as a list, when the caller holds it already.
    Every check runs before the first write; the writes open no savepoint of their own, so an error after the
    first write (from the goal's recompute) leaves the caller's transaction to roll back.
    `insert_later` (a FHIR create, alone or in a transaction Bundle, which inserts its new rows together at the
    end of its transaction: interop/fhir/deferred.py): a measurement toward no goal is not inserted here; the
    unsaved measurement and its audit entry (audit_entry, what audit_record would write) are handed to it, to
    insert in this transaction before anything reads them.
    """
    require_patient_editor(actor)
    measure = MEASURES.get(kind)
    if measure is None:
        raise ValidationError("Choose what was measured.", field="kind")
    check_measurement_values(measure, value, value2)
    if occurred_at > clock.now():
        raise ValidationError("A measurement cannot be in the future.", field="occurred_at")
    goal = _goal_for(actor, patient, kind, goal, open_goals)
    measurement = Measurement(
        organization=actor.organization,
        patient=patient,
        goal=goal,
        kind=kind,
        loinc=measure.loinc,
        value=value,
        value2=value2,
        unit=measure.unit,
        occurred_at=occurred_at,
        by=actor.user,
        note=(note or "").strip()[:300],
    )
    audit = {
        "actor": actor,
        "event": "measurement.create",
        "action": AuditAction.CREATE,
        "target": measurement,
        "patient": patient,
        "detail": {"kind": kind, "goal": str(goal.public_id) if goal else None},
    }
    if goal is None and insert_later is not None:
        insert_later(measurement, audit_entry(**audit))  # nothing to recompute: no goal reads it
        return measurement
    with transaction.atomic(savepoint=False):
        measurement.save(force_insert=True)
        audit_record(**audit)
        if goal is not None:
            goal_recompute_achievement(actor=actor, goal=goal)
        return measurement


@transaction.atomic
def measurement_enter_in_error(*, actor: Actor, measurement: Measurement, reason: str = "") -> Measurement:
    """Marks a measurement entered in error (it stays, struck out); its goal's status is recomputed."""
    require_patient_editor(actor)
    patient_get(actor, measurement.patient.public_id, audit_event=None)
    if measurement.organization_id != actor.organization.pk:
        raise NotFoundError()
    if measurement.entered_in_error:
        raise InvalidStateError("This measurement is already marked entered in error.")
    updated = Measurement.objects.filter(pk=measurement.pk, entered_in_error=False).update(
        entered_in_error=True, updated_at=clock.now()
    )
    if not updated:
        raise InvalidStateError("This measurement is already marked entered in error.")
    measurement.entered_in_error = True
    audit_record(
        actor=actor,
        event="measurement.enter_in_error",
        action=AuditAction.UPDATE,
        target=measurement,
        patient=measurement.patient,
        detail={"reason": (reason or "")[:200]},
    )
    if measurement.goal_id:
        goal_recompute_achievement(actor=actor, goal=measurement.goal)
    return measurement


def goal_values(goal: Goal) -> list[Decimal]:
    """The goal's measured values, oldest first: blood pressure counts systolic unless the goal is diastolic."""
    use_second = goal.measure_code == DIASTOLIC_BP
    rows = goal.measurements.filter(entered_in_error=False).order_by("occurred_at", "id").values_list("value", "value2")
    return [second if use_second and second is not None else first for first, second in rows]


def goal_recompute_achievement(*, actor: Actor, goal: Goal) -> Goal:
    """Saves the achievement status the goal's measurements support (no change without a target)."""
    goal = Goal.objects.select_related("careplan", "patient").get(pk=goal.pk)  # the current version
    if not goal.target_comparator or goal.target_value is None:
        return goal
    status = achievement_from(goal_values(goal), goal.target_comparator, goal.target_value, goal.target_value_high)
    status = status or GoalAchievementStatus.IN_PROGRESS
    if status == goal.achievement_status:
        return goal
    return careplan_services.goal_achievement_measured(
        actor=actor, goal=goal, status=status, expected_version=goal.version
    )


def _unit(measure: MeasureKind) -> str:
    return f" {measure.unit_label}" if measure.unit_label else ""
