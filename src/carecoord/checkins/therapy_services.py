"""
Writes on therapy plans of care (PT/OT/SLP).

  therapy_plan_create / therapy_plan_update   the plan: discipline, practitioners, certification period,
                                              visits planned, progress-report cadence, appointment types
  therapy_plan_recount                        visits used = the patient's fulfilled appointments of the plan's
                                              types within the certification period (organization time zone),
                                              then the plan's worklist tasks (recertification due, progress
                                              report due, visits nearly used up), each once by its dedupe key
  therapy_plans_recount_all                   the hourly job's work for one organization

The rules (90-day certification, report every 10 treatment visits) are in domain.py, marked "verify". The
therapist is a PT/OT/SLP or an assistant of the plan's discipline, by NUCC taxonomy code (therapy_taxonomy).
"""

import datetime as dt

from django.db import transaction

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource, TaskStatus
from carecoord.careplans.domain import EDITABLE_PLAN_STATUSES
from carecoord.careplans.models import Task
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get, patients_visible_to
from carecoord.scheduling.choices import AppointmentStatus
from carecoord.scheduling.models import Appointment, AppointmentType

from .choices import TherapyDiscipline
from .domain import (
    MAX_CERTIFICATION_DAYS,
    MAX_VISITS_BETWEEN_REPORTS,
    certification_days,
    last_progress_report_visit,
    recertification_due_on,
    visits_left,
    visits_nearly_used_up,
)
from .models import TherapyPlan
from .therapy_taxonomy import therapist_problem

PLAN_FIELDS = (
    "discipline",
    "referring_practitioner",
    "therapist",
    "certification_start",
    "certification_end",
    "visits_planned",
    "progress_report_every",
    "careplan",
    "active",
)
FOCUS_TYPE = "checkins.TherapyPlan"


def _validate(actor: Actor, patient: Patient, data: dict, appointment_types: list[AppointmentType]) -> None:
    if data.get("discipline") not in TherapyDiscipline.values:
        raise ValidationError("Choose the discipline.", field="discipline")
    start, end = data["certification_start"], data["certification_end"]
    if end < start:
        raise ValidationError("The certification period ends before it starts.", field="certification_end")
    if certification_days(start, end) > MAX_CERTIFICATION_DAYS:
        raise ValidationError(
            f"Medicare requires the plan of care to be recertified at least every {MAX_CERTIFICATION_DAYS} days; "
            "end this certification period sooner.",
            field="certification_end",
        )
    if not 1 <= data["visits_planned"] <= 365:
        raise ValidationError("Plan between 1 and 365 visits.", field="visits_planned")
    if not 1 <= data["progress_report_every"] <= MAX_VISITS_BETWEEN_REPORTS:
        raise ValidationError(
            f"A progress report is due at least every {MAX_VISITS_BETWEEN_REPORTS} visits.",
            field="progress_report_every",
        )
    for name in ("referring_practitioner", "therapist"):
        practitioner = data.get(name)
        if practitioner is not None and practitioner.organization_id != actor.organization.pk:
            raise NotFoundError("That practitioner is not in your directory.")
    therapist = data.get("therapist")
    if therapist is not None:
        # Only PT/OT/SLP and their assistants, of the plan's discipline (therapy_taxonomy, NUCC codes).
        problem = therapist_problem(therapist, data["discipline"])
        if problem:
            raise ValidationError(problem, field="therapist")
    if any(t.organization_id != actor.organization.pk for t in appointment_types):
        raise NotFoundError("That appointment type is not your organization's.")
    careplan = data.get("careplan")
    if careplan is not None and (
        careplan.patient_id != patient.pk
        or careplan.organization_id not in (actor.organization.pk, patient.organization_id)
    ):
        raise NotFoundError("That care plan is not this patient's.")


@transaction.atomic
def therapy_plan_create(
    *, actor: Actor, patient: Patient, data: dict, appointment_types: list[AppointmentType]
) -> TherapyPlan:
    """Creates a plan of care, counts the visits already made and puts its due work on the worklist."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    data = {"active": True, "careplan": None, **data}
    _validate(actor, patient, data, appointment_types)
    plan = TherapyPlan.objects.create(
        organization=actor.organization, patient=patient, **{k: data[k] for k in PLAN_FIELDS if k in data}
    )
    plan.appointment_types.set(appointment_types)
    _hand_over_template_tasks(actor, plan)
    audit_record(
        actor=actor,
        event="therapy.create",
        action=AuditAction.CREATE,
        target=plan,
        patient=patient,
        detail={"discipline": plan.discipline},
    )
    return therapy_plan_recount(plan=plan)


@transaction.atomic
def therapy_plan_update(
    *,
    actor: Actor,
    plan: TherapyPlan,
    data: dict,
    appointment_types: list[AppointmentType],
    expected_version: int,
) -> TherapyPlan:
    """Saves an edit unless someone saved the plan first; visits and tasks follow the new period and types."""
    require_patient_editor(actor)
    patient_get(actor, plan.patient.public_id, audit_event=None)
    if plan.organization_id != actor.organization.pk:
        raise NotFoundError()
    merged = {**{k: getattr(plan, k) for k in PLAN_FIELDS}, **{k: v for k, v in data.items() if k in PLAN_FIELDS}}
    _validate(actor, plan.patient, merged, appointment_types)
    changed = sorted(k for k in PLAN_FIELDS if getattr(plan, k) != merged[k])
    for name in PLAN_FIELDS:
        setattr(plan, name, merged[name])
    save_versioned(plan, expected_version=expected_version, fields=list(PLAN_FIELDS))
    plan.appointment_types.set(appointment_types)
    _hand_over_template_tasks(actor, plan)
    audit_record(
        actor=actor,
        event="therapy.update",
        action=AuditAction.UPDATE,
        target=plan,
        patient=plan.patient,
        detail={"fields": changed},
    )
    return therapy_plan_recount(plan=plan)


# Care-plan template tasks (careplans.builtin_content) that only estimate what a therapy plan counts exactly: the
# progress report by the 10th visit and the recertification by day 90. Once a therapy plan belongs to the care
# plan, its own tasks (therapy_plan_tasks) follow the visits made and the certification period; the estimates
# would be the same work twice on the worklist.
TRACKED_BY_THERAPY_PLAN = ("therapy-progress-report", "therapy-recertify")


def _hand_over_template_tasks(actor: Actor, plan: TherapyPlan) -> None:
    if plan.careplan is None or plan.careplan.organization_id != actor.organization.pk:
        return
    estimates = plan.careplan.tasks.filter(
        organization=actor.organization, template_task_key__in=TRACKED_BY_THERAPY_PLAN, status__in=OPEN_TASK_STATUSES
    )
    note = (
        f"The {plan.get_discipline_display().lower()} plan of care tracks this from its visits and certification dates."
    )
    for task in estimates:
        careplan_services.task_set_status(
            actor=actor, task=task, status=TaskStatus.COMPLETED, expected_version=task.version, note=note
        )


def _local_span(plan: TherapyPlan) -> tuple[dt.datetime, dt.datetime]:
    tz = plan.organization.tz
    start = dt.datetime.combine(plan.certification_start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(plan.certification_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def count_visits(plan: TherapyPlan) -> int:
    """Fulfilled appointments of the plan's types within its certification period (local days)."""
    start, end = _local_span(plan)
    return Appointment.objects.filter(
        patient_id=plan.patient_id,
        appointment_type__in=plan.appointment_types.all(),
        status=AppointmentStatus.FULFILLED,
        start__gte=start,
        start__lt=end,
    ).count()


@transaction.atomic
def therapy_plan_recount(*, plan: TherapyPlan) -> TherapyPlan:
    """
    Recounts the visits used (a derived number: written without moving the plan's edit version) and creates
    the tasks now due. Safe to run again: each task has a dedupe key.
    """
    plan = TherapyPlan.objects.select_related("organization", "patient", "careplan").get(pk=plan.pk)
    used = count_visits(plan)
    if used != plan.visits_used:
        TherapyPlan.objects.filter(pk=plan.pk).update(visits_used=used, updated_at=clock.now())
        plan.visits_used = used
    if plan.active:
        therapy_plan_tasks(plan)
    return plan


def _task(plan: TherapyPlan, *, key: str, title: str, due: dt.date, description: str) -> Task:
    careplan = plan.careplan if plan.careplan and plan.careplan.status in EDITABLE_PLAN_STATUSES else None
    return careplan_services.task_create(
        actor=None,
        organization=plan.organization,
        patient=plan.patient,
        careplan=careplan,
        kind=TaskKind.PAPERWORK,
        title=title,
        description=description,
        due_date=due,
        owner_role=Role.COORDINATOR,
        source=TaskSource.CHECKINS,
        focus_type=FOCUS_TYPE,
        focus_id=plan.public_id,
        dedupe_key=f"therapy-{key}:{plan.public_id}",
    )


def therapy_plan_tasks(plan: TherapyPlan) -> list[Task]:
    """The plan's due work as tasks: recertification, the latest progress report reached, visits running out."""
    today = clock.today_in(plan.organization.tz)
    name = plan.get_discipline_display()
    tasks = [
        _task(
            plan,
            key=f"recert:{plan.certification_end.isoformat()}",
            title=f"{name}: recertify the plan of care",
            due=max(recertification_due_on(plan.certification_end), min(today, plan.certification_end)),
            description=f"The certification period ends {timefmt.day(plan.certification_end)}. "
            "Ask the referring provider to recertify the plan of care before then.",
        )
    ]
    report_at = last_progress_report_visit(plan.visits_used, plan.progress_report_every)
    if report_at is not None:
        tasks.append(
            _task(
                plan,
                key=f"progress:{plan.certification_start.isoformat()}:{report_at}",
                title=f"{name}: progress report due (visit {report_at})",
                due=today,
                description="Send the progress report to the referring provider.",
            )
        )
    if visits_nearly_used_up(plan.visits_planned, plan.visits_used):
        left = visits_left(plan.visits_planned, plan.visits_used)
        tasks.append(
            _task(
                plan,
                key=f"visits:{plan.visits_planned}",
                title=f"{name}: {left} of {plan.visits_planned} visits left",
                due=today,
                description="Ask for more visits (new plan of care or authorization) or plan the discharge.",
            )
        )
    return tasks


def therapy_plans_recount_all(*, organization: Organization) -> int:
    """Recounts the organization's active plans whose certification period has begun; returns how many."""
    today = clock.today_in(organization.tz)
    visible = patients_visible_to(careplan_services._system_actor(organization))
    plans = TherapyPlan.objects.filter(
        organization=organization,
        active=True,
        certification_start__lte=today,
        certification_end__gte=today - dt.timedelta(days=7),  # late-closed visits of the last week still count
        patient__in=visible,
    )
    count = 0
    for plan in plans:
        therapy_plan_recount(plan=plan)
        count += 1
    return count
