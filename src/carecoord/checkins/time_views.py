"""
Care-management time on the Progress tab: start and stop the timer, enter minutes by hand, mark an entry in
error; and the patient's program enrollment. Starting a timer while another runs asks first: the page shows
the running one with a button that stops it and starts the new one.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import dateformat
from django.views.decorators.http import require_POST

from carecoord.core import clock, timefmt
from carecoord.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.patients.selectors import patient_get

from . import time_services
from .choices import TimeKind
from .measurement_views import progress_url, put_error, render_progress
from .progress_forms import EnrollmentEndForm, EnrollmentForm, TimeAddForm, TimeErrorForm, TimerStartForm, TimerStopForm
from .progress_selectors import billing_practitioners_for, enrollment_get, patient_month_summary, time_entry_get
from .time_services import TimerRunningError


@login_required
@require_POST
def patient_time_start(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = TimerStartForm(request.POST, prefix="timer")
    if form.is_valid():
        data = form.cleaned_data
        try:
            time_services.time_start(
                actor=actor,
                patient=patient,
                activity=data["activity"],
                kind=data["kind"] or None,
                note=data["note"],
                stop_running=data["stop_running"],
            )
        except TimerRunningError as exc:
            return render_progress(request, actor, patient, status=409, timer_form=form, timer_conflict=exc.running)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Timer started.")
            return redirect(progress_url(patient, "time"))
    return render_progress(request, actor, patient, timer_form=form)


@login_required
@require_POST
def time_stop(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    entry = time_entry_get(actor, public_id)
    form = TimerStopForm(request.POST)
    if form.is_valid():
        try:
            entry = time_services.time_stop(actor=actor, entry=entry, minutes=form.cleaned_data["minutes"])
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"Timer stopped: {entry.minutes} min recorded.")
            return redirect(progress_url(entry.patient, "time"))
    return render_progress(request, actor, entry.patient, stop_form=form)


@login_required
@require_POST
def patient_time_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = TimeAddForm(request.POST, prefix="time", today=clock.today_in(actor.organization.tz))
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = time_services.time_add(
                actor=actor,
                patient=patient,
                activity=data["activity"],
                minutes=data["minutes"],
                on_date=data["on_date"],
                note=data["note"],
                kind=data["kind"] or None,
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, _recorded_message(actor, patient, entry, data["on_date"]))
            return redirect(progress_url(patient, "time"))
    return render_progress(request, actor, patient, time_form=form)


def _recorded_message(actor, patient, entry, on_date: dt.date) -> str:
    """
    What the success message says. Minutes count toward the calendar month they were spent in (CCM and PCM
    are billed per calendar month, STANDARDS.md 5.2-5.3), and the panel shows the current month: time for an
    earlier month says which month it went to, that month's new total, and that the month may already be billed
    (nothing here records a claim, so it is a warning, not a refusal).
    """
    today = clock.today_in(actor.organization.tz)
    if (on_date.year, on_date.month) == (today.year, today.month):
        return f"{entry.minutes} min recorded."
    month = dateformat.format(on_date, "F Y")
    summary = patient_month_summary(actor, patient, on_date.year, on_date.month)
    kind_total = summary.physician_minutes if entry.kind == TimeKind.PHYSICIAN else summary.staff_minutes
    return (
        f"{entry.minutes} min recorded for {timefmt.day(on_date)}: they count toward {month} "
        f"(now {kind_total} min of {entry.get_kind_display().lower()} time), not {dateformat.format(today, 'F')}'s "
        f"total shown here. {month} has ended: if its care management was already billed, these minutes are not on "
        "that claim; tell whoever bills."
    )


@login_required
@require_POST
def time_enter_in_error(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    entry = time_entry_get(actor, public_id)
    form = TimeErrorForm(request.POST)
    form.is_valid()
    try:
        time_services.time_enter_in_error(actor=actor, entry=entry, reason=form.cleaned_data.get("reason", ""))
    except (NotFoundError, PermissionDeniedError):
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The time entry is marked entered in error and no longer counts.")
    return redirect(progress_url(entry.patient, "time"))


@login_required
@require_POST
def patient_enrollment_set(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = EnrollmentForm(request.POST, prefix="enroll", practitioners=billing_practitioners_for(actor))
    if form.is_valid():
        try:
            enrollment = time_services.enrollment_set(actor=actor, patient=patient, **form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"Enrolled in {enrollment.get_program_display().lower()}.")
            return redirect(progress_url(patient, "time"))
    return render_progress(request, actor, patient, enrollment_form=form)


@login_required
@require_POST
def enrollment_end(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    enrollment = enrollment_get(actor, public_id)
    form = EnrollmentEndForm(request.POST, prefix="end")
    if form.is_valid():
        try:
            time_services.enrollment_end(actor=actor, enrollment=enrollment, end_date=form.cleaned_data["end_date"])
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "The enrollment ends on that day.")
            return redirect(progress_url(enrollment.patient, "time"))
    return render_progress(request, actor, enrollment.patient, enrollment_end_form=form)
