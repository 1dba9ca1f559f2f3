"""
Pure rules of the directory, no database: NPI check digits, US state and ZIP codes, spoken languages and
opening hours. Each rule raises core.errors.ValidationError naming the form field to fix.

Opening hours are stored as {"mon": [["08:00", "17:00"]], "sun": [], ...}: a listed day with no periods is
closed all day, and a day left out has no recorded hours.
"""

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stdnum import luhn

from carecoord.core import timefmt
from carecoord.core.choices import US_STATE_CODES
from carecoord.core.errors import ValidationError
from carecoord.patients.choices import LANGUAGE_NAMES, LANGUAGES

# The NPI check digit is the Luhn digit of the number prefixed with 80840, the card issuer prefix for
# US health applications (CMS, "Requirements for NPI check digit").
NPI_LUHN_PREFIX = "80840"
ZIP_RE = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
HHMM_RE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")

WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("mon", "Monday"), ("tue", "Tuesday"), ("wed", "Wednesday"), ("thu", "Thursday"),
    ("fri", "Friday"), ("sat", "Saturday"), ("sun", "Sunday"),
)  # fmt: skip
WEEKDAY_NAMES = dict(WEEKDAYS)


def normalize_npi(raw: str, *, field: str = "npi") -> str:
    """Returns the 10-digit NPI without spaces or dashes ("" when empty), or raises with the reason."""
    shown = (raw or "").strip()
    compact = re.sub(r"[\s-]", "", shown)
    if not compact:
        return ""
    if not re.fullmatch(r"[0-9]+", compact):
        raise ValidationError(f"An NPI is made of digits only; “{shown}” is not.", field=field)
    if len(compact) != 10:
        raise ValidationError(f"An NPI has 10 digits; “{shown}” has {len(compact)}.", field=field)
    if compact[0] not in "12":
        raise ValidationError(f"{compact} is not an NPI: every NPI starts with 1 or 2.", field=field)
    if not luhn.is_valid(NPI_LUHN_PREFIX + compact):
        raise ValidationError(
            f"{compact} fails the NPI check digit; look for a mistyped or swapped digit.", field=field
        )
    return compact


def npi_check_digit(first_nine: str) -> str:
    """The check digit that completes a 9-digit NPI stem (used for test data and demo data)."""
    return luhn.calc_check_digit(NPI_LUHN_PREFIX + first_nine)


def normalize_state(raw: str, *, required: bool) -> str:
    value = (raw or "").strip().upper()
    if not value:
        if required:
            raise ValidationError("Choose the state.", field="state")
        return ""
    if value not in US_STATE_CODES:
        raise ValidationError(f"“{value}” is not a US state or territory code.", field="state")
    return value


def normalize_zip(raw: str, *, required: bool) -> str:
    """Returns a 5-digit ZIP or a ZIP+4 written 12345-6789; nine bare digits get their hyphen."""
    value = (raw or "").strip()
    if re.fullmatch(r"[0-9]{9}", value):
        value = f"{value[:5]}-{value[5:]}"
    if not value:
        if required:
            raise ValidationError("Enter the ZIP code.", field="postal_code")
        return ""
    if not ZIP_RE.match(value):
        raise ValidationError(
            f"“{value}” is not a ZIP code: use 5 digits, or ZIP+4 like 60601-1234.", field="postal_code"
        )
    return value


def normalize_languages(codes: Iterable[str] | None) -> list[str]:
    """Checks each code against CareCoord's language list; returns them once each, in the list's order."""
    chosen = {(code or "").strip() for code in (codes or [])} - {""}
    unknown = sorted(chosen - LANGUAGE_NAMES.keys())
    if unknown:
        raise ValidationError(f"“{unknown[0]}” is not one of the languages CareCoord lists.", field="languages")
    return [code for code, _ in LANGUAGES if code in chosen]


def _hhmm(value: Any, day: str, field: str) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    match = HHMM_RE.match(str(value or "").strip())
    if not match:
        raise ValidationError(
            f"{WEEKDAY_NAMES[day]}: “{value}” is not a time; use 24-hour HH:MM, like 08:30.", field=field
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def normalize_hours(hours: Mapping[str, Any] | None) -> dict[str, list[list[str]]]:
    """
    Checks opening hours and returns them in weekday order with HH:MM strings. Each period must close after
    it opens (no overnight periods) and a day's periods may not overlap.
    """
    if not hours:
        return {}
    if not isinstance(hours, Mapping):
        raise ValidationError("The opening hours are not in the expected form.", field="hours")
    unknown = sorted(set(hours) - WEEKDAY_NAMES.keys())
    if unknown:
        raise ValidationError(f"“{unknown[0]}” is not a weekday (use mon … sun).", field="hours")
    result: dict[str, list[list[str]]] = {}
    for day, name in WEEKDAYS:
        if day not in hours:
            continue
        if not isinstance(hours[day], list | tuple):
            raise ValidationError(f"{name}: the opening hours are not in the expected form.", field="hours")
        periods = []
        for period in hours[day]:
            if not isinstance(period, list | tuple) or len(period) != 2:
                raise ValidationError(f"{name}: give each period as an opening and a closing time.", field="hours")
            opens = _hhmm(period[0], day, f"{day}_open")
            closes = _hhmm(period[1], day, f"{day}_close")
            if closes <= opens:
                raise ValidationError(
                    f"{name}: the closing time ({closes}) must be after the opening time ({opens}).",
                    field=f"{day}_close",
                )
            periods.append([opens, closes])
        periods.sort()
        for earlier, later in itertools.pairwise(periods):
            if later[0] < earlier[1]:
                raise ValidationError(f"{name}: the opening periods overlap.", field=f"{day}_open")
        result[day] = periods
    return result


def format_time(hhmm: str) -> str:
    """'08:30' -> '8:30 AM'; '12:00' -> '12:00 PM'."""
    return timefmt.clock(dt.time.fromisoformat(hhmm))


def hours_rows(hours: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(weekday name, "8:00 AM to 5:00 PM" | "Closed" | "Not recorded") for each weekday, Monday first."""
    hours = hours or {}
    rows = []
    for day, name in WEEKDAYS:
        if day not in hours:
            rows.append((name, "Not recorded"))
        elif not hours[day]:
            rows.append((name, "Closed"))
        else:
            rows.append((name, ", ".join(f"{format_time(a)} to {format_time(b)}" for a, b in hours[day])))
    return rows
