"""
Slot arithmetic, pure (no ORM, no clock): which start times are free for a visit of a given length.

Map:
- `Interval`, `WeeklyHours`, `TimeWindow`, `Slot` — the plain inputs and outputs.
- `free_slots(...)` — free starts for one practitioner at one location in a date window, earliest first.
- `merge_slots(...)` — several practitioners' lists into one, earliest first.

Weekly hours are wall-clock times in the organization's zone, stepped in wall-clock minutes, so a 9:00
slot stays 9:00 local across daylight-saving changes; every returned instant is UTC.
"""

import bisect
import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC


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
        index = bisect.bisect_right(self._ends, candidate.start)
        return index < len(self._intervals) and self._intervals[index].start < candidate.end


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
    if duration <= dt.timedelta(0) or step_minutes <= 0:
        raise ValueError("duration and step must be positive")
    blocked = _Busy(busy)
    hours = list(hours)
    length = int(duration.total_seconds() // 60)
    slots: dict[dt.datetime, Slot] = {}
    day = first_day
    while day <= last_day:
        if day not in closed_days and (patient_weekdays is None or day.weekday() in patient_weekdays):
            for block in hours:
                if block.applies_on(day):
                    for slot in _day_slots(day, block, tz, length, step_minutes, key):
                        if _acceptable(slot, blocked, not_before, patient_times, tz):
                            slots.setdefault(slot.start, slot)
        day += dt.timedelta(days=1)
    return sorted(slots.values())


def _day_slots(day, block: WeeklyHours, tz, length: int, step: int, key: tuple):
    close = block.end.hour * 60 + block.end.minute
    minute = _aligned_minutes(block.start, step)
    while minute + length <= close:
        start_local = dt.time(minute // 60, minute % 60)
        end_minute = minute + length  # never past 23:59, since hours end within the day
        start = local_instant(day, start_local, tz)
        end = local_instant(day, dt.time(end_minute // 60, end_minute % 60), tz)
        if start is not None and end is not None and start < end:
            yield Slot(start, end, key)
        minute += step


def _acceptable(slot: Slot, blocked: _Busy, not_before, patient_times, tz) -> bool:
    if not_before is not None and slot.start < not_before:
        return False
    if blocked.overlaps(Interval(slot.start, slot.end)):
        return False
    if patient_times is not None:
        local_start = slot.start.astimezone(tz).time()
        local_end = slot.end.astimezone(tz).time()
        return any(window.contains(local_start, local_end) for window in patient_times)
    return True


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
