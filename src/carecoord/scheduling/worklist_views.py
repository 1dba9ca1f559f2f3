"""
The worklist's "Upcoming appointments" panel, served on its own: the worklist page shows the tasks at once and
htmx loads the panel beside them (without JavaScript, a link opens it as a page).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.http import clinical_actor

from .worklist_selectors import upcoming_appointments_for

PANEL = "scheduling/partials/worklist_appointments.html"


@login_required
@require_GET
def worklist_appointments(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    appointments = upcoming_appointments_for(actor)
    audit_record(actor=actor, event="worklist.appointments.view", action=AuditAction.READ,
                 detail={"shown": len(appointments)})  # fmt: skip
    context = {"nav": "worklist", "appointments": appointments}
    response = render(request, PANEL if request.htmx else "scheduling/worklist_appointments.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
