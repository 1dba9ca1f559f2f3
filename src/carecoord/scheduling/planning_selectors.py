"""
Reads for multi-visit plans and recurring series.

Map:
- `visit_plan_get`, `series_get`, `visit_plans_for_patient`, `series_for_patient` — access-filtered reads.
- `scheduling_preference_for` — the patient's stored availability (or None).
- `visit_locations` — the places of care a plan or series may use (no pharmacies, payers or offices).
- `series_dates`, `series_check` — a series' occurrences and, for each, whether it is free or why not (outside
  the practitioner's hours names the hours that would fit).
- `practitioner_weekly_hours`, `hours_summary`, `day_names` — a practitioner's weekly hours, per location, in
  words ("Mon, Tue, Thu 8:00 AM - 4:00 PM"), shown beside a series' weekdays.
- `plan_compute` — gathers candidate slots for a plan's request (one `slots_available` call per distinct type
  and filter set), runs the CP-SAT planner and returns the proposal as plain JSON-ready data.

A plan's request (stored in `VisitPlan.request`) holds public ids as strings, so it survives renames:
{"window": {"first_day", "last_day"}, "availability": {"weekdays", "earliest_time", "latest_time",
"needs_transport"}, "visits": [{"key", "label", "appointment_type", "practitioner", "specialty_code",
"location", "times_per_week", "weeks", "not_before", "deadline"}], "orders": [{"before", "after", "kind",
"days"}]}. The last computed proposal is kept beside it under "proposal", so "Book this plan" books exactly
what the coordinator saw.
"""

import datetime as dt
import itertools
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from carecoord.core import clock, timefmt
from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from . import planner
from . import slots as slot_math
from .choices import BLOCKING_STATUSES
from .models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    PatientSchedulingPreference,
    PractitionerSchedule,
    PractitionerUnavailability,
    VisitPlan,
)
from .outside_forms import VISIT_PLACES
from .selectors import closed_day_names, slots_available

# Planning searches coarser than booking: starts every 30 minutes keep the CP-SAT model small while
# back-to-back visits of 30 or 60 minutes still tile a day.
PLAN_STEP_MINUTES = 30
MAX_CANDIDATES_PER_VISIT = 600
PER_DAY_CAP = 6
TRAVEL_MINUTES_BETWEEN_LOCATIONS = 30
PLANNER_SECONDS = 10.0


def _uuid(public_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc


def visit_plans_for_patient(actor: Actor, patient: Patient) -> QuerySet[VisitPlan]:
    return VisitPlan.objects.filter(
        organization=actor.organization, patient=patient, patient__in=patients_visible_to(actor)
    ).order_by("-created_at", "-id")


def visit_plan_get(actor: Actor, public_id) -> VisitPlan:
    """The visit plan if the actor's organization made it for a patient they may see; NotFoundError otherwise."""
    plan = (
        VisitPlan.objects.filter(organization=actor.organization, patient__in=patients_visible_to(actor))
        .select_related("patient", "careplan", "created_by")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if plan is None:
        raise NotFoundError()
    return plan


def series_for_patient(actor: Actor, patient: Patient) -> QuerySet[AppointmentSeries]:
    return AppointmentSeries.objects.filter(
        organization=actor.organization, patient=patient, patient__in=patients_visible_to(actor)
    ).order_by("-first_date", "-id")


def series_get(actor: Actor, public_id) -> AppointmentSeries:
    """The series if the actor's organization booked it for a patient they may see; NotFoundError otherwise."""
    series = (
        AppointmentSeries.objects.filter(organization=actor.organization, patient__in=patients_visible_to(actor))
        .select_related("patient", "practitioner", "location", "appointment_type")
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if series is None:
        raise NotFoundError()
    return series


def series_appointments(series: AppointmentSeries) -> list[Appointment]:
    """The series' appointments by occurrence, cancelled ones included (they show what happened)."""
    return list(
        series.appointments.select_related("practitioner", "location", "appointment_type").order_by(
            "series_index", "start", "id"
        )
    )


def visit_locations(organization) -> QuerySet[Location]:
    """
    The organization's active places of care a visit can be booked at: its own sites and those of outside
    organizations patients visit (VISIT_PLACES, the rule of the outside-visit form), never a pharmacy, payer,
    community or government office.
    """
    return Location.objects.filter(organization=organization, active=True).filter(
        Q(external_organization__isnull=True) | Q(external_organization__kind__in=VISIT_PLACES)
    )


def scheduling_preference_for(actor: Actor, patient: Patient) -> PatientSchedulingPreference | None:
    return PatientSchedulingPreference.objects.filter(organization=actor.organization, patient=patient).first()


# --- recurring series ---------------------------------------------------------------------------------------


def series_dates(first_date: dt.date, weekdays: Collection[int], occurrences: int) -> list[dt.date]:
    """The first `occurrences` local dates on or after `first_date` that fall on one of `weekdays`."""
    days = set(weekdays)
    if not days or occurrences < 1:
        return []
    found: list[dt.date] = []
    day = first_date
    while len(found) < occurrences:
        if day.weekday() in days:
            found.append(day)
        day += dt.timedelta(days=1)
    return found


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_names(weekdays: Collection[int]) -> list[str]:
    return [DAY_NAMES[day] for day in sorted(set(weekdays))]


def hours_summary(hours: Collection[slot_math.WeeklyHours]) -> str:
    """
    Weekly hours in words, weekdays that share a time range together, by the first weekday:
    "Mon, Tue, Thu 8:00 AM - 4:00 PM; Wed 12:00 PM - 6:00 PM". Empty for no hours.
    """
    days_by_range: dict[tuple[dt.time, dt.time], set[int]] = {}
    for block in hours:
        days_by_range.setdefault((block.start, block.end), set()).add(block.weekday)
    ranges = sorted(days_by_range.items(), key=lambda item: (min(item[1]), item[0]))
    return "; ".join(
        f"{_day_runs(days)} {timefmt.clock(start)} - {timefmt.clock(end)}" for (start, end), days in ranges
    )


def _day_runs(weekdays: Collection[int]) -> str:
    """'Mon-Fri', 'Mon, Tue, Thu', 'Mon-Wed, Fri': three or more days in a row as a range."""
    runs: list[list[int]] = []
    for day in sorted(set(weekdays)):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ", ".join(parts)


def _current(blocks, on: dt.date) -> list:
    """The blocks in effect on `on` or starting later (hours that ended before it are history)."""
    return [block for block in blocks if block.effective_until is None or block.effective_until >= on]


def _weekly(blocks) -> list[slot_math.WeeklyHours]:
    return [
        slot_math.WeeklyHours(b.weekday, b.start_time, b.end_time, b.effective_from, b.effective_until) for b in blocks
    ]


@dataclass(frozen=True)
class LocationHours:
    """A practitioner's weekly hours at one location, in words, and whether the form has that location chosen."""

    location: Location
    summary: str
    chosen: bool = False


def practitioner_weekly_hours(
    actor: Actor,
    practitioner: Practitioner,
    *,
    on: dt.date,
    appointment_type: AppointmentType | None = None,
    location: Location | None = None,
) -> list[LocationHours]:
    """
    The practitioner's weekly hours per location of the actor's organization, from `on` (the chosen
    location first), only the hours that take `appointment_type` when one is given. One query.
    """
    blocks = PractitionerSchedule.objects.filter(
        organization=actor.organization, practitioner=practitioner, active=True
    ).select_related("location")
    if appointment_type is not None:
        blocks = blocks.filter(appointment_types=appointment_type)
    by_location: dict[Location, list] = {}
    for block in _current(blocks.distinct(), on):
        by_location.setdefault(block.location, []).append(block)
    rows = [
        LocationHours(place, hours_summary(_weekly(found)), chosen=location is not None and place.pk == location.pk)
        for place, found in by_location.items()
    ]
    return sorted(rows, key=lambda row: (not row.chosen, row.location.name))


@dataclass(frozen=True)
class OccurrenceCheck:
    """One occurrence of a series: its number (from 1), local date, UTC start and end, and any problem."""

    number: int
    day: dt.date
    start: dt.datetime | None
    end: dt.datetime | None
    problem: str = ""

    @property
    def free(self) -> bool:
        return not self.problem


def series_check(
    actor: Actor,
    *,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    appointment_type: AppointmentType,
    weekdays: Collection[int],
    local_time: dt.time,
    first_date: dt.date,
    occurrences: int,
) -> list[OccurrenceCheck]:
    """
    Each occurrence with its status: free, or why not (in the past, the clock skips that time, closed day or
    holiday, outside the practitioner's hours, practitioner away, practitioner busy, patient busy). Five
    queries whatever the number of occurrences.
    """
    days = series_dates(first_date, weekdays, occurrences)
    if not days:
        return []
    tz = actor.organization.tz
    span = slot_math.Interval(
        dt.datetime.combine(days[0], dt.time(0), tzinfo=tz), dt.datetime.combine(days[-1], dt.time(23, 59), tzinfo=tz)
    )
    blocks = list(
        PractitionerSchedule.objects.filter(
            organization=actor.organization, practitioner=practitioner, location=location, active=True
        ).prefetch_related("appointment_types")
    )
    hours = _weekly([b for b in blocks if appointment_type in b.appointment_types.all()])
    outside = _OutsideHours(practitioner, location, appointment_type, hours, tz)
    closed = closed_day_names(actor.organization, days[0], days[-1])
    away = _intervals(PractitionerUnavailability.objects.filter(practitioner=practitioner), span)
    booked = Appointment.objects.filter(status__in=BLOCKING_STATUSES)
    practitioner_busy = _intervals(booked.filter(practitioner=practitioner), span)
    patient_busy = _intervals(booked.filter(patient=patient), span)
    duration = dt.timedelta(minutes=appointment_type.duration_minutes)
    checks = []
    for number, day in enumerate(days, start=1):
        start = slot_math.local_instant(day, local_time, tz)
        if start is None:
            checks.append(OccurrenceCheck(number, day, None, None, "that time does not exist on the clock change"))
            continue
        visit = slot_math.Interval(start, start + duration)
        problem = _problem(visit, day, outside, closed, away, practitioner_busy, patient_busy)
        checks.append(OccurrenceCheck(number, day, visit.start, visit.end, problem))
    return checks


def _intervals(queryset, span: slot_math.Interval) -> list[slot_math.Interval]:
    rows = queryset.filter(start__lt=span.end, end__gt=span.start).values_list("start", "end")
    return [slot_math.Interval(start, end) for start, end in rows]


@dataclass(frozen=True)
class _OutsideHours:
    """Says which hours would fit when an occurrence falls outside the practitioner's hours."""

    practitioner: Practitioner
    location: Location
    appointment_type: AppointmentType
    hours: list[slot_math.WeeklyHours]
    tz: dt.tzinfo

    def problem(self, visit: slot_math.Interval, day: dt.date) -> str:
        """'Wed 4:30 PM is outside Dr X's hours (Mon, Tue, Thu 8:00 AM - 4:00 PM)', or '' inside them."""
        if slot_math.within_hours(visit, tz=self.tz, hours=self.hours):
            return ""
        # The hours in effect that week (a block may start or end within the series).
        week = [day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=n) for n in range(7)]
        current = [block for block in self.hours if any(block.applies_on(other) for other in week)]
        who = f"{self.practitioner.given_name} {self.practitioner.family_name}"
        if not current:
            return f"{who} has no hours for {self.appointment_type.name} at {self.location.name} that week"
        starts = slot_math.Interval(visit.start, visit.start + dt.timedelta(minutes=1))
        when = f"{DAY_NAMES[day.weekday()]} {timefmt.clock(visit.start, self.tz)}"
        if slot_math.within_hours(starts, tz=self.tz, hours=current):  # it starts inside but runs past the end
            when = f"{when} - {timefmt.clock(visit.end, self.tz)}"
        return f"{when} is outside {who}'s hours ({hours_summary(current)})"


def _problem(visit, day, outside, closed, away, practitioner_busy, patient_busy) -> str:
    """Why one occurrence cannot be booked, in the words a coordinator uses, or '' when it is free."""
    if visit.start < clock.now():
        return "in the past"
    if day in closed:
        return f"closed: {closed[day]}"
    if problem := outside.problem(visit, day):
        return problem
    if any(visit.overlaps(other) for other in away):
        return "practitioner away"
    if any(visit.overlaps(other) for other in practitioner_busy):
        return "practitioner busy"
    if any(visit.overlaps(other) for other in patient_busy):
        return "patient busy"
    return ""


# --- multi-visit plans --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    """A request's public ids turned into the organization's records."""

    types: dict[str, AppointmentType]
    practitioners: dict[str, Practitioner]
    locations: dict[str, Location]


def plan_references(actor: Actor, request: dict) -> _Resolved:
    """The appointment types, practitioners and locations a request names (NotFoundError for a stranger's)."""
    wanted: dict[str, set[str]] = {"appointment_type": set(), "practitioner": set(), "location": set()}
    for visit in request.get("visits", []):
        for name, found in wanted.items():
            if visit.get(name):
                found.add(str(visit[name]))
    org = actor.organization
    types = {
        str(t.public_id): t
        for t in AppointmentType.objects.filter(organization=org, public_id__in=wanted["appointment_type"])
    }
    people = {
        str(p.public_id): p for p in Practitioner.objects.filter(organization=org, public_id__in=wanted["practitioner"])
    }
    places = {
        str(loc.public_id): loc for loc in Location.objects.filter(organization=org, public_id__in=wanted["location"])
    }
    if len(types) != len(wanted["appointment_type"]) or len(people) != len(wanted["practitioner"]):
        raise NotFoundError()
    if len(places) != len(wanted["location"]):
        raise NotFoundError()
    return _Resolved(types, people, places)


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _time(value) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


def _filter_key(visit: dict) -> tuple:
    return (
        visit["appointment_type"],
        visit.get("practitioner") or "",
        visit.get("specialty_code") or "",
        visit.get("location") or "",
    )


def plan_candidates(
    actor: Actor, patient: Patient, request: dict, refs: _Resolved
) -> dict[tuple, list[planner.CandidateSlot]]:
    """Free slots for each distinct (type, practitioner, specialty, location) of the request, over its window."""
    window = request["window"]
    first_day, last_day = _date(window["first_day"]), _date(window["last_day"])
    availability = request.get("availability", {})
    weekdays = availability.get("weekdays") or None
    earliest, latest = _time(availability.get("earliest_time")), _time(availability.get("latest_time"))
    times = None
    if earliest or latest:
        times = [slot_math.TimeWindow(earliest or dt.time(0), latest or dt.time(23, 59))]
    found: dict[tuple, list[planner.CandidateSlot]] = {}
    for visit in request["visits"]:
        key = _filter_key(visit)
        if key in found:
            continue
        type_id, practitioner_id, specialty, location_id = key
        options = slots_available(
            actor,
            appointment_type=refs.types[type_id],
            first_day=first_day,
            last_day=last_day,
            specialty_code=specialty or None,
            location=refs.locations[location_id] if location_id else None,
            practitioners=[refs.practitioners[practitioner_id]] if practitioner_id else None,
            patient=patient,
            patient_weekdays=weekdays,
            patient_times=times,
            step_minutes=PLAN_STEP_MINUTES,
            limit=MAX_CANDIDATES_PER_VISIT,
        )
        found[key] = [
            planner.CandidateSlot(
                slot_id=f"{option.practitioner.public_id}|{option.location.public_id}|{option.start.isoformat()}",
                start=option.start,
                end=option.end,
                location_id=str(option.location.public_id),
                practitioner_id=str(option.practitioner.public_id),
            )
            for option in _thinned(options, actor.organization.tz)
        ]
    return found


def _thinned(options: list, tz) -> list:
    """
    At most PER_DAY_CAP starts per practitioner, location and day, spread evenly from the first to the last.
    The planner's effort grows quickly with candidates (a repeating visit repeats them all), and a trip day
    rarely needs more choice than this; the first and last starts stay, so visits can still sit back to back
    with another visit at either end of the day.
    """
    groups: dict[tuple, list] = {}
    for option in options:
        groups.setdefault((option.practitioner.pk, option.location.pk, option.start.astimezone(tz).date()), []).append(
            option
        )
    kept = []
    for group in groups.values():
        if len(group) <= PER_DAY_CAP:
            kept += group
            continue
        last = len(group) - 1
        picks = sorted({round(i * last / (PER_DAY_CAP - 1)) for i in range(PER_DAY_CAP)})
        kept += [group[i] for i in picks]
    return sorted(kept, key=lambda option: option.start)


def plan_problem(actor: Actor, request: dict, candidates: dict[tuple, list[planner.CandidateSlot]]):
    """The planner's input: visits (repeating ones expanded), order gaps, deadlines and not-before dates."""
    visits: list[planner.VisitRequest] = []
    constraints: list = []
    ends: dict[str, tuple[str, str]] = {}  # request key -> (first, last) planner visit ids
    for visit in request["visits"]:
        key, label = visit["key"], visit["label"]
        slots = candidates[_filter_key(visit)]
        not_before, deadline = _date(visit.get("not_before")), _date(visit.get("deadline"))
        if visit.get("times_per_week") and visit.get("weeks"):
            expanded, chained = planner.expand_series(
                series_id=key,
                label=label,
                candidates=slots,
                times_per_week=int(visit["times_per_week"]),
                weeks=int(visit["weeks"]),
                starting=not_before,
            )
            visits += expanded
            constraints += chained
            ends[key] = (expanded[0].visit_id, expanded[-1].visit_id)
        else:
            visits.append(planner.VisitRequest(key, label, slots))
            ends[key] = (key, key)
        if not_before:
            constraints.append(planner.NotBefore(ends[key][0], not_before))
        if deadline:
            constraints.append(planner.Deadline(ends[key][1], deadline))
    for order in request.get("orders", []):
        before, after = ends[order["before"]][1], ends[order["after"]][0]
        days = int(order["days"])
        if order["kind"] == "within":
            constraints.append(planner.Order(before, after, 0, days, unit="days"))
        else:
            constraints.append(planner.Order(before, after, days, unit="days"))
    return planner.PlanRequest(
        visits=visits,
        constraints=constraints,
        earliest_start=clock.now(),
        time_zone=actor.organization.timezone,
        min_between_locations_minutes=TRAVEL_MINUTES_BETWEEN_LOCATIONS,
        transport_needed=bool(request.get("availability", {}).get("needs_transport")),
        time_limit_seconds=PLANNER_SECONDS,
    )


def plan_compute(actor: Actor, plan: VisitPlan) -> dict:
    """Runs the planner on the plan's request and returns the proposal (JSON-ready), feasible or explained."""
    request = plan.request
    refs = plan_references(actor, request)
    candidates = plan_candidates(actor, plan.patient, request, refs)
    problem = plan_problem(actor, request, candidates)
    result = planner.plan(problem)
    labels = {v.visit_id: v.label for v in problem.visits}
    kinds = _visit_types(request)
    return {
        "computed_at": clock.now().isoformat(),
        "feasible": result.feasible,
        "optimal": result.optimal,
        "explanation": list(result.explanation),
        "trips": result.trips,
        "trip_days": [day.isoformat() for day in result.trip_days],
        "transport_days": [day.isoformat() for day in result.transport_days],
        "waiting_minutes": result.waiting_minutes,
        "visits": [
            {
                "key": visit_id,
                "label": labels[visit_id],
                "appointment_type": kinds[visit_id.split("-")[0]],
                "practitioner": slot.practitioner_id,
                "location": slot.location_id,
                "start": slot.start.astimezone(dt.UTC).isoformat(),
                "end": slot.end.astimezone(dt.UTC).isoformat(),
            }
            for visit_id, slot in result.itinerary
        ],
    }


def _visit_types(request: dict) -> dict[str, str]:
    return {visit["key"]: visit["appointment_type"] for visit in request["visits"]}


@dataclass(frozen=True)
class ProposedVisit:
    """One visit of a proposal, with its records resolved and its times in the organization's zone."""

    key: str
    label: str
    appointment_type: AppointmentType
    practitioner: Practitioner
    location: Location
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class ProposalDay:
    """The visits of one trip (a local day) and the minutes the patient waits between them."""

    day: dt.date
    visits: list[ProposedVisit]
    waiting_minutes: int


def proposal_visits(actor: Actor, proposal: dict) -> list[ProposedVisit]:
    """The proposal's visits with their records (NotFoundError if one no longer belongs to the organization)."""
    rows = proposal.get("visits") or []
    refs = plan_references(actor, {"visits": rows})
    tz = actor.organization.tz
    return [
        ProposedVisit(
            key=row["key"],
            label=row["label"],
            appointment_type=refs.types[row["appointment_type"]],
            practitioner=refs.practitioners[row["practitioner"]],
            location=refs.locations[row["location"]],
            start=dt.datetime.fromisoformat(row["start"]).astimezone(tz),
            end=dt.datetime.fromisoformat(row["end"]).astimezone(tz),
        )
        for row in rows
    ]


def proposal_days(visits: list[ProposedVisit]) -> list[ProposalDay]:
    """The visits grouped by local day (one trip each), earliest first, with the waiting between visits."""
    by_day: dict[dt.date, list[ProposedVisit]] = {}
    for visit in sorted(visits, key=lambda v: v.start):
        by_day.setdefault(visit.start.date(), []).append(visit)
    days = []
    for day, visits_of_day in by_day.items():
        waiting = sum(
            int((later.start - earlier.end).total_seconds() // 60)
            for earlier, later in itertools.pairwise(visits_of_day)
        )
        days.append(ProposalDay(day, visits_of_day, waiting))
    return days
