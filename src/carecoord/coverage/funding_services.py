"""
Writes of funding applications (Medicaid, Medicare Savings Programs, Extra Help, charity care...): a map:
- `application_create`, `application_update`: program, status (preparing → submitted → approved / denied, or
  withdrawn), dates, renewal date and the documents it needs (`data["documents"]`, names);
- `application_document_mark`: one document marked received (who, when) or, undoing it, not received;
- worklist: each missing document of an open application is one task ("Get <document> for <program>"),
  completed when the document is received, cancelled when the application no longer needs it; a document marked
  not received again gets a new task; an approved application gets a renewal task
  RENEWAL_ALERT_DAYS before its renewal date; a submitted application gets a "Check for a decision" task due
  when the program should have decided (domain.decision_check_date), completed when the decision is recorded
  (approved or denied) and cancelled if the application is withdrawn or its submitted date changes.
  `application_tasks_sync` does all of it for one organization and is what the periodic job runs; every task has
  a dedupe key, so running it again makes nothing new. Applications keep no status history (no event model):
  the audit log and these tasks are what records the way an application went.
"""

import datetime as dt

from django.db import transaction

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource, TaskStatus
from carecoord.careplans.models import Task
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import InvalidStateError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from . import domain
from .choices import OPEN_APPLICATION_STATUSES, ApplicationStatus, FundingProgram
from .models import ApplicationDocument, FundingApplication
from .services import _own, _visible, task_owner

FIELDS = (
    "program", "program_name", "status", "submitted_on", "decided_on", "renewal_date", "reference_number", "note",
)  # fmt: skip
FOCUS = "coverage.FundingApplication"
TRANSITIONS = {
    ApplicationStatus.PREPARING: {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN},
    ApplicationStatus.SUBMITTED: {ApplicationStatus.APPROVED, ApplicationStatus.DENIED, ApplicationStatus.WITHDRAWN},
    ApplicationStatus.APPROVED: {ApplicationStatus.PREPARING},  # a renewal starts the paperwork again
    ApplicationStatus.DENIED: {ApplicationStatus.PREPARING},  # reapplying
    ApplicationStatus.WITHDRAWN: set(),
}


def _validate(app: FundingApplication, previous_status: str | None) -> None:
    app.program_name = (app.program_name or "").strip() or FundingProgram(app.program).label
    if app.program not in FundingProgram.values:
        raise ValidationError("Choose the program.", field="program")
    if app.status not in ApplicationStatus.values:
        raise ValidationError("Choose the status.", field="status")
    if previous_status and app.status != previous_status and app.status not in TRANSITIONS[previous_status]:
        raise InvalidStateError(
            f"An application that is {ApplicationStatus(previous_status).label.lower()} cannot become "
            f"{ApplicationStatus(app.status).label.lower()}."
        )
    today = clock.today_in(app.organization.tz)
    if app.decided_on and not app.submitted_on:
        # Checked before the submitted date defaults to today, which would make the decision look early.
        raise ValidationError(
            "Enter the date it was submitted; a decided application was submitted first.", field="submitted_on"
        )
    if app.status != ApplicationStatus.PREPARING and app.status != ApplicationStatus.WITHDRAWN:
        app.submitted_on = app.submitted_on or today
    if app.status in (ApplicationStatus.APPROVED, ApplicationStatus.DENIED):
        app.decided_on = app.decided_on or today
    if app.submitted_on and app.decided_on and app.decided_on < app.submitted_on:
        raise ValidationError("The decision cannot come before the application was submitted.", field="decided_on")
    if app.renewal_date and app.submitted_on and app.renewal_date <= app.submitted_on:
        raise ValidationError("The renewal date comes after the application.", field="renewal_date")


@transaction.atomic
def application_create(*, actor: Actor, patient: Patient, data: dict) -> FundingApplication:
    """Starts tracking an application; a task is made for each document still missing."""
    require_patient_editor(actor)
    patient = _visible(actor, patient)
    app = FundingApplication(organization=actor.organization, patient=patient, created_by=actor.user)
    for name in FIELDS:
        if name in data:
            setattr(app, name, data[name])
    _validate(app, None)
    app.save()
    _set_documents(app, data.get("documents") or [])
    audit_record(
        actor=actor,
        event="funding.create",
        action=AuditAction.CREATE,
        target=app,
        patient=patient,
        detail={"program": app.program, "missing": missing_count(app)},
    )
    _sync_tasks(app, actor=actor)
    return app


@transaction.atomic
def application_update(
    *, actor: Actor, application: FundingApplication, data: dict, expected_version: int
) -> FundingApplication:
    """Updates the application; `data["documents"]`, when given, is the whole list of documents it needs: new
    names are added (missing), names left out are removed (their tasks cancelled), the others keep their marks."""
    require_patient_editor(actor)
    patient = _visible(actor, application.patient)
    _own(actor, application)
    previous = application.status
    for name in FIELDS:
        if name in data:
            setattr(application, name, data[name])
    _validate(application, previous)
    save_versioned(application, expected_version=expected_version, fields=list(FIELDS))
    if "documents" in data:
        _set_documents(application, data["documents"] or [])
    audit_record(
        actor=actor,
        event="funding.update",
        action=AuditAction.UPDATE,
        target=application,
        patient=patient,
        detail={"status": application.status, "missing": missing_count(application)},
    )
    _sync_tasks(application, actor=actor)
    return application


@transaction.atomic
def application_document_mark(
    *, actor: Actor, document: ApplicationDocument, received: bool, expected_version: int
) -> ApplicationDocument:
    """
    Marks one document of an application received (now, by the actor) or not received (undoing a mark); its
    worklist task is completed, or a new one made. `expected_version` is the application's: a mark moves the
    application to its next version, so an edit form opened before the mark cannot silently undo it.
    """
    require_patient_editor(actor)
    application = document.application
    patient = _visible(actor, application.patient)
    _own(actor, application)
    if document.received == received:
        state = "received" if received else "not received"
        raise InvalidStateError(f"{document.name} is already marked {state}; reload to see the current list.")
    save_versioned(application, expected_version=expected_version, fields=[])
    document.received_at = clock.now() if received else None
    document.received_by = actor.user if received else None
    save_versioned(document, expected_version=document.version, fields=["received_at", "received_by"])
    audit_record(
        actor=actor,
        event="funding.document_received" if received else "funding.document_not_received",
        action=AuditAction.UPDATE,
        target=application,
        patient=patient,
        detail={"document": str(document.public_id), "received": received, "missing": missing_count(application)},
    )
    _sync_tasks(application, actor=actor)
    return document


def missing_count(app: FundingApplication) -> int:
    return app.documents.filter(received_at=None).count()


def _name_key(name: str) -> str:
    return " ".join(name.split()).lower()


def _set_documents(app: FundingApplication, names) -> None:
    """Makes the application's documents the given names: new ones added missing, others removed, marks kept."""
    names = domain.clean_document_names(names)
    wanted = {_name_key(name) for name in names}
    existing = {_name_key(doc.name): doc for doc in app.documents.all()}
    for key, doc in existing.items():
        if key not in wanted:
            doc.delete()
    ApplicationDocument.objects.bulk_create(
        ApplicationDocument(organization=app.organization, patient=app.patient, application=app, name=name)
        for name in names
        if _name_key(name) not in existing
    )


def _doc_base_key(app: FundingApplication, name: str) -> str:
    return f"funding-doc:{app.public_id}:{domain.document_key(name)}"


def _doc_key(app: FundingApplication, document: ApplicationDocument) -> str:
    # A document marked not received again is missing anew: its new task needs a key of its own (a completed
    # task cannot reopen); the version it is at tells the rounds apart. A document never marked keeps the key
    # its task had before documents were rows (version 1).
    base = _doc_base_key(app, document.name)
    return base if document.version == 1 else f"{base}:{document.version}"


def _renewal_key(app: FundingApplication) -> str:
    return f"funding-renewal:{app.public_id}:{app.renewal_date.isoformat()}"


def _decision_prefix(app: FundingApplication) -> str:
    return f"funding-decision:{app.public_id}:"


def _decision_key(app: FundingApplication) -> str:
    # One task per submission date: a corrected date puts a new task up (the old one is cancelled).
    return f"{_decision_prefix(app)}{app.submitted_on.isoformat()}"


def _decision_task(app: FundingApplication, today: dt.date) -> dict:
    reference = f" (reference {app.reference_number})" if app.reference_number else ""
    return {
        "title": f"Check for a decision on {app.program_name}"[:200],
        "description": (
            f"Submitted on {timefmt.day(app.submitted_on)}{reference}. Ask the program whether it has decided "
            "and record the decision on the application (approved or denied); that completes this task."
        ),
        "due_date": max(domain.decision_check_date(app.program, app.submitted_on), today),
    }


def _sync_tasks(app: FundingApplication, *, actor: Actor | None = None) -> int:
    """Makes the missing-document and renewal tasks that are due and closes those no longer needed."""
    organization = app.organization
    today = clock.today_in(organization.tz)
    wanted: dict[str, dict] = {}
    documents = list(app.documents.all())
    if app.status in OPEN_APPLICATION_STATUSES:
        for document in documents:
            if document.received:
                continue
            name = document.name
            wanted[_doc_key(app, document)] = {
                "title": f"Get {name} for {app.program_name}",
                "description": f"{app.program_name} needs this document before it can be decided.",
                "due_date": today + dt.timedelta(days=7),
            }
    if (
        app.status == ApplicationStatus.APPROVED
        and app.renewal_date
        and domain.alert_date(app.renewal_date, domain.RENEWAL_ALERT_DAYS) <= today
    ):
        wanted[_renewal_key(app)] = {
            "title": f"Renew {app.program_name} by {timefmt.day(app.renewal_date)}",
            "description": "Start the renewal paperwork so the benefit does not lapse.",
            "due_date": max(app.renewal_date - dt.timedelta(days=30), today),
        }
    if app.status == ApplicationStatus.SUBMITTED and app.submitted_on:
        wanted[_decision_key(app)] = _decision_task(app, today)
    made = 0
    existing = set(
        Task.objects.filter(organization=organization, dedupe_key__in=wanted).values_list("dedupe_key", flat=True)
    )
    for key, task in wanted.items():
        if key in existing:
            continue
        careplan_services.task_create(
            actor=None,
            organization=organization,
            patient=app.patient,
            kind=TaskKind.PAPERWORK,
            source=TaskSource.COVERAGE,
            focus_type=FOCUS,
            focus_id=app.public_id,
            dedupe_key=key,
            **task,
            **task_owner(organization, app.patient),
        )
        made += 1
    if actor is not None:
        received = {_doc_base_key(app, d.name) for d in documents if d.received}
        _close_unneeded(app, actor, set(wanted), received)
        _close_decision_tasks(app, actor, set(wanted))
    return made


def _close_decision_tasks(app: FundingApplication, actor: Actor, wanted: set[str]) -> None:
    """Closes the open "Check for a decision" tasks no longer wanted: completed by a decision, else cancelled."""
    stale = Task.objects.filter(
        organization=app.organization,
        focus_type=FOCUS,
        focus_id=app.public_id,
        dedupe_key__startswith=_decision_prefix(app),
        status__in=OPEN_TASK_STATUSES,
    ).exclude(dedupe_key__in=wanted)
    decided = app.status in (ApplicationStatus.APPROVED, ApplicationStatus.DENIED)
    if decided:
        note = f"The program decided: {app.get_status_display().lower()}."
    elif app.status == ApplicationStatus.WITHDRAWN:
        note = "The application was withdrawn."
    else:
        note = "The submitted date changed; a new task checks for the decision."
    for task in stale.select_related("patient"):
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.COMPLETED if decided else TaskStatus.CANCELLED,
            expected_version=task.version,
            note=note,
        )


def _close_unneeded(app: FundingApplication, actor: Actor, wanted: set[str], received: set[str]) -> None:
    """Closes the open document tasks no longer wanted: completed if the document came, else cancelled."""
    stale = Task.objects.filter(
        organization=app.organization,
        focus_type=FOCUS,
        focus_id=app.public_id,
        dedupe_key__startswith=f"funding-doc:{app.public_id}:",
        status__in=OPEN_TASK_STATUSES,
    ).exclude(dedupe_key__in=wanted)
    for task in stale.select_related("patient"):
        came = app.status in OPEN_APPLICATION_STATUSES and task.dedupe_key[:_BASE_KEY_LENGTH] in received
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.COMPLETED if came else TaskStatus.CANCELLED,
            expected_version=task.version,
            note="The document was received." if came else "The application no longer needs this document.",
        )


# "funding-doc:" + a UUID + ":" + the 16-character document key: the part of a task's key naming its document.
_BASE_KEY_LENGTH = len("funding-doc:") + 36 + 1 + 16


def application_tasks_sync(*, organization: Organization) -> int:
    """The periodic job's work for one organization: due document, decision and renewal tasks, each made once."""
    visible = patients_visible_to(careplan_services._system_actor(organization))
    apps = (
        FundingApplication.objects.filter(
            organization=organization,
            status__in=(*OPEN_APPLICATION_STATUSES, ApplicationStatus.APPROVED),
            patient__in=visible,
        )
        .select_related("patient", "organization")
        .prefetch_related("documents")
    )
    made = 0
    for app in apps:
        with transaction.atomic():
            made += _sync_tasks(app)
    return made
