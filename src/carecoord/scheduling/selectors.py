"""
Reads on scheduling: appointments the actor may see, and `slots_available`, which loads everything it
needs in a fixed number of queries and hands the arithmetic to the pure `slots` module.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from . import slots as slot_math
from .choices import BLOCKING_STATUSES
from .models import Appointment, AppointmentType, ClosedDate, PractitionerSchedule, PractitionerUnavailability

MAX_WINDOW_DAYS = 92


def appointments_visible_to(actor: Actor) -> QuerySet[Appointment]:
    """Appointments the actor's organization scheduled, for patients the actor may see."""
    return Appointment.objects.filter(
        organization=actor.organization, patient__in=patients_visible_to(actor)
    ).select_related("patient", "practitioner", "location", "appointment_type")


def appointment_get(actor: Actor, public_id) -> Appointment:
    """The appointment if the actor may see it; NotFoundError otherwise (missing and forbidden look alike)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    appointment = appointments_visible_to(actor).filter(public_id=key).first()
    if appointment is None:
        raise NotFoundError()
    return appointment


def appointments_for_patient(actor: Actor, patient: Patient) -> QuerySet[Appointment]:
    return appointments_visible_to(actor).filter(patient=patient).order_by("start", "id")


def appointments_for_practitioner(
    actor: Actor, practitioner: Practitioner, start: dt.datetime, end: dt.datetime
) -> QuerySet[Appointment]:
    return (
        appointments_visible_to(actor)
        .filter(practitioner=practitioner, start__lt=end, end__gt=start)
        .order_by("start", "id")
    )


def closed_days(organization, first_day: dt.date, last_day: dt.date) -> set[dt.date]:
    """The state's public holidays plus the organization's own closed dates in the window (one query)."""
    public = clock.business_holidays(organization.state, range(first_day.year, last_day.year + 1))
    days = {day for day in public if first_day <= day <= last_day}
    days.update(
        ClosedDate.objects.filter(organization=organization, date__range=(first_day, last_day)).values_list(
            "date", flat=True
        )
    )
    return days


@dataclass(frozen=True)
class SlotOption:
    """A bookable start with whom and where."""

    start: dt.datetime
    end: dt.datetime
    practitioner: Practitioner
    location: Location


def slots_available(
    actor: Actor,
    *,
    appointment_type: AppointmentType,
    first_day: dt.date,
    last_day: dt.date,
    specialty_code: str | None = None,
    location: Location | None = None,
    language: str | None = None,
    accepting_new_patients: bool | None = None,
    practitioners: Collection[Practitioner] | None = None,
    patient: Patient | None = None,
    patient_weekdays: Collection[int] | None = None,
    patient_times: Sequence[slot_math.TimeWindow] | None = None,
    step_minutes: int = 15,
    limit: int | None = 200,
) -> list[SlotOption]:
    """
    Free slots for `appointment_type` between two local dates (inclusive), over every practitioner who
    offers it and matches the filters, earliest first. With `patient`, the patient's own booked times are
    busy too. Runs five queries whatever the number of practitioners.
    """
    if appointment_type.organization_id != actor.organization.pk:
        raise NotFoundError()
    last_day = min(last_day, first_day + dt.timedelta(days=MAX_WINDOW_DAYS))
    schedules = _schedules(actor, appointment_type, first_day, last_day, specialty_code, location, language)
    if accepting_new_patients is not None:
        schedules = schedules.filter(practitioner__accepting_new_patients=accepting_new_patients)
    if practitioners is not None:
        schedules = schedules.filter(practitioner__in=[p.pk for p in practitioners])
    by_key: dict[tuple, list[PractitionerSchedule]] = defaultdict(list)
    for schedule in schedules:
        by_key[(schedule.practitioner_id, schedule.location_id)].append(schedule)
    if not by_key:
        return []
    tz = actor.organization.tz
    span = _utc_span(first_day, last_day, tz)
    practitioner_ids = {practitioner_id for practitioner_id, _ in by_key}
    busy = _busy_by_practitioner(practitioner_ids, span)
    patient_busy = _patient_busy(patient, span)
    closed = closed_days(actor.organization, first_day, last_day)
    results = []
    for (practitioner_id, location_id), blocks in by_key.items():
        results.append(
            slot_math.free_slots(
                tz=tz,
                first_day=first_day,
                last_day=last_day,
                hours=[_hours(block) for block in blocks],
                duration=dt.timedelta(minutes=appointment_type.duration_minutes),
                step_minutes=step_minutes,
                busy=busy[practitioner_id] + patient_busy,
                closed_days=closed,
                not_before=clock.now(),
                patient_weekdays=patient_weekdays,
                patient_times=patient_times,
                key=(practitioner_id, location_id),
            )
        )
    people = {block.practitioner_id: block.practitioner for blocks in by_key.values() for block in blocks}
    places = {block.location_id: block.location for blocks in by_key.values() for block in blocks}
    return [
        SlotOption(slot.start, slot.end, people[slot.key[0]], places[slot.key[1]])
        for slot in slot_math.merge_slots(*results, limit=limit)
    ]


def _schedules(actor, appointment_type, first_day, last_day, specialty_code, location, language):
    schedules = PractitionerSchedule.objects.filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=last_day),
        Q(effective_until__isnull=True) | Q(effective_until__gte=first_day),
        organization=actor.organization,
        appointment_types=appointment_type,
        active=True,
        practitioner__active=True,
        location__active=True,
    ).select_related("practitioner", "location")
    if specialty_code:
        schedules = schedules.filter(practitioner__specialty_code=specialty_code)
    if location is not None:
        schedules = schedules.filter(location=location)
    if language:
        # JSON list membership in Python-free SQL differs by engine; "contains" on the text form works on both.
        schedules = schedules.filter(practitioner__languages__icontains=f'"{language}"')
    return schedules


def _utc_span(first_day, last_day, tz) -> slot_math.Interval:
    start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return slot_math.Interval(start, end)


def _busy_by_practitioner(practitioner_ids, span) -> dict[int, list[slot_math.Interval]]:
    busy: dict[int, list[slot_math.Interval]] = defaultdict(list)
    booked = Appointment.objects.filter(
        practitioner_id__in=practitioner_ids, status__in=BLOCKING_STATUSES, start__lt=span.end, end__gt=span.start
    ).values_list("practitioner_id", "start", "end")
    away = PractitionerUnavailability.objects.filter(
        practitioner_id__in=practitioner_ids, start__lt=span.end, end__gt=span.start
    ).values_list("practitioner_id", "start", "end")
    for practitioner_id, start, end in [*booked, *away]:
        busy[practitioner_id].append(slot_math.Interval(start, end))
    return busy


def _patient_busy(patient, span) -> list[slot_math.Interval]:
    if patient is None:
        return []
    rows = Appointment.objects.filter(
        patient=patient, status__in=BLOCKING_STATUSES, start__lt=span.end, end__gt=span.start
    ).values_list("start", "end")
    return [slot_math.Interval(start, end) for start, end in rows]


def _hours(schedule: PractitionerSchedule) -> slot_math.WeeklyHours:
    return slot_math.WeeklyHours(
        weekday=schedule.weekday,
        start=schedule.start_time,
        end=schedule.end_time,
        effective_from=schedule.effective_from,
        effective_until=schedule.effective_until,
    )
