"""
Day and week calendars of a practitioner, a location or a patient, as an accessible table: one row per
half hour of local wall-clock time, one column per day (the day view of a location has one column per
practitioner). Cells say whether the practitioner works then, is away or the organization is closed, and
list the appointments starting in that half hour. Rows are wall-clock times in the organization's zone,
so a 9:00 visit sits in the 9:00 row on both sides of a daylight-saving change.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.http import clinical_actor
from carecoord.patients.selectors import patient_get

from .forms import CalendarForm
from .selectors import CalendarData, CalendarEntry, calendar_data, location_get, practitioner_get
from .slots import local_instant

STEP = dt.timedelta(minutes=30)
DAY_START, DAY_END = dt.time(8, 0), dt.time(17, 0)
STATE_LABELS = {"open": "Open", "off": "Not working", "away": "Away", "closed": "Closed", "": ""}


@dataclass
class Column:
    day: dt.date
    heading: str
    practitioner_id: int | None = None
    closed: bool = False
    note: str = ""


@dataclass
class Cell:
    state: str
    entries: list[CalendarEntry] = field(default_factory=list)
    busy: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class Row:
    time: dt.time
    cells: list[Cell]


def _period(request: HttpRequest, actor) -> tuple[str, dt.date, list[dt.date]]:
    """The view ("day" or "week"), the date asked for, and the days shown (a week runs Monday to Sunday)."""
    form = CalendarForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "day"
    day = data.get("date") or clock.today_in(actor.organization.tz)
    if view == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return view, day, [monday + dt.timedelta(days=n) for n in range(7)]
    return view, day, [day]


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _row_times(data: CalendarData, tz) -> list[dt.time]:
    """Half hours from 8:00 to 17:00, widened to cover every block of hours and every appointment shown."""
    starts = [_minutes(DAY_START)] + [_minutes(block.start_time) for block in data.hours]
    ends = [_minutes(DAY_END)] + [_minutes(block.end_time) for block in data.hours]
    for entry in data.entries:
        local_start, local_end = entry.start.astimezone(tz), entry.end.astimezone(tz)
        starts.append(_minutes(local_start.time()))
        ends.append(24 * 60 if local_end.date() > local_start.date() else _minutes(local_end.time()))
    first = min(starts) // 30 * 30
    last = min(-(-max(ends) // 30) * 30, 24 * 60)
    return [dt.time(m // 60, m % 60) for m in range(first, last, 30)]


def _columns(days, data: CalendarData, *, lanes: bool) -> list[Column]:
    columns = []
    for day in days:
        closed = day in data.closed
        if lanes and data.practitioners:
            for person in data.practitioners:
                columns.append(Column(day, person.display_name, person.pk, closed))
            continue
        places = sorted({b.location.name for b in data.hours if b.weekday == day.weekday() and _applies(b, day)})
        note = "Closed" if closed else ", ".join(places)
        columns.append(Column(day, timefmt.weekday_month_day(day), None, closed, note))
    return columns


def _applies(block, day: dt.date) -> bool:
    return (block.effective_from is None or day >= block.effective_from) and (
        block.effective_until is None or day <= block.effective_until
    )


def _cell(column: Column, time: dt.time, data: CalendarData, tz, *, has_hours: bool) -> Cell:
    end_minute = min(_minutes(time) + 30, 24 * 60 - 1)
    row_end = dt.time(end_minute // 60, end_minute % 60)
    start, end = local_instant(column.day, time, tz), local_instant(column.day, row_end, tz)
    mine = [e for e in data.entries if column.practitioner_id in (None, e.practitioner_id)]
    entries = [e for e in mine if e.start.astimezone(tz).date() == column.day and _in_row(e, time, tz)]
    busy = start is not None and end is not None and any(e.start < end and start < e.end for e in mine)
    if column.closed:
        return Cell("closed", entries, busy)
    if not has_hours:
        return Cell("", entries, busy)
    people = {column.practitioner_id} if column.practitioner_id else None
    if start and end and any(_covers(a, start, end, people) for a in data.away):
        return Cell("away", entries, busy)
    working = any(
        block.weekday == column.day.weekday()
        and _applies(block, column.day)
        and (people is None or block.practitioner_id in people)
        and block.start_time <= time
        and _minutes(block.end_time) >= _minutes(time) + 30
        for block in data.hours
    )
    return Cell("open" if working else "off", entries, busy)


def _in_row(entry: CalendarEntry, time: dt.time, tz) -> bool:
    minute = _minutes(entry.start.astimezone(tz).time())
    return _minutes(time) <= minute < _minutes(time) + 30


def _covers(away, start, end, people) -> bool:
    return away.start < end and start < away.end and (people is None or away.practitioner_id in people)


def _calendar_context(request, actor, *, subject: str, kind: str, url: str, lanes=False, **whom) -> dict:
    tz = actor.organization.tz
    view, day, days = _period(request, actor)
    data = calendar_data(actor, first_day=days[0], last_day=days[-1], **whom)
    has_hours = kind != "patient"
    columns = _columns(days, data, lanes=lanes and view == "day")
    rows = [
        Row(time, [_cell(column, time, data, tz, has_hours=has_hours) for column in columns])
        for time in _row_times(data, tz)
    ]
    step = dt.timedelta(days=7 if view == "week" else 1)
    return {
        "nav": "schedule",
        "subject": subject,
        "kind": kind,
        "url": url,
        "view": view,
        "date": day,
        "days": days,
        "columns": columns,
        "rows": rows,
        "previous": day - step,
        "next": day + step,
        "today": clock.today_in(tz),
        "tz": tz,
        "has_hours": has_hours,
        "entry_count": len(data.entries),
    }


@login_required
@require_GET
def practitioner_calendar(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    practitioner = practitioner_get(actor, public_id)
    context = _calendar_context(
        request,
        actor,
        subject=practitioner.display_name,
        kind="practitioner",
        url=request.path,
        practitioner=practitioner,
    )
    context["practitioner"] = practitioner
    return render(request, "scheduling/calendar.html", context)


@login_required
@require_GET
def location_calendar(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    location = location_get(actor, public_id)
    context = _calendar_context(
        request, actor, subject=location.name, kind="location", url=request.path, lanes=True, location=location
    )
    context["location"] = location
    return render(request, "scheduling/calendar.html", context)


@login_required
@require_GET
def patient_calendar(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="appointment.calendar", target=patient, patient=patient)
    context = _calendar_context(
        request, actor, subject=patient.display_name, kind="patient", url=request.path, patient=patient
    )
    context["patient"] = patient
    return render(request, "scheduling/calendar.html", context)
