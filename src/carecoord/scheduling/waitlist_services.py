"""
The waitlist: patients waiting for an earlier slot, and the offers a freed or free slot turns into.

Map:
- reads: `waitlist_entries_visible_to`, `waitlist_entry_get`, `open_waitlist`.
- `waitlist_add`, `waitlist_accept`, `waitlist_decline`, `waitlist_remove` — a person's actions.
- `waitlist_offer_freed_time` — a cancelled or moved appointment's time to the first waiting patient it fits
  (the `appointment_freed` receiver); `waitlist_offer_open_slots` and `waitlist_expire_offers` — the job.

An offer reserves nothing: it is a worklist task for the patient's coordinator, who accepts (books it, and
cancels the appointment the patient wanted earlier, in one transaction) or declines. A time once offered to
an entry is never offered to it again (its task's dedupe key remembers it).
"""

import datetime as dt
import logging
import uuid

from django.db import transaction
from django.db.models import Q, QuerySet

from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource, TaskStatus
from carecoord.careplans.models import Task
from carecoord.careplans.services import task_create, task_set_status
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get, patients_visible_to

from . import slots as slot_math
from .choices import BLOCKING_STATUSES, RESCHEDULABLE_STATUSES, AppointmentStatus, CancellationReason, WaitlistStatus
from .models import Appointment, AppointmentType, PatientSchedulingPreference, PractitionerSchedule, WaitlistEntry
from .outside_services import system_actor
from .selectors import slots_available
from .services import _own, _require_scheduler, appointment_book, appointment_cancel
from .worklist_selectors import task_owner_for

logger = logging.getLogger(__name__)

OPEN_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
MOVED_NOTE = "moved earlier from waitlist"


class OfferTakenError(ConflictError):
    """The offered time can no longer be booked (taken meanwhile, or no longer in the practitioner's hours)."""


# Reads --------------------------------------------------------------------------------------------------------


def waitlist_entries_visible_to(actor: Actor) -> QuerySet[WaitlistEntry]:
    """The organization's waitlist entries for patients the actor may see."""
    return WaitlistEntry.objects.filter(
        organization=actor.organization, patient__in=patients_visible_to(actor)
    ).select_related(
        "patient",
        "appointment_type",
        "practitioner",
        "location",
        "current_appointment",
        "offered_practitioner",
        "offered_location",
    )


def waitlist_entry_get(actor: Actor, public_id) -> WaitlistEntry:
    """The entry if the actor may see it; NotFoundError otherwise."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    entry = waitlist_entries_visible_to(actor).filter(public_id=key).first()
    if entry is None:
        raise NotFoundError()
    return entry


def open_waitlist(actor: Actor) -> QuerySet[WaitlistEntry]:
    """Waiting and offered entries, offers first, then first come first served."""
    return waitlist_entries_visible_to(actor).filter(status__in=OPEN_STATUSES).order_by("-status", "created_at", "id")


# A person's actions -------------------------------------------------------------------------------------------


@transaction.atomic
def waitlist_add(
    *,
    actor: Actor,
    patient: Patient,
    appointment_type: AppointmentType,
    earliest_date: dt.date,
    latest_date: dt.date,
    practitioner: Practitioner | None = None,
    location: Location | None = None,
    current_appointment: Appointment | None = None,
    note: str = "",
) -> WaitlistEntry:
    """Puts a patient on the waitlist for a kind of visit in a window of days."""
    _require_scheduler(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _own(actor, appointment_type)
    if practitioner is not None:
        _own(actor, practitioner)
    if location is not None:
        _own(actor, location)
    if earliest_date > latest_date:
        raise ValidationError("The window ends before it starts.", field="latest_date")
    if latest_date < clock.today_in(actor.organization.tz):
        raise ValidationError("The window is already over.", field="latest_date")
    if current_appointment is not None:
        _check_current(actor, patient, current_appointment)
    if WaitlistEntry.objects.filter(
        organization=actor.organization, patient=patient, appointment_type=appointment_type, status__in=OPEN_STATUSES
    ).exists():
        raise ConflictError(f"The patient is already on the waitlist for {appointment_type.name}.")
    entry = WaitlistEntry.objects.create(
        organization=actor.organization,
        patient=patient,
        appointment_type=appointment_type,
        practitioner=practitioner,
        location=location,
        current_appointment=current_appointment,
        earliest_date=earliest_date,
        latest_date=latest_date,
        note=note.strip()[:300],
        created_by=actor.user,
    )
    audit_record(actor=actor, event="waitlist.add", action=AuditAction.CREATE, target=entry, patient=patient)
    return entry


def _check_current(actor: Actor, patient: Patient, appointment: Appointment) -> None:
    if appointment.organization_id != actor.organization.pk or appointment.patient_id != patient.pk:
        raise NotFoundError()
    if appointment.is_outside or appointment.status not in (AppointmentStatus.PENDING, AppointmentStatus.BOOKED):
        raise ValidationError("Choose one of the patient's booked appointments here.", field="current_appointment")


def _locked(actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """The entry re-read for the actor and locked until the transaction ends."""
    _require_scheduler(actor)
    visible = waitlist_entry_get(actor, entry.public_id)
    # Locked without joins: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return WaitlistEntry.objects.select_for_update().get(pk=visible.pk)


def waitlist_accept(*, actor: Actor, entry: WaitlistEntry) -> Appointment:
    """
    Books the offered time (cancelling the appointment the patient wanted earlier, with reason "patient"), all
    or nothing. When the time was taken meanwhile, the entry goes back to waiting and OfferTakenError says so.
    """
    try:
        return _book_offer(actor, entry)
    except OfferTakenError as exc:
        _back_to_waiting(entry, note="The offered time was taken before it was accepted.", actor=actor)
        raise OfferTakenError(f"{exc.message} The patient is back on the waitlist.") from exc


@transaction.atomic
def _book_offer(actor: Actor, entry: WaitlistEntry) -> Appointment:
    current = _locked(actor, entry)
    if current.status != WaitlistStatus.OFFERED:
        raise InvalidStateError("There is no offer to accept for this patient any more.")
    earlier = current.current_appointment
    try:
        with transaction.atomic():
            if earlier is not None and earlier.status in RESCHEDULABLE_STATUSES:
                # Cancelled first, so the new time may overlap the old one; a failed booking rolls this back.
                appointment_cancel(actor=actor, appointment=earlier, reason=CancellationReason.PATIENT, note=MOVED_NOTE)
            appointment = appointment_book(
                actor=actor,
                patient=current.patient,
                practitioner=current.offered_practitioner,
                location=current.offered_location,
                appointment_type=current.appointment_type,
                start=current.offered_start,
                notes="Booked from the waitlist.",
            )
    except (ConflictError, ValidationError) as exc:
        raise OfferTakenError(f"That time can no longer be booked: {exc.message}") from exc
    except NotFoundError as exc:  # the practitioner, location or type was retired since the offer
        raise OfferTakenError("That time can no longer be booked.") from exc
    current.status, current.booked_appointment = WaitlistStatus.BOOKED, appointment
    save_versioned(current, expected_version=current.version, fields=["status", "booked_appointment"])
    audit_record(
        actor=actor, event="waitlist.accept", action=AuditAction.UPDATE, target=current, patient=current.patient
    )
    _close_offer_tasks(current, TaskStatus.COMPLETED, "Offer accepted; the appointment is booked.", actor=actor)
    return appointment


@transaction.atomic
def _back_to_waiting(entry: WaitlistEntry, *, note: str, actor: Actor | None = None) -> None:
    current = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if current.status != WaitlistStatus.OFFERED:
        return
    _clear_offer(current)
    current.status = WaitlistStatus.WAITING
    fields = ["status", "offered_start", "offered_practitioner", "offered_location", "offered_at"]
    save_versioned(current, expected_version=current.version, fields=fields)
    audit_record(
        actor=actor,
        organization=current.organization,
        event="waitlist.waiting",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
        detail={"note": note},
    )
    _close_offer_tasks(current, TaskStatus.CANCELLED, note, actor=actor)


def _clear_offer(entry: WaitlistEntry) -> None:
    entry.offered_start = entry.offered_practitioner = entry.offered_location = entry.offered_at = None


@transaction.atomic
def waitlist_decline(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """The patient does not want the offered time: back to waiting (that time is not offered to them again)."""
    current = _locked(actor, entry)
    if current.status != WaitlistStatus.OFFERED:
        raise InvalidStateError("There is no offer to decline for this patient any more.")
    _back_to_waiting(current, note="Offer declined.", actor=actor)
    current.refresh_from_db()
    return current


@transaction.atomic
def waitlist_remove(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """Takes the patient off the waitlist, cancelling any open offer."""
    current = _locked(actor, entry)
    if current.status not in OPEN_STATUSES:
        raise InvalidStateError("The patient is no longer on the waitlist.")
    _clear_offer(current)
    current.status = WaitlistStatus.REMOVED
    fields = ["status", "offered_start", "offered_practitioner", "offered_location", "offered_at"]
    save_versioned(current, expected_version=current.version, fields=fields)
    audit_record(
        actor=actor, event="waitlist.remove", action=AuditAction.UPDATE, target=current, patient=current.patient
    )
    _close_offer_tasks(current, TaskStatus.CANCELLED, "Removed from the waitlist.", actor=actor)
    return current


# Offers -------------------------------------------------------------------------------------------------------


def offer_key_prefix(entry: WaitlistEntry) -> str:
    return f"waitlist-offer:{entry.public_id}:"


def offer_key(entry: WaitlistEntry, start: dt.datetime) -> str:
    return f"{offer_key_prefix(entry)}{start.astimezone(dt.UTC):%Y%m%dT%H%MZ}"


def _close_offer_tasks(entry: WaitlistEntry, status: str, note: str, *, actor: Actor | None) -> None:
    by = actor or system_actor(entry.organization)
    tasks = Task.objects.filter(
        organization=entry.organization, dedupe_key__startswith=offer_key_prefix(entry), status__in=OPEN_TASK_STATUSES
    )
    for task in tasks:
        task_set_status(actor=by, task=task, status=status, note=note, expected_version=task.version)


def _offered_before(entries: list[WaitlistEntry]) -> set[str]:
    """The dedupe keys of every offer ever made to these entries (one query)."""
    if not entries:
        return set()
    organization = entries[0].organization
    prefixes = Q()
    for entry in entries:
        prefixes |= Q(dedupe_key__startswith=offer_key_prefix(entry))
    return set(Task.objects.filter(prefixes, organization=organization).values_list("dedupe_key", flat=True))


def slot_label(start: dt.datetime, tz) -> str:
    """An offered time as a coordinator reads it, e.g. "Mon 11/30/2026 9:00 AM"."""
    return timefmt.day_date_time(start, tz)


@transaction.atomic
def _offer(entry: WaitlistEntry, *, start: dt.datetime, practitioner: Practitioner, location: Location) -> bool:
    """Marks a waiting entry offered and puts the offer on the coordinator's worklist; False if it moved on."""
    current = WaitlistEntry.objects.select_for_update().select_related("patient", "organization").get(pk=entry.pk)
    if current.status != WaitlistStatus.WAITING:
        return False
    organization = current.organization
    current.status = WaitlistStatus.OFFERED
    current.offered_start, current.offered_practitioner, current.offered_location = start, practitioner, location
    current.offered_at = clock.now()
    fields = ["status", "offered_start", "offered_practitioner", "offered_location", "offered_at"]
    save_versioned(current, expected_version=current.version, fields=fields)
    audit_record(
        organization=organization,
        event="waitlist.offer",
        action=AuditAction.UPDATE,
        target=current,
        patient=current.patient,
        detail={"start": start.isoformat(), "practitioner": str(practitioner.public_id)},
    )
    owner = task_owner_for(organization, current.patient, fallback=current.created_by)
    task_create(
        actor=None,
        organization=organization,
        patient=current.patient,
        kind=TaskKind.SCHEDULE,
        title=f"Earlier slot available for {current.patient.display_name}: {slot_label(start, organization.tz)}",
        description=f"{entry.appointment_type.name} with {practitioner} at {location}. "
        "Accept or decline it on the waitlist page.",
        due_date=clock.today_in(organization.tz),
        owner=owner,
        owner_role="" if owner else Role.COORDINATOR,
        source=TaskSource.SCHEDULING,
        focus_type="scheduling.WaitlistEntry",
        focus_id=current.public_id,
        dedupe_key=offer_key(current, start),
    )
    entry.status = current.status
    return True


def _preferences(organization: Organization, patient_ids) -> dict[int, PatientSchedulingPreference]:
    rows = PatientSchedulingPreference.objects.filter(organization=organization, patient_id__in=patient_ids)
    return {row.patient_id: row for row in rows}


def preference_fits(preference: PatientSchedulingPreference | None, start: dt.datetime, end: dt.datetime, tz) -> bool:
    """Whether a visit falls on one of the patient's days and inside their hours (no preference: any time)."""
    if preference is None:
        return True
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if preference.weekdays and local_start.weekday() not in preference.weekdays:
        return False
    window = _time_window(preference)
    return window is None or window.contains(local_start.time(), local_end.time())


def _time_window(preference: PatientSchedulingPreference | None) -> slot_math.TimeWindow | None:
    if preference is None or (preference.earliest_time is None and preference.latest_time is None):
        return None
    return slot_math.TimeWindow(preference.earliest_time or dt.time(0), preference.latest_time or dt.time(23, 59))


def waitlist_offer_freed_time(
    *, appointment: Appointment, start: dt.datetime, end: dt.datetime, practitioner, location
) -> WaitlistEntry | None:
    """Offers a freed time to the first waiting entry it fits (first come, first served); returns that entry."""
    if appointment.is_outside or practitioner is None or location is None or start <= clock.now():
        return None
    organization = appointment.organization
    tz = organization.tz
    local_day = start.astimezone(tz).date()
    for entry in _candidates_for(organization, practitioner, location, start, end, local_day):
        finish = start + dt.timedelta(minutes=entry.appointment_type.duration_minutes)
        if _practitioner_busy(practitioner, start, finish):
            continue
        if _offer(entry, start=start, practitioner=practitioner, location=location):
            return entry
    return None


def _candidates_for(organization, practitioner, location, start, end, local_day) -> list[WaitlistEntry]:
    """Waiting entries the freed time fits, oldest first (type, duration, whom and where, window, patient)."""
    offered_types = PractitionerSchedule.objects.filter(
        organization=organization,
        practitioner=practitioner,
        location=location,
        weekday=local_day.weekday(),
        active=True,
    ).values("appointment_types")
    entries = list(
        WaitlistEntry.objects.filter(
            Q(practitioner__isnull=True) | Q(practitioner=practitioner),
            Q(location__isnull=True) | Q(location=location),
            organization=organization,
            status=WaitlistStatus.WAITING,
            appointment_type__in=offered_types,
            appointment_type__active=True,
            appointment_type__duration_minutes__lte=(end - start).total_seconds() // 60,
            earliest_date__lte=local_day,
            latest_date__gte=local_day,
            patient__in=patients_visible_to(system_actor(organization)),
        )
        .select_related("patient", "appointment_type", "current_appointment", "organization")
        .order_by("created_at", "id")
    )
    if not entries:
        return []
    preferences = _preferences(organization, {e.patient_id for e in entries})
    offered = _offered_before(entries)
    busy = _patients_busy({e.patient_id for e in entries}, start, end)
    fitting = []
    for entry in entries:
        finish = start + dt.timedelta(minutes=entry.appointment_type.duration_minutes)
        earlier = _still_booked(entry.current_appointment)
        if earlier is not None and start >= earlier.start:
            continue
        if offer_key(entry, start) in offered or not preference_fits(
            preferences.get(entry.patient_id), start, finish, organization.tz
        ):
            continue
        if any(s < finish and start < e and pk != getattr(earlier, "pk", None) for pk, s, e in busy[entry.patient_id]):
            continue
        fitting.append(entry)
    return fitting


def _still_booked(appointment: Appointment | None) -> Appointment | None:
    return appointment if appointment is not None and appointment.status in RESCHEDULABLE_STATUSES else None


def _patients_busy(patient_ids, start, end) -> dict[int, list[tuple[int, dt.datetime, dt.datetime]]]:
    busy: dict[int, list] = {pk: [] for pk in patient_ids}
    rows = Appointment.objects.filter(
        patient_id__in=patient_ids, status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start
    ).values_list("patient_id", "pk", "start", "end")
    for patient_id, pk, s, e in rows:
        busy[patient_id].append((pk, s, e))
    return busy


def _practitioner_busy(practitioner: Practitioner, start: dt.datetime, end: dt.datetime) -> bool:
    return Appointment.objects.filter(
        practitioner=practitioner, status__in=BLOCKING_STATUSES, start__lt=end, end__gt=start
    ).exists()


# The job ------------------------------------------------------------------------------------------------------


def waitlist_expire_offers(*, organization: Organization) -> int:
    """Puts entries whose offered time has passed back to waiting; returns how many."""
    stale = WaitlistEntry.objects.filter(
        organization=organization, status=WaitlistStatus.OFFERED, offered_start__lte=clock.now()
    )
    count = 0
    for entry in stale:
        _back_to_waiting(entry, note="The offered time passed without an answer.")
        count += 1
    return count


def waitlist_offer_open_slots(*, organization: Organization) -> list[WaitlistEntry]:
    """
    Offers each waiting entry (oldest first) the earliest free slot that fits it and was never offered to it,
    so slots that were always free reach people too. Never offers one time to two entries at once.
    """
    actor = system_actor(organization)
    today = clock.today_in(organization.tz)
    entries = list(
        WaitlistEntry.objects.filter(
            organization=organization,
            status=WaitlistStatus.WAITING,
            latest_date__gte=today,
            appointment_type__active=True,
            patient__in=patients_visible_to(actor),
        )
        .select_related(
            "patient", "appointment_type", "practitioner", "location", "current_appointment", "organization"
        )
        .order_by("created_at", "id")
    )
    if not entries:
        return []
    preferences = _preferences(organization, {e.patient_id for e in entries})
    offered = _offered_before(entries)
    taken = _times_on_offer(organization)
    made = []
    for entry in entries:
        slot = _first_open_slot(actor, entry, preferences.get(entry.patient_id), offered, taken, today)
        if slot is not None and _offer(entry, start=slot.start, practitioner=slot.practitioner, location=slot.location):
            taken.append((slot.practitioner.pk, slot.start, slot.end))
            made.append(entry)
    return made


def _times_on_offer(organization: Organization) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Times offered to an entry and not yet answered (practitioner, start, end)."""
    rows = WaitlistEntry.objects.filter(
        organization=organization, status=WaitlistStatus.OFFERED, offered_start__gt=clock.now()
    ).values_list("offered_practitioner_id", "offered_start", "appointment_type__duration_minutes")
    return [(pk, start, start + dt.timedelta(minutes=minutes)) for pk, start, minutes in rows]


def _first_open_slot(actor, entry, preference, offered, taken, today):
    earlier = _still_booked(entry.current_appointment)
    first_day = max(entry.earliest_date, today)
    last_day = entry.latest_date
    if earlier is not None:
        last_day = min(last_day, earlier.start.astimezone(actor.organization.tz).date())
    if first_day > last_day:
        return None
    window = _time_window(preference)
    slots = slots_available(
        actor,
        appointment_type=entry.appointment_type,
        first_day=first_day,
        last_day=last_day,
        location=entry.location,
        practitioners=[entry.practitioner] if entry.practitioner else None,
        patient=entry.patient,
        patient_weekdays=(preference.weekdays or None) if preference else None,
        patient_times=[window] if window else None,
        limit=100,
    )
    for slot in slots:
        if earlier is not None and slot.start >= earlier.start:
            return None
        if offer_key(entry, slot.start) in offered:
            continue
        if any(pk == slot.practitioner.pk and s < slot.end and slot.start < e for pk, s, e in taken):
            continue
        return slot
    return None
