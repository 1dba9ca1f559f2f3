"""
Reading an outside practice's weekly hours from CSV, pure (no database): `parse_hours_csv(text)` checks
every row and returns the good rows and, for each bad row, its line number and what is wrong. Matching
NPIs, locations and appointment types to the directory is the service's job (availability_services).

Columns, in this order or named in a header row:
npi, weekday (Mon..Sun, Monday.. or 0-6 from Monday), start, end (HH:MM, 24-hour), location name,
appointment types (names separated by ';'), effective_from, effective_until (YYYY-MM-DD, may be blank).
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from carecoord.core import timefmt
from carecoord.core.errors import ValidationError
from carecoord.directory.domain import normalize_npi

from .availability_rules import HoursBlock, blocks_overlap, describe_block

COLUMNS = ("npi", "weekday", "start", "end", "location", "appointment_types", "effective_from", "effective_until")
HEADER_ALIASES = {
    "location name": "location",
    "location_name": "location",
    "appointment types": "appointment_types",
    "types": "appointment_types",
    "effective from": "effective_from",
    "effective until": "effective_until",
    "day": "weekday",
}
MAX_ROWS = 2000
WEEKDAY_WORDS = {
    **{name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: index
        for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
TIME_RE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(?::00)?$")


@dataclass(frozen=True)
class HoursRow:
    """One good row: a block of weekly hours for the practitioner with `npi`."""

    line: int
    npi: str
    weekday: int
    start: dt.time
    end: dt.time
    location: str
    appointment_types: tuple[str, ...]
    effective_from: dt.date | None
    effective_until: dt.date | None

    def as_block(self) -> HoursBlock:
        return HoursBlock(self.weekday, self.start, self.end, self.effective_from, self.effective_until, self.location)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParsedHours:
    rows: list[HoursRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def parse_weekday(raw: str) -> int:
    value = raw.strip().lower().rstrip(".")
    if value.isdigit() and int(value) <= 6:
        return int(value)
    if value in WEEKDAY_WORDS:
        return WEEKDAY_WORDS[value]
    raise ValueError(f"“{raw.strip()}” is not a weekday (Mon to Sun, or 0 to 6 from Monday).")


def parse_time(raw: str, column: str) -> dt.time:
    match = TIME_RE.match(raw.strip())
    if not match:
        raise ValueError(f"the {column} time “{raw.strip()}” is not a 24-hour time like 09:00 or 17:30.")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_date(raw: str, column: str) -> dt.date | None:
    value = raw.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column} “{value}” is not a date like 2026-03-01.") from None


def _header_map(first: list[str]) -> list[str] | None:
    """The column names when the first row is a header, else None (positional columns)."""
    names = [HEADER_ALIASES.get(cell.strip().lower(), cell.strip().lower()) for cell in first]
    if "npi" not in names:
        return None
    missing = [name for name in COLUMNS[:6] if name not in names]
    if missing:
        columns = "column" if len(missing) == 1 else "columns"
        raise ValueError(f"The header row lacks the {columns}: {', '.join(missing)}.")
    return names


def _parse_row(line: int, cells: dict[str, str]) -> HoursRow:
    try:
        npi = normalize_npi(cells.get("npi", ""))
    except ValidationError as exc:
        raise ValueError(exc.message) from None
    if not npi:
        raise ValueError("the NPI is missing.")
    weekday = parse_weekday(cells.get("weekday", ""))
    start = parse_time(cells.get("start", ""), "start")
    end = parse_time(cells.get("end", ""), "end")
    if start >= end:
        raise ValueError(f"the hours end ({timefmt.clock(end)}) before they start ({timefmt.clock(start)}).")
    location = cells.get("location", "").strip()
    if not location:
        raise ValueError("the location name is missing.")
    types = tuple(dict.fromkeys(name.strip() for name in cells.get("appointment_types", "").split(";") if name.strip()))
    if not types:
        raise ValueError("no appointment type is named (separate several with ';').")
    effective_from = parse_date(cells.get("effective_from", ""), "effective_from")
    effective_until = parse_date(cells.get("effective_until", ""), "effective_until")
    if effective_from and effective_until and effective_until < effective_from:
        raise ValueError("effective_until is before effective_from.")
    return HoursRow(line, npi, weekday, start, end, location, types, effective_from, effective_until)


def _overlaps_in_file(rows: list[HoursRow]) -> list[RowError]:
    errors = []
    seen: list[HoursRow] = []
    for row in rows:
        clash = next((s for s in seen if s.npi == row.npi and blocks_overlap(s.as_block(), row.as_block())), None)
        if clash:
            where = describe_block(clash.as_block())
            errors.append(RowError(row.line, f"Overlaps line {clash.line} ({where}) for NPI {row.npi}."))
        else:
            seen.append(row)
    return errors


def parse_hours_csv(text: str) -> ParsedHours:
    """Every good row and every bad row's line number and reason; blank lines are skipped."""
    result = ParsedHours()
    reader = csv.reader(io.StringIO(text))
    try:
        _read_rows(reader, result)
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, f"The file is not readable CSV ({exc})."))
    if not result.rows and not result.errors:
        result.errors.append(RowError(0, "The file has no rows of hours."))
    result.errors.extend(_overlaps_in_file(result.rows))
    result.errors.sort(key=lambda error: error.line)
    return result


def _read_rows(reader, result: ParsedHours) -> None:
    names: list[str] | None = None
    first = True
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if first:
            first = False
            try:
                names = _header_map(cells)
            except ValueError as exc:
                result.errors.append(RowError(line, str(exc)))
                return
            if names is not None:
                continue
        if len(result.rows) + len(result.errors) >= MAX_ROWS:
            result.errors.append(RowError(line, f"the file has more than {MAX_ROWS} rows; split it."))
            break
        named = dict(zip(names or COLUMNS, cells, strict=False))
        try:
            result.rows.append(_parse_row(line, named))
        except ValueError as exc:
            message = str(exc)
            result.errors.append(RowError(line, message[0].upper() + message[1:]))
