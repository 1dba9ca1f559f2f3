"""
Writes for multi-visit plans and recurring series, each all or nothing.

Map:
- `visit_plan_create`, `visit_plan_propose`, `visit_plan_book` — save a plan's request, keep the planner's best
  proposal beside it, book every proposed visit in one transaction (or none).
- `series_book`, `series_cancel_rest`, `series_change_rest` — book a series' free occurrences at a place of care
  (the skipped ones kept on the series with their reason), cancel the rest from occurrence N, or move the rest
  to new weekdays and time.

Every booking goes through the same checks as `services.appointment_book` (its locking, time validation and
guarded save); a refusal anywhere raises, which rolls the whole transaction back. Practitioners are locked
before the patient, in id order, so these multi-party bookings never wait in a cycle with single bookings.
"""

import datetime as dt
from collections.abc import Collection

from django.db import transaction

from carecoord.careplans.models import CarePlan
from carecoord.careplans.selectors import careplans_for_patient
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from .choices import AppointmentStatus, CancellationReason, VisitPlanStatus
from .models import Appointment, AppointmentSeries, AppointmentType, VisitPlan
from .planning_selectors import (
    day_names,
    plan_compute,
    plan_references,
    proposal_visits,
    series_appointments,
    series_check,
    series_dates,
    series_get,
    visit_locations,
    visit_plan_get,
)
from .services import _own, _require_scheduler, _save_guarded, _validate_time, announce_changed, appointment_cancel
from .slots import local_instant

MAX_PLAN_VISITS = 40
MAX_SERIES_OCCURRENCES = 104
# Occurrences that still hold a time and can be cancelled or moved with the rest of the series.
OPEN_STATUSES = (AppointmentStatus.PROPOSED, AppointmentStatus.PENDING, AppointmentStatus.BOOKED)


def _when(actor: Actor, start: dt.datetime) -> str:
    return timefmt.day_date_time(start, actor.organization.tz)


def _lock_everyone(practitioners: Collection[Practitioner], patient: Patient) -> None:
    """Row locks on every practitioner (by id) and then the patient, the order single bookings use too."""
    ids = sorted({p.pk for p in practitioners})
    list(Practitioner.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))


def _book_visit(
    *,
    actor: Actor,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    **links,
) -> Appointment:
    """Books one visit with appointment_book's checks; the caller holds the locks and the transaction."""
    end = _validate_time(
        actor=actor,
        practitioner=practitioner,
        location=location,
        appointment_type=appointment_type,
        patient=patient,
        start=start,
    )
    appointment = Appointment(
        organization=actor.organization,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=appointment_type,
        start=end - dt.timedelta(minutes=appointment_type.duration_minutes),
        end=end,
        status=AppointmentStatus.BOOKED,
        booked_by=actor.user,
        **links,
    )
    _save_guarded(appointment.save)
    audit_record(actor=actor, event="appointment.book", action=AuditAction.CREATE, target=appointment, patient=patient)
    announce_changed(appointment)
    return appointment


# --- visit plans --------------------------------------------------------------------------------------------


def _check_request(request: dict) -> None:
    """Refuses a request whose shape the planner cannot use (the form already says this field by field)."""
    visits = request.get("visits") or []
    if not visits:
        raise ValidationError("Add at least one visit.", field="visits")
    if len(visits) > MAX_PLAN_VISITS:
        raise ValidationError(f"A plan holds at most {MAX_PLAN_VISITS} visits.", field="visits")
    keys = [visit.get("key") for visit in visits]
    if len(set(keys)) != len(keys) or not all(keys) or any("-" in key for key in keys):
        raise ValidationError("Each visit needs its own key.", field="visits")
    for order in request.get("orders") or []:
        if order.get("before") not in keys or order.get("after") not in keys or order["before"] == order["after"]:
            raise ValidationError("An order rule names two different visits of this plan.", field="orders")
    window = request.get("window") or {}
    if not window.get("first_day") or not window.get("last_day") or window["first_day"] > window["last_day"]:
        raise ValidationError("The search window ends before it starts.", field="window")


def _careplan_of(actor: Actor, patient: Patient, careplan: CarePlan | None) -> CarePlan | None:
    if careplan is not None and not careplans_for_patient(actor, patient).filter(pk=careplan.pk).exists():
        raise NotFoundError()
    return careplan


@transaction.atomic
def visit_plan_create(
    *, actor: Actor, patient: Patient, title: str, request: dict, careplan: CarePlan | None = None
) -> VisitPlan:
    """Saves the visits and constraints a coordinator entered as a draft plan (nothing is booked yet)."""
    _require_scheduler(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _check_request(request)
    plan_references(actor, request)
    plan = VisitPlan.objects.create(
        organization=actor.organization,
        patient=patient,
        careplan=_careplan_of(actor, patient, careplan),
        title=title.strip()[:200] or "Visit plan",
        request=request,
        created_by=actor.user,
    )
    audit_record(actor=actor, event="visit_plan.create", action=AuditAction.CREATE, target=plan, patient=patient)
    return plan


def visit_plan_propose(*, actor: Actor, plan: VisitPlan) -> VisitPlan:
    """
    Finds the best schedule for a draft plan now and keeps it as the plan's proposal (or the planner's
    explanation when nothing fits). The solver runs outside the transaction, so no lock is held meanwhile.
    """
    _require_scheduler(actor)
    plan = visit_plan_get(actor, plan.public_id)
    if plan.status != VisitPlanStatus.DRAFT:
        raise InvalidStateError("This plan is already booked or cancelled; start a new plan instead.")
    proposal = plan_compute(actor, plan)
    with transaction.atomic():
        plan.request = {**plan.request, "proposal": proposal}
        save_versioned(plan, expected_version=plan.version, fields=["request"])
        detail = {"feasible": proposal["feasible"], "visits": len(proposal["visits"]), "trips": proposal["trips"]}
        audit_record(
            actor=actor,
            event="visit_plan.propose",
            action=AuditAction.UPDATE,
            target=plan,
            patient=plan.patient,
            detail=detail,
        )
    return plan


@transaction.atomic
def visit_plan_book(*, actor: Actor, plan: VisitPlan, proposal: dict, expected_version: int) -> list[Appointment]:
    """
    Books every visit of `proposal` (the plan's stored proposal, as shown) in one transaction. If any visit is
    no longer free, nothing is booked and the ConflictError names that visit.
    """
    _require_scheduler(actor)
    plan = visit_plan_get(actor, plan.public_id)
    list(VisitPlan.objects.select_for_update().filter(pk=plan.pk).values_list("pk"))
    plan.refresh_from_db()
    if plan.status != VisitPlanStatus.DRAFT:
        raise InvalidStateError("This plan has already been booked.")
    if plan.version != expected_version or plan.request.get("proposal") != proposal:
        raise ConflictError("The plan changed after you opened it. Review the current proposal, then book again.")
    if not proposal.get("feasible") or not proposal.get("visits"):
        raise InvalidStateError("There is no proposal to book; find a plan first.")
    visits = proposal_visits(actor, proposal)
    patient = patient_get(actor, plan.patient.public_id, audit_event=None)
    for visit in visits:
        _own(actor, visit.practitioner)
        _own(actor, visit.location)
        _own(actor, visit.appointment_type)
    _lock_everyone([visit.practitioner for visit in visits], patient)
    booked = []
    for visit in visits:
        try:
            booked.append(
                _book_visit(
                    actor=actor,
                    patient=patient,
                    practitioner=visit.practitioner,
                    location=visit.location,
                    appointment_type=visit.appointment_type,
                    start=visit.start,
                    visit_plan=plan,
                    plan_visit_key=visit.key,
                )
            )
        except (ConflictError, ValidationError) as exc:
            raise ConflictError(
                f"“{visit.label}” on {_when(actor, visit.start)} is no longer free: {exc.message} "
                "Nothing was booked; find a fresh plan.",
                details={"visit": visit.key},
            ) from exc
    plan.status = VisitPlanStatus.BOOKED
    plan.booked_at = clock.now()
    save_versioned(plan, expected_version=plan.version, fields=["status", "booked_at"])
    audit_record(
        actor=actor,
        event="visit_plan.book",
        action=AuditAction.UPDATE,
        target=plan,
        patient=patient,
        detail={"appointments": [str(a.public_id) for a in booked]},
    )
    return booked


# --- recurring series ---------------------------------------------------------------------------------------


def _series_parties(actor: Actor, patient, practitioner, location, appointment_type) -> Patient:
    _require_scheduler(actor)
    _own(actor, practitioner)
    _own(actor, location)
    _own(actor, appointment_type)
    return patient_get(actor, patient.public_id, audit_event=None)


def _check_pattern(weekdays: Collection[int], occurrences: int) -> None:
    if not weekdays or any(day not in range(7) for day in weekdays):
        raise ValidationError("Choose at least one weekday.", field="weekdays")
    if not 1 <= occurrences <= MAX_SERIES_OCCURRENCES:
        raise ValidationError(f"A series has 1 to {MAX_SERIES_OCCURRENCES} occurrences.", field="occurrences")


def _book_occurrences(actor, series, patient, occurrences) -> list[Appointment]:
    """Books (number, start) pairs of a series; the first refusal names its occurrence and undoes everything."""
    booked = []
    for number, start in occurrences:
        try:
            booked.append(
                _book_visit(
                    actor=actor,
                    patient=patient,
                    practitioner=series.practitioner,
                    location=series.location,
                    appointment_type=series.appointment_type,
                    start=start,
                    series=series,
                    series_index=number - 1,
                )
            )
        except (ConflictError, ValidationError) as exc:
            raise ConflictError(
                f"Occurrence {number} ({_when(actor, start)}) cannot be booked: {exc.message} Nothing was booked.",
                details={"occurrence": number},
            ) from exc
    return booked


@transaction.atomic
def series_book(
    *,
    actor: Actor,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    weekdays: Collection[int],
    local_time: dt.time,
    first_date: dt.date,
    occurrences: int,
    skip: Collection[int] = (),
) -> AppointmentSeries:
    """
    Creates the series and books each occurrence (numbered from 1) except those in `skip`, all or nothing.
    Times are local wall-clock: 10:00 stays 10:00 across daylight-saving changes.
    """
    patient = _series_parties(actor, patient, practitioner, location, appointment_type)
    if not visit_locations(actor.organization).filter(pk=location.pk).exists():
        raise ValidationError(
            f"{location.name} is not a place of care; choose where the visits happen.", field="location"
        )
    _check_pattern(weekdays, occurrences)
    _lock_everyone([practitioner], patient)
    checks = series_check(
        actor,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=appointment_type,
        weekdays=weekdays,
        local_time=local_time,
        first_date=first_date,
        occurrences=occurrences,
    )
    wanted = [(c.number, c.start) for c in checks if c.number not in set(skip)]
    skipped = [
        {"number": c.number, "day": c.day.isoformat(), "problem": c.problem or "skipped at booking"}
        for c in checks
        if c.number in set(skip)
    ]
    if not wanted:
        raise ValidationError("Every occurrence is skipped; there is nothing to book.", field="occurrences")
    unbookable = next((c for c in checks if c.number not in set(skip) and c.start is None), None)
    if unbookable is not None:
        raise ConflictError(f"Occurrence {unbookable.number} cannot be booked: {unbookable.problem}.")
    series = AppointmentSeries.objects.create(
        organization=actor.organization,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=appointment_type,
        weekdays=sorted(set(weekdays)),
        local_time=local_time,
        first_date=first_date,
        occurrences=occurrences,
        skipped=skipped,
        created_by=actor.user,
    )
    booked = _book_occurrences(actor, series, patient, wanted)
    audit_record(
        actor=actor,
        event="series.book",
        action=AuditAction.CREATE,
        target=series,
        patient=patient,
        detail={"booked": len(booked), "skipped": sorted(set(skip))},
    )
    return series


def _rest(series: AppointmentSeries, from_number: int) -> list[Appointment]:
    """The series' open occurrences numbered `from_number` or later that have not started yet."""
    now = clock.now()
    return [
        appointment
        for appointment in series_appointments(series)
        if appointment.series_index is not None
        and appointment.series_index + 1 >= from_number
        and appointment.status in OPEN_STATUSES
        and appointment.start > now
    ]


@transaction.atomic
def series_cancel_rest(
    *, actor: Actor, series: AppointmentSeries, from_number: int, reason: str, note: str = ""
) -> list[Appointment]:
    """Cancels every open, future occurrence from number `from_number` on, with one reason, all or nothing."""
    if reason not in CancellationReason.values:
        raise ValidationError("Choose a reason for the cancellation.", field="reason")
    _require_scheduler(actor)
    series = series_get(actor, series.public_id)
    rest = _rest(series, from_number)
    if not rest:
        raise InvalidStateError(f"No upcoming occurrence from number {from_number} is left to cancel.")
    cancelled = [appointment_cancel(actor=actor, appointment=a, reason=reason, note=note) for a in rest]
    audit_record(
        actor=actor,
        event="series.cancel_rest",
        action=AuditAction.UPDATE,
        target=series,
        patient=series.patient,
        detail={"from": from_number, "cancelled": len(cancelled), "reason": reason},
    )
    return cancelled


@transaction.atomic
def series_change_rest(
    *,
    actor: Actor,
    series: AppointmentSeries,
    from_number: int,
    weekdays: Collection[int],
    local_time: dt.time,
    starting: dt.date | None = None,
) -> list[Appointment]:
    """
    Moves the open, future occurrences from number `from_number` on to new weekdays and time, starting on
    `starting` (default: the day of the first moved occurrence), keeping their numbers. They are cancelled
    and booked again at the new times in one transaction, so one clash leaves the whole series unchanged.
    """
    series = series_get(actor, series.public_id)
    patient = _series_parties(actor, series.patient, series.practitioner, series.location, series.appointment_type)
    rest = _rest(series, from_number)
    if not rest:
        raise InvalidStateError(f"No upcoming occurrence from number {from_number} is left to move.")
    _check_pattern(weekdays, len(rest))
    first = starting or rest[0].start.astimezone(actor.organization.tz).date()
    days = series_dates(first, weekdays, len(rest))
    _lock_everyone([series.practitioner], patient)
    pattern = f"{', '.join(day_names(weekdays))} at {timefmt.clock(local_time)}"
    for appointment in rest:
        appointment_cancel(
            actor=actor, appointment=appointment, reason=CancellationReason.OTHER, note=f"Series moved to {pattern}."
        )
    moves = []
    for appointment, day in zip(rest, days, strict=True):
        start = local_instant(day, local_time, actor.organization.tz)
        if start is None:
            number = appointment.series_index + 1
            raise ConflictError(
                f"Occurrence {number}: {timefmt.clock(local_time)} does not exist on {timefmt.day(day)}."
            )
        moves.append((appointment.series_index + 1, start))
    booked = _book_occurrences(actor, series, patient, moves)
    audit_record(
        actor=actor,
        event="series.change_rest",
        action=AuditAction.UPDATE,
        target=series,
        patient=patient,
        detail={"from": from_number, "moved": len(booked), "to": pattern},
    )
    return booked
