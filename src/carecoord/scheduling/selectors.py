"""
Reads on scheduling: appointments the actor may see, and `slots_available`, which loads everything it
needs in a fixed number of queries and hands the arithmetic to the pure `slots` module.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from django.db.models import DateField, F, Q, QuerySet, Value

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import visible_patient_q

from . import slots as slot_math
from .choices import BLOCKING_STATUSES
from .choices import AppointmentStatus as S
from .models import (
    Appointment,
    AppointmentType,
    ClosedDate,
    OpenHoliday,
    PatientSchedulingPreference,
    PractitionerSchedule,
    PractitionerUnavailability,
)

MAX_WINDOW_DAYS = 92


def appointments_visible_to(actor: Actor) -> QuerySet[Appointment]:
    """Appointments the actor's organization scheduled, for patients the actor may see."""
    return Appointment.objects.filter(visible_patient_q(actor), organization=actor.organization).select_related(
        "patient", "practitioner", "location", "appointment_type"
    )


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


OBSERVED_SUFFIX = " (observed)"


def holiday_base_name(name: str) -> str:
    """
    The name an organization opens a holiday by. The rule: an opening of a holiday also covers its observed
    day, so "Independence Day (observed)" (Friday July 3, 2026, when July 4 is a Saturday) has the base name
    "Independence Day", and an organization open on Independence Day is open on both days. Names come from
    the `holidays` package and are stable from year to year ("Columbus Day", "Lincoln's Birthday").
    """
    name = " ".join(str(name).split())
    if name.endswith(OBSERVED_SUFFIX):
        return name[: -len(OBSERVED_SUFFIX)]
    return name


def public_holiday_names(state: str, years) -> list[tuple[dt.date, str]]:
    """(date, name) of each public holiday of the state in `years`, one pair per name, in date order."""
    calendar = clock.business_holidays(state, years)
    return [(day, str(name)) for day in sorted(calendar) for name in calendar.get_list(day)]


def open_holiday_names(organization) -> set[str]:
    """Base names of the public holidays the organization stays open on."""
    return set(OpenHoliday.objects.filter(organization=organization).values_list("name", flat=True))


def closed_day_names(organization, first_day: dt.date, last_day: dt.date) -> dict[dt.date, str]:
    """
    Every day in the window the organization is closed, with why: the state's public holidays it has not
    marked open (see `holiday_base_name`), then its own closed dates (their name wins). One query. The one
    place that decides closed days for slot search, booking, reminders, the visit planner and FHIR Slot.
    """
    own = (
        ClosedDate.objects.filter(organization=organization, date__range=(first_day, last_day))
        .order_by()
        .annotate(day=F("date"), label=F("name"))
        .values_list("day", "label")
    )
    # Opened holidays ride along in the same query, as rows without a day.
    opened_rows = (
        OpenHoliday.objects.filter(organization=organization)
        .order_by()
        .annotate(day=Value(None, output_field=DateField()), label=F("name"))
        .values_list("day", "label")
    )
    rows = list(own.union(opened_rows, all=True))
    opened = {label for day, label in rows if day is None}
    names: dict[dt.date, list[str]] = defaultdict(list)
    for day, name in public_holiday_names(organization.state, range(first_day.year, last_day.year + 1)):
        if first_day <= day <= last_day and holiday_base_name(name) not in opened:
            names[day].append(name)
    closed = {day: "; ".join(found) for day, found in names.items()}
    closed.update((day, label) for day, label in rows if day is not None)
    return closed


def closed_days(organization, first_day: dt.date, last_day: dt.date) -> set[dt.date]:
    """The days in the window the organization is closed (see `closed_day_names`)."""
    return set(closed_day_names(organization, first_day, last_day))


@dataclass(frozen=True)
class SlotOption:
    """A bookable start with whom and where."""

    start: dt.datetime
    end: dt.datetime
    practitioner: Practitioner
    location: Location


def slots_available(
    actor: Actor, *, limit: int | None = 200, per_day: int | None = None, **filters
) -> list[SlotOption]:
    """
    Free slots matching `filters` (the keyword arguments of `slots_by_day`: appointment type, date window,
    specialty, location, language, practitioners, patient...), earliest first (ties by practitioner and
    location), at most `limit` and, with `per_day`, at most that many on each local day (the earliest of the
    day). With `patient`, the patient's own booked times are busy too. Runs five queries whatever the number
    of practitioners; the days after the `limit`-th slot are never computed.
    """
    days = slots_by_day(actor, **filters)
    found: list[SlotOption] = []
    for _day, options in days:
        found += options[:per_day] if per_day is not None else options
        if limit is not None and len(found) >= limit:
            return found[:limit]
    return found


def slots_by_day(
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
) -> Iterator[tuple[dt.date, list[SlotOption]]]:
    """
    The free slots of `slots_available` (same filters) one local day at a time, in date order: (day, every
    free slot of that day, earliest first), days without any left out. The queries run when this is called
    (access checked then); each day's slots are computed only when the caller iterates that far.
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
        return iter(())
    tz = actor.organization.tz
    span = _utc_span(first_day, last_day, tz)
    busy = _busy_by_practitioner({practitioner_id for practitioner_id, _ in by_key}, span)
    patient_busy = _patient_busy(patient, span)
    sources = [
        slot_math.SlotSource(key, [_hours(block) for block in blocks], busy[key[0]] + patient_busy)
        for key, blocks in by_key.items()
    ]
    people = {block.practitioner_id: block.practitioner for blocks in by_key.values() for block in blocks}
    places = {block.location_id: block.location for blocks in by_key.values() for block in blocks}

    def option(start: dt.datetime, end: dt.datetime, key: tuple) -> SlotOption:
        return SlotOption(start, end, people[key[0]], places[key[1]])

    return slot_math.free_days(
        tz=tz,
        first_day=first_day,
        last_day=last_day,
        sources=sources,
        duration=dt.timedelta(minutes=appointment_type.duration_minutes),
        step_minutes=step_minutes,
        closed_days=closed_days(actor.organization, first_day, last_day),
        not_before=clock.now(),
        patient_weekdays=patient_weekdays,
        patient_times=patient_times,
        make=option,
    )


def _schedules(actor, appointment_type, first_day, last_day, specialty_code, location, language):
    schedules = PractitionerSchedule.objects.filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=last_day),
        Q(effective_until__isnull=True) | Q(effective_until__gte=first_day),
        organization=actor.organization,
        appointment_types=appointment_type,
        active=True,
        practitioner__active=True,
        location__active=True,
        location__organization=actor.organization,
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


# Booking pages: preferences, the no-show rate, the chart's schedule tab, what a search can offer ------------


def appointment_types_for(actor: Actor) -> QuerySet[AppointmentType]:
    """The organization's active appointment types, by name."""
    return AppointmentType.objects.filter(organization=actor.organization, active=True).order_by("name")


def scheduling_preference_for(actor: Actor, patient: Patient) -> PatientSchedulingPreference:
    """
    The patient's scheduling preferences at the actor's organization; an unsaved default (interpreter need
    taken from the chart) when none were recorded yet.
    """
    preference = PatientSchedulingPreference.objects.filter(organization=actor.organization, patient=patient).first()
    if preference is None:
        preference = PatientSchedulingPreference(
            organization=actor.organization, patient=patient, needs_interpreter=patient.interpreter_needed
        )
    return preference


def patient_availability(preference: PatientSchedulingPreference) -> tuple[list[int] | None, list | None]:
    """The preference as `slots_available` arguments: (weekdays or None, time windows or None)."""
    weekdays = sorted(int(day) for day in preference.weekdays) if preference.weekdays else None
    if preference.earliest_time is None and preference.latest_time is None:
        return weekdays, None
    window = slot_math.TimeWindow(preference.earliest_time or dt.time(0), preference.latest_time or dt.time(23, 59))
    return weekdays, [window]


@dataclass(frozen=True)
class NoShowRate:
    """No-shows among the visits that happened or should have (fulfilled + no-shows), with the counts."""

    no_shows: int
    fulfilled: int
    months: int = 12

    @property
    def counted(self) -> int:
        return self.no_shows + self.fulfilled

    @property
    def percent(self) -> int | None:
        return round(100 * self.no_shows / self.counted) if self.counted else None

    @property
    def is_high(self) -> bool:
        return self.percent is not None and self.counted >= 3 and self.percent >= 20


def patient_no_show_rate(actor: Actor, patient: Patient, *, months: int = 12) -> NoShowRate:
    """The patient's no-show rate over the last `months` months (inside and outside visits the actor sees)."""
    until = clock.now()
    since = until - dt.timedelta(days=round(months * 365.25 / 12))
    rows = (
        appointments_visible_to(actor)
        .filter(patient=patient, start__gte=since, start__lt=until, status__in=(S.NOSHOW, S.FULFILLED))
        .values_list("status", flat=True)
    )
    statuses = list(rows)
    return NoShowRate(no_shows=statuses.count(S.NOSHOW), fulfilled=statuses.count(S.FULFILLED), months=months)


@dataclass(frozen=True)
class PatientSchedule:
    upcoming: list[Appointment]
    past: list[Appointment]


def patient_schedule(actor: Actor, patient: Patient, *, past_limit: int = 50) -> PatientSchedule:
    """The patient's appointments the actor may see: upcoming earliest first, past latest first."""
    now = clock.now()
    visible = appointments_for_patient(actor, patient).exclude(status=S.ENTERED_IN_ERROR)
    visible = visible.select_related("external_organization")
    upcoming = list(visible.filter(end__gt=now))
    past = list(visible.filter(end__lte=now).order_by("-start", "-id")[:past_limit])
    return PatientSchedule(upcoming=upcoming, past=past)


def practitioners_offering(
    actor: Actor,
    *,
    appointment_type: AppointmentType,
    first_day: dt.date,
    last_day: dt.date,
    specialty_code: str | None = None,
    location: Location | None = None,
    language: str | None = None,
    accepting_new_patients: bool | None = None,
) -> int:
    """How many practitioners have hours offering the type with these filters (tells 'nobody' from 'all full')."""
    schedules = _schedules(actor, appointment_type, first_day, last_day, specialty_code, location, language)
    if accepting_new_patients is not None:
        schedules = schedules.filter(practitioner__accepting_new_patients=accepting_new_patients)
    return schedules.values("practitioner_id").distinct().count()


def practitioner_get(actor: Actor, public_id) -> Practitioner:
    """A practitioner of the actor's organization; NotFoundError for another organization's or a bad id."""
    return _own_directory_entry(Practitioner, actor, public_id)


def slot_search_locations(actor: Actor) -> QuerySet[Location]:
    """
    The places a slot search can return for the actor, by name: its organization's active locations, its own
    sites and the partner (outside) sites where its practitioners keep hours. The same tenancy as
    `_schedules`, so every place in the results can be chosen as a filter.
    """
    return (
        Location.objects.filter(organization=actor.organization, active=True)
        .select_related("external_organization")
        .order_by("name", "pk")
    )


def location_get(actor: Actor, public_id) -> Location:
    """A location of the actor's organization; NotFoundError for another organization's or a bad id."""
    return _own_directory_entry(Location, actor, public_id)


def _own_directory_entry(model, actor: Actor, public_id):
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    entry = model.objects.filter(organization=actor.organization, public_id=key).first()
    if entry is None:
        raise NotFoundError()
    return entry


# Calendars ---------------------------------------------------------------------------------------------------

CALENDAR_HIDDEN_STATUSES = (S.CANCELLED, S.ENTERED_IN_ERROR)


@dataclass(frozen=True)
class CalendarEntry:
    """An appointment on a calendar; `appointment` is None when the actor may not see its patient."""

    start: dt.datetime
    end: dt.datetime
    practitioner_id: int | None
    status: str
    appointment: Appointment | None


@dataclass(frozen=True)
class CalendarData:
    """What a day or week calendar shows, in UTC; the view lays it out in the organization's zone."""

    entries: list[CalendarEntry]
    hours: list[PractitionerSchedule]
    away: list[PractitionerUnavailability]
    closed: set[dt.date]
    practitioners: list[Practitioner]


def calendar_data(
    actor: Actor,
    *,
    first_day: dt.date,
    last_day: dt.date,
    practitioner: Practitioner | None = None,
    location: Location | None = None,
    patient: Patient | None = None,
) -> CalendarData:
    """
    The appointments, weekly hours and time away of one practitioner, one location or one patient between two
    local dates (inclusive). Appointments of patients the actor may not see come without their details.
    """
    span = _utc_span(first_day, last_day, actor.organization.tz)
    closed = closed_days(actor.organization, first_day, last_day)
    if patient is not None:
        rows = appointments_for_patient(actor, patient).filter(start__lt=span.end, end__gt=span.start)
        rows = rows.exclude(status__in=CALENDAR_HIDDEN_STATUSES).select_related("external_organization")
        entries = [CalendarEntry(a.start, a.end, a.practitioner_id, a.status, a) for a in rows]
        return CalendarData(entries=entries, hours=[], away=[], closed=closed, practitioners=[])
    hours = PractitionerSchedule.objects.filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=last_day),
        Q(effective_until__isnull=True) | Q(effective_until__gte=first_day),
        organization=actor.organization,
        active=True,
    ).select_related("location", "practitioner")
    booked = Appointment.objects.filter(start__lt=span.end, end__gt=span.start).exclude(
        status__in=CALENDAR_HIDDEN_STATUSES
    )
    if practitioner is not None:
        hours = hours.filter(practitioner=practitioner)
        booked = booked.filter(practitioner=practitioner)
    else:
        hours = hours.filter(location=location)
        booked = booked.filter(location=location, organization=actor.organization)
    hours = list(hours.order_by("weekday", "start_time"))
    booked = list(booked.order_by("start", "id").values_list("pk", "start", "end", "practitioner_id", "status"))
    visible = {a.pk: a for a in appointments_visible_to(actor).filter(pk__in=[row[0] for row in booked])}
    entries = [CalendarEntry(start, end, who, status, visible.get(pk)) for pk, start, end, who, status in booked]
    people_ids = {block.practitioner_id for block in hours} | {e.practitioner_id for e in entries if e.practitioner_id}
    if practitioner is not None:
        people_ids = {practitioner.pk}
    away = list(
        PractitionerUnavailability.objects.filter(
            practitioner_id__in=people_ids, start__lt=span.end, end__gt=span.start
        ).order_by("start")
    )
    people = list(Practitioner.objects.filter(pk__in=people_ids).order_by("family_name", "given_name"))
    return CalendarData(entries=entries, hours=hours, away=away, closed=closed, practitioners=people)
