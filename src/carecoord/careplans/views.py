"""Care plan pages: the chart's care-plan tab, a plan's page, a task's page (being built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecoord.core.errors import NotFoundError

from .selectors import careplan_get, task_get


def _actor(request: HttpRequest):
    actor = getattr(request, "actor", None)
    if actor is None or not actor.can_see_patients:
        raise NotFoundError()
    return actor


@login_required
@require_GET
def task_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    task = task_get(actor, public_id)
    return render(
        request,
        "careplans/task_detail.html",
        {"nav": "worklist", "task": task, "events": task.events.select_related("by")},
    )


@login_required
@require_GET
def careplan_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    careplan = careplan_get(actor, public_id)
    return render(request, "careplans/careplan_detail.html", {"nav": "patients", "careplan": careplan})
