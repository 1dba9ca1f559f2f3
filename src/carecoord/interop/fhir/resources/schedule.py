"""
Schedule <-> scheduling.PractitionerSchedule: one Schedule per block of weekly hours (a practitioner at a
location on one weekday, from a start to an end time, offering some appointment types). A block is what the
organization keeps, edits and versions, so it has a stable id and a history; a practitioner at a location
with hours on five weekdays has five Schedules. The Slots of a block reference it (Slot.schedule).

actor: the Practitioner and the Location. active: the block's flag. serviceType: the appointment types the
block offers (the organization's appointment-type system, see _scheduling.py). planningHorizon: the block's
effective dates (open ends left out). specialty: the practitioner's (NUCC). comment: the hours in words, in
the organization's time zone; the extension urn:carecoord:fhir:weekly-hours carries them as data
(dayOfWeek valueCode mon..sun, availableStartTime and availableEndTime valueTime, timeZone valueCode).
Read and search only; hours are kept on the Availability pages.
"""

import datetime as dt

from django.db.models import Q

from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, parse_id, reference
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import parse_date_range, split_prefix, token_filter
from carecoord.scheduling.models import PractitionerSchedule

from ._scheduling import NUCC, service_type, service_type_filter, specialty

WEEKLY_HOURS = "urn:carecoord:fhir:weekly-hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _actor_filter(value: str, modifier: str) -> Q:
    kind, _, ident = value.rpartition("/")
    kind = modifier or kind.rsplit("/", 1)[-1]
    key = parse_id(ident)
    if key is None or kind not in ("", "Practitioner", "Location"):
        return Q(pk__in=[])
    if kind == "Practitioner":
        return Q(practitioner__public_id=key)
    if kind == "Location":
        return Q(location__public_id=key)
    return Q(practitioner__public_id=key) | Q(location__public_id=key)


def _horizon_filter(value: str, modifier: str, *, tz: dt.tzinfo = dt.UTC) -> Q:
    """The planning horizon (effective_from .. effective_until, either open) against a date: eq = overlaps."""
    prefix, text = split_prefix(value)
    span = parse_date_range(text, tz)
    start, end = span.start.astimezone(tz).date(), span.end.astimezone(tz).date()
    if end == start:
        end = start + dt.timedelta(days=1)
    begins_before = Q(effective_from__isnull=True) | Q(effective_from__lt=end)
    goes_on = Q(effective_until__isnull=True) | Q(effective_until__gte=start)
    ranges = {
        "eq": begins_before & goes_on,
        "ne": ~(begins_before & goes_on),
        "ge": goes_on,
        "gt": Q(effective_until__isnull=True) | Q(effective_until__gte=end),
        "le": begins_before,
        "lt": Q(effective_from__isnull=True) | Q(effective_from__lt=start),
        "sa": Q(effective_from__gte=end),
        "eb": Q(effective_until__lt=start),
    }
    return ranges[prefix]


_horizon_filter.needs_tz = True  # type: ignore[attr-defined]


def _offers_filter(value: str, modifier: str) -> Q:
    """Blocks offering the type (a subquery, so a block offering two matching types is listed once)."""
    offering = PractitionerSchedule.objects.filter(service_type_filter("appointment_types")(value, modifier))
    return Q(pk__in=offering.values("pk"))


@register
class ScheduleMapper(ResourceMapper):
    resource_type = "Schedule"
    model = PractitionerSchedule
    select_related = ("organization", "practitioner", "location")
    prefetch_related = ("appointment_types",)
    documentation = (
        "One Schedule per block of a practitioner's weekly hours at a location (one weekday, start to end time); "
        f"the extension {WEEKLY_HOURS} gives the day and times."
    )
    search_params = {
        "actor": SearchParam("actor", "reference", _actor_filter, "The Practitioner or the Location."),
        "practitioner": SearchParam(
            "practitioner",
            "reference",
            _actor_filter,
            "The Practitioner (CareCoord).",
            target="Practitioner",
            include_attr="practitioner",
        ),
        "location": SearchParam(
            "location",
            "reference",
            _actor_filter,
            "The Location (CareCoord).",
            target="Location",
            include_attr="location",
        ),
        "active": SearchParam("active", "token", token_filter("active", codes={"true": True, "false": False})),
        "service-type": SearchParam("service-type", "token", _offers_filter, "The appointment types offered."),
        "specialty": SearchParam("specialty", "token", token_filter("practitioner__specialty_code", system=NUCC)),
        "date": SearchParam("date", "date", _horizon_filter, "The planning horizon (effective dates)."),
    }

    def queryset(self, actor):
        return PractitionerSchedule.objects.filter(organization=actor.organization)

    def patient_of(self, obj):
        return None

    def is_retired(self, obj: PractitionerSchedule) -> bool:
        return not obj.active

    def to_fhir(self, obj: PractitionerSchedule) -> dict:
        organization = obj.organization
        day = DAYS[obj.weekday]
        hours = f"{choice_label(obj, 'weekday')}s {obj.start_time:%H:%M}-{obj.end_time:%H:%M}"
        return compact(
            {
                **self.base(obj),
                "extension": [
                    {
                        "url": WEEKLY_HOURS,
                        "extension": [
                            {"url": "dayOfWeek", "valueCode": day},
                            {"url": "availableStartTime", "valueTime": obj.start_time.strftime("%H:%M:%S")},
                            {"url": "availableEndTime", "valueTime": obj.end_time.strftime("%H:%M:%S")},
                            {"url": "timeZone", "valueCode": organization.timezone},
                        ],
                    }
                ],
                "active": obj.active,
                "serviceType": [
                    concept
                    for kind in sorted(obj.appointment_types.all(), key=lambda k: k.name)
                    for concept in service_type(kind, organization)
                ],
                "specialty": specialty(obj.practitioner),
                "actor": [reference("Practitioner", obj.practitioner), reference("Location", obj.location)],
                "planningHorizon": {
                    "start": obj.effective_from.isoformat() if obj.effective_from else None,
                    "end": obj.effective_until.isoformat() if obj.effective_until else None,
                },
                "comment": f"{hours} at {obj.location.name} ({organization.timezone})",
            }
        )
