"""
Writes of prior authorizations. A map:
- the request: `prior_auth_create`, `prior_auth_update` (while not decided);
- its status: `prior_auth_set_status` (draft → submitted → pended → approved / partially approved / denied;
  approved ones expire); a denial records its reason and puts "file an appeal by <deadline>" on the worklist;
- units: `prior_auth_visit_record` / `prior_auth_visit_void`; units used = the units of its visits;
- expiry: `prior_auth_expiry_tasks` (the periodic job's work): a task N days before an approved authorization
  ends (once per end date) and the status "expired" after it ends;
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
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from . import domain
from .choices import APPEAL_OUTCOMES, APPROVED_STATUSES, AppealStatus, CoverageStatus, PriorAuthStatus
from .models import Appeal, AppealDocument, Coverage, PriorAuthorization, PriorAuthVisit
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
    approved (fewer units), denied (with the payer's reason; an appeal task is created) or expired.
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
    on = on or today
    if on > today and status in DATED:
        what = "submitted" if status == PriorAuthStatus.SUBMITTED else "decided"
        raise ValidationError(
            f"The request cannot be {what} on a future date. Enter the day it happened (today at the latest).",
            field="on",
        )
    _apply_status(auth, status, on, units_approved, denial_reason)
    auth.status = status
    if reference_number:
        auth.reference_number = reference_number.strip()[:80]
    fields = ["status", "submitted_on", "decided_on", "units_approved", "denial_reason", "reference_number"]
    save_versioned(auth, expected_version=expected_version, fields=fields)
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
    for task in Task.objects.filter(organization=appeal.organization, dedupe_key=key, status__in=OPEN_TASK_STATUSES):
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.COMPLETED if filed else TaskStatus.CANCELLED,
            expected_version=task.version,
            note=f"Appeal {'filed' if filed else 'withdrawn'} on {timefmt.day(on)}.",
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
            key = f"priorauth-expiry:{auth.public_id}:{auth.end_date.isoformat()}"
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
