"""
Writes on care-management time and program enrollment.

  time_start / time_stop        a start/stop timer, one running per user (a database constraint); starting
                                another while one runs is refused unless the caller asks to stop it first
  time_add                      minutes entered by hand for a day
  time_enter_in_error           entries are never deleted: they are marked and no longer counted
  enrollment_set                the program (CCM, complex CCM, PCM) that decides what a month's minutes bill,
                                and its billing practitioner (a physician or NP/PA/CNS/CNM of the organization)

Whose time it is (clinical staff vs physician/QHP) follows the user's role in the organization: a provider's
time is physician/QHP time, anyone else's clinical staff time, unless the caller says otherwise.
"""

import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, transaction

from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.directory.models import Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from .choices import ActivityType, CareProgram, TimeKind, TimeSource
from .domain import MAX_ENTRY_MINUTES, NOT_A_BILLING_PRACTITIONER, time_day_problem, timer_minutes
from .models import CareManagementEnrollment, TimeEntry
from .progress_selectors import billing_practitioners_for, running_timer


class TimerRunningError(ConflictError):
    """Another timer of the user is running; the caller decides whether to stop it."""

    code = "timer-running"

    def __init__(self, running: TimeEntry):
        super().__init__(
            f"Your timer for {running.patient.display_name} is still running. Stop it before starting another.",
            details={"running": str(running.public_id)},
        )
        self.running = running


def time_kind_for(actor: Actor) -> str:
    """Physician/QHP time for a provider, clinical staff time for anyone else."""
    return TimeKind.PHYSICIAN if actor.has_role(Role.PROVIDER) else TimeKind.STAFF


def _check_activity(activity: str) -> None:
    if activity not in ActivityType.values:
        raise ValidationError("Choose what the time was spent on.", field="activity")


def _check_kind(kind: str) -> None:
    if kind not in TimeKind.values:
        raise ValidationError("Choose whose time it is.", field="kind")


def _check_minutes(minutes: int) -> None:
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_ENTRY_MINUTES:
        raise ValidationError(f"Give between 1 and {MAX_ENTRY_MINUTES} minutes.", field="minutes")


def _check_day(on_date: dt.date, today: dt.date) -> None:
    problem = time_day_problem(on_date, today)
    if problem:
        raise ValidationError(problem, field="on_date")


def _all_at_once(*checks: Callable[[], None]) -> None:
    """Runs every check and raises one ValidationError naming every field that failed, not only the first."""
    problems: dict[str | None, list[str]] = {}
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.field_errors.items():
                problems.setdefault(field, []).extend(messages)
    if problems:
        raise ValidationError.of(problems)


def _audit(actor: Actor, event: str, action: str, entry: TimeEntry, **detail) -> None:
    audit_record(actor=actor, event=event, action=action, target=entry, patient=entry.patient, detail=detail)


@transaction.atomic
def time_start(
    *,
    actor: Actor,
    patient: Patient,
    activity: str,
    kind: str | None = None,
    note: str = "",
    stop_running: bool = False,
) -> TimeEntry:
    """
    Starts the user's timer on a patient. With another timer running it raises TimerRunningError, unless
    `stop_running` says the user chose to stop that one first.
    """
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _check_activity(activity)
    kind = kind or time_kind_for(actor)
    _check_kind(kind)
    running = running_timer(actor)
    if running is not None:
        if not stop_running:
            raise TimerRunningError(running)
        time_stop(actor=actor, entry=running)
    entry = TimeEntry(
        organization=actor.organization,
        patient=patient,
        user=actor.user,
        activity=activity,
        kind=kind,
        source=TimeSource.TIMER,
        started_at=clock.now(),
        note=(note or "").strip()[:300],
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:  # a timer started in another tab at the same moment
        raise ConflictError("You already have a timer running. Stop it before starting another.") from exc
    _audit(actor, "time.start", AuditAction.CREATE, entry, activity=activity, kind=kind)
    return entry


def _own_entry(actor: Actor, entry: TimeEntry) -> TimeEntry:
    patient_get(actor, entry.patient.public_id, audit_event=None)
    if entry.organization_id != actor.organization.pk:
        raise NotFoundError()
    return entry


@transaction.atomic
def time_stop(*, actor: Actor, entry: TimeEntry, minutes: int | None = None) -> TimeEntry:
    """
    Stops the user's own timer: the minutes are the time it ran, any started minute counted in full. A
    timer left running beyond the longest entry needs the minutes actually spent.
    """
    _own_entry(actor, entry)
    if entry.user_id != actor.user.pk:
        raise NotFoundError("Only the person who started a timer can stop it.")
    entry = TimeEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if entry.minutes is not None:
        raise InvalidStateError("This timer has already stopped.")
    ran = timer_minutes(entry.started_at, clock.now())
    if ran < 1:
        raise ValidationError(
            "Less than a minute has been timed, so there is nothing to record yet: keep it running, or discard "
            "it (entered in error).",
            field="minutes",
        )
    if minutes is None and ran > MAX_ENTRY_MINUTES:
        raise ValidationError(
            f"The timer ran for {ran} minutes, more than one entry holds ({MAX_ENTRY_MINUTES}). "
            "Give the minutes you actually spent.",
            field="minutes",
        )
    minutes = ran if minutes is None else minutes
    if not 1 <= minutes <= min(ran, MAX_ENTRY_MINUTES):
        raise ValidationError(f"Give between 1 and {min(ran, MAX_ENTRY_MINUTES)} minutes.", field="minutes")
    entry.minutes = minutes
    entry.save(update_fields=["minutes", "updated_at"])
    _audit(actor, "time.stop", AuditAction.UPDATE, entry, minutes=minutes)
    return entry


def _noon_utc(day: dt.date, tz) -> dt.datetime:
    """Noon of a local day, in UTC: the entry falls in that day's month whatever the daylight-saving shifts."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz).astimezone(dt.UTC)


@transaction.atomic
def time_add(
    *,
    actor: Actor,
    patient: Patient,
    activity: str,
    minutes: int,
    on_date: dt.date,
    note: str = "",
    kind: str | None = None,
) -> TimeEntry:
    """Records minutes spent on a day (in the organization's time zone), entered by hand."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    kind = kind or time_kind_for(actor)
    tz = actor.organization.tz
    _all_at_once(
        lambda: _check_activity(activity),
        lambda: _check_kind(kind),
        lambda: _check_minutes(minutes),
        lambda: _check_day(on_date, clock.today_in(tz)),
    )
    entry = TimeEntry.objects.create(
        organization=actor.organization,
        patient=patient,
        user=actor.user,
        activity=activity,
        kind=kind,
        source=TimeSource.MANUAL,
        started_at=_noon_utc(on_date, tz),
        minutes=minutes,
        note=(note or "").strip()[:300],
    )
    _audit(actor, "time.add", AuditAction.CREATE, entry, minutes=minutes, activity=activity, kind=kind)
    return entry


@transaction.atomic
def time_enter_in_error(*, actor: Actor, entry: TimeEntry, reason: str = "") -> TimeEntry:
    """
    Marks an entry entered in error so it no longer counts (a supervisor or admin may mark anyone's; others
    their own). A running timer is closed at the same time.
    """
    require_patient_editor(actor)
    _own_entry(actor, entry)
    if entry.user_id != actor.user.pk and not actor.has_role(Role.SUPERVISOR, Role.ORG_ADMIN):
        raise NotFoundError("Only the person who entered the time, or a supervisor, can mark it in error.")
    entry = TimeEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if entry.entered_in_error:
        raise InvalidStateError("This entry is already marked entered in error.")
    fields = ["entered_in_error", "updated_at"]
    if entry.minutes is None:  # a running timer stops, so the user can start another
        entry.minutes = min(max(timer_minutes(entry.started_at, clock.now()), 1), MAX_ENTRY_MINUTES)
        fields.append("minutes")
    entry.entered_in_error = True
    entry.save(update_fields=fields)
    _audit(actor, "time.enter_in_error", AuditAction.UPDATE, entry, reason=(reason or "")[:200])
    return entry


# Enrollment -------------------------------------------------------------------------------------------------


def _check_enrollment_dates(actor: Actor, consent_on: dt.date, start_date: dt.date, end_date: dt.date | None):
    today = clock.today_in(actor.organization.tz)
    if consent_on > today:
        raise ValidationError("Consent cannot be dated in the future.", field="consent_on")
    if consent_on > start_date:
        raise ValidationError("Document the patient's consent on or before the start date.", field="consent_on")
    if end_date is not None and end_date < start_date:
        raise ValidationError("The enrollment ends before it starts.", field="end_date")


@transaction.atomic
def enrollment_set(
    *,
    actor: Actor,
    patient: Patient,
    program: str,
    consent_on: dt.date,
    start_date: dt.date,
    end_date: dt.date | None = None,
    billing_practitioner: Practitioner | None = None,
) -> CareManagementEnrollment:
    """
    Enrolls a patient in a care-management program from `start_date`. An open enrollment that began
    earlier ends the day before (a change of program); any other overlap is refused, since a month's
    minutes count under one program only.
    """
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    if program not in CareProgram.values:
        raise ValidationError("Choose the program.", field="program")
    _check_enrollment_dates(actor, consent_on, start_date, end_date)
    if billing_practitioner is not None and billing_practitioner.organization_id != actor.organization.pk:
        raise NotFoundError("That practitioner is not in your directory.")
    if (
        billing_practitioner is not None
        and not billing_practitioners_for(actor).filter(pk=billing_practitioner.pk).exists()
    ):
        raise ValidationError(NOT_A_BILLING_PRACTITIONER, field="billing_practitioner")
    existing = CareManagementEnrollment.objects.select_for_update().filter(
        organization=actor.organization, patient=patient
    )
    for other in existing:
        other_end = other.end_date or dt.date.max
        if other.start_date > (end_date or dt.date.max) or other_end < start_date:
            continue
        if other.end_date is None and other.start_date < start_date:
            other.end_date = start_date - dt.timedelta(days=1)
            other.save(update_fields=["end_date", "updated_at"])
            audit_record(actor=actor, event="enrollment.end", action=AuditAction.UPDATE, target=other, patient=patient)
            continue
        raise ValidationError(
            f"The patient is already enrolled in {other.get_program_display().lower()} from "
            f"{timefmt.day(other.start_date)}; change the dates so the enrollments do not overlap.",
            field="start_date",
        )
    enrollment = CareManagementEnrollment.objects.create(
        organization=actor.organization,
        patient=patient,
        program=program,
        consent_on=consent_on,
        start_date=start_date,
        end_date=end_date,
        billing_practitioner=billing_practitioner,
    )
    audit_record(
        actor=actor,
        event="enrollment.create",
        action=AuditAction.CREATE,
        target=enrollment,
        patient=patient,
        detail={"program": program},
    )
    return enrollment


@transaction.atomic
def enrollment_end(*, actor: Actor, enrollment: CareManagementEnrollment, end_date: dt.date):
    """Ends an enrollment on `end_date` (the patient left the program)."""
    require_patient_editor(actor)
    patient_get(actor, enrollment.patient.public_id, audit_event=None)
    if enrollment.organization_id != actor.organization.pk:
        raise NotFoundError()
    if end_date < enrollment.start_date:
        raise ValidationError("The enrollment cannot end before it starts.", field="end_date")
    enrollment.end_date = end_date
    enrollment.save(update_fields=["end_date", "updated_at"])
    audit_record(
        actor=actor, event="enrollment.end", action=AuditAction.UPDATE, target=enrollment, patient=enrollment.patient
    )
    return enrollment
