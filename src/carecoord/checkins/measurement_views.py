"""
The chart's Progress tab (measurements and their charts, this month's care-management minutes and what they
support, the timer, enrollment, therapy plans) and the measurement actions. `progress_context` is what every
Progress action re-renders with when a form fails; time_views and therapy_views use it too.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from carecoord.core.http import clinical_actor, editor_actor, put_service_error
from carecoord.patients.chart import chart_context
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from . import measurement_services
from .charts import MeasurementSeries, describe, measurement_chart_svg, svg_data_uri
from .domain import next_progress_report_visit, recertification_due_on, visits_left, visits_nearly_used_up
from .measures import MEASURES
from .progress_forms import (
    EnrollmentEndForm,
    EnrollmentForm,
    MeasurementErrorForm,
    MeasurementForm,
    TimeAddForm,
    TimerStartForm,
)
from .progress_selectors import (
    billing_practitioners_for,
    enrollment_in_force,
    goals_for_measurement,
    measurement_get,
    measurements_for_patient,
    open_goals_for_patient,
    patient_month_summary,
    running_timer,
    therapy_plans_for_patient,
    time_entries_for_patient,
)

CHART_POINTS = 60  # the latest measurements drawn per kind; the table lists them all


def put_error(form, exc: ApplicationError) -> None:
    """A service's error on the form; missing and forbidden records answer with their own page."""
    put_service_error(form, exc, propagate=(NotFoundError, PermissionDeniedError))


def progress_url(patient: Patient, anchor: str = "") -> str:
    return reverse("checkins:patient_progress", args=[patient.public_id]) + (f"#{anchor}" if anchor else "")


def _target_goal(measurements: list, open_goals: list):
    """The goal a chart is drawn against: the latest measurement's goal with a target, else an open one."""
    for m in reversed(measurements):
        if m.goal is not None and m.goal.target_comparator and m.goal.target_value is not None:
            return m.goal
    return next((g for g in open_goals if g.target_comparator and g.target_value is not None), None)


def _charts(actor: Actor, patient: Patient) -> list[dict]:
    """One chart and table per kind measured, in the order of MEASURES."""
    tz = actor.organization.tz
    by_kind = defaultdict(list)
    for m in measurements_for_patient(actor, patient).order_by("occurred_at", "id"):
        by_kind[m.kind].append(m)
    charts = []
    for kind in MEASURES:
        rows = by_kind.get(kind)
        if not rows:
            continue
        counted = [m for m in rows if not m.entered_in_error]
        goal = _target_goal(counted, list(goals_for_measurement(actor, patient, kind)))
        series = MeasurementSeries(
            kind=kind,
            points=[(m.occurred_at.astimezone(tz), m.value, m.value2) for m in counted[-CHART_POINTS:]],
            target_comparator=goal.target_comparator if goal else "",
            target_value=goal.target_value if goal else None,
            target_value_high=goal.target_value_high if goal else None,
            target_text=goal.target_text if goal else "",
        )
        charts.append(
            {
                "kind": kind,
                "measure": MEASURES[kind],
                "series": series,
                "goal": goal,
                "image": svg_data_uri(measurement_chart_svg(series)) if counted else "",
                "alt": describe(series),
                "rows": list(reversed(rows)),
            }
        )
    return charts


def _therapy_rows(actor: Actor, patient: Patient) -> list[dict]:
    return [
        {
            "plan": plan,
            "left": visits_left(plan.visits_planned, plan.visits_used),
            "nearly_used_up": visits_nearly_used_up(plan.visits_planned, plan.visits_used),
            "next_report_at": next_progress_report_visit(plan.visits_used, plan.progress_report_every),
            "recert_due": recertification_due_on(plan.certification_end),
        }
        for plan in therapy_plans_for_patient(actor, patient)
    ]


def progress_context(actor: Actor, patient: Patient, **bound) -> dict:
    """Everything the Progress tab shows, with any bound forms that failed (measurement_form, time_form...)."""
    tz = actor.organization.tz
    today = clock.today_in(tz)
    now_local = clock.now().astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
    goals = list(open_goals_for_patient(actor, patient))
    enrollment = enrollment_in_force(actor, patient, today.year, today.month)
    context = chart_context(actor, patient, tab="progress")
    context.update(
        tz=tz,
        month=patient_month_summary(actor, patient, today.year, today.month),
        month_entries=list(time_entries_for_patient(actor, patient, today.year, today.month)),
        running=running_timer(actor),
        enrollment=enrollment,
        charts=_charts(actor, patient),
        therapy_rows=_therapy_rows(actor, patient),
        measurement_form=MeasurementForm(prefix="m", goals=goals, initial={"occurred_at": now_local}),
        timer_form=TimerStartForm(prefix="timer"),
        time_form=TimeAddForm(prefix="time", initial={"on_date": today}),
        enrollment_form=EnrollmentForm(
            prefix="enroll",
            practitioners=billing_practitioners_for(actor),
            initial={"start_date": today, "consent_on": today},
        ),
        enrollment_end_form=EnrollmentEndForm(prefix="end", initial={"end_date": today}),
        error_form=MeasurementErrorForm(),
        timer_conflict=None,
    )
    context.update(bound)
    return context


def render_progress(request: HttpRequest, actor: Actor, patient: Patient, *, status: int = 400, **bound):
    return render(request, "checkins/progress_tab.html", progress_context(actor, patient, **bound), status=status)


@login_required
@require_GET
def patient_progress(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="progress.view", action=AuditAction.READ, target=patient, patient=patient)
    return render_progress(request, actor, patient, status=200)


@login_required
@require_POST
def patient_measurement_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    goals = list(open_goals_for_patient(actor, patient))
    form = MeasurementForm(request.POST, prefix="m", goals=goals, tz=actor.organization.tz)
    if form.is_valid():
        try:
            measurement = measurement_services.measurement_record(actor=actor, patient=patient, **form.service_args())
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            note = f" It counts toward the goal “{measurement.goal.description}”." if measurement.goal else ""
            messages.success(request, f"{MEASURES[measurement.kind].display} recorded.{note}")
            return redirect(progress_url(patient, "measurements"))
    return render_progress(request, actor, patient, measurement_form=form)


@login_required
@require_POST
def measurement_enter_in_error(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    measurement = measurement_get(actor, public_id)
    form = MeasurementErrorForm(request.POST)
    form.is_valid()
    try:
        measurement_services.measurement_enter_in_error(
            actor=actor, measurement=measurement, reason=form.cleaned_data.get("reason", "")
        )
    except (NotFoundError, PermissionDeniedError):
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The measurement is marked entered in error and no longer counts.")
    return redirect(progress_url(measurement.patient, "measurements"))
