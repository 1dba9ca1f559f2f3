"""The pure slot arithmetic: hours, steps, DST, closed days, busy times and the patient's constraints."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carecoord.scheduling.slots import Interval, TimeWindow, WeeklyHours, free_slots, merge_slots, within_hours

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
MONDAY = dt.date(2026, 11, 30)
MON_9_TO_12 = WeeklyHours(0, dt.time(9), dt.time(12))


def local(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def starts(slots, tz=CHICAGO):
    return [slot.start.astimezone(tz).strftime("%m-%d %H:%M") for slot in slots]


def compute(**kwargs):
    params = {
        "tz": CHICAGO,
        "first_day": MONDAY,
        "last_day": MONDAY,
        "hours": [MON_9_TO_12],
        "duration": dt.timedelta(minutes=30),
    }
    params.update(kwargs)
    return free_slots(**params)


def test_slots_fill_the_hours_at_the_step_earliest_first():
    slots = compute()
    assert starts(slots)[:3] == ["11-30 09:00", "11-30 09:15", "11-30 09:30"]
    assert starts(slots)[-1] == "11-30 11:30"  # 11:30 + 30 min ends exactly at closing
    assert len(slots) == 11
    assert all(slot.start.tzinfo == UTC for slot in slots)
    assert slots[0].start == dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # CST is UTC-6


def test_step_aligns_odd_opening_times_up():
    slots = compute(
        hours=[WeeklyHours(0, dt.time(9, 7), dt.time(10, 0))], step_minutes=5, duration=dt.timedelta(minutes=20)
    )
    assert starts(slots) == [
        "11-30 09:10",
        "11-30 09:15",
        "11-30 09:20",
        "11-30 09:25",
        "11-30 09:30",
        "11-30 09:35",
        "11-30 09:40",
    ]


def test_a_visit_longer_than_the_hours_has_no_slot():
    assert compute(duration=dt.timedelta(hours=4)) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (dt.date(2026, 10, 26), dt.date(2026, 11, 2)),  # fall back on Sunday 2026-11-01
        (dt.date(2026, 3, 2), dt.date(2026, 3, 9)),  # spring forward on Sunday 2026-03-08
    ],
)
def test_nine_oclock_stays_nine_oclock_across_dst(before, after):
    slots = compute(first_day=before, last_day=after)
    first_of = {}
    for slot in slots:
        first_of.setdefault(slot.start.astimezone(CHICAGO).date(), slot)
    assert first_of[before].start.astimezone(CHICAGO).time() == dt.time(9)
    assert first_of[after].start.astimezone(CHICAGO).time() == dt.time(9)
    offsets = {first_of[before].start.hour, first_of[after].start.hour}
    assert offsets == {14, 15}  # the UTC hour moves, the local hour does not


def test_dst_night_hours_skip_the_missing_hour_and_keep_the_repeated_one_once():
    night = WeeklyHours(6, dt.time(1, 0), dt.time(4, 0))  # Sunday
    spring = free_slots(
        tz=CHICAGO,
        first_day=dt.date(2026, 3, 8),
        last_day=dt.date(2026, 3, 8),
        hours=[night],
        duration=dt.timedelta(minutes=30),
        step_minutes=30,
    )
    assert "03-08 02:00" not in starts(spring)
    assert "03-08 02:30" not in starts(spring)
    assert all(slot.end - slot.start == dt.timedelta(minutes=30) for slot in spring)
    autumn = free_slots(
        tz=CHICAGO,
        first_day=dt.date(2026, 11, 1),
        last_day=dt.date(2026, 11, 1),
        hours=[night],
        duration=dt.timedelta(minutes=30),
        step_minutes=30,
    )
    assert len({slot.start for slot in autumn}) == len(autumn)


def test_closed_days_and_holidays_have_no_slots():
    thanksgiving = dt.date(2026, 11, 26)
    every_day = [WeeklyHours(day, dt.time(9), dt.time(10)) for day in range(7)]
    slots = compute(
        first_day=dt.date(2026, 11, 25), last_day=dt.date(2026, 11, 27), hours=every_day, closed_days={thanksgiving}
    )
    assert {slot.start.astimezone(CHICAGO).date() for slot in slots} == {dt.date(2026, 11, 25), dt.date(2026, 11, 27)}


def test_busy_appointments_and_unavailability_remove_overlapping_starts():
    busy = [
        Interval(local(MONDAY, 9, 30).astimezone(UTC), local(MONDAY, 10).astimezone(UTC)),
        Interval(local(MONDAY, 10, 50).astimezone(UTC), local(MONDAY, 12).astimezone(UTC)),  # sick from 10:50
    ]
    assert starts(compute(busy=busy)) == ["11-30 09:00", "11-30 10:00", "11-30 10:15"]


def test_back_to_back_is_not_an_overlap():
    busy = [Interval(local(MONDAY, 9), local(MONDAY, 9, 30))]
    assert starts(compute(busy=busy))[0] == "11-30 09:30"


def test_effective_dates_limit_the_hours():
    hours = [WeeklyHours(0, dt.time(9), dt.time(10), effective_from=dt.date(2026, 12, 7))]
    slots = compute(hours=hours, last_day=dt.date(2026, 12, 14))
    assert {slot.start.astimezone(CHICAGO).date() for slot in slots} == {dt.date(2026, 12, 7), dt.date(2026, 12, 14)}
    hours = [WeeklyHours(0, dt.time(9), dt.time(10), effective_until=dt.date(2026, 12, 7))]
    slots = compute(hours=hours, last_day=dt.date(2026, 12, 14))
    assert {slot.start.astimezone(CHICAGO).date() for slot in slots} == {MONDAY, dt.date(2026, 12, 7)}


def test_not_before_drops_past_starts():
    slots = compute(not_before=local(MONDAY, 10, 5).astimezone(UTC))
    assert starts(slots)[0] == "11-30 10:15"


def test_patient_weekdays_and_times_of_day():
    weekdays = [WeeklyHours(day, dt.time(9), dt.time(17)) for day in range(5)]
    slots = compute(
        hours=weekdays,
        last_day=dt.date(2026, 12, 4),
        patient_weekdays={1, 3},  # Tuesday, Thursday
        patient_times=[TimeWindow(dt.time(13), dt.time(14))],
    )
    assert starts(slots) == ["12-01 13:00", "12-01 13:15", "12-01 13:30", "12-03 13:00", "12-03 13:15", "12-03 13:30"]


def test_overlapping_hour_blocks_do_not_duplicate_slots():
    slots = compute(hours=[MON_9_TO_12, WeeklyHours(0, dt.time(11), dt.time(13))])
    assert len(slots) == len({slot.start for slot in slots})
    assert starts(slots)[-1] == "11-30 12:30"


def test_merge_orders_by_time_then_key_and_limits():
    a = compute(key=(2, 1))
    b = compute(key=(1, 1))
    merged = merge_slots(a, b, limit=3)
    assert [(s.start.astimezone(CHICAGO).strftime("%H:%M"), s.key) for s in merged] == [
        ("09:00", (1, 1)),
        ("09:00", (2, 1)),
        ("09:15", (1, 1)),
    ]


def test_within_hours():
    inside = Interval(local(MONDAY, 11, 30), local(MONDAY, 12))
    spilling = Interval(local(MONDAY, 11, 45), local(MONDAY, 12, 15))
    assert within_hours(inside, tz=CHICAGO, hours=[MON_9_TO_12])
    assert not within_hours(spilling, tz=CHICAGO, hours=[MON_9_TO_12])
    assert not within_hours(inside, tz=CHICAGO, hours=[MON_9_TO_12], closed_days={MONDAY})


def test_bad_duration_is_refused():
    with pytest.raises(ValueError, match="positive"):
        compute(duration=dt.timedelta(0))
