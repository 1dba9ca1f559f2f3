"""
Therapy plans of care: create and edit (a page of its own), recount the visits now, and the progress report
PDF for the referring provider (audited as an export of the patient's record).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
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
from .measurement_views import progress_url, put_error
from .progress_forms import TherapyPlanForm
from .progress_selectors import therapy_careplans_for, therapy_plan_get


def _form(actor, patient, data=None, **kwargs) -> TherapyPlanForm:
    return TherapyPlanForm(
        data,
        practitioners=practitioners_for(actor),
        appointment_types=appointment_types_for(actor),
        careplans=therapy_careplans_for(actor, patient),
        **kwargs,
    )


def _page(request, patient, form, *, plan=None, status=200, conflict=False):
    context = {"nav": "patients", "patient": patient, "form": form, "plan": plan, "conflict": conflict}
    return render(request, "checkins/therapy_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_therapy_create(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    if request.method == "GET":
        today = clock.today_in(actor.organization.tz)
        return _page(request, patient, _form(actor, patient, initial={"certification_start": today, "active": True}))
    form = _form(actor, patient, request.POST)
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
    if request.method == "GET":
        audit_record(actor=actor, event="therapy.view", action=AuditAction.READ, target=plan, patient=patient)
        return _page(request, patient, _form(actor, patient, initial=TherapyPlanForm.initial_for(plan)), plan=plan)
    form = _form(actor, patient, request.POST)
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
