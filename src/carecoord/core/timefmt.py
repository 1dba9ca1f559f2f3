"""Dates and times written for people, in the one format the pages use (carecoord/formats/en/formats.py).

clock(t) "2:05 PM", day(d) "11/27/2026", date_time(dt) "11/27/2026 2:05 PM", day_date_time(dt) "Fri 11/27/2026 2:05 PM",
date_time_seconds(dt) "11/27/2026 2:05:09 PM" (audit-like records only). Pass tz to show an aware datetime in a
local time zone. Machine formats (exports, FHIR, HL7, X12, iCalendar) must not use these.
"""

import datetime as dt

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
