"""
Appointment reminders and the coordinator tasks a visit needs, run by the worker (jobs_reminders.py).

- `reminders_run(organization)`: one pass for one organization: cancels queued reminders that no longer
  fit their visit, queues the reminders that are due, and tasks a coordinator with transport or an
  interpreter. Returns a summary (counts, including why reminders were skipped).
- `reminder_due`, `reminder_route`, `reminder_text`, `business_days_before`: the pure rules.
- `reminders_cancel_stale(appointment)`: cancels an appointment's queued reminders that no longer fit it
  (cancelled, moved); also run at once when an appointment's time is given up (appointment_freed).

Reminders go into the messaging outbox with an idempotency key naming the visit, the days before and the
start time, so a visit is never reminded twice for the same day, and a moved visit gets new reminders.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from carecoord.careplans.choices import TaskKind, TaskSource
from carecoord.careplans.models import Task
from carecoord.careplans.services import task_create
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.core.models import Membership, Organization, User
from carecoord.messaging.choices import Channel
from carecoord.messaging.selectors import idempotency_keys_used, queued_messages_about
from carecoord.messaging.services import message_queue, messages_cancel_queued
from carecoord.patients.choices import ContactMethod, PhoneKind
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from .availability_selectors import reminder_policy_for
from .choices import AppointmentStatus, ReminderChannel
from .domain import interpreter_to_arrange, is_telehealth, transport_to_arrange
from .models import Appointment, PatientSchedulingPreference, ReminderPolicy
from .selectors import closed_days

REMINDABLE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
REMINDER_KIND = "appointment_reminder"
APPOINTMENT_FOCUS = "scheduling.Appointment"
NEEDS_HORIZON = dt.timedelta(days=60)  # how far ahead transport and interpreter tasks are created


# --- pure rules ---------------------------------------------------------------------------------------


def reminder_send_at(start: dt.datetime, days_before: int, send_time: dt.time, tz) -> dt.datetime:
    """When the reminder `days_before` the visit goes out: `send_time` local, that many local days earlier."""
    visit_day = start.astimezone(tz).date()
    return dt.datetime.combine(visit_day - dt.timedelta(days=days_before), send_time, tzinfo=tz)


def reminder_due(
    *, start: dt.datetime, days_before: Iterable[int], send_time: dt.time, tz, now: dt.datetime
) -> int | None:
    """
    Which reminder (its days before) to queue now, or None. Only the latest one whose time has come counts,
    so a visit booked late, or a worker that was down, sends one reminder rather than a burst of stale ones.
    """
    if now >= start:
        return None
    due = [(reminder_send_at(start, n, send_time, tz), n) for n in set(days_before) if n >= 0]
    due = [(at, n) for at, n in due if at <= now]
    return max(due)[1] if due else None


def _utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def reminder_key(appointment: Appointment, days_before: int) -> str:
    """The reminder's idempotency key: a moved visit (new start) gets new reminders, the same visit never two."""
    return f"reminder:{appointment.public_id}:{days_before}:{_utc_iso(appointment.start)}"


def need_task_key(appointment: Appointment, need: str) -> str:
    return f"{need}:{appointment.public_id}:{_utc_iso(appointment.start)}"


@dataclass(frozen=True)
class Route:
    """Where a reminder goes: a channel and an address, or why it goes nowhere (`skip`)."""

    channel: str = ""
    address: str = ""
    skip: str = ""


def mobile_number(patient: Patient) -> str:
    if patient.phone_primary and patient.phone_primary_kind == PhoneKind.MOBILE:
        return patient.phone_primary
    if patient.phone_secondary and patient.phone_secondary_kind == PhoneKind.MOBILE:
        return patient.phone_secondary
    return ""


def reminder_route(patient: Patient, preference: str = "") -> Route:
    """
    The channel of a patient's reminders: their scheduling preference if set, else their preferred contact
    method when it is text or email. Texts and emails need the patient's consent and an address.
    """
    if not patient.active or patient.deceased_date:
        return Route(skip="inactive_patient")
    if preference == ReminderChannel.NONE:
        return Route(skip="opted_out")
    if preference == ReminderChannel.PHONE:
        return Route(skip="phone_call_by_staff")
    channel = preference or {ContactMethod.SMS: Channel.SMS, ContactMethod.EMAIL: Channel.EMAIL}.get(
        patient.preferred_contact_method, ""
    )
    if channel == Channel.SMS:
        if not patient.consent_sms:
            return Route(skip="no_sms_consent")
        number = mobile_number(patient)
        return Route(Channel.SMS, number) if number else Route(skip="no_mobile_number")
    if channel == Channel.EMAIL:
        if not patient.consent_email:
            return Route(skip="no_email_consent")
        return Route(Channel.EMAIL, patient.email) if patient.email else Route(skip="no_email_address")
    return Route(skip="no_message_channel")


WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}  # fmt: skip
TEXTS = {
    "en": {
        "subject": "Appointment reminder from {org}",
        "body": "{org}: a reminder of your appointment{whom} on {when}{where}.{video} To change or cancel it, "
        "please contact {contact}.",
        "whom": " with {name}",
        "where": " at {place}",
        "video": " It is a video visit.",
        "when": "{weekday}, {month} {day}, {year} at {time}",
    },
    "es": {
        "subject": "Recordatorio de cita de {org}",
        "body": "{org}: le recordamos su cita{whom} el {when}{where}.{video} Para cambiarla o cancelarla, "
        "comuníquese con {contact}.",
        "whom": " con {name}",
        "where": " en {place}",
        "video": " Es una consulta por video.",
        "when": "{weekday} {day} de {month} de {year} a las {time}",
    },
}


def practitioner_title(practitioner) -> str:
    """ "Dr. Varga" for physicians, the full name with credentials for everyone else."""
    if practitioner.suffix.replace(".", "").upper() in {"MD", "DO"}:
        return f"Dr. {practitioner.family_name}"
    return practitioner.display_name


def local_when(start: dt.datetime, tz, language: str) -> str:
    """The visit's local date and time, written out in the language (12-hour clock in English)."""
    local = start.astimezone(tz)
    clock_time = timefmt.clock(local) if language == "en" else local.strftime("%H:%M")
    return TEXTS[language]["when"].format(
        weekday=WEEKDAYS[language][local.weekday()],
        month=MONTHS[language][local.month - 1],
        day=local.day,
        year=local.year,
        time=clock_time,
    )


def visit_place(appointment: Appointment) -> str:
    """Where the visit is: the location and its street address, or the outside practice's name."""
    if appointment.location is not None:
        location = appointment.location
        return ", ".join(part for part in (location.name, location.address_line, location.city) if part)
    if appointment.external_organization is not None:
        return appointment.external_organization.name
    return ""


def reminder_text(appointment: Appointment, language: str) -> tuple[str, str, str]:
    """
    (language, subject, body) of a reminder: whom, when (organization's time zone) and where, and whom to
    call; nothing about why the patient is seen. English unless the patient reads Spanish.
    """
    language = language if language in TEXTS else "en"
    text = TEXTS[language]
    org = appointment.organization.name
    telehealth = is_telehealth(appointment)
    place = "" if telehealth else visit_place(appointment)
    outside = appointment.external_organization.name if appointment.external_organization else ""
    body = text["body"].format(
        org=org,
        whom=text["whom"].format(name=practitioner_title(appointment.practitioner)) if appointment.practitioner else "",
        when=local_when(appointment.start, appointment.organization.tz, language),
        where=text["where"].format(place=place) if place else "",
        video=text["video"] if telehealth else "",
        contact=outside if appointment.is_outside and outside else org,
    )
    return language, text["subject"].format(org=org), body


def business_days_before(day: dt.date, days: int, *, closed: set[dt.date]) -> dt.date:
    """The date `days` business days before `day`, skipping weekends and the `closed` days."""
    current = day
    remaining = days
    while remaining > 0:
        current -= dt.timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            remaining -= 1
    return current


# --- the run ------------------------------------------------------------------------------------------


def _system_actor(organization: Organization) -> Actor:
    """The organization acting through the worker, so its patient scope comes from `patients_visible_to`."""
    return Actor(user=None, organization=organization, roles=frozenset({Role.COORDINATOR}))  # type: ignore[arg-type]  # no person acts


def upcoming_appointments(organization: Organization, now: dt.datetime, horizon: dt.timedelta) -> QuerySet:
    """The organization's booked or pending visits starting within `horizon`, of patients it may still see."""
    return (
        Appointment.objects.filter(
            organization=organization,
            status__in=REMINDABLE_STATUSES,
            start__gt=now,
            start__lt=now + horizon,
            patient__in=patients_visible_to(_system_actor(organization)),
        )
        .select_related(
            "organization", "patient", "practitioner", "location", "appointment_type", "external_organization"
        )
        .order_by("start", "id")
    )


def reminders_run(*, organization: Organization) -> Counter:
    """One reminder pass for the organization (see the module's docstring); returns what it did."""
    now = clock.now()
    policy = reminder_policy_for(organization)
    summary: Counter = Counter()
    summary["cancelled"] = _cancel_stale_for_organization(organization)
    if policy.enabled and policy.days_before:
        summary.update(_queue_due_reminders(organization, policy, now))
    summary.update(_create_needs_tasks(organization, policy, now))
    return +summary


def _preferences(organization: Organization, patient_ids) -> dict[int, PatientSchedulingPreference]:
    rows = PatientSchedulingPreference.objects.filter(organization=organization, patient_id__in=set(patient_ids))
    return {row.patient_id: row for row in rows}


def _queue_due_reminders(organization: Organization, policy: ReminderPolicy, now: dt.datetime) -> Counter:
    summary: Counter = Counter()
    horizon = dt.timedelta(days=max(policy.days_before) + 2)
    due = []
    for appointment in upcoming_appointments(organization, now, horizon):
        days = reminder_due(
            start=appointment.start, days_before=policy.days_before, send_time=policy.send_time,
            tz=organization.tz, now=now,
        )  # fmt: skip
        if days is not None:
            due.append((appointment, days))
    # Most runs find the reminders already queued: one query tells which, instead of one per visit.
    used = idempotency_keys_used(organization=organization, keys=[reminder_key(a, days) for a, days in due])
    due = [(a, days) for a, days in due if reminder_key(a, days) not in used]
    summary["already_queued"] += len(used)
    preferences = _preferences(organization, [a.patient_id for a, _ in due])
    for appointment, days in due:
        summary[_queue_reminder(appointment, days, preferences.get(appointment.patient_id))] += 1
    return summary


def _queue_reminder(appointment: Appointment, days: int, preference: PatientSchedulingPreference | None) -> str:
    """Queues one reminder; returns "queued", "already_queued" or "skipped_<why>"."""
    route = reminder_route(appointment.patient, preference.reminder_channel if preference else "")
    if route.skip:
        return f"skipped_{route.skip}"
    language, subject, body = reminder_text(appointment, appointment.patient.preferred_language)
    _, created = message_queue(
        organization=appointment.organization,
        patient=appointment.patient,
        channel=route.channel,
        to_address=route.address,
        language=language,
        subject=subject if route.channel == Channel.EMAIL else "",
        body=body,
        idempotency_key=reminder_key(appointment, days),
        kind=REMINDER_KIND,
        focus_type=APPOINTMENT_FOCUS,
        focus_id=appointment.public_id,
    )
    return "queued" if created else "already_queued"


def reminders_cancel_stale(appointment: Appointment) -> int:
    """Cancels the appointment's queued reminders unless it is still booked at the time they name."""
    keep: list[str] = []
    if appointment.status in REMINDABLE_STATUSES and appointment.start > clock.now():
        prefix = f"reminder:{appointment.public_id}:"
        suffix = f":{_utc_iso(appointment.start)}"
        queued = _queued_reminders(appointment.organization).filter(focus_id=appointment.public_id)
        keep = [
            key
            for key in queued.values_list("idempotency_key", flat=True)
            if key.startswith(prefix) and key.endswith(suffix)
        ]
    return messages_cancel_queued(
        organization=appointment.organization,
        focus_type=APPOINTMENT_FOCUS,
        focus_id=appointment.public_id,
        kind=REMINDER_KIND,
        keep_keys=keep,
    )


def _queued_reminders(organization: Organization):
    return queued_messages_about(organization=organization, kind=REMINDER_KIND, focus_type=APPOINTMENT_FOCUS)


def _cancel_stale_for_organization(organization: Organization) -> int:
    """Runs `reminders_cancel_stale` for each visit that has a queued reminder (a short list)."""
    focus_ids = set(_queued_reminders(organization).values_list("focus_id", flat=True))
    appointments = Appointment.objects.filter(organization=organization, public_id__in=focus_ids)
    return sum(reminders_cancel_stale(appointment) for appointment in appointments.select_related("organization"))


# --- transport and interpreter tasks ------------------------------------------------------------------

NEEDS = {
    "transport": ("Arrange transport", "Arrange the patient's transport to and from this visit."),
    "interpreter": ("Book an interpreter", "Book an interpreter for this visit."),
}


def visit_needs(appointment: Appointment, preference: PatientSchedulingPreference | None) -> list[str]:
    """What the visit needs a coordinator to arrange, from the appointment, the preferences and the patient."""
    needs = []
    wants_transport = appointment.needs_transport or bool(preference and preference.needs_transport)
    if transport_to_arrange(wants_transport, appointment):
        needs.append("transport")
    needed = (
        appointment.needs_interpreter
        or bool(preference and preference.needs_interpreter)
        or appointment.patient.interpreter_needed
    )
    if interpreter_to_arrange(needed, appointment.practitioner, appointment.patient.preferred_language):
        needs.append("interpreter")
    return needs


def _create_needs_tasks(organization: Organization, policy: ReminderPolicy, now: dt.datetime) -> Counter:
    summary: Counter = Counter()
    preferences = PatientSchedulingPreference.objects.filter(organization=organization).filter(
        Q(needs_transport=True) | Q(needs_interpreter=True)
    )
    appointments = upcoming_appointments(organization, now, NEEDS_HORIZON).filter(
        Q(needs_transport=True)
        | Q(needs_interpreter=True)
        | Q(patient__interpreter_needed=True)
        | Q(Exists(preferences.filter(patient=OuterRef("patient"))))
    )
    wanted = []
    by_patient = {p.patient_id: p for p in preferences}
    for appointment in appointments:
        for need in visit_needs(appointment, by_patient.get(appointment.patient_id)):
            wanted.append((appointment, need, need_task_key(appointment, need)))
    existing = set(
        Task.objects.filter(organization=organization, dedupe_key__in=[key for *_, key in wanted]).values_list(
            "dedupe_key", flat=True
        )
    )
    for appointment, need, key in wanted:
        if key in existing:
            continue
        preference = by_patient.get(appointment.patient_id)
        summary[_create_need_task(appointment, need, key, policy, preference)] += 1
    return summary


def _create_need_task(appointment, need: str, key: str, policy: ReminderPolicy, preference) -> str:
    organization = appointment.organization
    tz = organization.tz
    visit_day = appointment.start.astimezone(tz).date()
    lead = policy.needs_task_days_before
    closed = closed_days(organization, visit_day - dt.timedelta(days=lead * 2 + 14), visit_day)
    due = max(business_days_before(visit_day, lead, closed=closed), clock.today_in(tz))
    title, description = NEEDS[need]
    when = timefmt.date_time(appointment.start, tz)
    if need == "transport" and preference and preference.transport_note:
        description += f" Note: {preference.transport_note}"
    coordinator = patient_coordinator(organization, appointment.patient)
    try:
        task_create(
            actor=None,
            organization=organization,
            patient=appointment.patient,
            kind=TaskKind.OTHER,
            title=f"{title} for the visit on {when}",
            description=description,
            due_date=due,
            owner=coordinator,
            owner_role="" if coordinator else Role.COORDINATOR,
            source=TaskSource.SCHEDULING,
            focus_type=APPOINTMENT_FOCUS,
            focus_id=appointment.public_id,
            dedupe_key=key,
        )
    except NotFoundError:
        return f"{need}_task_patient_not_visible"
    return f"{need}_task_created"


def patient_coordinator(organization: Organization, patient: Patient) -> User | None:
    """The patient's coordinator on today's care team who is an active member of the organization, if any."""
    today = clock.today_in(organization.tz)
    members_here = Membership.objects.filter(user=OuterRef("user"), organization=organization, active=True)
    member = (
        patient.care_team.filter(role="coordinator", user__isnull=False, user__is_active=True, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Exists(members_here))
        .select_related("user")
        .order_by("start_date", "id")
        .first()
    )
    return member.user if member else None
