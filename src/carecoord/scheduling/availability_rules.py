"""
Pure rules of availability, no database: when two blocks of weekly hours clash, how a clash is told to a
person, and what a valid list of reminder days is. Tested without a database (tests/scheduling/
test_availability_rules.py).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from carecoord.core import timefmt

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REMINDER_DAY_RANGE = (1, 30)
MAX_REMINDERS = 5


@dataclass(frozen=True)
class HoursBlock:
    """A block of weekly hours as the rules see it; `label` names it in messages (e.g. its location)."""

    weekday: int
    start: dt.time
    end: dt.time
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    label: str = ""


def _dates_overlap(a: HoursBlock, b: HoursBlock) -> bool:
    a_from, a_until = a.effective_from or dt.date.min, a.effective_until or dt.date.max
    b_from, b_until = b.effective_from or dt.date.min, b.effective_until or dt.date.max
    return a_from <= b_until and b_from <= a_until


def blocks_overlap(a: HoursBlock, b: HoursBlock) -> bool:
    """Whether two blocks would put the practitioner in two places at once (same weekday, dates and hours meet)."""
    return a.weekday == b.weekday and a.start < b.end and b.start < a.end and _dates_overlap(a, b)


def first_overlap(candidate: HoursBlock, existing: Iterable[HoursBlock]) -> HoursBlock | None:
    """The first existing block `candidate` clashes with, or None."""
    return next((block for block in existing if blocks_overlap(candidate, block)), None)


def describe_block(block: HoursBlock) -> str:
    """'Monday 9:00 AM to 12:00 PM at Main Street (from 03/01/2026)' — the words a clash message uses."""
    text = f"{WEEKDAY_NAMES[block.weekday]} {timefmt.clock(block.start)} to {timefmt.clock(block.end)}"
    if block.label:
        text += f" at {block.label}"
    if block.effective_from and block.effective_until:
        text += f" ({timefmt.day(block.effective_from)} to {timefmt.day(block.effective_until)})"
    elif block.effective_from:
        text += f" (from {timefmt.day(block.effective_from)})"
    elif block.effective_until:
        text += f" (until {timefmt.day(block.effective_until)})"
    return text


def overlap_message(other: HoursBlock) -> str:
    return (
        f"These hours overlap the practitioner's existing hours on {describe_block(other)}. "
        "Change the times or the dates, or edit the existing block instead."
    )


def normalize_days_before(values: Iterable[int]) -> list[int]:
    """
    Returns the reminder days sorted from the earliest reminder to the last ([7, 3, 1]); raises ValueError
    with a person's message when a day is out of 1..30, repeated, or there are none or too many.
    """
    days = list(values)
    low, high = REMINDER_DAY_RANGE
    if not days:
        raise ValueError("Give at least one day, e.g. 3, 1 — or turn reminders off.")
    out_of_range = [day for day in days if not low <= day <= high]
    if out_of_range:
        raise ValueError(f"Reminder days must be between {low} and {high}; {out_of_range[0]} is not.")
    repeated = sorted({day for day in days if days.count(day) > 1})
    if repeated:
        raise ValueError(f"Day {repeated[0]} is listed twice; each reminder day once.")
    if len(days) > MAX_REMINDERS:
        raise ValueError(f"At most {MAX_REMINDERS} reminders per appointment.")
    return sorted(days, reverse=True)


def parse_days_before(text: str) -> list[int]:
    """Reads '3, 1' (commas or spaces) into [3, 1] and validates it; ValueError with a person's message."""
    parts = [part for part in text.replace(",", " ").split() if part]
    days = []
    for part in parts:
        if not part.isdigit():
            raise ValueError(f"“{part}” is not a whole number of days.")
        days.append(int(part))
    return normalize_days_before(days)
