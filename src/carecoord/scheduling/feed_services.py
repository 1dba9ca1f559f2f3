"""
iCalendar subscriptions for a patient's or a practitioner's appointments.

- `feed_create` / `feed_revoke`: the writes. A feed's address carries a random token shown once; only its
  SHA-256 is stored, so a leaked database row cannot be turned back into a working address.
- `feeds_for_patient`, `feeds_for_practitioner`, `feed_get`: the reads of the feed pages (kept here with the
  writes so the feature is one module).
- `feed_by_token` and `feed_ics`: what the public `.ics` address serves. A calendar app is not a secure
  place, so events say as little as they can: "Appointment with Dr. Varga" on a patient's feed, the
  patient's initials on a practitioner's.
"""

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

import icalendar
from django.db import transaction
from django.db.models import Q, QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import CLINICAL_ROLES, AuditAction, Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import Organization
from carecoord.directory.models import Practitioner
from carecoord.directory.selectors import practitioner_get
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get, patients_visible_to

from .choices import AppointmentStatus, FeedKind
from .models import Appointment, CalendarFeed
from .reminder_services import practitioner_title, visit_place

FEED_PAST = dt.timedelta(days=30)
FEED_FUTURE = dt.timedelta(days=365)
PRODID = "-//CareCoord//Appointments//EN"
CONFIRMED_STATUSES = {
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
    AppointmentStatus.NOSHOW,
}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_feed_manager(actor: Actor) -> None:
    if not actor.has_role(*CLINICAL_ROLES):
        raise PermissionDeniedError("Your role does not allow managing calendar feeds.")


# --- writes -------------------------------------------------------------------------------------------


@transaction.atomic
def feed_create(
    *, actor: Actor, patient: Patient | None = None, practitioner: Practitioner | None = None, label: str = ""
) -> tuple[CalendarFeed, str]:
    """
    Creates a feed of one patient's or one practitioner's appointments; returns (feed, token). The token
    is not stored: the caller shows the address once.
    """
    if (patient is None) == (practitioner is None):
        raise ValidationError("A calendar feed is for one patient or one practitioner.")
    _require_feed_manager(actor)
    if patient is not None:
        patient = patient_get(actor, patient.public_id, audit_event=None)
    else:
        practitioner = practitioner_get(actor, practitioner.public_id)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        organization=actor.organization,
        kind=FeedKind.PATIENT if patient is not None else FeedKind.PRACTITIONER,
        patient=patient,
        practitioner=practitioner,
        token_sha256=token_digest(token),
        label=label.strip()[:120],
        created_by=actor.user,
    )
    audit_record(
        actor=actor, event="feed.create", action=AuditAction.CREATE, target=feed, patient=patient,
        detail={"kind": feed.kind},
    )  # fmt: skip
    return feed, token


@transaction.atomic
def feed_revoke(*, actor: Actor, feed: CalendarFeed) -> CalendarFeed:
    """Ends a feed at once: its address answers 404 from now on."""
    _require_feed_manager(actor)
    feed = feed_get(actor, feed.public_id)
    if feed.revoked_at is not None:
        raise InvalidStateError("This calendar feed was already revoked.")
    feed.revoked_at = clock.now()
    feed.revoked_by = actor.user
    feed.version += 1
    feed.save(update_fields=["revoked_at", "revoked_by", "version", "updated_at"])
    audit_record(actor=actor, event="feed.revoke", action=AuditAction.UPDATE, target=feed, patient=feed.patient)
    return feed


# --- reads of the feed pages --------------------------------------------------------------------------


def _visible_feeds(actor: Actor) -> QuerySet[CalendarFeed]:
    """The organization's feeds of practitioners and of patients the actor may see."""
    if not actor.can_see_patients:
        return CalendarFeed.objects.none()
    subject_visible = Q(kind=FeedKind.PRACTITIONER, practitioner__organization=actor.organization) | Q(
        kind=FeedKind.PATIENT, patient__in=patients_visible_to(actor)
    )
    return (
        CalendarFeed.objects.filter(organization=actor.organization)
        .filter(subject_visible)
        .select_related("patient", "practitioner", "created_by", "revoked_by")
    )


def feeds_for_patient(actor: Actor, patient: Patient) -> QuerySet[CalendarFeed]:
    return _visible_feeds(actor).filter(patient=patient)


def feeds_for_practitioner(actor: Actor, practitioner: Practitioner) -> QuerySet[CalendarFeed]:
    return _visible_feeds(actor).filter(practitioner=practitioner)


def feed_get(actor: Actor, public_id) -> CalendarFeed:
    """The feed if the actor may see its subject; NotFoundError otherwise (missing and forbidden look alike)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    feed = _visible_feeds(actor).filter(public_id=key).first()
    if feed is None:
        raise NotFoundError()
    return feed


# --- the public address -------------------------------------------------------------------------------


def feed_by_token(token: str) -> CalendarFeed:
    """The live feed whose token this is; NotFoundError for unknown, malformed or revoked tokens alike."""
    digest = token_digest(token)
    feed = (
        CalendarFeed.objects.filter(token_sha256=digest, revoked_at__isnull=True)
        .select_related("organization", "patient", "practitioner")
        .first()
    )
    # The lookup is by hash, so response time says nothing about how much of a token was right.
    if feed is None or not hmac.compare_digest(feed.token_sha256, digest):
        raise NotFoundError()
    if not feed.organization.active or not _subject_still_visible(feed):
        raise NotFoundError()
    return feed


def _system_actor(organization: Organization) -> Actor:
    """The feed's organization acting with no person (a calendar app is fetching)."""
    return Actor(user=None, organization=organization, roles=frozenset({Role.COORDINATOR}))  # type: ignore[arg-type]  # no person acts


def _subject_still_visible(feed: CalendarFeed) -> bool:
    if feed.kind == FeedKind.PRACTITIONER:
        return feed.practitioner.organization_id == feed.organization_id
    return patients_visible_to(_system_actor(feed.organization)).filter(pk=feed.patient_id).exists()


def feed_appointments(feed: CalendarFeed, now: dt.datetime) -> QuerySet[Appointment]:
    """The feed's appointments from 30 days back to a year ahead, entered-in-error left out."""
    appointments = Appointment.objects.filter(
        organization=feed.organization,
        start__gte=now - FEED_PAST,
        start__lt=now + FEED_FUTURE,
        patient__in=patients_visible_to(_system_actor(feed.organization)),
    ).exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
    if feed.kind == FeedKind.PATIENT:
        appointments = appointments.filter(patient=feed.patient)
    else:
        appointments = appointments.filter(practitioner=feed.practitioner)
    return appointments.select_related(
        "patient", "practitioner", "location", "appointment_type", "external_organization"
    ).order_by("start", "id")


def feed_read(token: str) -> tuple[CalendarFeed, bytes]:
    """Serves a feed: finds it by token, renders its calendar, notes its use and audits the read."""
    feed = feed_by_token(token)
    now = clock.now()
    appointments = list(feed_appointments(feed, now))
    body = feed_ics(feed, appointments, now)
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        audit_record(
            organization=feed.organization, event="feed.read", action=AuditAction.READ, target=feed,
            patient=feed.patient, detail={"kind": feed.kind, "appointments": len(appointments)},
        )  # fmt: skip
    return feed, body


def initials(patient: Patient) -> str:
    return f"{patient.given_name[:1]}.{patient.family_name[:1]}.".upper()


def event_summary(feed: CalendarFeed, appointment: Appointment) -> str:
    """Minimal words: whom the patient sees, or which patient (initials) the practitioner sees."""
    video = " (video)" if appointment.appointment_type and appointment.appointment_type.telehealth else ""
    if feed.kind == FeedKind.PRACTITIONER:
        return f"Visit: {initials(appointment.patient)}{video}"
    if appointment.practitioner is not None:
        return f"Appointment with {practitioner_title(appointment.practitioner)}{video}"
    if appointment.external_organization is not None:
        return f"Appointment at {appointment.external_organization.name}{video}"
    return f"Appointment{video}"


def event_status(appointment: Appointment) -> str:
    if appointment.status == AppointmentStatus.CANCELLED:
        return "CANCELLED"
    return "CONFIRMED" if appointment.status in CONFIRMED_STATUSES else "TENTATIVE"


def feed_ics(feed: CalendarFeed, appointments, now: dt.datetime) -> bytes:
    """The iCalendar (RFC 5545) text of the feed: one VEVENT per appointment, times in UTC."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Appointments" if feed.kind == FeedKind.PATIENT else "CareCoord schedule")
    for appointment in appointments:
        event = icalendar.Event()
        event.add("uid", f"{appointment.public_id}@carecoord")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", appointment.start.astimezone(dt.UTC))
        event.add("dtend", appointment.end.astimezone(dt.UTC))
        event.add("summary", event_summary(feed, appointment))
        event.add("status", event_status(appointment))
        event.add("sequence", appointment.version)
        place = visit_place(appointment) if feed.kind == FeedKind.PATIENT else getattr(appointment.location, "name", "")
        if place:
            event.add("location", place)
        calendar.add_component(event)
    return calendar.to_ical()
