"""
Writes on appointments: book, reschedule, cancel and the visit's status changes. Each runs in one
transaction, checks access, writes the audit entry and raises a `core.errors` error fit for a person.
The database has the last word on double booking (exclusion constraints / triggers); its refusal is
turned into the same ConflictError the up-front check raises.
"""

import datetime as dt

from django.db import IntegrityError, transaction

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import CLINICAL_ROLES, AuditAction
from carecoord.core.errors import (
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from . import slots as slot_math
from .choices import BLOCKING_STATUSES, RESCHEDULABLE_STATUSES, AppointmentStatus, CancellationReason
from .domain import TransitionError, check_transition, timing_error, transport_to_arrange
from .models import (
    Appointment,
    AppointmentType,
    PatientSchedulingPreference,
    PractitionerSchedule,
    PractitionerUnavailability,
)
from .selectors import closed_days, scheduling_preference_for
from .signals import appointment_changed, appointment_freed

TAKEN_MESSAGE = "That time was just taken by another booking. Please choose another time."
PATIENT_BUSY_MESSAGE = "The patient already has an appointment at that time. Please choose another time."
PRACTITIONER_BUSY_MESSAGE = "The practitioner already has an appointment at that time. Please choose another time."
DOUBLE_BOOKING_MARKERS = ("double booking", "appt_no_practitioner_overlap", "appt_no_patient_overlap")


def _require_scheduler(actor: Actor) -> None:
    if not actor.has_role(*CLINICAL_ROLES):
        raise PermissionDeniedError("Your role does not allow booking appointments.")


def _own(actor: Actor, obj, *, active: bool = True):
    """The directory entry or appointment type if it belongs to the actor's organization (and is active)."""
    if obj.organization_id != actor.organization.pk or (active and not obj.active):
        raise NotFoundError()
    return obj


def _is_double_booking(exc: IntegrityError) -> bool:
    text = str(exc).lower()
    cause = exc.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None) or ""
    return any(marker in text or marker in constraint for marker in DOUBLE_BOOKING_MARKERS)


def _lock_parties(practitioner: Practitioner, patient: Patient) -> None:
    """
    Serializes bookings for the same practitioner or patient (PostgreSQL row locks, always practitioner
    first so two bookings never wait on each other in a cycle). SQLite's IMMEDIATE transactions already
    serialize writers, and there select_for_update is a no-op.
    """
    list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk"))
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))


def _validate_time(
    *,
    actor: Actor,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    patient: Patient,
    start: dt.datetime,
    exclude_pk: int | None = None,
) -> dt.datetime:
    """Checks the proposed time and returns its end; raises ValidationError or ConflictError."""
    if start.tzinfo is None:
        raise ValidationError("The start time needs a time zone.", field="start")
    start = start.astimezone(dt.UTC).replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=appointment_type.duration_minutes)
    if start < clock.now():
        raise ValidationError("That time is in the past.", field="start")
    tz = actor.organization.tz
    local_day = start.astimezone(tz).date()
    blocks = list(
        PractitionerSchedule.objects.filter(
            organization=actor.organization,
            practitioner=practitioner,
            location=location,
            weekday=local_day.weekday(),
            active=True,
        ).prefetch_related("appointment_types")
    )
    offering = [block for block in blocks if appointment_type in block.appointment_types.all()]
    if blocks and not offering:
        raise ValidationError(
            f"{practitioner} does not offer {appointment_type.name} at {location}.", field="appointment_type"
        )
    hours = [
        slot_math.WeeklyHours(b.weekday, b.start_time, b.end_time, b.effective_from, b.effective_until)
        for b in offering
    ]
    closed = closed_days(actor.organization, local_day, local_day)
    if not slot_math.within_hours(slot_math.Interval(start, end), tz=tz, hours=hours, closed_days=closed):
        raise ValidationError(f"{practitioner} is not seeing patients at {location} at that time.", field="start")
    if PractitionerUnavailability.objects.filter(practitioner=practitioner, start__lt=end, end__gt=start).exists():
        raise ValidationError(f"{practitioner} is unavailable at that time.", field="start")
    overlapping = Appointment.objects.filter(status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start).exclude(
        pk=exclude_pk
    )
    if overlapping.filter(practitioner=practitioner).exists():
        raise ConflictError(PRACTITIONER_BUSY_MESSAGE)
    if overlapping.filter(patient=patient).exists():
        raise ConflictError(PATIENT_BUSY_MESSAGE)
    return end


def _save_guarded(write) -> None:
    """Runs a write in a savepoint, turning the database's double-booking refusal into ConflictError."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        if _is_double_booking(exc):
            raise ConflictError(TAKEN_MESSAGE) from exc
        raise


def appointment_book_problem(
    *,
    actor: Actor,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
) -> ConflictError | ValidationError | None:
    """
    What `appointment_book` would refuse about this time right now, or None: the booking's confirm step
    checks the chosen slot before the coordinator types the reason. It writes and locks nothing, so the
    booking itself checks again (and the database has the last word).
    """
    _require_scheduler(actor)
    try:
        _own(actor, practitioner)
        _own(actor, location)
        _own(actor, appointment_type)
        _validate_time(
            actor=actor,
            practitioner=practitioner,
            location=location,
            appointment_type=appointment_type,
            patient=patient,
            start=start,
        )
    except (ConflictError, ValidationError) as exc:
        return exc
    return None


@transaction.atomic
def appointment_book(
    *,
    actor: Actor,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    notes: str = "",
    reason: str = "",
) -> Appointment:
    """
    Books a visit; refuses times outside hours, in the past or overlapping the practitioner or patient. The
    visit carries the patient's transport and interpreter needs from their scheduling preferences.
    """
    _require_scheduler(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _own(actor, practitioner)
    _own(actor, location)
    _own(actor, appointment_type)
    _lock_parties(practitioner, patient)
    end = _validate_time(
        actor=actor,
        practitioner=practitioner,
        location=location,
        appointment_type=appointment_type,
        patient=patient,
        start=start,
    )
    preference = scheduling_preference_for(actor, patient)
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
        notes=notes,
        reason=reason.strip()[:300],
        needs_interpreter=preference.needs_interpreter,
    )
    appointment.needs_transport = transport_to_arrange(preference.needs_transport, appointment)
    _save_guarded(appointment.save)
    audit_record(actor=actor, event="appointment.book", action=AuditAction.CREATE, target=appointment, patient=patient)
    announce_changed(appointment)
    return appointment


def _editable(actor: Actor, appointment: Appointment) -> Appointment:
    """Re-reads the appointment for the actor (NotFoundError if they may not see it)."""
    from .selectors import appointment_get

    _require_scheduler(actor)
    return appointment_get(actor, appointment.public_id)


@transaction.atomic
def appointment_reschedule(
    *,
    actor: Actor,
    appointment: Appointment,
    start: dt.datetime,
    expected_version: int,
    practitioner: Practitioner | None = None,
    location: Location | None = None,
) -> Appointment:
    """Moves a not-yet-started appointment to a new time (and optionally practitioner or location)."""
    current = _editable(actor, appointment)
    if current.status not in RESCHEDULABLE_STATUSES:
        raise InvalidStateError(f"An appointment that is {current.get_status_display().lower()} cannot be moved.")
    practitioner = _own(actor, practitioner) if practitioner else current.practitioner
    location = _own(actor, location) if location else current.location
    _lock_parties(practitioner, current.patient)
    before = {"start": current.start.isoformat(), "practitioner": str(current.practitioner.public_id)}
    freed = (current.start, current.end, current.practitioner, current.location)
    end = _validate_time(
        actor=actor,
        practitioner=practitioner,
        location=location,
        appointment_type=current.appointment_type,
        patient=current.patient,
        start=start,
        exclude_pk=current.pk,
    )
    current.start = end - dt.timedelta(minutes=current.appointment_type.duration_minutes)
    current.end = end
    current.practitioner = practitioner
    current.location = location
    fields = ["start", "end", "practitioner", "location"]
    _save_guarded(lambda: save_versioned(current, expected_version=expected_version, fields=fields))
    audit_record(
        actor=actor,
        event="appointment.reschedule",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
        detail={"before": before, "after": {"start": current.start.isoformat()}},
    )
    announce_changed(current)
    if current.status in BLOCKING_STATUSES:
        _announce_freed(current, *freed)
    return current


@transaction.atomic
def appointment_cancel(
    *, actor: Actor, appointment: Appointment, reason: str, note: str = "", expected_version: int | None = None
) -> Appointment:
    """Cancels an appointment with a reason, freeing its time."""
    if reason not in CancellationReason.values:
        raise ValidationError("Choose a reason for the cancellation.", field="reason")
    current = _editable(actor, appointment)
    _transition(current, AppointmentStatus.CANCELLED)
    was_blocking = current.status in BLOCKING_STATUSES
    current.status = AppointmentStatus.CANCELLED
    current.cancellation_reason = reason
    current.cancellation_note = note[:300]
    current.cancelled_at = clock.now()
    fields = ["status", "cancellation_reason", "cancellation_note", "cancelled_at"]
    save_versioned(current, expected_version=expected_version or current.version, fields=fields)
    audit_record(
        actor=actor,
        event="appointment.cancel",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
        detail={"reason": reason},
    )
    announce_changed(current)
    if was_blocking:
        _announce_freed(current, current.start, current.end, current.practitioner, current.location)
    return current


@transaction.atomic
def appointment_status_set(
    *, actor: Actor, appointment: Appointment, status: str, expected_version: int | None = None
) -> Appointment:
    """
    Records the visit's progress: arrived, checked-in, fulfilled, noshow, booked (from proposed, pending
    or waitlist) or entered-in-error. Cancelling goes through `appointment_cancel` (it needs a reason).
    """
    if status == AppointmentStatus.CANCELLED:
        raise ValidationError("Cancel with a reason instead.", field="status")
    if status not in AppointmentStatus.values:
        raise ValidationError("Unknown appointment status.", field="status")
    current = _editable(actor, appointment)
    _transition(current, status)
    too_early = timing_error(status, current.start, clock.now(), actor.organization.tz)
    if too_early:
        raise InvalidStateError(too_early)
    previous = current.status
    current.status = status
    _save_guarded(
        lambda: save_versioned(current, expected_version=expected_version or current.version, fields=["status"])
    )
    audit_record(
        actor=actor,
        event=f"appointment.{status}",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
        detail={"from": previous, "to": status},
    )
    announce_changed(current)
    if previous in BLOCKING_STATUSES and status not in BLOCKING_STATUSES and current.end > clock.now():
        _announce_freed(current, current.start, current.end, current.practitioner, current.location)
    return current


def announce_changed(appointment: Appointment) -> None:
    """Tells listeners (transitions) about a booked, moved, cancelled or progressed appointment, in its transaction."""
    appointment_changed.send(sender=Appointment, appointment=appointment)


def _announce_freed(appointment: Appointment, start: dt.datetime, end: dt.datetime, practitioner, location) -> None:
    """Tells listeners (the waitlist) about a freed time once the transaction has committed."""
    transaction.on_commit(
        lambda: appointment_freed.send(
            sender=Appointment,
            appointment=appointment,
            start=start,
            end=end,
            practitioner=practitioner,
            location=location,
        )
    )


def _transition(appointment: Appointment, status: str) -> None:
    try:
        check_transition(appointment.status, status)
    except TransitionError as exc:
        raise InvalidStateError(str(exc)) from exc


PREFERENCE_FIELDS = (
    "weekdays",
    "earliest_time",
    "latest_time",
    "needs_transport",
    "transport_note",
    "needs_interpreter",
    "reminder_channel",
)


@transaction.atomic
def scheduling_preference_set(
    *,
    actor: Actor,
    patient: Patient,
    weekdays: list[int],
    earliest_time: dt.time | None,
    latest_time: dt.time | None,
    needs_transport: bool,
    transport_note: str = "",
    needs_interpreter: bool,
    reminder_channel: str = "",
) -> PatientSchedulingPreference:
    """Records when the patient can come and what they need to get here (one set per organization)."""
    _require_scheduler(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    if any(day not in range(7) for day in weekdays):
        raise ValidationError("Choose days of the week.", field="weekdays")
    if earliest_time and latest_time and earliest_time >= latest_time:
        raise ValidationError("The earliest time must be before the latest time.", field="latest_time")
    preference = scheduling_preference_for(actor, patient)
    before = {name: str(getattr(preference, name)) for name in PREFERENCE_FIELDS} if preference.pk else None
    preference.weekdays = sorted(set(weekdays))
    preference.earliest_time = earliest_time
    preference.latest_time = latest_time
    preference.needs_transport = needs_transport
    preference.transport_note = transport_note.strip()[:200] if needs_transport else ""
    preference.needs_interpreter = needs_interpreter
    preference.reminder_channel = reminder_channel
    preference.full_clean()
    if preference.pk:
        preference.version += 1
    preference.save()
    audit_record(
        actor=actor,
        event="scheduling_preference.set",
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        target=preference,
        patient=patient,
        detail={"before": before} if before else {},
    )
    return preference
