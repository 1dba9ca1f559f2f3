"""
Outside appointments: visits booked by phone at a practice that does not use CareCoord, and the worklist
tasks that follow them.

Map:
- `outside_appointment_record` — a requested or confirmed visit; a requested one gets a "Confirm" task.
- `outside_appointment_confirm` — requested → confirmed; completes the "Confirm" task.
- `outside_appointment_outcome` — attended ("Get visit summary" task when tracked) or missed
  ("Reschedule" task).
- `outside_appointment_summary_received` — completes the "Get visit summary" task.
- `outside_tasks_close` — closes the open tasks of an appointment (a cancel goes through
  `services.appointment_cancel`; the `appointment_freed` receiver calls this afterwards).

Outside statuses are FHIR codes under a coordinator's words (choices.OUTSIDE_STATUS_LABELS): pending =
requested, booked = confirmed, fulfilled = attended, noshow = missed.
"""

import datetime as dt

from django.db import transaction

from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource, TaskStatus
from carecoord.careplans.models import Task
from carecoord.careplans.services import task_create, task_set_status
from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from .choices import BLOCKING_STATUSES, AppointmentStatus, SummaryStatus
from .models import Appointment
from .services import PATIENT_BUSY_MESSAGE, _editable, _require_scheduler, _save_guarded, announce_changed
from .worklist_selectors import task_owner_for

FOCUS_TYPE = "scheduling.Appointment"
CONFIRM, SUMMARY, RESCHEDULE = "outside-confirm", "outside-summary", "outside-reschedule"
OUTCOMES = {"attended": AppointmentStatus.FULFILLED, "missed": AppointmentStatus.NOSHOW}
# Outside visits skip arrival and check-in: the coordinator only learns whether the patient went.
OUTSIDE_TRANSITIONS = {
    AppointmentStatus.PENDING: {AppointmentStatus.BOOKED, AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW},
    AppointmentStatus.BOOKED: {AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW},
}
SUMMARY_DUE_BUSINESS_DAYS = 3


def system_actor(organization: Organization) -> Actor:
    """The organization acting through a receiver or job (no person), scoped like a coordinator."""
    # `patients_visible_to` and the task services read only the organization and whether the roles see patients.
    return Actor(user=None, organization=organization, roles=frozenset({Role.COORDINATOR}))  # type: ignore[arg-type]


def provider_label(appointment: Appointment) -> str:
    """Whom the visit is with, in a coordinator's words: the practitioner, the practice, or both."""
    practitioner, place = appointment.practitioner, appointment.external_organization
    if practitioner and place:
        return f"{practitioner} at {place}"
    return str(practitioner or place)


def practitioner_not_at_practice(
    practitioner: Practitioner | None, external_organization: ExternalOrganization | None
) -> str:
    """
    Why the practitioner cannot be named with that practice (the directory lists them elsewhere, or at none),
    or "" when they can: an outside visit is with one of the practice's own practitioners, or "Not known".
    """
    if practitioner is None or external_organization is None:
        return ""
    if practitioner.external_organization_id == external_organization.pk:
        return ""
    listed = practitioner.external_organization
    where = f"at {listed.name}" if listed is not None else "with no outside practice"
    return (
        f"{practitioner} is not listed at {external_organization.name}: the directory lists them {where}. "
        "Choose one of the practice's practitioners, or “Not known”."
    )


def _own_directory_entry(actor: Actor, entry):
    if entry is not None and (entry.organization_id != actor.organization.pk or not entry.active):
        raise NotFoundError()
    return entry


def _check_time(start: dt.datetime, duration_minutes: int) -> tuple[dt.datetime, dt.datetime]:
    if start.tzinfo is None:
        raise ValidationError("The start time needs a time zone.", field="start")
    if not 5 <= duration_minutes <= 480:
        raise ValidationError("Give a duration between 5 minutes and 8 hours.", field="duration_minutes")
    start = start.astimezone(dt.UTC).replace(second=0, microsecond=0)
    if start < clock.now():
        raise ValidationError("That time is in the past.", field="start")
    return start, start + dt.timedelta(minutes=duration_minutes)


def _refuse_overlap(patient: Patient, start: dt.datetime, end: dt.datetime) -> None:
    """The patient's own visits may not overlap (the database refuses it too, under concurrent requests)."""
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk"))
    if Appointment.objects.filter(patient=patient, status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start).exists():
        raise ConflictError(PATIENT_BUSY_MESSAGE)


@transaction.atomic
def outside_appointment_record(
    *,
    actor: Actor,
    patient: Patient,
    start: dt.datetime,
    duration_minutes: int,
    external_organization: ExternalOrganization | None = None,
    practitioner: Practitioner | None = None,
    reason: str = "",
    confirmed: bool = False,
    confirmed_with: str = "",
    notes: str = "",
    track_summary: bool = True,
    needs_transport: bool = False,
    needs_interpreter: bool = False,
) -> Appointment:
    """Records a visit booked elsewhere by phone, requested or already confirmed."""
    _require_scheduler(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _own_directory_entry(actor, external_organization)
    _own_directory_entry(actor, practitioner)
    if practitioner is None and external_organization is None:
        raise ValidationError("Name the practice or the practitioner the visit is with.", field="external_organization")
    if external_organization is None and practitioner.external_organization_id:
        external_organization = practitioner.external_organization
    mismatch = practitioner_not_at_practice(practitioner, external_organization)
    if mismatch:
        raise ValidationError(mismatch, field="practitioner")
    confirmed_with = confirmed_with.strip()
    if confirmed and not confirmed_with:
        raise ValidationError("Say who at the practice confirmed the visit.", field="confirmed_with")
    start, end = _check_time(start, duration_minutes)
    _refuse_overlap(patient, start, end)
    appointment = Appointment(
        organization=actor.organization,
        patient=patient,
        practitioner=practitioner,
        external_organization=external_organization,
        is_outside=True,
        start=start,
        end=end,
        status=AppointmentStatus.BOOKED if confirmed else AppointmentStatus.PENDING,
        reason=reason.strip()[:300],
        notes=notes,
        booked_by=actor.user,
        needs_transport=needs_transport,
        needs_interpreter=needs_interpreter,
        summary_status=SummaryStatus.AWAITING if track_summary else SummaryStatus.NOT_NEEDED,
    )
    if confirmed:
        appointment.confirmed_with, appointment.confirmed_at, appointment.confirmed_by = (
            confirmed_with[:200],
            clock.now(),
            actor.user,
        )
    _save_guarded(appointment.save)
    audit_record(
        actor=actor,
        event="appointment.outside.record",
        action=AuditAction.CREATE,
        target=appointment,
        patient=patient,
        detail={"status": appointment.status},
    )
    if not confirmed:
        _task(actor, appointment, CONFIRM, TaskKind.CALL, f"Confirm appointment with {provider_label(appointment)}")
    announce_changed(appointment)
    return appointment


def _outside(actor: Actor, appointment: Appointment) -> Appointment:
    """Re-reads the appointment for the actor; an inside appointment is not found here."""
    current = _editable(actor, appointment)
    if not current.is_outside:
        raise NotFoundError()
    return current


def _move(current: Appointment, status: str) -> None:
    if status not in OUTSIDE_TRANSITIONS.get(current.status, set()):
        old = current.get_status_display().lower()
        raise InvalidStateError(f"An outside appointment that is {old} cannot be marked {_word(status)}.")


def _word(status: str) -> str:
    return {AppointmentStatus.BOOKED: "confirmed", AppointmentStatus.FULFILLED: "attended"}.get(
        status, "missed" if status == AppointmentStatus.NOSHOW else status
    )


@transaction.atomic
def outside_appointment_confirm(
    *, actor: Actor, appointment: Appointment, confirmed_with: str, expected_version: int | None = None
) -> Appointment:
    """Requested → confirmed, noting who at the practice confirmed it; completes the "Confirm" task."""
    current = _outside(actor, appointment)
    confirmed_with = (confirmed_with or "").strip()
    if not confirmed_with:
        raise ValidationError("Say who at the practice confirmed the visit.", field="confirmed_with")
    if current.status != AppointmentStatus.PENDING:
        raise InvalidStateError("Only a requested appointment can be confirmed.")
    current.status = AppointmentStatus.BOOKED
    current.confirmed_with, current.confirmed_at, current.confirmed_by = confirmed_with[:200], clock.now(), actor.user
    fields = ["status", "confirmed_with", "confirmed_at", "confirmed_by"]
    save_versioned(
        current, expected_version=current.version if expected_version is None else expected_version, fields=fields
    )
    audit_record(
        actor=actor,
        event="appointment.outside.confirm",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
    )
    outside_tasks_close(
        appointment=current,
        kinds=[CONFIRM],
        status=TaskStatus.COMPLETED,
        note=f"Confirmed with {confirmed_with}.",
        actor=actor,
    )
    announce_changed(current)
    return current


@transaction.atomic
def outside_appointment_outcome(
    *, actor: Actor, appointment: Appointment, outcome: str, expected_version: int | None = None
) -> Appointment:
    """
    Records whether the patient went. Attended with summary tracking → a "Get visit summary" task due three
    business days after the visit; missed → a "Reschedule" task due the next business day.
    """
    if outcome not in OUTCOMES:
        raise ValidationError("Choose attended or missed.", field="outcome")
    status = OUTCOMES[outcome]
    current = _outside(actor, appointment)
    _move(current, status)
    if current.start > clock.now():
        raise InvalidStateError(f"The visit has not started yet; it cannot be marked {outcome}.")
    before = current.status
    current.status = status
    fields = ["status"]
    if status == AppointmentStatus.NOSHOW and current.summary_status == SummaryStatus.AWAITING:
        current.summary_status = SummaryStatus.NOT_NEEDED  # no visit, no summary to chase
        fields.append("summary_status")
    save_versioned(
        current, expected_version=current.version if expected_version is None else expected_version, fields=fields
    )
    audit_record(
        actor=actor,
        event=f"appointment.outside.{outcome}",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
        detail={"from": before, "to": status},
    )
    outside_tasks_close(
        appointment=current, kinds=[CONFIRM], status=TaskStatus.COMPLETED, note=f"Visit {outcome}.", actor=actor
    )
    label = provider_label(current)
    if status == AppointmentStatus.NOSHOW:
        _task(actor, current, RESCHEDULE, TaskKind.SCHEDULE, f"Reschedule missed appointment with {label}")
    elif current.summary_status == SummaryStatus.AWAITING:
        tz, state = actor.organization.tz, actor.organization.state
        due = clock.add_business_days(current.start.astimezone(tz).date(), SUMMARY_DUE_BUSINESS_DAYS, state=state)
        _task(actor, current, SUMMARY, TaskKind.PAPERWORK, f"Get visit summary from {label}", due=due)
    announce_changed(current)
    return current


@transaction.atomic
def outside_appointment_summary_received(
    *, actor: Actor, appointment: Appointment, expected_version: int | None = None
) -> Appointment:
    """Marks the visit summary received; completes the "Get visit summary" task."""
    current = _outside(actor, appointment)
    if current.status != AppointmentStatus.FULFILLED:
        raise InvalidStateError("A visit summary can be received only for an attended visit.")
    if current.summary_status == SummaryStatus.RECEIVED:
        raise InvalidStateError("The visit summary was already marked received.")
    current.summary_status, current.summary_received_at = SummaryStatus.RECEIVED, clock.now()
    fields = ["summary_status", "summary_received_at"]
    save_versioned(
        current, expected_version=current.version if expected_version is None else expected_version, fields=fields
    )
    audit_record(
        actor=actor,
        event="appointment.outside.summary",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
    )
    outside_tasks_close(
        appointment=current, kinds=[SUMMARY], status=TaskStatus.COMPLETED, note="Visit summary received.", actor=actor
    )
    return current


def dedupe_key(kind: str, appointment: Appointment) -> str:
    return f"{kind}:{appointment.public_id}"


def _task(actor: Actor, appointment: Appointment, kind: str, task_kind: str, title: str, due: dt.date | None = None):
    """Puts a system task about the appointment on its patient's coordinator's worklist (once per kind)."""
    organization = appointment.organization
    if due is None:
        due = clock.add_business_days(clock.today_in(organization.tz), 1, state=organization.state)
    owner = task_owner_for(organization, appointment.patient, fallback=actor.user)
    return task_create(
        actor=None,
        organization=organization,
        patient=appointment.patient,
        kind=task_kind,
        title=title,
        due_date=due,
        owner=owner,
        owner_role="" if owner else Role.COORDINATOR,
        source=TaskSource.SCHEDULING,
        focus_type=FOCUS_TYPE,
        focus_id=appointment.public_id,
        dedupe_key=dedupe_key(kind, appointment),
    )


def outside_tasks_close(
    *, appointment: Appointment, kinds, status: str, note: str, actor: Actor | None = None
) -> list[Task]:
    """
    Completes or cancels the appointment's open tasks of the given kinds, as the acting person or, from a
    receiver, as the organization itself.
    """
    keys = [dedupe_key(kind, appointment) for kind in kinds]
    by = actor or system_actor(appointment.organization)
    tasks = list(
        Task.objects.filter(organization=appointment.organization, dedupe_key__in=keys, status__in=OPEN_TASK_STATUSES)
    )
    for task in tasks:
        task_set_status(actor=by, task=task, status=status, note=note, expected_version=task.version)
    return tasks


def outside_appointment_withdrawn(appointment: Appointment) -> list[Task]:
    """Cancels the open tasks of an outside appointment that was cancelled or entered in error."""
    if not appointment.is_outside or appointment.status in BLOCKING_STATUSES:
        return []
    label = "cancelled" if appointment.status == AppointmentStatus.CANCELLED else "entered in error"
    with transaction.atomic():
        return outside_tasks_close(
            appointment=appointment,
            kinds=[CONFIRM, SUMMARY, RESCHEDULE],
            status=TaskStatus.CANCELLED,
            note=f"The appointment was {label}.",
        )
