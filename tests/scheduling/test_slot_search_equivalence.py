"""
The optimised slot arithmetic (`free_days`: day by day, lazy, one zone conversion per day and minute) gives
exactly the slots of the straightforward algorithm it replaced, in the same order, on randomised calendars:
time zones with daylight-saving changes (including half-hour ones), odd opening times, overlapping blocks,
effective dates, busy times, closed days, the patient's weekdays and times of day, and result limits.

`reference_free_slots` below is the previous implementation, kept verbatim as the oracle: every slot built
as a dataclass with its own zone conversions, everything sorted, then the limit applied.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecoord.scheduling.slots import (
    Interval,
    Slot,
    SlotSource,
    TimeWindow,
    WeeklyHours,
    _aligned_minutes,
    _Busy,
    free_days,
    free_slots,
    local_instant,
    merge_slots,
)

# The reference (the implementation before the optimisation) ---------------------------------------------------


def reference_free_slots(
    *,
    tz,
    first_day,
    last_day,
    hours,
    duration,
    step_minutes=15,
    busy=(),
    closed_days=frozenset(),
    not_before=None,
    patient_weekdays=None,
    patient_times=None,
    key=(),
):
    blocked = _Busy(busy)
    hours = list(hours)
    length = int(duration.total_seconds() // 60)
    slots = {}
    day = first_day
    while day <= last_day:
        if day not in closed_days and (patient_weekdays is None or day.weekday() in patient_weekdays):
            for block in hours:
                if block.applies_on(day):
                    for slot in _reference_day_slots(day, block, tz, length, step_minutes, key):
                        if _reference_acceptable(slot, blocked, not_before, patient_times, tz):
                            slots.setdefault(slot.start, slot)
        day += dt.timedelta(days=1)
    return sorted(slots.values())


def _reference_day_slots(day, block, tz, length, step, key):
    close = block.end.hour * 60 + block.end.minute
    minute = _aligned_minutes(block.start, step)
    while minute + length <= close:
        start_local = dt.time(minute // 60, minute % 60)
        end_minute = minute + length
        start = local_instant(day, start_local, tz)
        end = local_instant(day, dt.time(end_minute // 60, end_minute % 60), tz)
        if start is not None and end is not None and start < end:
            yield Slot(start, end, key)
        minute += step


def _reference_acceptable(slot, blocked, not_before, patient_times, tz):
    if not_before is not None and slot.start < not_before:
        return False
    if blocked.overlaps(Interval(slot.start, slot.end)):
        return False
    if patient_times is not None:
        local_start = slot.start.astimezone(tz).time()
        local_end = slot.end.astimezone(tz).time()
        return any(window.contains(local_start, local_end) for window in patient_times)
    return True


def reference_search(*, sources, limit, **common):
    lists = [reference_free_slots(hours=s.hours, busy=s.busy, key=s.key, **common) for s in sources]
    return merge_slots(*lists, limit=limit)


# Randomised calendars ------------------------------------------------------------------------------------------

# Zones and their 2026 daylight-saving changes (the nights where zone arithmetic bites); none for the last two.
ZONE_CHANGES = {
    "America/Chicago": [dt.date(2026, 3, 8), dt.date(2026, 11, 1)],
    "America/St_Johns": [dt.date(2026, 3, 8), dt.date(2026, 11, 1)],  # UTC-3:30
    "Europe/London": [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
    "Australia/Lord_Howe": [dt.date(2026, 4, 5), dt.date(2026, 10, 4)],  # a 30-minute change
    "Pacific/Chatham": [dt.date(2026, 4, 5), dt.date(2026, 9, 27)],  # UTC+12:45, changes at 2:45/3:45
    "Asia/Kolkata": [dt.date(2026, 6, 15)],
    "UTC": [dt.date(2026, 6, 15)],
}


def _minute_time(minute: int, second: int = 0) -> dt.time:
    return dt.time(minute // 60, minute % 60, second)


@st.composite
def weekly_hours(draw, days: list[dt.date]):
    kind = draw(st.sampled_from(["office", "night", "any"]))
    if kind == "office":
        opens = draw(st.integers(6 * 60, 14 * 60))
    elif kind == "night":  # around the daylight-saving change
        opens = draw(st.integers(0, 4 * 60))
    else:
        opens = draw(st.integers(0, 24 * 60 - 1))
    start = _minute_time(opens, draw(st.sampled_from([0, 0, 0, 30])))
    close = min(opens + draw(st.integers(0, 10 * 60)), 24 * 60 - 1)
    near = st.one_of(st.none(), st.integers(-3, len(days) + 3).map(lambda n: days[0] + dt.timedelta(n)))
    weekday = draw(st.one_of(st.sampled_from(days).map(dt.date.weekday), st.integers(0, 6)))
    return WeeklyHours(weekday, start, _minute_time(close), draw(near), draw(near))


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(sorted(ZONE_CHANGES)))
    tz = ZoneInfo(zone)
    first_day = draw(st.sampled_from(ZONE_CHANGES[zone])) - dt.timedelta(days=draw(st.integers(0, 4)))
    last_day = first_day + dt.timedelta(days=draw(st.integers(0, 13)))
    days = [first_day + dt.timedelta(n) for n in range((last_day - first_day).days + 1)]
    window_start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    span_minutes = ((last_day - first_day).days + 1) * 24 * 60

    def moment():
        # On a 5-minute grid of local time, so busy times and `not_before` often touch slots exactly.
        return window_start + dt.timedelta(minutes=5 * draw(st.integers(-24, span_minutes // 5 + 24)))

    sources = []
    for index in range(draw(st.integers(1, 4))):
        hours = draw(st.lists(weekly_hours(days), max_size=5))
        busy = []
        for _ in range(draw(st.integers(0, 6))):
            start = moment()
            busy.append(Interval(start, start + dt.timedelta(minutes=draw(st.sampled_from([1, 5, 15, 20, 60, 300])))))
        # Keys in any order, sometimes sharing the practitioner (two locations).
        sources.append(SlotSource((draw(st.integers(1, 3)), index), hours, busy))
    windows = st.lists(
        st.tuples(st.integers(0, 24 * 60 - 1), st.integers(0, 24 * 60 - 1)).map(
            lambda pair: TimeWindow(dt.time(min(pair) // 60, min(pair) % 60), dt.time(max(pair) // 60, max(pair) % 60))
        ),
        min_size=1,
        max_size=2,
    )
    common = {
        "tz": tz,
        "first_day": first_day,
        "last_day": last_day,
        "duration": dt.timedelta(minutes=draw(st.sampled_from([5, 15, 20, 30, 45, 60, 90, 150]))),
        "step_minutes": draw(st.sampled_from([5, 7, 10, 15, 20, 30, 60])),
        "closed_days": set(draw(st.lists(st.sampled_from(days), max_size=3))),
        "not_before": draw(st.one_of(st.none(), st.builds(moment))),
        "patient_weekdays": draw(st.one_of(st.none(), st.sets(st.integers(0, 6), min_size=1))),
        "patient_times": draw(st.one_of(st.none(), windows)),
    }
    return sources, common


def optimised_search(*, sources, limit, **common):
    found = []
    for _day, slots in free_days(sources=sources, **common):
        found += slots
        if limit is not None and len(found) >= limit:
            break
    return found[:limit] if limit is not None else found


@settings(max_examples=400)
@given(calendars(), st.one_of(st.none(), st.integers(1, 60)))
def test_optimised_search_returns_the_reference_slots_in_the_same_order(calendar, limit):
    sources, common = calendar
    assert optimised_search(sources=sources, limit=limit, **common) == reference_search(
        sources=sources, limit=limit, **common
    )


@settings(max_examples=200)
@given(calendars())
def test_free_slots_of_one_source_match_the_reference(calendar):
    sources, common = calendar
    for source in sources:
        expected = reference_free_slots(hours=source.hours, busy=source.busy, key=source.key, **common)
        assert free_slots(hours=source.hours, busy=source.busy, key=source.key, **common) == expected


@settings(max_examples=200)
@given(calendars())
def test_days_come_in_order_each_day_earliest_first_and_only_its_own_slots(calendar):
    sources, common = calendar
    tz = common["tz"]
    days = list(free_days(sources=sources, **common))
    assert [day for day, _ in days] == sorted({day for day, _ in days})
    for day, slots in days:
        assert slots, "a day without free slots is skipped"
        assert slots == sorted(slots, key=lambda s: (s.start, s.key))
        assert {slot.start.astimezone(tz).date() for slot in slots} == {day}
    flat = [slot for _, slots in days for slot in slots]
    assert flat == sorted(flat, key=lambda s: (s.start, s.key))


@pytest.mark.parametrize("first_day", [dt.date(2026, 3, 5), dt.date(2026, 10, 29)])
def test_known_calendars_match_the_reference_across_the_daylight_saving_nights(first_day):
    """Fixed examples (the US spring-forward and fall-back nights), whatever hypothesis happens to draw."""
    chicago = ZoneInfo("America/Chicago")
    night = WeeklyHours(6, dt.time(0, 30), dt.time(4, 0))
    office = [WeeklyHours(day, dt.time(8), dt.time(12)) for day in range(5)]
    sources = [SlotSource((2, 1), [night, *office]), SlotSource((1, 1), office, [])]
    common = {
        "tz": chicago,
        "first_day": first_day,
        "last_day": first_day + dt.timedelta(days=5),
        "duration": dt.timedelta(minutes=20),
        "step_minutes": 15,
    }
    for limit in itertools.chain([None], range(1, 40, 7)):
        assert optimised_search(sources=sources, limit=limit, **common) == reference_search(
            sources=sources, limit=limit, **common
        )
    assert len(optimised_search(sources=sources, limit=None, **common)) > 100
