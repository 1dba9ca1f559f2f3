"""
FHIR search (https://hl7.org/fhir/R4/search.html): parameter values become ORM filters. Values separated by
commas are ORed, repeated parameters are ANDed; dates take the prefixes eq, ne, gt, lt, ge, le, sa, eb at
the precision given (a year, a month, a day or an instant); tokens are `system|code`, `code`, `|code` or
`system|`; references are `Type/id` or `id`.
"""

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

from .base import SearchParam, parse_id
from .outcome import FhirError

DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
DATE_VALUE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
RESULT_PARAMS = {"_count", "_offset", "_sort", "_include", "_total", "_summary", "_format", "_elements", "_revinclude"}
DEFAULT_COUNT = 50
MAX_COUNT = 500


@dataclass(frozen=True)
class DateRange:
    """The half-open UTC range [start, end) a date value covers at its precision."""

    start: dt.datetime
    end: dt.datetime


def parse_date_range(text: str, tz: dt.tzinfo) -> DateRange:
    """The range a FHIR date/dateTime value covers; dates without a zone are read in the organization's zone."""
    match = DATE_VALUE.match(text)
    if match is None:
        raise FhirError(400, f"“{text}” is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or an instant).")
    year = int(match["year"])
    month, day = int(match["month"] or 1), int(match["day"] or 1)
    zone = tz
    if match["tz"]:
        zone = dt.UTC if match["tz"] == "Z" else dt.datetime.strptime(match["tz"], "%z").tzinfo
    try:
        if match["hour"]:
            start = dt.datetime(
                year, month, day, int(match["hour"]), int(match["minute"]), int(match["second"] or 0), tzinfo=zone
            )
            end = start + (dt.timedelta(seconds=1) if match["second"] else dt.timedelta(minutes=1))
        elif match["day"]:
            start = dt.datetime(year, month, day, tzinfo=zone)
            end = start + dt.timedelta(days=1)
        elif match["month"]:
            start = dt.datetime(year, month, 1, tzinfo=zone)
            end = start + dt.timedelta(days=calendar.monthrange(year, month)[1])
        else:
            start = dt.datetime(year, 1, 1, tzinfo=zone)
            end = dt.datetime(year + 1, 1, 1, tzinfo=zone)
    except ValueError as exc:
        raise FhirError(400, f"“{text}” is not a real date: {exc}.") from exc
    return DateRange(start.astimezone(dt.UTC), end.astimezone(dt.UTC))


def split_prefix(value: str) -> tuple[str, str]:
    if len(value) > 2 and value[:2] in DATE_PREFIXES and (value[2].isdigit()):
        return value[:2], value[2:]
    return "eq", value


def date_filter(field: str, *, is_date: bool = False) -> Callable[..., Q]:
    """A builder for a date search on `field` (a DateTimeField, or a DateField with is_date=True)."""

    def build(value: str, modifier: str, *, tz: dt.tzinfo = dt.UTC) -> Q:
        prefix, text = split_prefix(value)
        span = parse_date_range(text, tz)
        start, end = span.start, span.end
        if is_date:
            start, end = span.start.astimezone(tz).date(), span.end.astimezone(tz).date()
            if end == start:
                end = start + dt.timedelta(days=1)
        ranges = {
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "ne": ~Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "gt": Q(**{f"{field}__gte": end}),
            "sa": Q(**{f"{field}__gte": end}),
            "lt": Q(**{f"{field}__lt": start}),
            "eb": Q(**{f"{field}__lt": start}),
            "ge": Q(**{f"{field}__gte": start}),
            "le": Q(**{f"{field}__lt": end}),
        }
        return ranges[prefix] & Q(**{f"{field}__isnull": False})

    build.needs_tz = True  # type: ignore[attr-defined]
    return build


def string_filter(*fields: str) -> Callable[[str, str], Q]:
    """FHIR string search: starts-with, case-insensitive, on any of `fields`; :exact and :contains modifiers."""

    def build(value: str, modifier: str) -> Q:
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}.get(modifier)
        if lookup is None:
            raise FhirError(400, f"The modifier :{modifier} is not supported on a string parameter.")
        query = Q()
        for name in fields:
            query |= Q(**{f"{name}__{lookup}": value})
        return query

    return build


def token_filter(
    code_field: str, *, system: str = "", system_field: str = "", codes: dict[str, str] | None = None
) -> Callable[[str, str], Q]:
    """
    FHIR token search. `system` is the one code system of the field (or `system_field` holds it); `codes`
    translates FHIR codes to stored values where they differ.
    """

    def build(value: str, modifier: str) -> Q:
        if modifier not in ("", "not"):
            raise FhirError(400, f"The modifier :{modifier} is not supported on a token parameter.")
        wanted_system, code = value.split("|", 1) if "|" in value else (None, value)
        query = Q()
        if code:
            query &= Q(**{code_field: (codes or {}).get(code, code)})
        if wanted_system is not None:
            if system_field:
                query &= Q(**{system_field: wanted_system})
            elif wanted_system != system:
                query &= Q(pk__in=[])
        return ~query if modifier == "not" else query

    return build


def reference_filter(field: str, target: str) -> Callable[[str, str], Q]:
    """FHIR reference search on a foreign key `field` to a model whose public_id is the resource id."""

    def build(value: str, modifier: str) -> Q:
        if modifier and modifier != target:
            return Q(pk__in=[])
        kind, _, ident = value.rpartition("/")
        if kind and kind.rsplit("/", 1)[-1] != target:
            return Q(pk__in=[])
        key = parse_id(ident)
        return Q(**{f"{field}__public_id": key}) if key else Q(pk__in=[])

    return build


def id_filter(value: str, modifier: str) -> Q:
    key = parse_id(value)
    return Q(public_id=key) if key else Q(pk__in=[])


COMMON_PARAMS = {
    "_id": SearchParam("_id", "token", id_filter, "The resource id."),
    "_lastUpdated": SearchParam("_lastUpdated", "date", date_filter("updated_at"), "When it last changed."),
}


@dataclass
class ParsedSearch:
    query: Q
    count: int
    offset: int
    sort: list[str]
    includes: list[SearchParam]
    total: bool
    summary_count: bool
    ignored: list[str]


def parse_search(
    params: Iterable[tuple[str, str]],
    search_params: dict[str, SearchParam],
    sort_fields: dict[str, str],
    *,
    resource_type: str,
    tz: dt.tzinfo,
    strict: bool,
) -> ParsedSearch:
    """Turns the query string of a search into a filter, paging, sort and includes; FhirError on bad input."""
    known = {**COMMON_PARAMS, **search_params}
    query = Q()
    count, offset, sort, includes, total, summary_count, ignored = DEFAULT_COUNT, 0, [], [], True, False, []
    for raw_name, value in params:
        name, _, modifier = raw_name.partition(":")
        if name in RESULT_PARAMS:
            if name == "_count":
                count = _bounded_int(value, "_count", 0, MAX_COUNT)
            elif name == "_offset":
                offset = _bounded_int(value, "_offset", 0, 10_000_000)
            elif name == "_sort":
                sort = _sort_fields(value, sort_fields, resource_type)
            elif name == "_include":
                includes.append(_include(value, search_params, resource_type))
            elif name == "_total":
                total = value != "none"
            elif name == "_summary":
                summary_count = value == "count"
            continue
        param = known.get(name)
        if param is None:
            if strict:
                raise FhirError(400, f"{resource_type} has no search parameter “{name}”.", code="not-supported")
            ignored.append(raw_name)
            continue
        if modifier == "missing":
            query &= _missing(param, value)
            continue
        alternatives = Q()
        for alternative in value.split(","):
            if not alternative:
                continue
            build = param.build
            clause = (
                build(alternative, modifier, tz=tz)
                if getattr(build, "needs_tz", False)
                else build(alternative, modifier)
            )
            alternatives |= clause
        query &= alternatives
    return ParsedSearch(query, count, offset, sort, includes, total, summary_count, ignored)


def _missing(param: SearchParam, value: str) -> Q:
    raise FhirError(400, f"The :missing modifier is not supported on “{param.name}”.", code="not-supported")


def _bounded_int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise FhirError(400, f"{name} must be a whole number, not “{value}”.") from exc
    if not low <= number <= high:
        raise FhirError(400, f"{name} must be between {low} and {high}.")
    return number


def _sort_fields(value: str, sort_fields: dict[str, str], resource_type: str) -> list[str]:
    order = []
    for item in value.split(","):
        descending = item.startswith("-")
        name = item.lstrip("-")
        field = {"_id": "public_id", "_lastUpdated": "updated_at", **sort_fields}.get(name)
        if field is None:
            raise FhirError(400, f"{resource_type} cannot be sorted by “{name}”.", code="not-supported")
        order.append(f"-{field}" if descending else field)
    return order


def _include(value: str, search_params: dict[str, SearchParam], resource_type: str) -> SearchParam:
    source, _, name = value.partition(":")
    name = name.split(":")[0]
    param = search_params.get(name)
    if source != resource_type or param is None or not param.include_attr:
        raise FhirError(400, f"_include={value} is not supported on {resource_type}.", code="not-supported")
    return param
