"""Dates and times written for people, in the one format the pages use (carecoord/formats/en/formats.py).

clock(t) "2:05 PM", day(d) "11/27/2026", date_time(dt) "11/27/2026 2:05 PM", day_date_time(dt) "Fri 11/27/2026 2:05 PM",
date_time_seconds(dt) "11/27/2026 2:05:09 PM" (audit-like records only); short forms where the year is
known or space is tight: month_day(d) "11/27", weekday_month_day(d) "Fri 11/27", day_short_year(d) "11/27/26"
(chart axes), weekday_day(d) "Fri 11/27/2026", long_weekday_day(d) "Friday 11/27/2026", month_year(d)
"11/2026". Pass tz to show an aware datetime in a local time zone. Machine formats (exports, FHIR, HL7, X12,
iCalendar) must not use these.
"""

import datetime as dt
import re

from django.conf import settings
from django.utils import dateformat, formats, translation


def _named(name: str) -> str:
    # Outside a request (deactivated translations) still use the app's language, not Django's bare defaults.
    return formats.get_format(name, lang=translation.get_language() or settings.LANGUAGE_CODE)


def _local(value: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    return value.astimezone(tz) if tz is not None and value.tzinfo is not None else value


def clock(value: dt.time | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the clock time, e.g. "2:05 PM"."""
    if isinstance(value, dt.datetime):
        value = _local(value, tz)
    return dateformat.time_format(value, _named("TIME_FORMAT"))


def day(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the date, e.g. "11/27/2026"."""
    if isinstance(value, dt.datetime):
        value = _local(value, tz)
    return dateformat.format(value, _named("SHORT_DATE_FORMAT"))


def date_time(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the date and clock time, e.g. "11/27/2026 2:05 PM"."""
    return dateformat.format(_local(value, tz), _named("SHORT_DATETIME_FORMAT"))


def day_date_time(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the weekday, date and clock time, e.g. "Fri 11/27/2026 2:05 PM"."""
    return f"{dateformat.format(_local(value, tz), 'D')} {date_time(value, tz)}"


def date_time_seconds(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the date and clock time with seconds, e.g. "11/27/2026 2:05:09 PM", for audit-like records."""
    local = _local(value, tz)
    return f"{day(local)} {dateformat.time_format(local, 'g:i:s A')}"


def _without_year(date_format: str) -> str:
    # "m/d/Y" -> "m/d": the short forms follow the one date format rather than spelling out their own.
    return re.sub(r"^[Yy][^A-Za-z]|[^A-Za-z][Yy]$", "", date_format)


def _as_day(value: dt.date | dt.datetime, tz: dt.tzinfo | None) -> dt.date | dt.datetime:
    return _local(value, tz) if isinstance(value, dt.datetime) else value


def month_day(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the month and day without the year, e.g. "11/27", where the year goes without saying."""
    return dateformat.format(_as_day(value, tz), _without_year(_named("SHORT_DATE_FORMAT")))


def weekday_month_day(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the weekday, month and day, e.g. "Fri 11/27", for a calendar's day columns."""
    local = _as_day(value, tz)
    return f"{dateformat.format(local, 'D')} {month_day(local)}"


def day_short_year(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the date with a two-digit year, e.g. "11/27/26", for a chart's crowded axis."""
    return dateformat.format(_as_day(value, tz), _named("SHORT_DATE_FORMAT").replace("Y", "y"))


def weekday_day(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the weekday and date, e.g. "Fri 11/27/2026"."""
    local = _as_day(value, tz)
    return f"{dateformat.format(local, 'D')} {day(local)}"


def long_weekday_day(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the weekday in full and the date, e.g. "Friday 11/27/2026", for a day's heading."""
    local = _as_day(value, tz)
    return f"{dateformat.format(local, 'l')} {day(local)}"


def month_year(value: dt.date | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Returns the month and year, e.g. "11/2026", for a date known only to the month (a condition's onset)."""
    without_day = re.sub(r"[dj][^A-Za-z]|[^A-Za-z][dj]$", "", _named("SHORT_DATE_FORMAT"))
    return dateformat.format(_as_day(value, tz), without_day)
