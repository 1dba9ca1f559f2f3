"""
Slot: free times computed on request by scheduling.selectors.slots_available; nothing is stored.

A Slot is a free start for one appointment type with one practitioner at one location, inside one block of
weekly hours (its Schedule, see schedule.py). Its id is built from what it is, so the same free time always
has the same id and a read of a returned slot works: "<schedule id, 32 hex>-<first 8 hex of the appointment
type id>-<start, UTC, YYYYMMDDHHMM>". A read answers status free while the time is free, busy once it is
taken (or past, or the practitioner is away) but still inside the block's hours, and 404 otherwise.

Search (status is always free; status=busy finds nothing): `start` with the prefixes ge, gt, le, lt, eq (at
most 92 days apart; without an upper bound 7 days from the lower, without a lower bound from now),
`schedule` (Schedule/<id>, ORed with commas), `service-type` (the organization's appointment type,
<system>|<type id>, or a v2-0276 code; without it, every type the schedules offer) and `specialty` (NUCC).
_include=Slot:schedule adds the Schedules. Read and search only; book with a POST of an Appointment.
"""

import datetime as dt
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace
from typing import ClassVar

from django.db.models import Q

from carecoord.core import clock
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, instant, parse_id, reference
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import parse_date_range, split_prefix
from carecoord.scheduling import slots as slot_math
from carecoord.scheduling.availability_selectors import appointment_types_for
from carecoord.scheduling.models import AppointmentType, PractitionerSchedule
from carecoord.scheduling.selectors import closed_days, slots_available

from ._scheduling import NUCC, V2_0276, appointment_type_concept, service_type, specialty

SLOT_ID = re.compile(r"^(?P<block>[0-9a-f]{32})-(?P<type>[0-9a-f]{8})-(?P<start>\d{12})$")
DEFAULT_DAYS = 7
MAX_DAYS = 92
STATUS_SYSTEM = "http://hl7.org/fhir/slotstatus"


@dataclass(frozen=True)
class FreeSlot:
    """One computed slot; `schedule_id` lets _include=Slot:schedule find its block."""

    start: dt.datetime
    end: dt.datetime
    block: PractitionerSchedule
    kind: AppointmentType
    status: str = "free"
    _meta: ClassVar = SimpleNamespace(label="scheduling.Slot")  # what the audit trail names

    @property
    def organization(self):
        return self.block.organization

    @property
    def public_id(self) -> str:
        return f"{self.block.public_id.hex}-{self.kind.public_id.hex[:8]}-{self.start.astimezone(dt.UTC):%Y%m%d%H%M}"

    @property
    def schedule_id(self) -> int:
        return self.block.pk

    @property
    def updated_at(self) -> dt.datetime:
        return max(self.block.updated_at, self.kind.updated_at)


# --- search parameters: each becomes a marker the SlotSearch below reads (Slots are not rows) -------------


def _schedule_param(value: str, modifier: str) -> Q:
    kind, _, ident = value.rpartition("/")
    if kind and kind.rsplit("/", 1)[-1] != "Schedule":
        return Q(slot_schedule=None)
    return Q(slot_schedule=parse_id(ident))


def _start_param(value: str, modifier: str, *, tz: dt.tzinfo = dt.UTC) -> Q:
    prefix, text = split_prefix(value)
    if prefix == "ne":
        raise FhirError(400, "Slot start does not take the prefix ne.", code="not-supported")
    return Q(slot_start=(prefix, parse_date_range(text, tz)))


_start_param.needs_tz = True  # type: ignore[attr-defined]


def _type_param(value: str, modifier: str) -> Q:
    return Q(slot_type=value)


def _status_param(value: str, modifier: str) -> Q:
    code = value.split("|", 1)[-1]
    return Q(slot_status=code)


def _specialty_param(value: str, modifier: str) -> Q:
    system, code = value.split("|", 1) if "|" in value else (NUCC, value)
    return Q(slot_specialty=code if system in ("", NUCC) else None)


class SlotSearch:
    """
    Enough of a QuerySet for the FHIR interactions (filter, order_by, count, slicing, iteration): it reads the
    markers the search parameters left in the filter and computes the matching free slots once.
    """

    def __init__(self, actor, clauses: tuple = ()):
        self.actor = actor
        self.clauses = clauses
        self._rows: list[FreeSlot] | None = None

    # QuerySet protocol ------------------------------------------------------------------------------------
    def filter(self, *queries: Q, **lookups) -> "SlotSearch":
        clauses = list(self.clauses)
        for query in queries:
            clauses.extend(_clauses(query))
        for key, value in lookups.items():
            if key != "updated_at__gt":  # an export's _since: a free slot is always current
                clauses.append([(key, value)])
        return SlotSearch(self.actor, tuple(tuple(c) for c in clauses))

    def order_by(self, *fields: str) -> "SlotSearch":
        return self  # always by start, then practitioner and location

    def count(self) -> int:
        return len(self.rows())

    def exists(self) -> bool:
        return bool(self.rows())

    def first(self):
        rows = self.rows()
        return rows[0] if rows else None

    def __getitem__(self, index):
        return self.rows()[index]

    def __iter__(self):
        return iter(self.rows())

    def __len__(self) -> int:
        return len(self.rows())

    def iterator(self, chunk_size: int | None = None):
        return iter(self.rows())

    def values_list(self, field: str, flat: bool = False):
        return [getattr(row, field) for row in self.rows()]

    # Computing --------------------------------------------------------------------------------------------
    def rows(self) -> list[FreeSlot]:
        if self._rows is None:
            self._rows = self._compute()
        return self._rows

    def _compute(self) -> list[FreeSlot]:
        wanted: dict[str, list] = defaultdict(list)
        starts = []
        for clause in self.clauses:
            keys = {key for key, _ in clause}
            if keys == {"pk__in"}:
                return []  # an _id that is not a slot id
            if len(keys) != 1 or not keys <= {
                "slot_schedule",
                "slot_type",
                "slot_status",
                "slot_specialty",
                "slot_start",
            }:
                raise FhirError(400, "Slot search takes schedule, start, service-type, specialty and status.")
            key = keys.pop()
            values = [value for _, value in clause]
            if key == "slot_start":
                starts.append(values)
            else:
                wanted[key].append(values)
        if any("free" not in values for values in wanted["slot_status"]):
            return []
        tz = self.actor.organization.tz
        low, high, checks = _window(starts)
        blocks = _blocks(self.actor, wanted["slot_schedule"], wanted["slot_specialty"])
        if not blocks:
            return []
        kinds = _kinds(self.actor, blocks, wanted["slot_type"])
        first_day, last_day = low.astimezone(tz).date(), (high - dt.timedelta(microseconds=1)).astimezone(tz).date()
        by_party: dict[tuple, list[PractitionerSchedule]] = defaultdict(list)
        for block in blocks:
            by_party[(block.practitioner_id, block.location_id)].append(block)
        rows = []
        for kind in kinds:
            offering = [b for b in blocks if kind.pk in {t.pk for t in b.appointment_types.all()}]
            if not offering:
                continue
            options = slots_available(
                self.actor,
                appointment_type=kind,
                first_day=first_day,
                last_day=last_day,
                practitioners={b.practitioner for b in offering},
                limit=None,
            )
            for option in options:
                if not (low <= option.start < high and all(check(option.start) for check in checks)):
                    continue
                block = _block_of(by_party[(option.practitioner.pk, option.location.pk)], kind, option.start, tz)
                if block is not None:
                    rows.append(FreeSlot(option.start, option.end, block, kind))
        rows.sort(key=lambda r: (r.start, r.block.practitioner_id, r.block.location_id, r.kind.name))
        return rows


def _clauses(query: Q) -> list[list[tuple]]:
    """An AND of clauses, each an OR of (marker, value) leaves, from the Q the search parameters built."""
    if query.negated:
        raise FhirError(400, "Slot search does not take negated parameters.", code="not-supported")
    if not query.children:
        return []
    if query.connector == Q.OR:
        leaves = []
        for child in query.children:
            if isinstance(child, Q):
                nested = _clauses(child)
                if len(nested) != 1:
                    raise FhirError(400, "Slot search cannot combine these parameters.", code="not-supported")
                leaves.extend(nested[0])
            else:
                leaves.append(child)
        return [leaves]
    clauses = []
    for child in query.children:
        clauses.extend(_clauses(child) if isinstance(child, Q) else [[child]])
    return clauses


def _window(starts: list[list]) -> tuple[dt.datetime, dt.datetime, list]:
    """The UTC window to compute over and the exact checks of each `start` parameter."""
    now = clock.now()
    low, high, checks = None, None, []
    for alternatives in starts:
        spans = [_span(prefix, span) for prefix, span in alternatives]
        lows = [s[0] for s in spans]
        highs = [s[1] for s in spans]
        clause_low = None if None in lows else min(lows)
        clause_high = None if None in highs else max(highs)
        if clause_low is not None:
            low = clause_low if low is None else max(low, clause_low)
        if clause_high is not None:
            high = clause_high if high is None else min(high, clause_high)
        checks.append(lambda at, spans=spans: any((a is None or a <= at) and (b is None or at < b) for a, b in spans))
    low = max(low or now, now.replace(second=0, microsecond=0))
    high = high or low + dt.timedelta(days=DEFAULT_DAYS)
    if high - low > dt.timedelta(days=MAX_DAYS):
        raise FhirError(400, f"A Slot search covers at most {MAX_DAYS} days (start=ge...&start=le...).")
    return low, max(high, low), checks


def _span(prefix: str, span) -> tuple[dt.datetime | None, dt.datetime | None]:
    return {
        "eq": (span.start, span.end),
        "ge": (span.start, None),
        "gt": (span.end, None),
        "sa": (span.end, None),
        "le": (None, span.end),
        "lt": (None, span.start),
        "eb": (None, span.start),
    }[prefix]


def _blocks(actor, schedules: list[list], specialties: list[list]) -> list[PractitionerSchedule]:
    blocks = PractitionerSchedule.objects.filter(
        organization=actor.organization, active=True, practitioner__active=True, location__active=True
    )
    for alternatives in schedules:
        blocks = blocks.filter(public_id__in=[key for key in alternatives if key is not None])
    for alternatives in specialties:
        blocks = blocks.filter(practitioner__specialty_code__in=[code for code in alternatives if code])
    return list(blocks.select_related("organization", "practitioner", "location").prefetch_related("appointment_types"))


def _kinds(actor, blocks: list[PractitionerSchedule], types: list[list]) -> list[AppointmentType]:
    offered = {t.pk for block in blocks for t in block.appointment_types.all()}
    kinds = list(appointment_types_for(actor, active_only=True).filter(pk__in=offered))
    for alternatives in types:
        kinds = [kind for kind in kinds if any(_is_type(kind, value) for value in alternatives)]
    return kinds


def _is_type(kind: AppointmentType, value: str) -> bool:
    system, code = value.split("|", 1) if "|" in value else (None, value)
    if system == V2_0276:
        return kind.code == code
    if system is not None and not system.endswith(f":{kind.organization.slug}:appointment-type"):
        return False
    return code in (str(kind.public_id), kind.public_id.hex) or (system is None and code == kind.code)


def _block_of(blocks, kind: AppointmentType, start: dt.datetime, tz) -> PractitionerSchedule | None:
    """The block of weekly hours (offering the type) a slot lies in."""
    end = start + dt.timedelta(minutes=kind.duration_minutes)
    for block in sorted(blocks, key=lambda b: (b.start_time, b.pk)):
        if kind.pk not in {t.pk for t in block.appointment_types.all()}:
            continue
        hours = slot_math.WeeklyHours(
            block.weekday, block.start_time, block.end_time, block.effective_from, block.effective_until
        )
        if slot_math.within_hours(slot_math.Interval(start, end), tz=tz, hours=[hours]):
            return block
    return None


@register
class SlotMapper(ResourceMapper):
    resource_type = "Slot"
    model = PractitionerSchedule  # nothing is stored: see the module's doc
    interactions = ("read", "search-type")
    keep_history = False
    documentation = (
        "Free slots computed on request (status free). Search by start (ge/le, at most 92 days), schedule and "
        "service-type (the organization's appointment type); a returned slot can be read by its id."
    )
    search_params = {
        "schedule": SearchParam("schedule", "reference", _schedule_param, target="Schedule", include_attr="schedule"),
        "start": SearchParam("start", "date", _start_param, "Prefixes ge, gt, le, lt, eq."),
        "service-type": SearchParam("service-type", "token", _type_param, "The organization's appointment type."),
        "specialty": SearchParam("specialty", "token", _specialty_param),
        "status": SearchParam("status", "token", _status_param, "Always free."),
    }
    sort_fields = {"start": "start"}

    def queryset(self, actor):
        return SlotSearch(actor)

    def read_queryset(self, actor):
        return SlotSearch(actor)

    def patient_of(self, obj):
        return None

    def get(self, actor, resource_id: str) -> FreeSlot:
        missing = FhirError(404, f"Slot/{resource_id} is not known.", code="not-found")
        match = SLOT_ID.match(resource_id or "")
        if match is None:
            raise missing
        block = (
            PractitionerSchedule.objects.filter(
                organization=actor.organization, public_id=uuid.UUID(match["block"]), active=True
            )
            .select_related("organization", "practitioner", "location")
            .prefetch_related("appointment_types")
            .first()
        )
        kind = (
            next((t for t in block.appointment_types.all() if t.public_id.hex.startswith(match["type"])), None)
            if block
            else None
        )
        if block is None or kind is None or not kind.active:
            raise missing
        start = dt.datetime.strptime(match["start"], "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
        tz = actor.organization.tz
        if _block_of([block], kind, start, tz) is None:
            raise missing
        day = start.astimezone(tz).date()
        if day in closed_days(actor.organization, day, day):
            raise missing
        options = slots_available(
            actor,
            appointment_type=kind,
            first_day=day,
            last_day=day,
            practitioners=[block.practitioner],
            location=block.location,
            limit=None,
        )
        free = any(option.start == start for option in options)
        end = start + dt.timedelta(minutes=kind.duration_minutes)
        return FreeSlot(start, end, block, kind, "free" if free else "busy")

    def to_fhir(self, obj: FreeSlot) -> dict:
        block, kind = obj.block, obj.kind
        return compact(
            {
                "resourceType": "Slot",
                "id": obj.public_id,
                "meta": {"lastUpdated": instant(obj.updated_at)},
                "serviceType": service_type(kind, block.organization),
                "specialty": specialty(block.practitioner),
                "appointmentType": appointment_type_concept(kind),
                "schedule": reference("Schedule", block),
                "status": obj.status,
                "start": instant(obj.start),
                "end": instant(obj.end),
                "comment": f"{kind.name} with {block.practitioner} at {block.location.name}",
            }
        )
