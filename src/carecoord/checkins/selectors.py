"""
Reads of check-ins: the organization's policy, a patient's cadence, outreach, notes and assessments, the
safety alert of the chart header, and the patient timeline (one query per kind of record, merged here).

Check-in records are read by the organization that wrote them and, like care plans, across a share: a partner
reads the home organization's, the home organization reads every partner's (`readable_writers_q`); every read
starts from `patients_visible_to`.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse

from carecoord.careplans.choices import CarePlanStatus, GoalLifecycleStatus
from carecoord.careplans.models import Goal, Task
from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.core.models import Membership, Organization, User
from carecoord.core.units import unit_label
from carecoord.patients.models import CareTeamMember, Patient
from carecoord.patients.selectors import may_read_record, patients_visible_to, readable_writers_q
from carecoord.scheduling.selectors import appointments_for_patient

from .choices import FAILED_OUTCOMES, OutreachOutcome, TimeSource
from .instruments import INSTRUMENTS
from .measures import MEASURES
from .models import (
    Assessment,
    CheckinCadence,
    CheckinPolicy,
    Measurement,
    OutreachAttempt,
    ProgressNote,
    TimeEntry,
)

ACTIVE_PLAN_STATUSES = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD, CarePlanStatus.DRAFT)
OPEN_GOAL_STATUSES = (
    GoalLifecycleStatus.PROPOSED,
    GoalLifecycleStatus.PLANNED,
    GoalLifecycleStatus.ACCEPTED,
    GoalLifecycleStatus.ACTIVE,
    GoalLifecycleStatus.ON_HOLD,
)


def checkin_policy_for(organization: Organization) -> CheckinPolicy:
    """The organization's check-in policy, or the defaults (unsaved) when it has not set one."""
    return CheckinPolicy.objects.filter(organization=organization).first() or CheckinPolicy(organization=organization)


# Progress notes, screening answers (and the urgent-screening safety banner drawn from them) and measurements
# are clinical documentation and results: read only by the roles that write patient records. A scheduler sees
# the chart and its calendar, not what was said on a call, how a screening came out or a blood pressure
# (minimum necessary, 45 CFR 164.502(b); RELIABILITY T15). `sees_clinical_results` is the one rule; the
# selectors below and progress_selectors apply it, so every page, tab and timeline follows.
DOCUMENTATION_MODELS = (ProgressNote, Assessment, Measurement)


def sees_clinical_results(actor: Actor | None) -> bool:
    """Whether the actor may read clinical documentation and results (notes, screenings, measurements)."""
    return actor is not None and actor.can_edit_patients


def _documentation_hidden(queryset: QuerySet, actor: Actor) -> bool:
    return queryset.model in DOCUMENTATION_MODELS and not sees_clinical_results(actor)


def _scope(queryset: QuerySet, actor: Actor, patient: Patient) -> QuerySet:
    """One patient's records if the actor sees them, by a writer the actor may read (`readable_writers_q`)."""
    if _documentation_hidden(queryset, actor):
        return queryset.none()
    return queryset.filter(patient=patient, patient__in=patients_visible_to(actor)).filter(
        readable_writers_q(actor, patient)
    )


def _get(queryset: QuerySet, actor: Actor, public_id, *related: str):
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    if _documentation_hidden(queryset, actor):
        raise NotFoundError()
    record = (
        queryset.filter(public_id=key, patient__in=patients_visible_to(actor))
        .select_related("patient", "patient__organization", *related)
        .first()
    )
    if record is None or not may_read_record(actor, record.organization_id, record.patient.organization_id):
        raise NotFoundError()
    return record


# Cadence and outreach ---------------------------------------------------------------------------------------


def active_cadence(actor: Actor, patient: Patient) -> CheckinCadence | None:
    """The patient's active check-in cadence in the actor's organization, if any."""
    return (
        CheckinCadence.objects.filter(organization=actor.organization, patient=patient, active=True)
        .select_related("careplan", "set_by")
        .first()
    )


def cadence_get(actor: Actor, public_id) -> CheckinCadence:
    cadence = _get(CheckinCadence.objects.all(), actor, public_id)
    if cadence.organization_id != actor.organization.pk:
        raise NotFoundError()
    return cadence


def outreach_for_patient(actor: Actor, patient: Patient, *, limit: int = 20) -> list[OutreachAttempt]:
    return list(
        _scope(OutreachAttempt.objects.all(), actor, patient).select_related(
            "by", "related_person", "task", "organization"
        )[:limit]
    )


# A patient reached by another organization has been reached: the call counts for every organization that may
# read it (the rule of `_scope`, `readable_writers_q`): the writer's own; for a call of the patient's home
# organization, each partner the patient is shared with; for a partner's call, the home organization. A partner
# never counts another partner's call (docs/security.md, "A shared patient's records").
def _calls_seen_by(organization_id: int, patient: Patient) -> QuerySet[OutreachAttempt]:
    calls = OutreachAttempt.objects.filter(patient=patient)
    if organization_id == patient.organization_id:
        return calls
    return calls.filter(organization_id__in=(organization_id, patient.organization_id))


def failed_run(organization: Organization, patient: Patient) -> list[OutreachAttempt]:
    """
    The organization's failed attempts since the patient was last reached (or declined) by a call it may read
    (`_calls_seen_by`), oldest first.
    """
    last_answered = (
        _calls_seen_by(organization.pk, patient)
        .exclude(outcome__in=FAILED_OUTCOMES)
        .order_by("-occurred_at", "-id")
        .values("occurred_at")
        .first()
    )
    run = OutreachAttempt.objects.filter(organization=organization, patient=patient, outcome__in=FAILED_OUTCOMES)
    if last_answered:
        run = run.filter(occurred_at__gt=last_answered["occurred_at"])
    return list(run.order_by("occurred_at", "id"))


@dataclass(frozen=True)
class LastContact:
    """The latest call that reached the patient, and who made it ("Emily Novak, Northside"; "" when unknown)."""

    at: dt.datetime
    by: str = ""


def last_reached_call(actor: Actor, patient: Patient) -> OutreachAttempt | None:
    """The latest call that reached the patient among those the actor may read (`readable_writers_q`)."""
    return (
        _scope(OutreachAttempt.objects.filter(outcome=OutreachOutcome.REACHED), actor, patient)
        .select_related("by", "organization")
        .order_by("-occurred_at", "-id")
        .first()
    )


def cadence_next_due(cadence: CheckinCadence, reached_at: dt.datetime | None, tz: dt.tzinfo) -> dt.date:
    """
    When the cadence's next check-in falls, counting a reach the cadence's own calls did not record: one
    interval after a call of another organization (the home one, or for the home a partner) that came after the
    cadence's last contact and after the cadence was set (a cadence set later already counted it, or was given
    its first date on purpose).
    """
    since = max(cadence.last_contact_at or cadence.created_at, cadence.created_at)
    if reached_at is None or reached_at <= since:
        return cadence.next_due
    return reached_at.astimezone(tz).date() + dt.timedelta(days=cadence.interval_days)


@dataclass(frozen=True)
class CheckinStatus:
    next_due: dt.date | None
    last_contact: LastContact | None


def checkin_status(actor: Actor, patient: Patient, cadence: CheckinCadence | None) -> CheckinStatus:
    """The Check-ins tab's last contact and next due date, counting the calls the actor may read. One query."""
    call = last_reached_call(actor, patient)
    contact = LastContact(call.occurred_at, f"{call.by.full_name}, {call.organization.name}") if call else None
    if cadence is None:
        return CheckinStatus(None, contact)
    if cadence.last_contact_at and (contact is None or cadence.last_contact_at > contact.at):
        contact = LastContact(cadence.last_contact_at)
    reached_at = call.occurred_at if call else None
    return CheckinStatus(cadence_next_due(cadence, reached_at, actor.organization.tz), contact)


def failed_run_length(actor: Actor, patient: Patient) -> int:
    """How many attempts in a row have not reached the patient (for the Check-ins tab)."""
    return len(failed_run(actor.organization, patient))


def coordinator_of(organization: Organization, patient: Patient) -> User | None:
    """The patient's current coordinator on the care team who is an active member of `organization`."""
    today = clock.today_in(organization.tz)
    members_here = Membership.objects.filter(user=OuterRef("user"), organization=organization, active=True)
    member = (
        CareTeamMember.objects.filter(
            patient=patient, role="coordinator", user__isnull=False, user__is_active=True, start_date__lte=today
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Exists(members_here))
        .select_related("user")
        .order_by("start_date", "id")
        .first()
    )
    return member.user if member else None


def open_goals_for(actor: Actor, patient: Patient) -> list[Goal]:
    """The patient's open goals on their active (or draft, or on-hold) care plans, for a note's goal section."""
    return list(
        Goal.objects.filter(
            patient=patient,
            patient__in=patients_visible_to(actor),
            careplan__status__in=ACTIVE_PLAN_STATUSES,
            lifecycle_status__in=OPEN_GOAL_STATUSES,
        )
        .filter(Q(organization=actor.organization) | Q(organization=patient.organization_id))
        .select_related("careplan", "careplan__author", "careplan__organization")
        .order_by("careplan__title", "careplan_id", "id")  # each plan's goals together, two plans of one title apart
    )


# Notes and assessments --------------------------------------------------------------------------------------


def notes_for_patient(actor: Actor, patient: Patient) -> list[ProgressNote]:
    """The patient's progress notes, newest first, with their addenda and assessments."""
    return list(
        _scope(ProgressNote.objects.all(), actor, patient)
        .select_related("author", "signed_by")
        .prefetch_related("addenda__author", "assessments")
    )


def note_get(actor: Actor, public_id, *, audit_event: str | None = "note.view") -> ProgressNote:
    """A progress note the actor may read; every read is audited with the patient."""
    note = _get(ProgressNote.objects.all(), actor, public_id, "author", "signed_by", "outreach")
    if audit_event:
        audit_record(actor=actor, event=audit_event, action=AuditAction.READ, target=note, patient=note.patient)
    return note


def assessments_for_patient(actor: Actor, patient: Patient) -> list[Assessment]:
    return list(_scope(Assessment.objects.all(), actor, patient).select_related("by", "note"))


def assessment_get(actor: Actor, public_id, *, audit_event: str | None = "assessment.view") -> Assessment:
    assessment = _get(Assessment.objects.all(), actor, public_id, "by", "note")
    if audit_event:
        audit_record(
            actor=actor, event=audit_event, action=AuditAction.READ, target=assessment, patient=assessment.patient
        )
    return assessment


@dataclass(frozen=True)
class SafetyAlert:
    assessment: Assessment

    @property
    def occurred_at(self) -> dt.datetime:
        return self.assessment.occurred_at


def safety_alert_for(actor: Actor, patient: Patient) -> SafetyAlert | None:
    """
    The latest urgent assessment (a positive PHQ-9 item 9) not followed by a PHQ-9 that is not urgent (item 9
    answered "Not at all": item 9 is the only thing that makes an assessment urgent), or None. One query.
    A screening result: None, without a query, for roles that do not read clinical results (the scheduler).
    """
    if actor is None or not actor.can_see_patients or not sees_clinical_results(actor):
        return None
    cleared_later = Assessment.objects.filter(
        patient=OuterRef("patient"),
        instrument="phq9",
        urgent=False,
        occurred_at__gt=OuterRef("occurred_at"),
    )
    urgent = (
        Assessment.objects.filter(patient=patient, urgent=True, patient__in=patients_visible_to(actor))
        .filter(readable_writers_q(actor, patient))
        .exclude(Exists(cleared_later))
        .order_by("-occurred_at", "-id")
        .first()
    )
    return SafetyAlert(urgent) if urgent else None


@dataclass(frozen=True)
class ScorePoint:
    at: dt.datetime
    total: int
    band: str


def assessment_series(assessments: list[Assessment]) -> dict[str, list[ScorePoint]]:
    """Each instrument's scores oldest first (from an already fetched list, no query)."""
    series: dict[str, list[ScorePoint]] = {key: [] for key in INSTRUMENTS}
    for a in sorted(assessments, key=lambda a: (a.occurred_at, a.pk)):
        if a.instrument in series:
            series[a.instrument].append(ScorePoint(a.occurred_at, a.total, a.band))
    return {key: points for key, points in series.items() if points}


# The timeline -----------------------------------------------------------------------------------------------

TIMELINE_KINDS = {
    "note": "Notes",
    "outreach": "Outreach",
    "assessment": "Assessments",
    "measurement": "Measurements",
    "time": "Time",
    "task": "Tasks",
    "appointment": "Appointments",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str
    title: str
    detail: str
    url: str
    sort_key: tuple
    # Time entered by hand is minutes for a day, stored at noon of it: it has a date, not a clock time.
    date_only: bool = False


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _in_range(queryset: QuerySet, field: str, start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    if start is not None:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


def _timeline_rows(actor: Actor, patient: Patient, kind: str, start, end, limit: int) -> list[TimelineEntry]:
    """One query: the newest `limit` entries of one kind in the range."""
    builder = _TIMELINE_BUILDERS[kind]
    return builder(actor, patient, start, end, limit)


def _notes_rows(actor, patient, start, end, limit):
    rows = _in_range(_scope(ProgressNote.objects.all(), actor, patient), "occurred_at", start, end)
    return [
        TimelineEntry(
            n.occurred_at,
            "note",
            n.title,
            f"{n.get_template_display()} · {n.get_status_display()}",
            reverse("checkins:note_detail", args=[n.public_id]),
            (n.occurred_at, n.pk),
        )
        for n in rows.order_by("-occurred_at", "-id")[:limit]
    ]


def _outreach_rows(actor, patient, start, end, limit):
    rows = _in_range(_scope(OutreachAttempt.objects.all(), actor, patient), "occurred_at", start, end)
    tab = reverse("checkins:patient_checkins", args=[patient.public_id])
    return [
        TimelineEntry(
            o.occurred_at,
            "outreach",
            f"{o.get_method_display()}: {o.get_outcome_display()}",
            o.note,
            f"{tab}#outreach-{o.public_id}",
            (o.occurred_at, o.pk),
        )
        for o in rows.order_by("-occurred_at", "-id")[:limit]
    ]


def _assessment_rows(actor, patient, start, end, limit):
    rows = _in_range(_scope(Assessment.objects.all(), actor, patient), "occurred_at", start, end)
    entries = []
    for a in rows.order_by("-occurred_at", "-id")[:limit]:
        title = INSTRUMENTS[a.instrument].title if a.instrument in INSTRUMENTS else a.instrument
        entries.append(
            TimelineEntry(
                a.occurred_at,
                "assessment",
                f"{title}: {a.total}",
                a.band,
                reverse("checkins:assessment_detail", args=[a.public_id]),
                (a.occurred_at, a.pk),
            )
        )
    return entries


def _measurement_rows(actor, patient, start, end, limit):
    rows = _in_range(
        _scope(Measurement.objects.filter(entered_in_error=False), actor, patient), "occurred_at", start, end
    )
    progress = f"/patients/{patient.public_id}/progress/"
    entries = []
    for m in rows.order_by("-occurred_at", "-id")[:limit]:
        value = f"{m.value.normalize():f}" + (f"/{m.value2.normalize():f}" if m.value2 is not None else "")
        entries.append(
            TimelineEntry(
                m.occurred_at, "measurement", _measurement_text(m, value), m.note, progress, (m.occurred_at, m.pk)
            )
        )
    return entries


def _time_rows(actor, patient, start, end, limit):
    rows = _in_range(_scope(TimeEntry.objects.filter(entered_in_error=False), actor, patient), "started_at", start, end)
    progress = f"/patients/{patient.public_id}/progress/"
    return [
        TimelineEntry(
            t.started_at,
            "time",
            _time_title(t),
            f"{t.user.full_name}{' · ' + t.note if t.note else ''}",
            progress,
            (t.started_at, t.pk),
            date_only=t.source == TimeSource.MANUAL,
        )
        for t in rows.select_related("user").order_by("-started_at", "-id")[:limit]
    ]


def _time_title(entry: TimeEntry) -> str:
    minutes = f"{entry.minutes or 'Running'} min"
    if entry.source == TimeSource.MANUAL:
        return f"Time entered by hand, {minutes} · {entry.get_activity_display()}"
    return f"{minutes} · {entry.get_activity_display()}"


def _task_rows(actor, patient, start, end, limit):
    rows = (
        Task.objects.filter(organization=actor.organization, patient=patient, patient__in=patients_visible_to(actor))
        .annotate(at=Coalesce("completed_at", "created_at"))
        .select_related("owner")
    )
    rows = _in_range(rows, "at", start, end)
    return [
        TimelineEntry(
            t.at,
            "task",
            t.title,
            f"{t.get_kind_display()} · {t.get_status_display()}",
            t.get_absolute_url(),
            (t.at, t.pk),
        )
        for t in rows.order_by("-at", "-id")[:limit]
    ]


def _appointment_rows(actor, patient, start, end, limit):
    rows = _in_range(appointments_for_patient(actor, patient), "start", start, end)
    entries = []
    for a in rows.order_by("-start", "-id")[:limit]:
        with_whom = str(a.practitioner or a.external_organization or "")
        title = f"Appointment{': ' + a.appointment_type.name if a.appointment_type_id else ''}"
        entries.append(
            TimelineEntry(
                a.start,
                "appointment",
                title,
                f"{a.get_status_display()} · {with_whom}",
                reverse("scheduling:appointment_detail", args=[a.public_id]),
                (a.start, a.pk),
            )
        )
    return entries


_TIMELINE_BUILDERS = {
    "note": _notes_rows,
    "outreach": _outreach_rows,
    "assessment": _assessment_rows,
    "measurement": _measurement_rows,
    "time": _time_rows,
    "task": _task_rows,
    "appointment": _appointment_rows,
}


def patient_timeline(
    actor: Actor,
    patient: Patient,
    *,
    kinds: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> TimelinePage:
    """
    One chronological view (newest first) of the patient's records, `page_size` a page. Each kind is one
    query for its newest `page * page_size + 1` rows, so the merged page is exact without counting.
    """
    page = max(1, page)
    chosen = [k for k in (kinds or TIMELINE_KINDS) if k in TIMELINE_KINDS]
    limit = page * page_size + 1
    merged: list[TimelineEntry] = []
    for kind in chosen:
        merged.extend(_timeline_rows(actor, patient, kind, start, end, limit))
    merged.sort(key=lambda e: (e.sort_key[0], e.kind, e.sort_key[1]), reverse=True)
    first = (page - 1) * page_size
    return TimelinePage(entries=merged[first : first + page_size], page=page, has_next=len(merged) > first + page_size)


def _measurement_text(measurement, value: str) -> str:
    """`Blood pressure: 148/92 mmHg`, as the timeline shows a measurement."""
    measure = MEASURES.get(measurement.kind)
    name = measure.display if measure else measurement.kind
    return f"{name}: {value} {unit_label(measurement.unit)}".strip()
