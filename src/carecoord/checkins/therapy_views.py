"""
Therapy plans of care: create and edit (a page of its own; choosing the discipline ticks its visit types),
recount the visits now, the progress report PDF for the referring provider (audited as an export of the
patient's record), and the organization's Therapy page: its active plans and its therapists' calendars.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.directory.selectors import practitioners_for
from carecoord.patients.selectors import patient_get
from carecoord.scheduling.selectors import appointment_types_for

from . import therapy_pdf, therapy_services
from .choices import TherapyDiscipline
from .measurement_views import progress_url, put_error
from .progress_forms import TherapyPlanForm
from .progress_selectors import therapy_careplans_for, therapy_plan_get
from .therapy_selectors import (
    discipline_appointment_types,
    therapists_for,
    therapy_calendars,
    therapy_plans_for_organization,
)


def _form(actor, patient, data=None, *, types_url="", **kwargs) -> TherapyPlanForm:
    return TherapyPlanForm(
        data,
        practitioners=practitioners_for(actor),
        therapists=therapists_for(actor),
        appointment_types=appointment_types_for(actor),
        careplans=therapy_careplans_for(actor, patient),
        types_url=types_url,
        **kwargs,
    )


def _asked_discipline(request) -> str:
    """?discipline= of the form's GET (a link, or the discipline menu's change): "" when absent or unknown."""
    value = request.GET.get("discipline", "")
    return value if value in TherapyDiscipline.values else ""


def _with_discipline(actor, initial: dict, discipline: str) -> dict:
    """The form's initial values with `discipline` chosen and its visit types ticked."""
    return {
        **initial,
        "discipline": discipline,
        "appointment_types": list(discipline_appointment_types(actor, discipline)),
    }


def _page(request, patient, form, *, plan=None, status=200, conflict=False):
    context = {"nav": "patients", "patient": patient, "form": form, "plan": plan, "conflict": conflict}
    if request.htmx and request.method == "GET":
        # The discipline changed: only the appointment types, with that discipline's ticked.
        return render(request, "checkins/therapy_form.html#therapy-types", context, status=status)
    return render(request, "checkins/therapy_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_therapy_create(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    # The form's page is the chart's view; its POST and the discipline's types (htmx) are not another one.
    viewed = request.method == "GET" and not request.htmx
    patient = patient_get(actor, public_id, audit_event="patient.view" if viewed else None)
    types_url = reverse("checkins:patient_therapy_create", args=[patient.public_id])
    if request.method == "GET":
        today = clock.today_in(actor.organization.tz)
        initial = {"certification_start": today, "active": True}
        if discipline := _asked_discipline(request):
            initial = _with_discipline(actor, initial, discipline)
        return _page(request, patient, _form(actor, patient, initial=initial, types_url=types_url))
    form = _form(actor, patient, request.POST, types_url=types_url)
    if form.is_valid():
        try:
            plan = therapy_services.therapy_plan_create(
                actor=actor,
                patient=patient,
                data=form.plan_data(),
                appointment_types=list(form.cleaned_data["appointment_types"]),
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"{plan.get_discipline_display()} plan of care created.")
            return redirect(progress_url(patient, "therapy"))
    return _page(request, patient, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def therapy_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    plan = therapy_plan_get(actor, public_id)
    patient = plan.patient
    types_url = reverse("checkins:therapy_edit", args=[plan.public_id])
    if request.method == "GET":
        initial = TherapyPlanForm.initial_for(plan)
        if discipline := _asked_discipline(request):
            initial = _with_discipline(actor, initial, discipline)
        if not request.htmx:
            audit_record(actor=actor, event="therapy.view", action=AuditAction.READ, target=plan, patient=patient)
        return _page(request, patient, _form(actor, patient, initial=initial, types_url=types_url), plan=plan)
    form = _form(actor, patient, request.POST, types_url=types_url)
    conflict = False
    if form.is_valid():
        try:
            therapy_services.therapy_plan_update(
                actor=actor,
                plan=plan,
                data=form.plan_data(),
                appointment_types=list(form.cleaned_data["appointment_types"]),
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ConflictError as exc:
            conflict = True
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Plan of care saved.")
            return redirect(progress_url(patient, "therapy"))
    return _page(request, patient, form, plan=plan, status=409 if conflict else 400, conflict=conflict)


@login_required
@require_POST
def therapy_recount(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    plan = therapy_plan_get(actor, public_id)
    if not actor.can_edit_patients:
        raise NotFoundError()
    plan = therapy_services.therapy_plan_recount(plan=plan)
    audit_record(actor=actor, event="therapy.recount", action=AuditAction.EXECUTE, target=plan, patient=plan.patient)
    messages.success(request, f"Visits counted: {plan.visits_used} of {plan.visits_planned}.")
    return redirect(progress_url(plan.patient, "therapy"))


@login_required
@require_GET
def therapy_progress_report(request: HttpRequest, public_id) -> HttpResponse:
    """The progress report for the referring provider, as a PDF download."""
    actor = clinical_actor(request)
    plan = therapy_plan_get(actor, public_id)
    document = therapy_pdf.progress_report_pdf(actor, plan)
    audit_record(
        actor=actor,
        event="therapy.progress_report",
        action=AuditAction.READ,
        target=plan,
        patient=plan.patient,
        detail={"export": "pdf", "visits_used": plan.visits_used},
    )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="therapy-progress-report.pdf"'
    return response


@login_required
@require_GET
def therapy_list(request: HttpRequest) -> HttpResponse:
    """The organization's active therapy plans and the calendars of its therapy sites and therapists."""
    actor = clinical_actor(request)
    plans = list(therapy_plans_for_organization(actor))
    audit_record(actor=actor, event="therapy.list", action=AuditAction.READ, detail={"shown": len(plans)})
    context = {
        "nav": "schedule",
        "plans": plans,
        "calendars": therapy_calendars(actor),
        "today": clock.today_in(actor.organization.tz),
        "can_edit": actor.can_edit_patients,
    }
    return render(request, "checkins/therapy_list.html", context)
