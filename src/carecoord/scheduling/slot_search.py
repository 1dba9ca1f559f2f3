"""
The find-a-slot search as the pages show it: `slots_available` with the search form's filters and, when
asked, the patient's own availability; results grouped by local day, one row per practitioner and location
(practitioners who speak the patient's language first when an interpreter is needed); and, when nothing
fits, a message that says why and what to try.

A page shows whole days: at most DAY_LIMIT times of each day (the earliest; the day says how many it has,
and a search of that day alone shows up to RESULT_LIMIT), until RESULT_LIMIT times are shown. So a search
over many practitioners offers a choice of days rather than one morning, and "later times" starts at the
next day with free time, with nothing skipped or repeated.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from carecoord.core import timefmt
from carecoord.core.access import Actor
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.choices import LANGUAGE_NAMES
from carecoord.patients.models import Patient

from .forms import WEEKDAY_SHORT, FindSlotForm
from .models import PatientSchedulingPreference
from .selectors import SlotOption, patient_availability, practitioners_offering, slots_available, slots_by_day

RESULT_LIMIT = 150  # free times on one page
DAY_LIMIT = 40  # free times of one day on a page of several days (one practitioner's day fits: ≤ 32 at 15 min)


@dataclass
class SlotRow:
    """The free times of one practitioner at one location on one day."""

    practitioner: Practitioner
    location: Location
    slots: list[SlotOption] = field(default_factory=list)
    speaks_language: bool = False


@dataclass
class DayGroup:
    """The times shown for one day; `free` is how many the day has (more than shown when capped)."""

    day: dt.date
    rows: list[SlotRow]
    free: int = 0
    day_query: str = ""  # the same search for this day alone (set by the view when the day was capped)

    @property
    def count(self) -> int:
        return sum(len(row.slots) for row in self.rows)

    @property
    def capped(self) -> bool:
        return self.free > self.count


@dataclass
class SlotSearch:
    """What the results panel shows: days of slots, or a message saying why there are none."""

    days: list[DayGroup]
    total: int
    message: str = ""
    hint: str = ""
    truncated: bool = False
    next_first_day: dt.date | None = None
    day_limit: int | None = None  # set when some day has more free times than the page shows
    single_day: bool = False
    availability_text: str = ""
    interpreter_language: str = ""

    @property
    def free(self) -> int:
        """How many free times the shown days have (more than `total` when some day was capped)."""
        return sum(group.free for group in self.days)

    @property
    def interpreter_language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.interpreter_language, self.interpreter_language)


def availability_text(preference: PatientSchedulingPreference | None) -> str:
    """The patient's availability in words: "Tue, Thu · 9:00 AM to 12:00 PM" ("" when any time suits)."""
    if preference is None:
        return ""
    parts = []
    if preference.weekdays:
        parts.append(", ".join(WEEKDAY_SHORT[int(day)] for day in sorted(preference.weekdays)))
    if preference.earliest_time or preference.latest_time:
        earliest = timefmt.clock(preference.earliest_time) if preference.earliest_time else "any time"
        latest = timefmt.clock(preference.latest_time) if preference.latest_time else "end of day"
        parts.append(f"{earliest} to {latest}")
    return " · ".join(parts)


def search_slots(
    actor: Actor,
    form: FindSlotForm,
    *,
    patient: Patient | None = None,
    preference: PatientSchedulingPreference | None = None,
) -> SlotSearch | None:
    """Runs the form's search; None while the form is invalid (its errors show instead)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    filters = {
        "appointment_type": data["appointment_type"],
        "first_day": data["first_day"],
        "last_day": data["last_day"],
        "specialty_code": data.get("specialty") or None,
        "location": data.get("location"),
        "language": data.get("language") or None,
        "accepting_new_patients": True if data.get("accepting_new_patients") else None,
    }
    chosen = data.get("practitioner")
    use_availability = bool(patient and data.get("use_patient_availability"))
    weekdays, times = patient_availability(preference) if use_availability and preference else (None, None)
    days = slots_by_day(
        actor,
        **filters,
        practitioners=[chosen] if chosen else None,
        patient=patient,
        patient_weekdays=weekdays,
        patient_times=times,
    )
    language = patient.preferred_language if patient and preference and preference.needs_interpreter else ""
    search = _page_of_days(days, actor.organization.tz, language, single_day=data["first_day"] == data["last_day"])
    search.availability_text = availability_text(preference) if use_availability else ""
    search.interpreter_language = language
    if not search.total:
        _explain_empty(actor, search, filters, chosen, patient, weekdays is not None or times is not None)
    return search


def _page_of_days(days: Iterator[tuple[dt.date, list[SlotOption]]], tz, language: str, *, single_day: bool):
    """Whole days of free times, at most DAY_LIMIT a day (RESULT_LIMIT for one day), until RESULT_LIMIT."""
    day_limit = RESULT_LIMIT if single_day else DAY_LIMIT
    shown: list[SlotOption] = []
    free: dict[dt.date, int] = {}
    for day, options in days:
        free[day] = len(options)
        shown += options[:day_limit]
        if len(shown) >= RESULT_LIMIT:
            break
    search = SlotSearch(days=group_by_day(shown, tz, language), total=len(shown), single_day=single_day)
    for group in search.days:
        group.free = free[group.day]
    search.day_limit = day_limit if any(group.capped for group in search.days) else None
    later = next(days, None)  # computes one more day at most
    if later is not None:
        search.truncated = True
        search.next_first_day = later[0]
    return search


def group_by_day(options: list[SlotOption], tz, language: str) -> list[DayGroup]:
    """Slots by local day, then by practitioner and location; within a day, speakers of `language` first."""
    by_day: dict[dt.date, dict[tuple, SlotRow]] = defaultdict(dict)
    for option in options:
        day = option.start.astimezone(tz).date()
        key = (option.practitioner.pk, option.location.pk)
        row = by_day[day].get(key)
        if row is None:
            speaks = bool(language) and language in (option.practitioner.languages or [])
            row = by_day[day][key] = SlotRow(option.practitioner, option.location, speaks_language=speaks)
        row.slots.append(option)
    days = []
    for day in sorted(by_day):
        rows = sorted(by_day[day].values(), key=lambda r: (not r.speaks_language, r.slots[0].start))
        days.append(DayGroup(day=day, rows=rows))
    return days


def _explain_empty(actor, search: SlotSearch, filters: dict, chosen, patient, narrowed: bool) -> None:
    kind = filters["appointment_type"].name
    window = f"{timefmt.day(filters['first_day'])} and {timefmt.day(filters['last_day'])}"
    if not practitioners_offering(actor, **filters):
        search.message = f"Nobody offers {kind} with these filters."
        search.hint = "Try another location, specialty or language, or clear “Accepting new patients”."
        return
    if narrowed:
        wider = slots_available(actor, **filters, practitioners=[chosen] if chosen else None, patient=patient, limit=1)
        if wider:
            search.message = (
                f"No free time between {window} fits the patient's availability ({search.availability_text})."
            )
            search.hint = "Untick “Use the patient's availability” to see other times, or widen the dates."
            return
    who = f" with {chosen}" if chosen else ""
    search.message = f"No free time for {kind}{who} between {window}."
    search.hint = "Try a later window (up to 92 days), another practitioner or another location."
