"""Therapy plan-of-care rules, calendar-month bounds and timer minutes (pure functions, no database)."""

import datetime as dt
import zoneinfo
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.checkins.domain import (
    MAX_VISITS_BETWEEN_REPORTS,
    certification_days,
    change_over,
    last_progress_report_visit,
    month_bounds,
    month_days,
    next_progress_report_visit,
    recertification_due_on,
    timer_minutes,
    visits_left,
    visits_nearly_used_up,
)

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def test_recertification_falls_due_two_weeks_before_the_period_ends():
    assert recertification_due_on(dt.date(2026, 3, 31)) == dt.date(2026, 3, 17)


def test_certification_days_count_both_ends():
    assert certification_days(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == 90


@pytest.mark.parametrize(
    ("used", "every", "last", "following"),
    [(0, 10, None, 10), (9, 10, None, 10), (10, 10, 10, 20), (25, 10, 20, 30), (3, 1, 3, 4)],
)
def test_progress_reports_fall_due_every_n_visits(used, every, last, following):
    assert last_progress_report_visit(used, every) == last
    assert next_progress_report_visit(used, every) == following


def test_reports_need_a_positive_cadence():
    with pytest.raises(ValueError, match="one visit or more"):
        next_progress_report_visit(3, 0)


@given(used=st.integers(0, 400), every=st.integers(1, MAX_VISITS_BETWEEN_REPORTS))
def test_the_next_report_is_always_after_the_last_and_within_one_cadence(used, every):
    following = next_progress_report_visit(used, every)
    last = last_progress_report_visit(used, every) or 0
    assert last <= used < following
    assert following - last == every
    assert following % every == 0


@pytest.mark.parametrize(
    ("planned", "used", "left", "nearly"),
    [(12, 0, 12, False), (12, 9, 3, False), (12, 10, 2, True), (12, 12, 0, True), (12, 14, 0, True), (0, 0, 0, False)],
)
def test_visits_left_and_nearly_used_up(planned, used, left, nearly):
    assert visits_left(planned, used) == left
    assert visits_nearly_used_up(planned, used) is nearly


@given(planned=st.integers(1, 200), used=st.integers(0, 300))
def test_visits_left_never_negative_and_warns_in_the_last_two(planned, used):
    left = visits_left(planned, used)
    assert 0 <= left <= planned
    assert visits_nearly_used_up(planned, used) == (left <= 2)


def test_month_bounds_follow_the_organization_time_zone():
    start, end = month_bounds(2026, 11, CHICAGO)
    assert start == dt.datetime(2026, 11, 1, 5, tzinfo=dt.UTC)  # CDT ends Nov 1 at 2:00; midnight is still CDT
    assert end == dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC)
    start, end = month_bounds(2026, 12, CHICAGO)
    assert end == dt.datetime(2027, 1, 1, 6, tzinfo=dt.UTC)


def test_month_days():
    assert month_days(2028, 2) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert month_days(2026, 12) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


@given(year=st.integers(2000, 2100), month=st.integers(1, 12))
def test_months_tile_time_without_gaps(year, month):
    _, end = month_bounds(year, month, CHICAGO)
    following = (year + month // 12, month % 12 + 1)
    start_next, _ = month_bounds(*following, CHICAGO)
    assert end == start_next


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (59, 0), (60, 1), (61, 1), (1199, 19), (1200, 20)])
def test_timer_minutes_count_full_minutes_only(seconds, minutes):
    start = dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC)
    assert timer_minutes(start, start + dt.timedelta(seconds=seconds)) == minutes


def test_a_timer_cannot_stop_before_it_started():
    start = dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="before it started"):
        timer_minutes(start, start - dt.timedelta(seconds=1))


@given(seconds=st.floats(0, 36000, allow_nan=False))
def test_timer_minutes_never_claim_more_than_ran(seconds):
    start = dt.datetime(2026, 11, 26, 15, tzinfo=dt.UTC)
    ran = dt.timedelta(seconds=seconds)  # kept to the microsecond, as a clock reading is
    minutes = timer_minutes(start, start + ran)
    assert minutes * 60 <= ran.total_seconds() < (minutes + 1) * 60


def test_change_over_first_and_latest():
    assert change_over([]) is None
    change = change_over([D("0.6"), D("0.7"), D("0.85")])
    assert (change.first, change.latest, change.change, change.count) == (D("0.6"), D("0.85"), D("0.25"), 3)
