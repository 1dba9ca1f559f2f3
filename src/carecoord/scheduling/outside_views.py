"""
Outside appointments: record one booked by phone, its page, and its actions (confirm, attended or missed,
visit summary received). The actions are plain POST forms in `scheduling/outside_actions.html`, which any
appointment page can include; each redirects back to the page it came from (`next`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.patients.selectors import patient_get

from . import outside_services
from .forms import CancelForm
from .outside_forms import ConfirmForm, OutcomeForm, OutsideAppointmentForm, SummaryForm
from .selectors import appointment_get, scheduling_preference_for


def _outside_get(actor, public_id):
    appointment = appointment_get(actor, public_id)
    if not appointment.is_outside:
        raise NotFoundError()
    return appointment


PRACTITIONER_FIELD = "practitioner-field"


def _practitioner_field(request: HttpRequest, actor, public_id) -> HttpResponse:
    """
    The practitioner menu again when the practice menu changes (htmx): only the chosen practice's
    practitioners, keeping the one chosen if they are among them. No chart data, so no chart-view audit.
    """
    patient = patient_get(actor, public_id, audit_event=None)
    initial = {key: request.GET.get(key, "") for key in ("external_organization", "practitioner")}
    form = OutsideAppointmentForm(actor=actor, initial=initial)
    context = {"patient": patient, "form": form}
    response = render(request, "scheduling/outside_new.html#practitioner", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def patient_outside_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    if request.method == "GET" and request.htmx and request.htmx.target == PRACTITIONER_FIELD:
        return _practitioner_field(request, actor, public_id)
    # Showing the form reads the chart (audited here); a submitted form is audited by the service.
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    preference = scheduling_preference_for(actor, patient)
    initial = {"needs_transport": preference.needs_transport, "needs_interpreter": preference.needs_interpreter}
    form = OutsideAppointmentForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = outside_services.outside_appointment_record(
                actor=actor, patient=patient, **form.service_kwargs()
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Outside appointment recorded.")
            return redirect(reverse("scheduling:appointment_outside", args=[appointment.public_id]))
    context = {"nav": "patients", "patient": patient, "form": form}
    response = render(request, "scheduling/outside_new.html", context, status=400 if form.is_bound else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def appointment_outside(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    appointment = _outside_get(actor, public_id)
    audit_record(
        actor=actor, event="appointment.view", action=AuditAction.READ, target=appointment, patient=appointment.patient
    )
    context = {
        "nav": "patients",
        "appointment": appointment,
        "patient": appointment.patient,
        "tz": actor.organization.tz,
        "cancel_form": CancelForm(initial={"version": appointment.version}),
        "can_cancel": appointment.status in outside_services.OUTSIDE_TRANSITIONS,
    }
    return render(request, "scheduling/outside_detail.html", context)


def _back(request: HttpRequest, appointment) -> HttpResponse:
    """To the page the action was taken on (when it is this site's), else the outside appointment's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(reverse("scheduling:appointment_outside", args=[appointment.public_id]))


def _act(request: HttpRequest, public_id, form_class, action, success: str) -> HttpResponse:
    """Runs one outside action from a POSTed form; errors come back as a message on the same page."""
    actor = clinical_actor(request)
    appointment = _outside_get(actor, public_id)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(request, appointment)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        action(actor=actor, appointment=appointment, expected_version=version, **data)
    except NotFoundError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success.format(**data))
    return _back(request, appointment)


@login_required
@require_POST
def appointment_confirm(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        ConfirmForm,
        outside_services.outside_appointment_confirm,
        "Confirmed with {confirmed_with}.",
    )


@login_required
@require_POST
def appointment_outcome(request: HttpRequest, public_id) -> HttpResponse:
    return _act(request, public_id, OutcomeForm, outside_services.outside_appointment_outcome, "Marked {outcome}.")


@login_required
@require_POST
def appointment_summary(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        SummaryForm,
        outside_services.outside_appointment_summary_received,
        "Visit summary marked received.",
    )
