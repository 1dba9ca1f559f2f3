"""Business-day arithmetic both ways, from the `holidays` package's US and Illinois calendars."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.core.clock import add_business_days, business_holidays


def illinois(day, n):
    return add_business_days(day, n, state="IL")


def is_business_day(day):
    return day.weekday() < 5 and day not in business_holidays("IL", [day.year])


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [(dt.date(2026, 11, 30), -2, dt.date(2026, 11, 25)),  # Monday back over the weekend and Thanksgiving
     (dt.date(2026, 3, 9), -1, dt.date(2026, 3, 6)),      # Monday back to Friday
     (dt.date(2027, 1, 4), -1, dt.date(2026, 12, 31)),    # back across New Year's Day and the year's end
     (dt.date(2026, 3, 4), 0, dt.date(2026, 3, 4))],
)  # fmt: skip
def test_counts_backward_over_weekends_and_holidays(start, days, expected):
    assert illinois(start, days) == expected


def test_skips_holidays_in_years_after_the_start():
    # Christmas 2028 is a Monday; a count begun in 2026 must still skip it.
    assert illinois(dt.date(2028, 12, 22), 1) == dt.date(2028, 12, 26)
    days_to_christmas_eve_2028 = sum(
        is_business_day(dt.date(2026, 12, 31) + dt.timedelta(days=n))
        for n in range(1, (dt.date(2028, 12, 22) - dt.date(2026, 12, 31)).days + 1)
    )
    assert illinois(dt.date(2026, 12, 31), days_to_christmas_eve_2028 + 1) == dt.date(2028, 12, 26)


@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)), st.integers(1, 40))
def test_going_back_undoes_going_forward_from_a_business_day(start, days):
    if not is_business_day(start):
        return
    assert illinois(illinois(start, days), -days) == start
