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
    """Returns the date `days` business days after `start` (weekends and holidays of the state skipped)."""
    calendar = business_holidays(state, range(start.year, start.year + 2))
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current not in calendar:
            remaining -= 1
    return current
