"""The one source of the current time, so tests can move it (time-machine) and business days stay right."""

import datetime as dt

import holidays
from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today_in(tz) -> dt.date:
    return now().astimezone(tz).date()


def business_holidays(state: str, years) -> holidays.HolidayBase:
    """US federal holidays plus the state's own, from the `holidays` package."""
    return holidays.country_holidays("US", subdiv=state, years=years)


def add_business_days(start: dt.date, days: int, *, state: str) -> dt.date:
    """Returns the date `days` business days after `start`, or before it when `days` is negative (weekends and
    holidays of the state skipped). The holiday calendar fills in further years as the count reaches them."""
    calendar = business_holidays(state, range(start.year - 1, start.year + 2))
    step = dt.timedelta(days=1 if days >= 0 else -1)
    current = start
    remaining = abs(days)
    while remaining > 0:
        current += step
        if current.weekday() < 5 and current not in calendar:
            remaining -= 1
    return current
