"""
Slot arithmetic, pure (no ORM, no clock): which start times are free for a visit of a given length.

Map:
- `Interval`, `WeeklyHours`, `TimeWindow`, `Slot`, `SlotSource` — the plain inputs and outputs.
- `free_days(...)` — the free starts of many sources (practitioner at a location), lazily one local day at a
  time, so a search that needs a page stops early; `free_slots(...)` — one source's, as a list.
- `merge_slots(...)` — several practitioners' lists into one, earliest first.

Weekly hours are wall-clock times in the organization's zone, stepped in wall-clock minutes, so a 9:00
slot stays 9:00 local across daylight-saving changes; every returned instant is UTC.
"""

import bisect
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

UTC = dt.UTC
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open [start, end) span of aware datetimes."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyHours:
    """Recurring hours on one weekday (Monday = 0), local wall-clock times, effective between two dates."""

    weekday: int
    start: dt.time
    end: dt.time
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.effective_from is None or day >= self.effective_from)
            and (self.effective_until is None or day <= self.effective_until)
        )


@dataclass(frozen=True)
class TimeWindow:
    """A part of the day, local wall-clock, when the patient can come (start inclusive, end inclusive)."""

    start: dt.time
    end: dt.time

    def contains(self, start: dt.time, end: dt.time) -> bool:
        return self.start <= start and end <= self.end


@dataclass(frozen=True, order=True)
class Slot:
    """A free start for a visit; `key` says whose (e.g. practitioner and location ids)."""

    start: dt.datetime
    end: dt.datetime
    key: tuple = ()


def local_instant(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a local wall-clock time, or None when that time does not exist (spring forward)."""
    local = dt.datetime.combine(day, time, tzinfo=tz)
    as_utc = local.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return as_utc


def _aligned_minutes(time: dt.time, step: int) -> int:
    minutes = time.hour * 60 + time.minute + (1 if time.second or time.microsecond else 0)
    return -(-minutes // step) * step


class _Busy:
    """Merged busy intervals with a logarithmic overlap test."""

    def __init__(self, intervals: Iterable[Interval]):
        merged: list[Interval] = []
        for interval in sorted(intervals):
            if merged and interval.start <= merged[-1].end:
                last = merged[-1]
                merged[-1] = Interval(last.start, max(last.end, interval.end))
            else:
                merged.append(interval)
        self._intervals = merged
        self._ends = [interval.end for interval in merged]

    def overlaps(self, candidate: Interval) -> bool:
        return self.overlaps_span(candidate.start, candidate.end)

    def overlaps_span(self, start: dt.datetime, end: dt.datetime) -> bool:
        index = bisect.bisect_right(self._ends, start)
        return index < len(self._intervals) and self._intervals[index].start < end


@dataclass(frozen=True)
class SlotSource:
    """Whose slots (`key`, e.g. practitioner and location ids): their weekly hours and busy intervals."""

    key: tuple
    hours: Sequence[WeeklyHours]
    busy: Iterable[Interval] = ()


def free_slots(
    *,
    tz: ZoneInfo,
    first_day: dt.date,
    last_day: dt.date,
    hours: Iterable[WeeklyHours],
    duration: dt.timedelta,
    step_minutes: int = 15,
    busy: Iterable[Interval] = (),
    closed_days: Collection[dt.date] = frozenset(),
    not_before: dt.datetime | None = None,
    patient_weekdays: Collection[int] | None = None,
    patient_times: Sequence[TimeWindow] | None = None,
    key: tuple = (),
) -> list[Slot]:
    """
    Free slots from `first_day` to `last_day` (inclusive, local dates): inside the weekly hours, not on a
    closed day, not overlapping any busy interval (appointments, unavailability), starting no earlier than
    `not_before`, on the patient's weekdays and inside one of their time windows; earliest first.
    """
    days = free_days(
        tz=tz,
        first_day=first_day,
        last_day=last_day,
        sources=[SlotSource(key, list(hours), busy)],
        duration=duration,
        step_minutes=step_minutes,
        closed_days=closed_days,
        not_before=not_before,
        patient_weekdays=patient_weekdays,
        patient_times=patient_times,
    )
    return [slot for _, slots in days for slot in slots]


def free_days(
    *,
    tz: ZoneInfo,
    first_day: dt.date,
    last_day: dt.date,
    sources: Iterable[SlotSource],
    duration: dt.timedelta,
    step_minutes: int = 15,
    closed_days: Collection[dt.date] = frozenset(),
    not_before: dt.datetime | None = None,
    patient_weekdays: Collection[int] | None = None,
    patient_times: Sequence[TimeWindow] | None = None,
    make: Callable[[dt.datetime, dt.datetime, tuple], T] = Slot,  # type: ignore[assignment]  # T is Slot then
) -> Iterator[tuple[dt.date, list[T]]]:
    """
    The free slots of several sources, one local day at a time in date order: (day, that day's slots
    earliest first, ties by key), skipping days without any. The same slots as `free_slots` per source
    merged by `merge_slots`, but lazy: a caller that needs only the first page stops iterating, and the
    later days are never computed. Local times are converted to UTC once per day and minute, not per slot.
    `make(start, end, key)` builds each slot returned (a `Slot` unless the caller wants its own type).
    """
    if duration <= dt.timedelta(0) or step_minutes <= 0:
        raise ValueError("duration and step must be positive")
    length = int(duration.total_seconds() // 60)
    prepared = [_Prepared(source) for source in sources]
    checks = (not_before, patient_weekdays, patient_times)
    return _days(tz, first_day, last_day, prepared, length, step_minutes, closed_days, checks, make)


class _Prepared:
    """A source's hours by weekday and its merged busy intervals."""

    def __init__(self, source: SlotSource) -> None:
        self.key = source.key
        self.by_weekday: list[list[WeeklyHours]] = [[] for _ in range(7)]
        for block in source.hours:
            self.by_weekday[block.weekday].append(block)
        self.busy = _Busy(source.busy)


# Local wall-clock times of the day by minute, shared by every search (times are immutable).
_WALL_TIMES = [dt.time(minute // 60, minute % 60) for minute in range(24 * 60)]


def _days(tz, first_day, last_day, prepared, length, step, closed_days, checks, make):
    not_before, patient_weekdays, patient_times = checks
    day = first_day
    while day <= last_day:
        if day not in closed_days and (patient_weekdays is None or day.weekday() in patient_weekdays):
            found = _one_day(day, tz, prepared, length, step, not_before, patient_times)
            if found:
                found.sort()
                yield day, [make(start, end, key) for start, key, end in found]
        day += dt.timedelta(days=1)


def _one_day(day, tz, prepared, length, step, not_before, patient_times) -> list[tuple]:
    """(start, key, end) of every free slot on one local day, unordered."""
    instants: dict[int, dt.datetime | None] = {}  # local minute of the day -> UTC instant (None: no such time)

    def instant(minute: int) -> dt.datetime | None:
        value = instants.get(minute, _UNSET)
        if value is _UNSET:
            value = instants[minute] = local_instant(day, _WALL_TIMES[minute], tz)
        return value  # type: ignore[return-value]  # _UNSET was replaced just above

    found: list[tuple] = []
    weekday = day.weekday()
    for source in prepared:
        seen: set[int] = set()
        for block in source.by_weekday[weekday]:
            if not block.applies_on(day):
                continue
            close = block.end.hour * 60 + block.end.minute
            for minute in range(_aligned_minutes(block.start, step), close - length + 1, step):
                if minute in seen:
                    continue
                seen.add(minute)
                start, end = instant(minute), instant(minute + length)
                if start is None or end is None or not start < end:
                    continue
                if not_before is not None and start < not_before:
                    continue
                if source.busy.overlaps_span(start, end):
                    continue
                if patient_times is not None:
                    start_t, end_t = _WALL_TIMES[minute], _WALL_TIMES[minute + length]
                    if not any(window.contains(start_t, end_t) for window in patient_times):
                        continue
                found.append((start, source.key, end))
    return found


_UNSET = object()


def merge_slots(*lists: Iterable[Slot], limit: int | None = None) -> list[Slot]:
    """All slots of several practitioners/locations, earliest first (ties by key), at most `limit`."""
    merged = sorted((slot for slots in lists for slot in slots), key=lambda s: (s.start, s.key))
    return merged[:limit] if limit is not None else merged


def within_hours(
    interval: Interval, *, tz: ZoneInfo, hours: Iterable[WeeklyHours], closed_days: Collection[dt.date] = frozenset()
) -> bool:
    """Whether the whole interval lies inside one block of weekly hours on an open day."""
    local_start = interval.start.astimezone(tz)
    day = local_start.date()
    if day in closed_days:
        return False
    for block in hours:
        if not block.applies_on(day):
            continue
        opens = local_instant(day, block.start, tz)
        closes = local_instant(day, block.end, tz)
        if opens is not None and closes is not None and opens <= interval.start and interval.end <= closes:
            return True
    return False
