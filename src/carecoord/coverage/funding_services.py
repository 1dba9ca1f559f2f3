"""
Writes of funding applications (Medicaid, Medicare Savings Programs, Extra Help, charity care...): a map:
- `application_create`, `application_update`: program, status (preparing → submitted → approved / denied, or
  withdrawn), dates, renewal date and the documents still missing;
- worklist: each missing document of an open application is one task ("Get <document> for <program>"),
  completed when the document is no longer missing; an approved application gets a renewal task
  RENEWAL_ALERT_DAYS before its renewal date. `application_tasks_sync` does both for one organization and is
  what the periodic job runs; every task has a dedupe key, so running it again makes nothing new.
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
from .models import FundingApplication
from .services import _own, _visible, task_owner

FIELDS = (
    "program", "program_name", "status", "submitted_on", "decided_on", "renewal_date", "documents_missing",
    "reference_number", "note",
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
    app.documents_missing = domain.clean_document_names(app.documents_missing)
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
    audit_record(
        actor=actor,
        event="funding.create",
        action=AuditAction.CREATE,
        target=app,
        patient=patient,
        detail={"program": app.program, "missing": len(app.documents_missing)},
    )
    _sync_tasks(app, actor=actor)
    return app


@transaction.atomic
def application_update(
    *, actor: Actor, application: FundingApplication, data: dict, expected_version: int
) -> FundingApplication:
    """Updates the application; documents no longer missing complete their tasks, new ones get a task."""
    require_patient_editor(actor)
    patient = _visible(actor, application.patient)
    _own(actor, application)
    previous = application.status
    for name in FIELDS:
        if name in data:
            setattr(application, name, data[name])
    _validate(application, previous)
    save_versioned(application, expected_version=expected_version, fields=list(FIELDS))
    audit_record(
        actor=actor,
        event="funding.update",
        action=AuditAction.UPDATE,
        target=application,
        patient=patient,
        detail={"status": application.status, "missing": len(application.documents_missing)},
    )
    _sync_tasks(application, actor=actor)
    return application


def _doc_key(app: FundingApplication, name: str) -> str:
    return f"funding-doc:{app.public_id}:{domain.document_key(name)}"


def _renewal_key(app: FundingApplication) -> str:
    return f"funding-renewal:{app.public_id}:{app.renewal_date.isoformat()}"


def _sync_tasks(app: FundingApplication, *, actor: Actor | None = None) -> int:
    """Makes the missing-document and renewal tasks that are due and closes those no longer needed."""
    organization = app.organization
    today = clock.today_in(organization.tz)
    wanted: dict[str, dict] = {}
    if app.status in OPEN_APPLICATION_STATUSES:
        for name in app.documents_missing:
            wanted[_doc_key(app, name)] = {
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
        _close_unneeded(app, actor, set(wanted))
    return made


def _close_unneeded(app: FundingApplication, actor: Actor, wanted: set[str]) -> None:
    stale = Task.objects.filter(
        organization=app.organization,
        focus_type=FOCUS,
        focus_id=app.public_id,
        dedupe_key__startswith=f"funding-doc:{app.public_id}:",
        status__in=OPEN_TASK_STATUSES,
    ).exclude(dedupe_key__in=wanted)
    for task in stale.select_related("patient"):
        careplan_services.task_set_status(
            actor=actor,
            task=task,
            status=TaskStatus.COMPLETED if app.status in OPEN_APPLICATION_STATUSES else TaskStatus.CANCELLED,
            expected_version=task.version,
            note="The document is no longer missing from the application.",
        )


def application_tasks_sync(*, organization: Organization) -> int:
    """The periodic job's work for one organization: due document and renewal tasks, each made once."""
    visible = patients_visible_to(careplan_services._system_actor(organization))
    apps = FundingApplication.objects.filter(
        organization=organization,
        status__in=(*OPEN_APPLICATION_STATUSES, ApplicationStatus.APPROVED),
        patient__in=visible,
    ).select_related("patient", "organization")
    made = 0
    for app in apps:
        with transaction.atomic():
            made += _sync_tasks(app)
    return made
