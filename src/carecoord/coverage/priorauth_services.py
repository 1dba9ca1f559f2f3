"""
Writes of prior authorizations. A map:
- the request: `prior_auth_create`, `prior_auth_update` (while not decided);
- its status: `prior_auth_set_status` (draft → submitted → pended → approved / partially approved / denied;
  approved ones expire); a denial records its reason and puts "file an appeal by <deadline>" on the worklist;
- after the decision: `prior_auth_decision_edit` (authorization number, units and dates added or corrected
  later) and `prior_auth_decision_correct` (a decision recorded in error goes back to submitted or pended, or
  becomes another decision; CORRECTIONS says which, a reason is required);
- while awaiting a decision: `prior_auth_follow_up_log` (a call with the payer; its next follow-up date puts
  one "Follow up with the payer" task on the worklist, moved by each new follow-up);
- history: every status change, edit, correction and follow-up is a PriorAuthEvent (who, when, what);
- units: `prior_auth_visit_record` / `prior_auth_visit_void`; units used = the units of its visits;
- expiry: `prior_auth_expiry_tasks` (the periodic job's work): a task N days before an approved authorization
  ends (once per end date) and the status "expired" after it ends (marking it expired by hand is refused
  before then, `expiry_refusal`);
- appeals: `appeal_create` (level after level, each with its filing deadline: the payer's days from the
  denial or from the previous level's decision), `appeal_set_status` (filed, upheld, overturned...; an
  overturned appeal approves the authorization), `appeal_document_add` (PDF, PNG or JPEG, checked by content).
"""

import datetime as dt
import hashlib

from django.db import transaction
from django.db.models import Sum

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskPriority, TaskSource, TaskStatus
from carecoord.careplans.models import Task
from carecoord.core import clock, timefmt, uploads
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import CONFLICT_MESSAGE, StaleVersionError, save_versioned
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from . import domain
from .choices import (
    APPEAL_OUTCOMES,
    APPROVED_STATUSES,
    AppealStatus,
    CoverageStatus,
    PriorAuthEventKind,
    PriorAuthStatus,
)
from .models import Appeal, AppealDocument, Coverage, PriorAuthEvent, PriorAuthorization, PriorAuthVisit
from .selectors import approved_auths_ending
from .services import _own, _visible, task_owner

DOCUMENT_KINDS = (uploads.PDF, uploads.PNG, uploads.JPEG)

AUTH_FIELDS = (
    "coverage", "service", "procedure_codes", "diagnosis_codes", "provider", "units_requested", "start_date",
    "end_date", "reference_number", "appeal_deadline_days", "note",
)  # fmt: skip
EDITABLE = (PriorAuthStatus.DRAFT, PriorAuthStatus.SUBMITTED, PriorAuthStatus.PENDED)
TRANSITIONS = {
    PriorAuthStatus.DRAFT: {PriorAuthStatus.SUBMITTED},
    PriorAuthStatus.SUBMITTED: {
        PriorAuthStatus.PENDED, PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED, PriorAuthStatus.DENIED,
    },
    PriorAuthStatus.PENDED: {PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED, PriorAuthStatus.DENIED},
    PriorAuthStatus.APPROVED: {PriorAuthStatus.EXPIRED},
    PriorAuthStatus.PARTIALLY_APPROVED: {PriorAuthStatus.EXPIRED},
    PriorAuthStatus.DENIED: set(),
    PriorAuthStatus.EXPIRED: set(),
}  # fmt: skip
DECIDED = (PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED, PriorAuthStatus.DENIED)
# A decision recorded in error goes back to awaiting the payer, or becomes the decision the payer really made.
# (An expired authorization is history; its expiry follows from the dates, which "edit details" can change.)
CORRECTIONS = {
    decided: {PriorAuthStatus.SUBMITTED, PriorAuthStatus.PENDED, *DECIDED} - {decided} for decided in DECIDED
}
AWAITING = (PriorAuthStatus.SUBMITTED, PriorAuthStatus.PENDED)
NOTE_MAX_LENGTH = 2000
# The statuses that record the date they happened (submitted_on or decided_on).
DATED = (
    PriorAuthStatus.SUBMITTED, PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED, PriorAuthStatus.DENIED,
)  # fmt: skip
FOCUS = "coverage.PriorAuthorization"
APPEAL_FOCUS = "coverage.Appeal"


def _validate(actor: Actor, patient: Patient, auth: PriorAuthorization) -> None:
    auth.service = (auth.service or "").strip()
    if not auth.service:
        raise ValidationError("Say what service is asked for.", field="service")
    coverage: Coverage = auth.coverage
    if coverage is None or coverage.patient_id != patient.pk or coverage.status != CoverageStatus.ACTIVE:
        raise ValidationError("Choose one of the patient's active coverages.", field="coverage")
    if not auth.procedure_codes:
        raise ValidationError("Give at least one CPT or HCPCS code.", field="procedure_codes")
    if auth.provider is not None and auth.provider.organization_id != actor.organization.pk:
        raise NotFoundError("That practitioner is not in your directory.")
    if not auth.units_requested or auth.units_requested < 1:
        raise ValidationError("Ask for at least one unit.", field="units_requested")
    if auth.end_date < auth.start_date:
        raise ValidationError("The authorization ends before it starts.", field="end_date")
    if not 1 <= auth.appeal_deadline_days <= 730:
        raise ValidationError("The appeal deadline runs from 1 to 730 days.", field="appeal_deadline_days")


@transaction.atomic
def prior_auth_create(*, actor: Actor, patient: Patient, data: dict) -> PriorAuthorization:
    """Records a prior authorization request (a draft until submitted); the payer's appeal days are copied."""
    require_patient_editor(actor)
    patient = _visible(actor, patient)
    auth = PriorAuthorization(organization=actor.organization, patient=patient, created_by=actor.user)
    for name in AUTH_FIELDS:
        if name in data:
            setattr(auth, name, data[name])
    coverage = data.get("coverage")
    if "appeal_deadline_days" not in data and coverage is not None and coverage.payer_id:
        auth.appeal_deadline_days = coverage.payer.appeal_deadline_days
    _validate(actor, patient, auth)
    auth.save()
    audit_record(
        actor=actor,
        event="priorauth.create",
        action=AuditAction.CREATE,
        target=auth,
        patient=patient,
        detail={"codes": auth.procedure_codes},
    )
    return auth


@transaction.atomic
def prior_auth_update(*, actor: Actor, auth: PriorAuthorization, data: dict, expected_version: int):
    """Changes the request while it is not decided."""
    require_patient_editor(actor)
    patient = _visible(actor, auth.patient)
    _own(actor, auth)
    if auth.status not in EDITABLE:
        raise InvalidStateError("A decided authorization cannot change; record a new request instead.")
    for name in AUTH_FIELDS:
        if name in data:
            setattr(auth, name, data[name])
    _validate(actor, patient, auth)
    save_versioned(auth, expected_version=expected_version, fields=list(AUTH_FIELDS))
    audit_record(actor=actor, event="priorauth.update", action=AuditAction.UPDATE, target=auth, patient=patient)
    return auth


@transaction.atomic
def prior_auth_set_status(
    *,
    actor: Actor,
    auth: PriorAuthorization,
    status: str,
    expected_version: int,
    on: dt.date | None = None,
    units_approved: int | None = None,
    reference_number: str = "",
    denial_reason: str = "",
) -> PriorAuthorization:
    """
    Moves the authorization along: submitted (on the date sent), pended, approved (all units), partially
    approved (fewer units), denied (with the payer's reason; an appeal task is created) or expired (only once
    the approved period has ended: `expiry_refusal`).
    """
    require_patient_editor(actor)
    patient = _visible(actor, auth.patient)
    _own(actor, auth)
    if status not in TRANSITIONS.get(auth.status, set()):
        raise InvalidStateError(
            f"An authorization that is {auth.get_status_display().lower()} cannot become "
            f"{PriorAuthStatus(status).label.lower() if status in PriorAuthStatus.values else status}."
        )
    today = clock.today_in(actor.organization.tz)
    if status == PriorAuthStatus.EXPIRED and (too_early := expiry_refusal(auth, today)):
        raise InvalidStateError(too_early, field="status")
    on = on or today
    if on > today and status in DATED:
        what = "submitted" if status == PriorAuthStatus.SUBMITTED else "decided"
        raise ValidationError(
            f"The request cannot be {what} on a future date. Enter the day it happened (today at the latest).",
            field="on",
        )
    _apply_status(auth, status, on, units_approved, denial_reason)
    before, auth.status = auth.status, status
    if reference_number:
        auth.reference_number = reference_number.strip()[:80]
    fields = ["status", "submitted_on", "decided_on", "units_approved", "denial_reason", "reference_number"]
    save_versioned(auth, expected_version=expected_version, fields=fields)
    unknown_end = status == PriorAuthStatus.EXPIRED and auth.end_date is None
    note = "The approved period's end is unknown; marked expired by hand." if unknown_end else ""
    _event(actor, auth, PriorAuthEventKind.STATUS, from_status=before, to_status=status, note=note)
    if status in DECIDED:
        _close_follow_up_tasks(actor, auth, f"The payer decided: {auth.get_status_display().lower()}.")
    audit_record(
        actor=actor,
        event="priorauth.status",
        action=AuditAction.UPDATE,
        target=auth,
        patient=patient,
        detail={"status": status},
    )
    if status == PriorAuthStatus.DENIED:
        _appeal_task(auth, domain.appeal_deadline(on, auth.appeal_deadline_days), level_label="an appeal")
    return auth


def next_statuses(auth: PriorAuthorization, today: dt.date) -> set[str]:
    """
    The statuses the authorization may move to on `today` (the organization's date): TRANSITIONS, with
    "expired" only once the approved period has ended (what `prior_auth_set_status` allows).
    """
    allowed = set(TRANSITIONS.get(auth.status, set()))
    if PriorAuthStatus.EXPIRED in allowed and expiry_refusal(auth, today):
        allowed.discard(PriorAuthStatus.EXPIRED)
    return allowed


def expiry_refusal(auth: PriorAuthorization, today: dt.date) -> str:
    """
    Why an approved authorization cannot be marked expired on `today` ("" once it can): the approval covers
    its period through `end_date` inclusive, so it expires from the day after, as the periodic job marks it.
    """
    # The model requires end_date (and the period constraint), so an approval always has one. Should a row
    # ever lack it, expiry is allowed: the period's end is unknown and the person marking it expired has the
    # payer's word; the history then says the end was unknown (see prior_auth_set_status).
    if auth.end_date is None or auth.end_date < today:
        return ""
    return (
        f"The approved period runs through {timefmt.day(auth.end_date)}; the authorization can be marked "
        f"expired from {timefmt.day(auth.end_date + dt.timedelta(days=1))}."
    )


def _apply_status(auth: PriorAuthorization, status: str, on: dt.date, units: int | None, reason: str) -> None:
    if status == PriorAuthStatus.SUBMITTED:
        auth.submitted_on = on
    elif status == PriorAuthStatus.APPROVED:
        auth.units_approved, auth.decided_on = auth.units_requested, on
    elif status == PriorAuthStatus.PARTIALLY_APPROVED:
        if units is None or not 1 <= units < auth.units_requested:
            raise ValidationError(
                f"A partial approval grants from 1 to {auth.units_requested - 1} units.", field="units_approved"
            )
        auth.units_approved, auth.decided_on = units, on
    elif status == PriorAuthStatus.DENIED:
        if not (reason or "").strip():
            raise ValidationError("Record the payer's reason for the denial.", field="denial_reason")
        auth.denial_reason, auth.decided_on, auth.units_approved = reason.strip()[:500], on, None
    if auth.submitted_on and on < auth.submitted_on and status != PriorAuthStatus.SUBMITTED:
        raise ValidationError("The decision cannot come before the request was submitted.", field="on")


def _appeal_task(auth: PriorAuthorization, deadline: dt.date, *, level_label: str, key: str = "") -> None:
    careplan_services.task_create(
        actor=None,
        organization=auth.organization,
        patient=auth.patient,
        kind=TaskKind.PAPERWORK,
        title=f"File {level_label} for {auth.service} by {timefmt.day(deadline)}",
        description=f"Denied: {auth.denial_reason}. The payer allows {auth.appeal_deadline_days} days to appeal.",
        due_date=deadline,
        priority=TaskPriority.URGENT,
        source=TaskSource.COVERAGE,
        focus_type=FOCUS,
        focus_id=auth.public_id,
        dedupe_key=_appeal_task_key(auth, key),
        **task_owner(auth.organization, auth.patient),
    )


def _appeal_task_key(auth: PriorAuthorization, key: str = "") -> str:
    return f"priorauth-appeal:{auth.public_id}:{key or 'denial'}"


def _close_appeal_task(actor: Actor, appeal: Appeal, status: str, on: dt.date) -> None:
    """The "File an appeal" task of this level is done once the appeal is filed, and void if it is withdrawn."""
    key = _appeal_task_key(appeal.authorization, "" if appeal.level == 1 else f"level{appeal.level}")
    filed = status == AppealStatus.FILED
    # startswith: a denial recorded again after a correction has its own key ("denial-<event>").
    tasks = Task.objects.filter(organization=appeal.organization, dedupe_key__startswith=key)
    for task in tasks.filter(status__in=OPEN_TASK_STATUSES):
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.COMPLETED if filed else TaskStatus.CANCELLED,
            expected_version=task.version,
            note=f"Appeal {'filed' if filed else 'withdrawn'} on {timefmt.day(on)}.",
        )


# History, corrections and follow-ups -------------------------------------------------------------------------


def _event(actor: Actor, auth: PriorAuthorization, kind: str, **fields) -> PriorAuthEvent:
    return PriorAuthEvent.objects.create(
        organization=auth.organization, authorization=auth, kind=kind, at=clock.now(), by=actor.user, **fields
    )


def _open_tasks(auth: PriorAuthorization, key_prefix: str):
    return Task.objects.filter(
        organization=auth.organization, dedupe_key__startswith=key_prefix, status__in=OPEN_TASK_STATUSES
    )


def _follow_up_key(auth: PriorAuthorization) -> str:
    return f"priorauth-follow-up:{auth.public_id}:"


def _close_follow_up_tasks(actor: Actor, auth: PriorAuthorization, note: str) -> None:
    for task in _open_tasks(auth, _follow_up_key(auth)):
        careplan_services.task_set_status(
            actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note=note
        )


def _locked(actor: Actor, auth: PriorAuthorization) -> tuple[PriorAuthorization, Patient]:
    require_patient_editor(actor)
    patient = _visible(actor, auth.patient)
    _own(actor, auth)
    return PriorAuthorization.objects.select_for_update().get(pk=auth.pk), patient


def _counted_units(auth: PriorAuthorization) -> int:
    return auth.visits.filter(voided=False).aggregate(total=Sum("units"))["total"] or 0


def _check_visits_within(auth: PriorAuthorization) -> None:
    outside = auth.visits.filter(voided=False).exclude(service_date__range=(auth.start_date, auth.end_date))
    first = outside.order_by("service_date").first()
    if first is not None:
        raise ValidationError(
            f"A visit on {timefmt.day(first.service_date)} is counted against this authorization; keep it within "
            "the dates or take that visit back first.",
            field="start_date" if first.service_date < auth.start_date else "end_date",
        )


DETAIL_FIELDS = ("reference_number", "units_approved", "start_date", "end_date", "denial_reason")


def _shown(value) -> str | int | None:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def prior_auth_decision_edit(
    *, actor: Actor, auth: PriorAuthorization, data: dict, expected_version: int, note: str = ""
) -> PriorAuthorization:
    """
    Adds or corrects what the payer's decision said, after it was recorded: the authorization number, the
    units approved (a partial approval; a full approval grants the units requested), the authorized dates, a
    denial's reason. Only the keys present in `data` change; the history keeps each field before and after.
    """
    auth, patient = _locked(actor, auth)
    if auth.status not in DECIDED:
        raise InvalidStateError("Decision details can be edited once the payer has approved or denied the request.")
    before = {name: getattr(auth, name) for name in DETAIL_FIELDS}
    if "reference_number" in data:
        auth.reference_number = (data["reference_number"] or "").strip()[:80]
    if data.get("start_date"):
        auth.start_date = data["start_date"]
    if data.get("end_date"):
        auth.end_date = data["end_date"]
    if auth.end_date < auth.start_date:
        raise ValidationError("The authorization ends before it starts.", field="end_date")
    if auth.status == PriorAuthStatus.PARTIALLY_APPROVED and data.get("units_approved") is not None:
        auth.units_approved = data["units_approved"]
        _check_partial_units(auth, auth.units_approved)
    elif data.get("units_approved") not in (None, auth.units_approved):
        raise ValidationError(
            "Only a partial approval's units can change here; if the payer approved fewer units than requested, "
            "correct the decision to partially approved.",
            field="units_approved",
        )
    if auth.status == PriorAuthStatus.DENIED and "denial_reason" in data:
        if not (data["denial_reason"] or "").strip():
            raise ValidationError("Record the payer's reason for the denial.", field="denial_reason")
        auth.denial_reason = data["denial_reason"].strip()[:500]
    if auth.status in APPROVED_STATUSES:
        _check_visits_within(auth)
    changes = {
        name: [_shown(before[name]), _shown(getattr(auth, name))]
        for name in DETAIL_FIELDS
        if before[name] != getattr(auth, name)
    }
    if not changes:
        raise ValidationError("Nothing changed: enter the corrected details.")
    save_versioned(auth, expected_version=expected_version, fields=list(DETAIL_FIELDS))
    _event(actor, auth, PriorAuthEventKind.DETAILS, note=(note or "").strip()[:NOTE_MAX_LENGTH], changes=changes)
    audit_record(
        actor=actor,
        event="priorauth.decision_edit",
        action=AuditAction.UPDATE,
        target=auth,
        patient=patient,
        detail={"fields": sorted(changes)},
    )
    return auth


def _check_partial_units(auth: PriorAuthorization, units: int | None) -> None:
    if units is None or not 1 <= units < auth.units_requested:
        raise ValidationError(
            f"A partial approval grants from 1 to {auth.units_requested - 1} units.", field="units_approved"
        )
    used = _counted_units(auth)
    if units < used:
        raise ValidationError(
            f"{used} units are already counted against this authorization; approve at least that many or take "
            "visits back first.",
            field="units_approved",
        )


@transaction.atomic
def prior_auth_decision_correct(
    *,
    actor: Actor,
    auth: PriorAuthorization,
    status: str,
    reason: str,
    expected_version: int,
    on: dt.date | None = None,
    units_approved: int | None = None,
    reference_number: str = "",
    denial_reason: str = "",
) -> PriorAuthorization:
    """
    Corrects a decision recorded in error (CORRECTIONS): back to submitted or pended (the decision, its units
    and denial reason are cleared; the authorization number stays, to be edited if wrong), or to the decision
    the payer really made. The reason is required and kept in the history with both statuses. Refused while
    visits are counted against an approval that would no longer allow them, or once a denial was appealed.
    """
    auth, patient = _locked(actor, auth)
    if status not in CORRECTIONS.get(auth.status, set()):
        raise InvalidStateError(
            f"A decision that is {auth.get_status_display().lower()} cannot be corrected to "
            f"{PriorAuthStatus(status).label.lower() if status in PriorAuthStatus.values else status}."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the decision is corrected (what was recorded in error).", field="reason")
    if auth.status == PriorAuthStatus.DENIED and auth.appeals.exists():
        raise InvalidStateError("This denial was appealed; record the appeal's outcome instead.")
    if status not in APPROVED_STATUSES and _counted_units(auth):
        raise InvalidStateError("Visits are counted against this approval; take them back before correcting it.")
    today = clock.today_in(actor.organization.tz)
    before = auth.status
    if status in AWAITING:
        auth.decided_on, auth.units_approved, auth.denial_reason = None, None, ""
    else:
        on = on or auth.decided_on or today
        if on > today:
            raise ValidationError("The decision cannot be dated in the future.", field="on")
        if status == PriorAuthStatus.PARTIALLY_APPROVED:
            _check_partial_units(auth, units_approved)
        _apply_status(auth, status, on, units_approved, denial_reason)
        if status != PriorAuthStatus.DENIED:
            auth.denial_reason = ""
    auth.status = status
    if reference_number:
        auth.reference_number = reference_number.strip()[:80]
    fields = ["status", "decided_on", "units_approved", "denial_reason", "reference_number"]
    save_versioned(auth, expected_version=expected_version, fields=fields)
    event = _event(
        actor, auth, PriorAuthEventKind.CORRECTION, from_status=before, to_status=status, note=reason[:NOTE_MAX_LENGTH]
    )
    if before == PriorAuthStatus.DENIED:
        _cancel_tasks(actor, auth, _appeal_task_key(auth))
    if status not in APPROVED_STATUSES:
        _cancel_tasks(actor, auth, _expiry_key(auth))
    if status == PriorAuthStatus.DENIED:
        deadline = domain.appeal_deadline(auth.decided_on, auth.appeal_deadline_days)
        _appeal_task(auth, deadline, level_label="an appeal", key=f"denial-{event.public_id}")
    audit_record(
        actor=actor,
        event="priorauth.decision_correct",
        action=AuditAction.UPDATE,
        target=auth,
        patient=patient,
        detail={"from": before, "to": status},
    )
    return auth


def _expiry_key(auth: PriorAuthorization, end: dt.date | None = None) -> str:
    return f"priorauth-expiry:{auth.public_id}:{end.isoformat() if end else ''}"


def _cancel_tasks(actor: Actor, auth: PriorAuthorization, key_prefix: str) -> None:
    """Appeal or expiry tasks that a decision recorded in error put on the worklist."""
    for task in _open_tasks(auth, key_prefix):
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.CANCELLED,
            expected_version=task.version,
            note="The decision was recorded in error and corrected.",
        )


@transaction.atomic
def prior_auth_follow_up_log(
    *,
    actor: Actor,
    auth: PriorAuthorization,
    note: str,
    payer_reference: str = "",
    contact_name: str = "",
    follow_up_on: dt.date | None = None,
    expected_version: int | None = None,
) -> PriorAuthEvent:
    """
    Logs a follow-up with the payer on a request awaiting its decision ("called, ref #123, still in review").
    With `follow_up_on`, the request's open follow-up task is done and one "Follow up with the payer" task is
    due that day (one follow-up date per request, moved by each new follow-up). An append, so the version is
    checked only when given (the JSON API's callers send the one they read).
    """
    auth, patient = _locked(actor, auth)
    if expected_version is not None and expected_version != auth.version:
        raise StaleVersionError(CONFLICT_MESSAGE)
    if auth.status not in AWAITING:
        raise InvalidStateError(
            f"This request is {auth.get_status_display().lower()}; follow-ups are logged while it awaits the "
            "payer's decision."
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError("Write what was done or learned (who you reached, what they said).", field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(f"Keep the note under {NOTE_MAX_LENGTH} characters.", field="note")
    if follow_up_on is not None:
        careplan_services.check_follow_up_day(actor, follow_up_on)
    event = _event(
        actor,
        auth,
        PriorAuthEventKind.FOLLOW_UP,
        note=note,
        payer_reference=(payer_reference or "").strip()[:80],
        contact_name=(contact_name or "").strip()[:120],
        follow_up_on=follow_up_on,
    )
    if follow_up_on is not None:
        auth.follow_up_on = follow_up_on
        save_versioned(auth, expected_version=auth.version, fields=["follow_up_on"])
        _move_follow_up_task(actor, auth, event)
    audit_record(
        actor=actor,
        event="priorauth.follow_up",
        action=AuditAction.UPDATE,
        target=auth,
        patient=patient,
        detail={"event": str(event.public_id), "follow_up_on": follow_up_on.isoformat() if follow_up_on else ""},
    )
    return event


def _move_follow_up_task(actor: Actor, auth: PriorAuthorization, event: PriorAuthEvent) -> None:
    """Completes the request's open follow-up task, then puts the next follow-up on the worklist."""
    payer = auth.coverage.payer.name if auth.coverage.payer_id else "the payer"
    careplan_services.move_follow_up_task(
        actor,
        patient=auth.patient,
        focus_type=FOCUS,
        focus_id=auth.public_id,
        due_on=event.follow_up_on,
        title=f"Follow up with {payer} on the prior authorization for {auth.service}",
        description=f"Last follow-up: {event.note}",
        kind=TaskKind.PAPERWORK,
        source=TaskSource.COVERAGE,
        dedupe_key=f"{_follow_up_key(auth)}{event.public_id}",
        key_prefix=_follow_up_key(auth),
        close_note=f"Followed up; next follow-up on {timefmt.day(event.follow_up_on)}.",
        by_system=True,  # the request's team owns its follow-ups, not whoever logged the call
        **task_owner(auth.organization, auth.patient),
    )


# Units used -------------------------------------------------------------------------------------------------


def _recount(auth: PriorAuthorization) -> None:
    used = auth.visits.filter(voided=False).aggregate(total=Sum("units"))["total"] or 0
    PriorAuthorization.objects.filter(pk=auth.pk).update(units_used=used)
    auth.units_used = used


@transaction.atomic
def prior_auth_visit_record(
    *, actor: Actor, auth: PriorAuthorization, service_date: dt.date, units: int = 1, note: str = ""
) -> PriorAuthVisit:
    """Counts a visit's units against an approved authorization, within its dates and its units left."""
    require_patient_editor(actor)
    patient = _visible(actor, auth.patient)
    _own(actor, auth)
    auth = PriorAuthorization.objects.select_for_update().get(pk=auth.pk)
    if auth.status not in APPROVED_STATUSES:
        raise InvalidStateError("Visits count against an approved authorization only.")
    if not auth.start_date <= service_date <= auth.end_date:
        raise ValidationError(
            f"The visit is outside the authorized dates ({timefmt.day(auth.start_date)} "
            f"to {timefmt.day(auth.end_date)}).",
            field="service_date",
        )
    left = domain.units_left(auth.units_approved, auth.units_used) or 0
    if not 1 <= units <= left:
        raise ValidationError(
            f"Only {left} unit{'s' if left != 1 else ''} left on this authorization; ask the payer for more.",
            field="units",
        )
    visit = PriorAuthVisit.objects.create(
        organization=actor.organization,
        patient=patient,
        authorization=auth,
        service_date=service_date,
        units=units,
        note=(note or "").strip()[:300],
        recorded_by=actor.user,
    )
    _recount(auth)
    audit_record(
        actor=actor,
        event="priorauth.visit",
        action=AuditAction.CREATE,
        target=visit,
        patient=patient,
        detail={"units": units},
    )
    return visit


@transaction.atomic
def prior_auth_visit_void(*, actor: Actor, visit: PriorAuthVisit) -> PriorAuthVisit:
    """Takes back a visit recorded in error; its units are available again."""
    require_patient_editor(actor)
    _visible(actor, visit.patient)
    _own(actor, visit)
    if visit.voided:
        raise InvalidStateError("This visit was already taken back.")
    visit.voided = True
    save_versioned(visit, expected_version=visit.version, fields=["voided"])
    _recount(visit.authorization)
    audit_record(
        actor=actor, event="priorauth.visit_void", action=AuditAction.UPDATE, target=visit, patient=visit.patient
    )
    return visit


# Expiry (periodic) ------------------------------------------------------------------------------------------


def prior_auth_expiry_tasks(*, organization: Organization, days_before: int = domain.EXPIRY_ALERT_DAYS) -> int:
    """
    For each approved authorization ending within `days_before` days: one "expires on" task (its dedupe key
    names the end date). Authorizations past their end become expired. Safe to run again; returns tasks made.
    """
    today = clock.today_in(organization.tz)
    made = 0
    visible = patients_visible_to(careplan_services._system_actor(organization))
    candidates = approved_auths_ending(organization, until=today + dt.timedelta(days=days_before))
    for auth in candidates.filter(patient__in=visible):
        with transaction.atomic():
            if auth.end_date < today:
                PriorAuthorization.objects.filter(pk=auth.pk, status=auth.status).update(
                    status=PriorAuthStatus.EXPIRED, updated_at=clock.now()
                )
                audit_record(
                    organization=organization,
                    event="priorauth.expire",
                    action=AuditAction.UPDATE,
                    target=auth,
                    patient=auth.patient,
                )
                continue
            if not domain.alert_due(auth.end_date, today, days_before):
                continue
            key = _expiry_key(auth, auth.end_date)
            if Task.objects.filter(organization=organization, dedupe_key=key).exists():
                continue
            left = domain.units_left(auth.units_approved, auth.units_used)
            careplan_services.task_create(
                actor=None,
                organization=organization,
                patient=auth.patient,
                kind=TaskKind.PAPERWORK,
                title=f"Prior authorization for {auth.service} expires on {timefmt.day(auth.end_date)}",
                description=f"{left} of {auth.units_approved} units left. Ask the payer to extend it if care "
                "continues.",
                due_date=domain.alert_date(auth.end_date, 3) if auth.end_date - today > dt.timedelta(3) else today,
                source=TaskSource.COVERAGE,
                focus_type=FOCUS,
                focus_id=auth.public_id,
                dedupe_key=key,
                **task_owner(organization, auth.patient),
            )
            made += 1
    return made


# Appeals ----------------------------------------------------------------------------------------------------


@transaction.atomic
def appeal_create(*, actor: Actor, auth: PriorAuthorization) -> Appeal:
    """
    Opens the next appeal level of a denied authorization: level 1 after the denial, a further level after the
    previous one was upheld. Its filing deadline counts the payer's days from that decision.
    """
    require_patient_editor(actor)
    patient = _visible(actor, auth.patient)
    _own(actor, auth)
    if auth.status != PriorAuthStatus.DENIED:
        raise InvalidStateError("Only a denied authorization can be appealed.")
    previous = auth.appeals.order_by("-level").first()
    if previous is None:
        level, decided_on = 1, auth.decided_on
    elif previous.status == AppealStatus.UPHELD and previous.level < 3:
        level, decided_on = previous.level + 1, previous.outcome_on
    else:
        raise InvalidStateError("A further appeal can be filed only after the previous level upheld the denial.")
    deadline = domain.appeal_deadline(decided_on or clock.today_in(actor.organization.tz), auth.appeal_deadline_days)
    appeal = Appeal.objects.create(
        organization=actor.organization,
        patient=patient,
        authorization=auth,
        level=level,
        filing_deadline=deadline,
        created_by=actor.user,
    )
    audit_record(
        actor=actor,
        event="appeal.create",
        action=AuditAction.CREATE,
        target=appeal,
        patient=patient,
        detail={"level": level},
    )
    if level > 1:
        _appeal_task(auth, deadline, level_label=appeal.get_level_display().lower(), key=f"level{level}")
    return appeal


@transaction.atomic
def appeal_set_status(
    *,
    actor: Actor,
    appeal: Appeal,
    status: str,
    expected_version: int,
    on: dt.date | None = None,
    note: str = "",
    units_approved: int | None = None,
    decision_due: dt.date | None = None,
) -> Appeal:
    """
    Files an appeal or records its outcome; an overturned denial approves the authorization. `decision_due`, the
    date the payer must decide by (from its acknowledgement letter), is kept when given; it cannot precede filing.
    """
    require_patient_editor(actor)
    patient = _visible(actor, appeal.patient)
    _own(actor, appeal)
    today = clock.today_in(actor.organization.tz)
    on = on or today
    if appeal.status in APPEAL_OUTCOMES:
        raise InvalidStateError("This appeal is closed.")
    if on > today:
        raise ValidationError(
            "An appeal cannot be filed or decided on a future date. Enter the day it happened (today at the latest).",
            field="on",
        )
    if status == AppealStatus.FILED and appeal.status == AppealStatus.FILED:
        # Staying filed records the payer's decision date, which arrives after the filing.
        if decision_due is None:
            raise ValidationError("Enter the date the payer must decide by.", field="decision_due")
    elif status == AppealStatus.FILED:
        if appeal.status != AppealStatus.PREPARING:
            raise InvalidStateError("This appeal was already filed.")
        appeal.filed_on = on
    elif status in APPEAL_OUTCOMES:
        if status != AppealStatus.WITHDRAWN and appeal.status != AppealStatus.FILED:
            raise InvalidStateError("Record the outcome once the appeal is filed.")
        appeal.outcome_on = on
    else:
        raise ValidationError("Choose the appeal's new status.", field="status")
    if decision_due is not None:
        _check_decision_due(decision_due, appeal.filed_on)
        appeal.decision_due = decision_due
    appeal.status = status
    appeal.outcome_note = (note or appeal.outcome_note).strip()[:500]
    save_versioned(
        appeal,
        expected_version=expected_version,
        fields=["status", "filed_on", "decision_due", "outcome_on", "outcome_note"],
    )
    if status in (AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED):
        _overturn(appeal.authorization, status, on, units_approved)
    if status in (AppealStatus.FILED, AppealStatus.WITHDRAWN):
        _close_appeal_task(actor, appeal, status, on)
    audit_record(
        actor=actor,
        event="appeal.status",
        action=AuditAction.UPDATE,
        target=appeal,
        patient=patient,
        detail={"status": status, **({"decision_due": decision_due.isoformat()} if decision_due else {})},
    )
    return appeal


def _check_decision_due(decision_due: dt.date, filed_on: dt.date | None) -> None:
    if filed_on is None:
        raise ValidationError("Enter the payer's decision date once the appeal is filed.", field="decision_due")
    if decision_due < filed_on:
        raise ValidationError(
            f"The payer's decision cannot be due before the appeal was filed ({timefmt.day(filed_on)}). "
            "Check the date on its acknowledgement letter.",
            field="decision_due",
        )


def _overturn(auth: PriorAuthorization, status: str, on: dt.date, units: int | None) -> None:
    auth = PriorAuthorization.objects.select_for_update().get(pk=auth.pk)
    target = PriorAuthStatus.APPROVED if status == AppealStatus.OVERTURNED else PriorAuthStatus.PARTIALLY_APPROVED
    _apply_status(auth, target, on, units, "")
    auth.status = target
    save_versioned(auth, expected_version=auth.version, fields=["status", "units_approved", "decided_on"])


@transaction.atomic
def appeal_document_add(*, actor: Actor, appeal: Appeal, title: str, file_name: str, content: bytes) -> AppealDocument:
    """Attaches a PDF, PNG or JPEG (at most 10 MB, type read from the content) to an appeal."""
    require_patient_editor(actor)
    patient = _visible(actor, appeal.patient)
    _own(actor, appeal)
    kind = uploads.check_content(content, kinds=DOCUMENT_KINDS, max_bytes=domain.MAX_DOCUMENT_BYTES)
    document = AppealDocument.objects.create(
        organization=actor.organization,
        patient=patient,
        appeal=appeal,
        title=(title or file_name or "Document").strip()[:200],
        file_name=uploads.safe_filename(file_name)[-200:],
        content_type=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=actor.user,
    )
    audit_record(
        actor=actor,
        event="appeal.document",
        action=AuditAction.CREATE,
        target=document,
        patient=patient,
        detail={"content_type": kind, "size": len(content)},
    )
    return document
