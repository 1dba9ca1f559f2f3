"""
measurement_record_checked (the FHIR Observation create's service): the same measurement, goal, audit entry
and errors as measurement_record for a patient the caller has just read with patient_get, without reading
the patient again, with the open goals given or looked up, and without a savepoint of its own.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carecoord.checkins import measurement_services, progress_selectors
from carecoord.checkins.models import Measurement
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.patients.selectors import patient_get
from tests.careplans.factories import GoalFactory
from tests.factories import make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def _original(actor, patient, **kwargs):
    return measurement_services.measurement_record(actor=actor, patient=patient, **kwargs)


def _checked(actor, patient, **kwargs):
    checked = patient_get(actor, patient.public_id, audit_event=None)
    return measurement_services.measurement_record_checked(actor=actor, patient=checked, **kwargs)


def _checked_with_goals(actor, patient, **kwargs):
    checked = patient_get(actor, patient.public_id, audit_event=None)
    goals = list(progress_selectors.open_goals_of_checked_patient(actor, checked))
    return measurement_services.measurement_record_checked(actor=actor, patient=checked, open_goals=goals, **kwargs)


SERVICES = [_original, _checked, _checked_with_goals]


def _args(kind="weight", value="80", value2=None, days_ago=1, **extra) -> dict:
    return {
        "kind": kind,
        "value": D(value),
        "value2": D(value2) if value2 else None,
        "occurred_at": NOW - dt.timedelta(days=days_ago),
        **extra,
    }


@pytest.mark.parametrize("service", SERVICES)
def test_the_first_open_goal_measuring_it_is_chosen_by_each_way(actor, patient, plan, service):
    GoalFactory(careplan=plan, description="Systolic", measure_code="8480-6", due_date=dt.date(2026, 12, 1))
    GoalFactory(careplan=plan, description="Old weight", measure_code="29463-7", lifecycle_status="completed",
                due_date=dt.date(2026, 1, 1))  # fmt: skip
    later = GoalFactory(careplan=plan, description="Weight later", measure_code="29463-7", due_date=dt.date(2027, 6, 1))
    sooner = GoalFactory(careplan=plan, description="Weight soon", measure_code="29463-7", due_date=dt.date(2027, 1, 1))
    measurement = service(actor, patient, **_args(note="  after lunch "))
    assert measurement.goal == sooner != later
    stored = Measurement.objects.get(pk=measurement.pk)
    assert (stored.kind, stored.loinc, stored.unit, stored.value, stored.note, stored.by) == (
        "weight", "29463-7", "kg", D(80), "after lunch", actor.user,
    )  # fmt: skip
    event = AuditEvent.objects.get(event="measurement.create")
    assert (event.object_id, event.patient_public_id, event.detail) == (
        str(measurement.public_id), patient.public_id, {"kind": "weight", "goal": str(sooner.public_id)},
    )  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_no_goal_when_none_measures_it(actor, patient, plan, service):
    GoalFactory(careplan=plan, description="Systolic", measure_code="8480-6")
    assert service(actor, patient, **_args()).goal is None


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"value": "0.4"}, "value", "between 0.5 and 500 kg"),
        ({"kind": "bp", "value": "120", "value2": "130"}, "value2", "systolic value must be above"),
        ({"kind": "nonsense", "value": "1"}, "kind", "Choose what was measured"),
        ({"days_ago": -1}, "occurred_at", "future"),
    ],
)
def test_the_same_values_are_refused_the_same_way(actor, patient, service, args, field, message):
    with pytest.raises(ValidationError, match=message) as caught:
        service(actor, patient, **_args(**args))
    assert caught.value.field == field
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("service", SERVICES)
def test_a_chosen_goal_must_be_open(actor, patient, plan, service):
    closed = GoalFactory(careplan=plan, measure_code="29463-7", lifecycle_status="cancelled")
    with pytest.raises(NotFoundError):
        service(actor, patient, **_args(goal=closed))


def test_roles_that_do_not_edit_patients_cannot_record(org, actor, patient):
    checked = patient_get(actor, patient.public_id, audit_event=None)
    with pytest.raises(PermissionDeniedError):
        measurement_services.measurement_record_checked(
            actor=make_actor(org, Role.SCHEDULER), patient=checked, **_args()
        )


def test_it_reads_no_patient_and_opens_no_savepoint_inside_the_callers_transaction(actor, patient):
    checked = patient_get(actor, patient.public_id, audit_event=None)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        measurement_services.measurement_record_checked(actor=actor, patient=checked, open_goals=[], **_args())
    statements = [q["sql"].lstrip().split(" ", 1)[0].upper() for q in captured.captured_queries]
    assert "SAVEPOINT" not in statements
    assert not any("patients_patient" in q["sql"].split(" FROM ", 1)[-1][:40] for q in captured.captured_queries)
    assert statements.count("SELECT") == 0  # the goals were given: nothing to look up
