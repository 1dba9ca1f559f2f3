"""
Reads of scheduling setup: appointment types, practitioners' weekly hours and time away, closed dates and
the reminder policy. Every read starts from the actor's organization; `*_get` raises the same
NotFoundError for a missing record and for another organization's.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.core.models import Organization
from carecoord.directory.models import Location, Practitioner

from .choices import BLOCKING_STATUSES
from .models import (
    Appointment,
    AppointmentType,
    ClosedDate,
    PractitionerSchedule,
    PractitionerUnavailability,
    ReminderPolicy,
)
from .selectors import holiday_base_name, open_holiday_names, public_holiday_names

# Who maintains appointment types, hours, time away and closed dates; everyone clinical may look.
SETUP_ROLES = frozenset({Role.SCHEDULER, Role.ORG_ADMIN})
DEFAULT_REMINDER_DAYS = [3, 1]
DEFAULT_SEND_TIME = dt.time(10, 0)
DEFAULT_NEEDS_TASK_DAYS = 3


def can_manage_setup(actor: Actor) -> bool:
    return actor.has_role(*SETUP_ROLES)


def _get(queryset: QuerySet, public_id):
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    record = queryset.filter(public_id=key).first()
    if record is None:
        raise NotFoundError()
    return record


def appointment_types_for(actor: Actor, *, active_only: bool = False) -> QuerySet[AppointmentType]:
    """The organization's appointment types by name (active first when all are listed)."""
    types = AppointmentType.objects.filter(organization=actor.organization)
    if active_only:
        return types.filter(active=True).order_by("name")
    return types.order_by("-active", "name")


def appointment_type_get(actor: Actor, public_id) -> AppointmentType:
    return _get(AppointmentType.objects.filter(organization=actor.organization), public_id)


def locations_for(actor: Actor) -> QuerySet[Location]:
    """The active locations hours can be kept at: the organization's own sites and outside practices'."""
    return Location.objects.filter(organization=actor.organization, active=True).select_related("external_organization")


def practitioner_for_hours(actor: Actor, public_id) -> Practitioner:
    """A practitioner of the organization's directory, its own or another organization's (NotFoundError else)."""
    queryset = Practitioner.objects.filter(organization=actor.organization).select_related("external_organization")
    return _get(queryset, public_id)


def practitioners_with_hours(actor: Actor) -> QuerySet[Practitioner]:
    """Active practitioners of the directory with how many blocks of weekly hours each keeps (`block_count`)."""
    return (
        Practitioner.objects.filter(organization=actor.organization, active=True)
        .select_related("external_organization")
        .annotate(block_count=Count("schedules", filter=Q(schedules__organization=actor.organization)))
        .order_by("family_name", "given_name", "pk")
    )


def hours_blocks_for(actor: Actor, practitioner: Practitioner) -> QuerySet[PractitionerSchedule]:
    """The practitioner's weekly hours, by weekday and start, with their location and types."""
    return (
        PractitionerSchedule.objects.filter(organization=actor.organization, practitioner=practitioner)
        .select_related("location")
        .prefetch_related("appointment_types")
        .order_by("weekday", "start_time", "effective_from", "id")
    )


def hours_block_get(actor: Actor, public_id) -> PractitionerSchedule:
    queryset = PractitionerSchedule.objects.filter(organization=actor.organization).select_related(
        "practitioner", "location"
    )
    return _get(queryset, public_id)


def time_away_for(actor: Actor, practitioner: Practitioner) -> QuerySet[PractitionerUnavailability]:
    """The practitioner's time away that has not ended yet, earliest first."""
    return PractitionerUnavailability.objects.filter(
        organization=actor.organization, practitioner=practitioner, end__gt=clock.now()
    ).order_by("start", "id")


def time_away_get(actor: Actor, public_id) -> PractitionerUnavailability:
    queryset = PractitionerUnavailability.objects.filter(organization=actor.organization).select_related("practitioner")
    return _get(queryset, public_id)


def booked_during(practitioner: Practitioner, start: dt.datetime, end: dt.datetime) -> int:
    """How many appointments still hold the practitioner's time between two instants."""
    return Appointment.objects.filter(
        practitioner=practitioner, status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start
    ).count()


def closed_dates_for(actor: Actor, *, since: dt.date) -> QuerySet[ClosedDate]:
    return ClosedDate.objects.filter(organization=actor.organization, date__gte=since).order_by("date")


def closed_date_get(actor: Actor, public_id) -> ClosedDate:
    return _get(ClosedDate.objects.filter(organization=actor.organization), public_id)


@dataclass(frozen=True)
class Holiday:
    """
    A public holiday of one year: `date` the day itself, `observed` the weekday it is observed on when it
    falls on a weekend (both closed); `base_name` is what an organization opens it by; `open` if it does.
    """

    date: dt.date
    name: str
    base_name: str
    open: bool
    observed: dt.date | None = None

    @property
    def days(self) -> tuple[dt.date, ...]:
        return (self.date, self.observed) if self.observed else (self.date,)


OBSERVED_WITHIN_DAYS = 3


def _with_observed_days(pairs) -> list[tuple[dt.date, str, dt.date | None]]:
    """(day, name, observed day or None): each "(observed)" entry joined to its holiday's own day."""
    pairs = [(day, " ".join(name.split())) for day, name in pairs]
    own = [(day, name) for day, name in pairs if holiday_base_name(name) == name]
    rows = {(day, name): None for day, name in own}
    for day, name in pairs:
        base = holiday_base_name(name)
        if base == name:
            continue
        near = [(d, n) for d, n in own if n == base and abs((d - day).days) <= OBSERVED_WITHIN_DAYS]
        if near:
            rows[near[0]] = day
        else:
            rows[(day, name)] = None  # an observed day without its holiday: shown alone
    return [(day, name, observed) for (day, name), observed in rows.items()]


def public_holidays_ahead(organization: Organization, today: dt.date, *, days: int = 365) -> list[Holiday]:
    """
    The state's public holidays from today through the coming 12 months, in date order, one row per holiday
    and year (with its observed day, if any), each marked open when the organization stays open on it (an
    opened holiday also covers its observed day).
    """
    until = today + dt.timedelta(days=days)
    opened = open_holiday_names(organization)
    pairs = list(public_holiday_names(organization.state, range(today.year - 1, until.year + 2)))
    found = []
    for day, name, observed in _with_observed_days(pairs):
        if any(today <= d <= until for d in (day, observed) if d):
            base = holiday_base_name(name)
            found.append(Holiday(day, name, base, base in opened, observed))
    return sorted(found, key=lambda h: h.date)


def holiday_names_for(organization: Organization, today: dt.date) -> set[str]:
    """Base names of the state's public holidays this year and next: the names an organization may open."""
    pairs = public_holiday_names(organization.state, range(today.year, today.year + 2))
    return {holiday_base_name(name) for _day, name in pairs}


def reminder_policy_for(organization: Organization) -> ReminderPolicy:
    """The organization's saved reminder policy, or the default one unsaved: [3, 1] days before at 10:00, tasks 3."""
    saved = ReminderPolicy.objects.filter(organization=organization).first()
    if saved is not None:
        return saved
    return ReminderPolicy(
        organization=organization,
        enabled=True,
        days_before=list(DEFAULT_REMINDER_DAYS),
        send_time=DEFAULT_SEND_TIME,
        needs_task_days_before=DEFAULT_NEEDS_TASK_DAYS,
    )
