"""
Writes of scheduling setup, each in one transaction with an access check and an audit entry (target = the
record; no patient is involved):

- appointment types: `appointment_type_create`, `_update`, `_deactivate`, `_reactivate`
- weekly hours: `hours_block_create`, `_update`, `_delete`, and `hours_import` (a CSV, all or nothing)
- time away: `time_away_create`, `time_away_delete`
- closed dates: `closed_date_create`, `closed_date_delete`
- public holidays kept open every year: `holiday_open`, `holiday_close`
- reminders: `reminder_policy_set`

Only schedulers and org admins change setup (the reminder policy: org admins); everyone clinical may look.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.template.defaultfilters import pluralize

from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_role
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ConflictError, NotFoundError, ValidationError
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import Location, Practitioner

from .availability_import import RowError, parse_hours_csv
from .availability_rules import HoursBlock, first_overlap, normalize_days_before, overlap_message
from .availability_selectors import SETUP_ROLES, holiday_names_for, reminder_policy_for
from .choices import AppointmentTypeCode, UnavailabilityReason
from .models import (
    AppointmentType,
    ClosedDate,
    OpenHoliday,
    PractitionerSchedule,
    PractitionerUnavailability,
    ReminderPolicy,
)
from .selectors import holiday_base_name

SETUP_DENIED = "Only schedulers and organization admins change scheduling setup."
MAX_AWAY_DAYS = 366


def _require_setup(actor: Actor) -> None:
    require_role(actor, *SETUP_ROLES, message=SETUP_DENIED)


def _own(actor: Actor, record):
    if record.organization_id != actor.organization.pk:
        raise NotFoundError()
    return record


# Appointment types ------------------------------------------------------------------------------------------


def _check_type_fields(actor: Actor, *, name: str, code: str, duration_minutes: int, exclude_pk=None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the appointment type a name.", field="name")
    if code not in AppointmentTypeCode.values:
        raise ValidationError("Choose a kind of appointment (HL7 v2 table 0276).", field="code")
    if not 5 <= duration_minutes <= 480:
        raise ValidationError("A visit lasts from 5 to 480 minutes.", field="duration_minutes")
    clash = AppointmentType.objects.filter(organization=actor.organization, name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(f"There is already an appointment type named “{name}”.", field="name")
    return name


@transaction.atomic
def appointment_type_create(
    *, actor: Actor, name: str, code: str, duration_minutes: int, telehealth: bool = False, new_patient: bool = False
) -> AppointmentType:
    """Adds a kind of visit the organization books."""
    _require_setup(actor)
    name = _check_type_fields(actor, name=name, code=code, duration_minutes=duration_minutes)
    kind = AppointmentType.objects.create(
        organization=actor.organization,
        name=name,
        code=code,
        duration_minutes=duration_minutes,
        telehealth=telehealth,
        new_patient=new_patient,
    )
    audit_record(actor=actor, event="appointment_type.create", action=AuditAction.CREATE, target=kind)
    return kind


@transaction.atomic
def appointment_type_update(
    *,
    actor: Actor,
    appointment_type: AppointmentType,
    expected_version: int,
    name: str,
    code: str,
    duration_minutes: int,
    telehealth: bool,
    new_patient: bool,
) -> AppointmentType:
    """Changes a type; appointments already booked keep their times (their end was fixed when booked)."""
    _require_setup(actor)
    kind = _own(actor, appointment_type)
    kind.name = _check_type_fields(actor, name=name, code=code, duration_minutes=duration_minutes, exclude_pk=kind.pk)
    kind.code, kind.duration_minutes = code, duration_minutes
    kind.telehealth, kind.new_patient = telehealth, new_patient
    fields = ["name", "code", "duration_minutes", "telehealth", "new_patient"]
    save_versioned(kind, expected_version=expected_version, fields=fields)
    audit_record(actor=actor, event="appointment_type.update", action=AuditAction.UPDATE, target=kind)
    return kind


def _type_set_active(actor: Actor, appointment_type: AppointmentType, *, active: bool) -> AppointmentType:
    _require_setup(actor)
    kind = _own(actor, appointment_type)
    if kind.active != active:
        kind.active = active
        save_versioned(kind, expected_version=kind.version, fields=["active"])
        event = "appointment_type.reactivate" if active else "appointment_type.deactivate"
        audit_record(actor=actor, event=event, action=AuditAction.UPDATE, target=kind)
    return kind


@transaction.atomic
def appointment_type_deactivate(*, actor: Actor, appointment_type: AppointmentType) -> AppointmentType:
    """Stops offering a type for new bookings; booked appointments of this type stay as they are."""
    return _type_set_active(actor, appointment_type, active=False)


@transaction.atomic
def appointment_type_reactivate(*, actor: Actor, appointment_type: AppointmentType) -> AppointmentType:
    return _type_set_active(actor, appointment_type, active=True)


# Weekly hours -----------------------------------------------------------------------------------------------


def _as_block(schedule: PractitionerSchedule) -> HoursBlock:
    return HoursBlock(
        schedule.weekday,
        schedule.start_time,
        schedule.end_time,
        schedule.effective_from,
        schedule.effective_until,
        schedule.location.name,
    )


def _check_hours(
    actor: Actor,
    *,
    practitioner: Practitioner,
    block: HoursBlock,
    location: Location,
    appointment_types: Sequence[AppointmentType],
    exclude_pk: int | None = None,
) -> None:
    """Raises ValidationError naming the field for a block that cannot be kept as given."""
    if not 0 <= block.weekday <= 6:
        raise ValidationError("Choose a weekday.", field="weekday")
    if block.start >= block.end:
        raise ValidationError("The hours must end after they start.", field="end_time")
    if block.effective_from and block.effective_until and block.effective_until < block.effective_from:
        raise ValidationError("The last day is before the first day.", field="effective_until")
    if location.organization_id != actor.organization.pk or not location.active:
        raise ValidationError("Choose one of the directory's active locations.", field="location")
    if not appointment_types:
        raise ValidationError("Choose at least one appointment type offered in these hours.", field="appointment_types")
    for kind in appointment_types:
        if kind.organization_id != actor.organization.pk or not kind.active:
            raise ValidationError("Choose active appointment types of the organization.", field="appointment_types")
    existing = PractitionerSchedule.objects.filter(
        organization=actor.organization, practitioner=practitioner, weekday=block.weekday, active=True
    ).select_related("location")
    clash = first_overlap(block, [_as_block(s) for s in existing.exclude(pk=exclude_pk)])
    if clash is not None:
        raise ValidationError(overlap_message(clash), field="start_time")


def _lock_practitioner(practitioner: Practitioner) -> None:
    """Serializes hours edits of one practitioner so two overlapping blocks cannot both pass the check."""
    list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk"))


@transaction.atomic
def hours_block_create(
    *,
    actor: Actor,
    practitioner: Practitioner,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    location: Location,
    appointment_types: Sequence[AppointmentType],
    effective_from: dt.date | None = None,
    effective_until: dt.date | None = None,
) -> PractitionerSchedule:
    """Adds a block of weekly hours; refuses one that overlaps the practitioner's other hours that day."""
    _require_setup(actor)
    _own(actor, practitioner)
    _lock_practitioner(practitioner)
    block = HoursBlock(weekday, start_time, end_time, effective_from, effective_until, location.name)
    _check_hours(actor, practitioner=practitioner, block=block, location=location, appointment_types=appointment_types)
    schedule = PractitionerSchedule.objects.create(
        organization=actor.organization,
        practitioner=practitioner,
        location=location,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        effective_from=effective_from,
        effective_until=effective_until,
    )
    schedule.appointment_types.set(appointment_types)
    audit_record(actor=actor, event="hours.create", action=AuditAction.CREATE, target=schedule)
    return schedule


@transaction.atomic
def hours_block_update(
    *,
    actor: Actor,
    block: PractitionerSchedule,
    expected_version: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    location: Location,
    appointment_types: Sequence[AppointmentType],
    effective_from: dt.date | None = None,
    effective_until: dt.date | None = None,
) -> PractitionerSchedule:
    """Changes a block of weekly hours (same overlap rule as adding one)."""
    _require_setup(actor)
    schedule = _own(actor, block)
    _lock_practitioner(schedule.practitioner)
    candidate = HoursBlock(weekday, start_time, end_time, effective_from, effective_until, location.name)
    _check_hours(
        actor,
        practitioner=schedule.practitioner,
        block=candidate,
        location=location,
        appointment_types=appointment_types,
        exclude_pk=schedule.pk,
    )
    before = str(schedule)
    schedule.weekday, schedule.start_time, schedule.end_time = weekday, start_time, end_time
    schedule.location = location
    schedule.effective_from, schedule.effective_until = effective_from, effective_until
    fields = ["weekday", "start_time", "end_time", "location", "effective_from", "effective_until"]
    save_versioned(schedule, expected_version=expected_version, fields=fields)
    schedule.appointment_types.set(appointment_types)
    audit_record(
        actor=actor, event="hours.update", action=AuditAction.UPDATE, target=schedule, detail={"before": before}
    )
    return schedule


@transaction.atomic
def hours_block_delete(*, actor: Actor, block: PractitionerSchedule) -> None:
    """Removes a block of weekly hours; appointments already booked in it stay booked."""
    _require_setup(actor)
    schedule = _own(actor, block)
    audit_record(
        actor=actor, event="hours.delete", action=AuditAction.DELETE, target=schedule, detail={"was": str(schedule)}
    )
    schedule.delete()


# Import of weekly hours from CSV ----------------------------------------------------------------------------


class ImportRefused(ValidationError):
    """The CSV had bad rows; `errors` lists each with its line number. Nothing was saved."""

    def __init__(self, errors: Iterable[RowError]):
        self.errors = list(errors)
        super().__init__(
            f"Nothing was imported: {len(self.errors)} problem{pluralize(len(self.errors))} in the file.",
            field="file",
            details={"errors": [str(error) for error in self.errors]},
        )


def _by_lower_name(records: Iterable) -> dict[str, list]:
    found: dict[str, list] = {}
    for record in records:
        found.setdefault(record.name.strip().lower(), []).append(record)
    return found


def _resolve_rows(actor: Actor, rows, errors: list[RowError]) -> list[tuple]:
    """Matches each row's NPI, location and types in the directory; appends a RowError for each miss."""
    practitioners = {
        p.npi: p for p in Practitioner.objects.filter(organization=actor.organization, npi__in={r.npi for r in rows})
    }
    locations = _by_lower_name(Location.objects.filter(organization=actor.organization, active=True))
    kinds = _by_lower_name(AppointmentType.objects.filter(organization=actor.organization, active=True))
    resolved = []
    for row in rows:
        practitioner = practitioners.get(row.npi)
        places = locations.get(row.location.lower(), [])
        wanted = [kinds.get(name.lower(), []) for name in row.appointment_types]
        unknown = [name for name, match in zip(row.appointment_types, wanted, strict=True) if not match]
        if practitioner is None:
            errors.append(RowError(row.line, f"No practitioner with NPI {row.npi} in the directory; add them first."))
        elif len(places) != 1:
            problem = "No active location" if not places else "More than one location"
            errors.append(RowError(row.line, f"{problem} named “{row.location}” in the directory."))
        elif unknown:
            errors.append(RowError(row.line, f"No active appointment type named “{unknown[0]}”."))
        else:
            resolved.append((row, practitioner, places[0], [match[0] for match in wanted]))
    return resolved


def _overlaps_on_file(actor: Actor, resolved: list[tuple]) -> list[RowError]:
    """A RowError for each row that clashes with hours already kept for its practitioner."""
    existing = PractitionerSchedule.objects.filter(
        organization=actor.organization,
        practitioner__in={practitioner.pk for _, practitioner, _, _ in resolved},
        active=True,
    ).select_related("location")
    by_practitioner: dict[int, list[HoursBlock]] = {}
    for schedule in existing:
        by_practitioner.setdefault(schedule.practitioner_id, []).append(_as_block(schedule))
    errors = []
    for row, practitioner, _, _ in resolved:
        clash = first_overlap(row.as_block(), by_practitioner.get(practitioner.pk, []))
        if clash is not None:
            errors.append(RowError(row.line, overlap_message(clash)))
    return errors


@transaction.atomic
def hours_import(*, actor: Actor, text: str, replace: bool = False) -> list[PractitionerSchedule]:
    """
    Saves the weekly hours of a CSV file, all rows or none: each bad row is reported with its line
    number (ImportRefused). With `replace`, the existing hours of the practitioners named in the file are
    removed first; otherwise the new rows must not overlap them.
    """
    _require_setup(actor)
    parsed = parse_hours_csv(text)
    errors = list(parsed.errors)
    resolved = _resolve_rows(actor, parsed.rows, errors)
    if not replace:
        errors.extend(_overlaps_on_file(actor, resolved))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda error: error.line))
    practitioners = {practitioner.pk: practitioner for _, practitioner, _, _ in resolved}
    for practitioner in practitioners.values():
        _lock_practitioner(practitioner)
        if replace:
            for old in PractitionerSchedule.objects.filter(organization=actor.organization, practitioner=practitioner):
                hours_block_delete(actor=actor, block=old)
    created = []
    for row, practitioner, location, kinds in resolved:
        try:
            created.append(
                hours_block_create(
                    actor=actor,
                    practitioner=practitioner,
                    weekday=row.weekday,
                    start_time=row.start,
                    end_time=row.end,
                    location=location,
                    appointment_types=kinds,
                    effective_from=row.effective_from,
                    effective_until=row.effective_until,
                )
            )
        except ValidationError as exc:
            errors.append(RowError(row.line, exc.message))
    if errors:  # raising leaves the atomic block, which rolls back every row saved above
        raise ImportRefused(errors)
    return created


# Time away --------------------------------------------------------------------------------------------------


@transaction.atomic
def time_away_create(
    *, actor: Actor, practitioner: Practitioner, start: dt.datetime, end: dt.datetime, reason: str, note: str = ""
) -> PractitionerUnavailability:
    """Records time a practitioner cannot see patients; booked appointments in it are left for a person to move."""
    _require_setup(actor)
    _own(actor, practitioner)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("The times need a time zone.", field="start")
    if end <= start:
        raise ValidationError("The time away must end after it starts.", field="end")
    if end - start > dt.timedelta(days=MAX_AWAY_DAYS):
        raise ValidationError("Enter at most a year of time away at once.", field="end")
    if reason not in UnavailabilityReason.values:
        raise ValidationError("Choose a reason.", field="reason")
    away = PractitionerUnavailability.objects.create(
        organization=actor.organization,
        practitioner=practitioner,
        start=start.astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        reason=reason,
        note=(note or "").strip()[:200],
    )
    audit_record(actor=actor, event="away.create", action=AuditAction.CREATE, target=away)
    return away


@transaction.atomic
def time_away_delete(*, actor: Actor, away: PractitionerUnavailability) -> None:
    _require_setup(actor)
    record = _own(actor, away)
    audit_record(
        actor=actor, event="away.delete", action=AuditAction.DELETE, target=record, detail={"was": str(record)}
    )
    record.delete()


# Closed dates -----------------------------------------------------------------------------------------------


@transaction.atomic
def closed_date_create(*, actor: Actor, date: dt.date, name: str) -> ClosedDate:
    """Closes the organization for a day beyond the public holidays (no slots are offered that day)."""
    _require_setup(actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Say why the organization is closed (e.g. Staff training day).", field="name")
    if ClosedDate.objects.filter(organization=actor.organization, date=date).exists():
        raise ValidationError(f"{timefmt.day(date)} is already a closed date.", field="date")
    try:
        with transaction.atomic():
            closed = ClosedDate.objects.create(organization=actor.organization, date=date, name=name[:120])
    except IntegrityError as exc:  # the same day added at the same moment by someone else
        raise ConflictError(f"{timefmt.day(date)} is already a closed date.", field="date") from exc
    audit_record(actor=actor, event="closed.create", action=AuditAction.CREATE, target=closed)
    return closed


@transaction.atomic
def closed_date_delete(*, actor: Actor, closed: ClosedDate) -> None:
    _require_setup(actor)
    record = _own(actor, closed)
    audit_record(
        actor=actor, event="closed.delete", action=AuditAction.DELETE, target=record, detail={"was": str(record)}
    )
    record.delete()


# Public holidays the organization stays open on --------------------------------------------------------------


@dataclass(frozen=True)
class HolidayChoice:
    """The outcome of opening or re-closing a holiday: its base name, whether it is now open, and if it changed."""

    name: str
    open: bool
    changed: bool

    @property
    def message(self) -> str:
        if self.open:
            if self.changed:
                return f"Open on {self.name} every year: slots are offered that day (and on its observed day)."
            return f"{self.name} was already marked open; nothing changed."
        if self.changed:
            return f"Closed again on {self.name}: no slots are offered that day (nor on its observed day)."
        return f"{self.name} was already closed; nothing changed."


def _holiday_name(actor: Actor, name: str) -> str:
    """The holiday's base name as the holiday calendar spells it, or ValidationError for an unknown name."""
    wanted = holiday_base_name(name or "").casefold()
    known = holiday_names_for(actor.organization, clock.today_in(actor.organization.tz))
    for candidate in known:
        if candidate.casefold() == wanted:
            return candidate
    state = actor.organization.get_state_display()
    raise ValidationError(f"“{' '.join((name or '').split())}” is not a public holiday of {state}.", field="name")


@transaction.atomic
def holiday_open(*, actor: Actor, name: str) -> HolidayChoice:
    """
    Keeps the organization open on a public holiday of its state every year (and on its observed day):
    slots are offered and visits may be booked. Opening an open holiday changes nothing.
    """
    _require_setup(actor)
    name = _holiday_name(actor, name)
    if OpenHoliday.objects.filter(organization=actor.organization, name=name).exists():
        return HolidayChoice(name, open=True, changed=False)
    try:
        with transaction.atomic():
            opened = OpenHoliday.objects.create(organization=actor.organization, name=name)
    except IntegrityError:  # opened at the same moment by someone else
        return HolidayChoice(name, open=True, changed=False)
    audit_record(actor=actor, event="holiday.open", action=AuditAction.CREATE, target=opened, detail={"name": name})
    return HolidayChoice(name, open=True, changed=True)


@transaction.atomic
def holiday_close(*, actor: Actor, name: str) -> HolidayChoice:
    """Closes the organization again on a public holiday it had marked open. Closing a closed one changes nothing."""
    _require_setup(actor)
    name = _holiday_name(actor, name)
    opened = OpenHoliday.objects.select_for_update().filter(organization=actor.organization, name=name).first()
    if opened is None:
        return HolidayChoice(name, open=False, changed=False)
    audit_record(actor=actor, event="holiday.close", action=AuditAction.DELETE, target=opened, detail={"name": name})
    opened.delete()
    return HolidayChoice(name, open=False, changed=True)


# Reminder policy --------------------------------------------------------------------------------------------


@transaction.atomic
def reminder_policy_set(
    *,
    actor: Actor,
    enabled: bool,
    days_before: Iterable[int],
    send_time: dt.time,
    needs_task_days_before: int,
    expected_version: int | None = None,
) -> ReminderPolicy:
    """Saves the organization's reminder policy (org admins only); days are 1..30, unique, latest first."""
    require_role(actor, Role.ORG_ADMIN, message="Only organization admins change the reminder policy.")
    try:
        days = normalize_days_before(days_before)
    except ValueError as exc:
        raise ValidationError(str(exc), field="days_before") from exc
    if not 0 <= needs_task_days_before <= 30:
        raise ValidationError("Give 0 to 30 business days.", field="needs_task_days_before")
    policy = reminder_policy_for(actor.organization)
    policy.enabled, policy.days_before, policy.send_time = enabled, days, send_time
    policy.needs_task_days_before = needs_task_days_before
    fields = ["enabled", "days_before", "send_time", "needs_task_days_before"]
    if policy.pk is None:
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError as exc:
            raise ConflictError("Someone else saved the reminder policy just now; reload and try again.") from exc
        action = AuditAction.CREATE
    else:
        save_versioned(policy, expected_version=expected_version or policy.version, fields=fields)
        action = AuditAction.UPDATE
    audit_record(actor=actor, event="reminder_policy.set", action=action, target=policy, detail={"days": days})
    return policy
