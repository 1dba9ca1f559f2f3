"""
The waitlist: the organization's list of waiting and offered entries, adding a patient, and the row actions
(accept an offer, decline it, remove the entry). Row actions answer the re-rendered row with htmx; without
JavaScript they redirect back to the list with a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor
from carecoord.patients.selectors import patient_get

from . import waitlist_services
from .waitlist_forms import WaitlistAddForm
from .waitlist_services import slot_label


@login_required
@require_GET
def waitlist(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    entries = list(waitlist_services.open_waitlist(actor))
    context = {"nav": "schedule", "entries": entries, "tz": actor.organization.tz}
    return render(request, "scheduling/waitlist_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_waitlist_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    # Showing the form reads the chart (audited here); a submitted form is audited by the service.
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    today = clock.today_in(actor.organization.tz)
    form = WaitlistAddForm(request.POST or None, actor=actor, patient=patient, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            entry = waitlist_services.waitlist_add(actor=actor, patient=patient, **form.cleaned_data)
        except NotFoundError:
            raise
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{patient.display_name} is on the waitlist for {entry.appointment_type.name}.")
            return redirect(reverse("scheduling:waitlist"))
    context = {"nav": "schedule", "patient": patient, "form": form}
    return render(request, "scheduling/waitlist_add.html", context, status=400 if form.is_bound else 200)


def _row_response(request: HttpRequest, actor, entry, *, message: str = "", error: str = "") -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, message)
        return redirect(reverse("scheduling:waitlist"))
    entry = waitlist_services.waitlist_entries_visible_to(actor).get(pk=entry.pk)
    context = {"entry": entry, "row_message": message, "row_error": error, "tz": actor.organization.tz}
    response = render(request, "scheduling/partials/waitlist_row.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _act(request: HttpRequest, public_id, action, success) -> HttpResponse:
    actor = clinical_actor(request)
    entry = waitlist_services.waitlist_entry_get(actor, public_id)
    try:
        result = action(actor=actor, entry=entry)
    except NotFoundError:
        raise
    except ApplicationError as exc:
        return _row_response(request, actor, entry, error=exc.message)
    return _row_response(request, actor, entry, message=success(entry, result, actor))


@login_required
@require_POST
def waitlist_accept(request: HttpRequest, public_id) -> HttpResponse:
    def booked(entry, appointment, actor):
        when = slot_label(appointment.start, actor.organization.tz)
        return f"Booked {entry.patient.display_name} on {when} with {appointment.practitioner}."

    return _act(request, public_id, waitlist_services.waitlist_accept, booked)


@login_required
@require_POST
def waitlist_decline(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        waitlist_services.waitlist_decline,
        lambda entry, result, actor: f"Offer declined; {entry.patient.display_name} is waiting again.",
    )


@login_required
@require_POST
def waitlist_remove(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        waitlist_services.waitlist_remove,
        lambda entry, result, actor: f"{entry.patient.display_name} is off the waitlist.",
    )
