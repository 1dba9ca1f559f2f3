"""
JSON endpoints of scheduling at /api/v1/scheduling/: free slots, a patient's appointments, and booking,
rescheduling, cancelling and status changes through the same selectors and services as the pages.

Inputs are read leniently (strings) and checked here, so a bad value answers 400 with
{"code", "message", "field"} like every other refusal, rather than the framework's own 422 shape. Times
go out as ISO 8601 in the organization's time zone, with its offset. Another organization's record, or
a patient the caller may not see, answers 404; so does every endpoint to a role that sees no patients (an
auditor), through the API's ClinicalSessionAuth (carecoord/api.py).
"""

import datetime as dt
import uuid

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.patients.selectors import patient_get

from . import services
from .models import Appointment, AppointmentType
from .selectors import (
    MAX_WINDOW_DAYS,
    appointment_get,
    appointments_visible_to,
    location_get,
    patient_availability,
    practitioner_get,
    scheduling_preference_for,
    slots_available,
)

router = Router(tags=["scheduling"])

DEFAULT_SLOT_DAYS = 14
DEFAULT_LIST_DAYS = 30
MAX_LIMIT = 500


# Schemas ----------------------------------------------------------------------------------------------------


class Ref(Schema):
    id: uuid.UUID
    name: str


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    practitioner: Ref
    location: Ref


class SlotsOut(Schema):
    appointment_type: Ref
    first_day: dt.date
    last_day: dt.date
    slots: list[SlotOut]


class AppointmentOut(Schema):
    id: uuid.UUID
    status: str
    start: dt.datetime
    end: dt.datetime
    patient: Ref
    practitioner: Ref | None
    location: Ref | None
    appointment_type: Ref | None
    is_outside: bool
    reason: str
    notes: str
    cancellation_reason: str
    version: int


class AppointmentsOut(Schema):
    appointments: list[AppointmentOut]
    truncated: bool


class SlotQuery(Schema):
    type: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    practitioner: str | None = None
    location: str | None = None
    specialty: str | None = Field(None, max_length=10)
    language: str | None = Field(None, max_length=12)
    patient: str | None = None
    use_patient_availability: bool = True
    limit: int = Field(100, ge=1, le=MAX_LIMIT)


class AppointmentQuery(Schema):
    patient: str | None = None
    practitioner: str | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    limit: int = Field(200, ge=1, le=MAX_LIMIT)


# Bodies take every field as optional so that the record is looked up (404) before the body is judged.


# Ids, instants and codes are short: a limit keeps a hostile value out of the error message that names it.
ID_LENGTH = 100


class BookIn(Schema):
    patient: str | None = Field(None, max_length=ID_LENGTH)
    practitioner: str | None = Field(None, max_length=ID_LENGTH)
    location: str | None = Field(None, max_length=ID_LENGTH)
    type: str | None = Field(None, max_length=ID_LENGTH)
    start: str | None = Field(None, max_length=ID_LENGTH)
    reason: str = Field("", max_length=300)
    notes: str = Field("", max_length=4000)


class RescheduleIn(Schema):
    start: str | None = Field(None, max_length=ID_LENGTH)
    version: int | None = None
    practitioner: str | None = Field(None, max_length=ID_LENGTH)
    location: str | None = Field(None, max_length=ID_LENGTH)


class CancelIn(Schema):
    reason: str | None = Field(None, max_length=ID_LENGTH)
    note: str = Field("", max_length=300)
    version: int | None = None


class StatusIn(Schema):
    status: str | None = Field(None, max_length=ID_LENGTH)
    version: int | None = None


# Reading the inputs -----------------------------------------------------------------------------------------


def _required(value, field: str, what: str):
    if value in (None, ""):
        raise ValidationError(f"Give {what}.", field=field)
    return value


def _date(value: str | None, field: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"“{value}” is not a date like 2026-03-02.", field=field) from None


def _instant(value: str | None, field: str) -> dt.datetime:
    text = _required(value, field, "a start time, e.g. 2026-03-02T09:00:00-06:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"“{text}” is not an ISO 8601 date and time.", field=field) from None
    if moment.tzinfo is None:
        raise ValidationError("Give the time with its offset, e.g. 2026-03-02T09:00:00-06:00.", field=field)
    return moment


def _window(actor: Actor, first: str | None, last: str | None, default_days: int) -> tuple[dt.date, dt.date]:
    today = clock.today_in(actor.organization.tz)
    first_day = _date(first, "from", today)
    last_day = _date(last, "to", first_day + dt.timedelta(days=default_days - 1))
    if last_day < first_day:
        raise ValidationError("“to” is before “from”.", field="to")
    if (last_day - first_day).days > MAX_WINDOW_DAYS:
        raise ValidationError(f"Ask for at most {MAX_WINDOW_DAYS} days at once.", field="to")
    return first_day, last_day


def _appointment_type(actor: Actor, value: str | None) -> AppointmentType:
    key = _required(value, "type", "an appointment type (its id)")
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        raise NotFoundError("No such appointment type.", field="type") from None
    kind = AppointmentType.objects.filter(organization=actor.organization, active=True, public_id=key).first()
    if kind is None:
        raise NotFoundError("No such appointment type.", field="type")
    return kind


def _ref(record, name: str | None = None) -> dict | None:
    if record is None:
        return None
    return {"id": record.public_id, "name": name or str(getattr(record, "display_name", None) or record)}


def _appointment_out(actor: Actor, appointment: Appointment) -> dict:
    tz = actor.organization.tz
    kind = appointment.appointment_type
    return {
        "id": appointment.public_id,
        "status": appointment.status,
        "start": appointment.start.astimezone(tz),
        "end": appointment.end.astimezone(tz),
        "patient": _ref(appointment.patient, appointment.patient.display_name),
        "practitioner": _ref(appointment.practitioner),
        "location": _ref(appointment.location, appointment.location.name if appointment.location else None),
        "appointment_type": _ref(kind, kind.name if kind else None),
        "is_outside": appointment.is_outside,
        "reason": appointment.reason,
        "notes": appointment.notes,
        "cancellation_reason": appointment.cancellation_reason,
        "version": appointment.version,
    }


# Endpoints --------------------------------------------------------------------------------------------------


@router.get("/slots", response=SlotsOut, summary="Free slots of an appointment type, earliest first")
def list_slots(request, query: Query[SlotQuery]):
    actor = request.auth
    kind = _appointment_type(actor, query.type)
    first_day, last_day = _window(actor, query.from_, query.to, DEFAULT_SLOT_DAYS)
    practitioners = [practitioner_get(actor, query.practitioner)] if query.practitioner else None
    location = location_get(actor, query.location) if query.location else None
    patient, weekdays, times = None, None, None
    if query.patient:
        patient = patient_get(actor, query.patient, audit_event="appointment.slots")
        if query.use_patient_availability:
            weekdays, times = patient_availability(scheduling_preference_for(actor, patient))
    options = slots_available(
        actor,
        appointment_type=kind,
        first_day=first_day,
        last_day=last_day,
        specialty_code=query.specialty or None,
        location=location,
        language=query.language or None,
        practitioners=practitioners,
        patient=patient,
        patient_weekdays=weekdays,
        patient_times=times,
        limit=query.limit,
    )
    tz = actor.organization.tz
    slots = [
        {
            "start": option.start.astimezone(tz),
            "end": option.end.astimezone(tz),
            "practitioner": _ref(option.practitioner),
            "location": _ref(option.location, option.location.name),
        }
        for option in options
    ]
    return {"appointment_type": _ref(kind, kind.name), "first_day": first_day, "last_day": last_day, "slots": slots}


@router.get("/appointments", response=AppointmentsOut, summary="Appointments by patient, practitioner and dates")
def list_appointments(request, query: Query[AppointmentQuery]):
    actor = request.auth
    first_day, last_day = _window(actor, query.from_, query.to, DEFAULT_LIST_DAYS)
    tz = actor.organization.tz
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    appointments = appointments_visible_to(actor).filter(start__lt=end, end__gt=start).order_by("start", "id")
    patient = patient_get(actor, query.patient, audit_event=None) if query.patient else None
    if patient is not None:
        appointments = appointments.filter(patient=patient)
    if query.practitioner:
        appointments = appointments.filter(practitioner=practitioner_get(actor, query.practitioner))
    rows = list(appointments[: query.limit + 1])
    audit_record(
        actor=actor,
        event="appointment.list",
        action=AuditAction.READ,
        target=patient,
        patient=patient,
        detail={"from": first_day.isoformat(), "to": last_day.isoformat(), "shown": min(len(rows), query.limit)},
    )
    return {
        "appointments": [_appointment_out(actor, row) for row in rows[: query.limit]],
        "truncated": len(rows) > query.limit,
    }


@router.post("/appointments", response={201: AppointmentOut}, summary="Book an appointment")
def book_appointment(request, body: BookIn):
    actor = request.auth
    patient = patient_get(actor, _required(body.patient, "patient", "the patient (their id)"), audit_event=None)
    practitioner = practitioner_get(actor, _required(body.practitioner, "practitioner", "the practitioner (id)"))
    location = location_get(actor, _required(body.location, "location", "the location (its id)"))
    appointment = services.appointment_book(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=_appointment_type(actor, body.type),
        start=_instant(body.start, "start"),
        notes=body.notes,
        reason=body.reason,
    )
    return Status(201, _appointment_out(actor, appointment_get(actor, appointment.public_id)))


@router.get("/appointments/{appointment_id}", response=AppointmentOut)
def get_appointment(request, appointment_id: str):
    actor = request.auth
    appointment = appointment_get(actor, appointment_id)
    audit_record(
        actor=actor, event="appointment.view", action=AuditAction.READ, target=appointment, patient=appointment.patient
    )
    return _appointment_out(actor, appointment)


@router.post("/appointments/{appointment_id}/reschedule", response=AppointmentOut)
def reschedule_appointment(request, appointment_id: str, body: RescheduleIn):
    actor = request.auth
    appointment = appointment_get(actor, appointment_id)
    version = _required(body.version, "version", "the version of the appointment you started from")
    moved = services.appointment_reschedule(
        actor=actor,
        appointment=appointment,
        start=_instant(body.start, "start"),
        expected_version=version,
        practitioner=practitioner_get(actor, body.practitioner) if body.practitioner else None,
        location=location_get(actor, body.location) if body.location else None,
    )
    return _appointment_out(actor, moved)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
def cancel_appointment(request, appointment_id: str, body: CancelIn):
    actor = request.auth
    appointment = appointment_get(actor, appointment_id)
    cancelled = services.appointment_cancel(
        actor=actor,
        appointment=appointment,
        reason=_required(body.reason, "reason", "a cancellation reason"),
        note=body.note,
        expected_version=body.version,
    )
    return _appointment_out(actor, cancelled)


@router.post("/appointments/{appointment_id}/status", response=AppointmentOut)
def set_appointment_status(request, appointment_id: str, body: StatusIn):
    actor = request.auth
    appointment = appointment_get(actor, appointment_id)
    changed = services.appointment_status_set(
        actor=actor,
        appointment=appointment,
        status=_required(body.status, "status", "the new status"),
        expected_version=body.version,
    )
    return _appointment_out(actor, changed)
