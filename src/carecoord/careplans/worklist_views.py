"""
The worklist: the coordinator's home page. Row actions (complete, snooze, reassign) answer the re-rendered
row plus the bucket counts (htmx); without JavaScript they redirect back to the worklist.
"""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from carecoord.core import timefmt
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, safe_next_url
from carecoord.core.models import User

from . import services
from .domain import BUCKET_CODES, worklist_bucket
from .forms import BulkReassignForm, CompleteTaskForm, ReassignTaskForm, SnoozeTaskForm, WorklistFilterForm
from .selectors import WorklistFilters, task_get, team_load, worklist_for
from .worklist_rows import ROW_FIELDS, task_row
from .worklist_statements import ROW_SLOTS

PAGE_SIZE = ROW_SLOTS  # a page of rows is read by one compiled statement (worklist_statements)


def org_members(actor):
    """People a task can be given to: active members of the actor's organization with a clinical role."""
    return (
        User.objects.filter(
            memberships__organization=actor.organization,
            memberships__active=True,
            is_active=True,
            memberships__role__in=[Role.COORDINATOR, Role.PROVIDER, Role.SUPERVISOR, Role.SCHEDULER],
        )
        .distinct()
        .order_by("full_name")
    )


class KnownCountPaginator(Paginator):
    """A paginator told its total (the worklist has it from the bucket counts), so it runs no COUNT query."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # shadows the cached_property that would count


def _is_supervisor(actor) -> bool:
    return actor.has_role(Role.SUPERVISOR, Role.ORG_ADMIN)


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    team = org_members(actor) if _is_supervisor(actor) else None
    form = WorklistFilterForm(request.GET or None, team=team, me=actor.user)
    filters = WorklistFilters(**form.filters())
    work = worklist_for(actor, filters)
    rows = work.tasks.only(*ROW_FIELDS)
    page = KnownCountPaginator(rows, PAGE_SIZE, count=work.total).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    row_query = _row_query(actor, work.owner)
    audit_worklist_view(actor, work.owner, shown=len(page.object_list), page=page.number)
    context = {
        "nav": "worklist",
        "form": form,
        "work": work,
        "page": page,
        "query": query.urlencode(),
        "members": team or (),
        "is_supervisor": _is_supervisor(actor),
        "own_list": work.owner == actor.user,
        "list_owner": work.owner,
        "rows": [task_row(task, row_query, this_year=work.today.year) for task in page],
        "blank_filters": _blank_filters() if team is None and not form.is_bound else None,
    }
    template = "careplans/worklist.html"
    if request.htmx and request.htmx.target == "worklist-results":
        # The counts come along (out of band): they follow the filters, as on a reload of the pushed URL.
        context["results_only"] = True
        template += "#results"
    return render(request, template, context)


@functools.cache
def _blank_filters() -> str:
    """The filter form as a coordinator first sees it (no choice, no team), rendered once per process: its
    select widgets render an option template each, ~3 ms a page."""
    return render_to_string("careplans/partials/worklist_filters.html", {"form": WorklistFilterForm(team=None)})


def _row_response(request, actor, task, *, message: str, form_errors=None, removed: bool = False) -> HttpResponse:
    if not request.htmx:
        if form_errors:
            messages.error(request, form_errors)
        else:
            messages.success(request, message)
        return redirect(safe_next_url(request, "careplans:worklist"))
    work = worklist_for(actor, WorklistFilters(owner=_list_owner(request, actor)))
    task.bucket = BUCKET_CODES[worklist_bucket(task.due_date, work.today, task.snoozed_until)]
    context = {
        "is_supervisor": _is_supervisor(actor),
        "own_list": work.owner == actor.user,
        "list_owner": work.owner,
        "row": task_row(task, _row_query(actor, work.owner), this_year=work.today.year),
        "row_message": message,
        "row_error": form_errors,
        "removed": removed,
        "counts": work.counts,
        "today": work.today,
    }
    return render(request, "careplans/partials/task_row_response.html", context)


def _row_query(actor, owner: User) -> str:
    """What a row's action links add to their query: whose list it is, when not the actor's own."""
    return "" if owner == actor.user else f"list_owner={owner.pk}&"


def _list_owner(request: HttpRequest, actor) -> User | None:
    """Whose worklist the row was on (a supervisor may act on a coordinator's); checked by `worklist_for`."""
    key = request.POST.get("list_owner", "")
    if not key.isdigit():
        return None
    return User.objects.filter(pk=int(key)).first()


def _errors(form) -> str:
    """The form's errors for a banner, each field's named by its label ("Snooze until: enter a valid date.")."""
    messages_ = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field is not None else ""
        for error in errors:
            text = str(error)
            if label:
                first = text.split(" ", 1)[0]
                if first[1:] == first[1:].lower():  # "This field…" reads "this field…"; "RxNorm…" stays
                    text = text[:1].lower() + text[1:]
                text = f"{label}: {text}"
            messages_.append(text)
    return " ".join(messages_)


@login_required
@require_POST
def task_complete(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    task = task_get(actor, public_id)
    form = CompleteTaskForm(request.POST)
    if not form.is_valid():
        return _row_response(request, actor, task, message="", form_errors=_errors(form))
    try:
        following = services.task_complete(
            actor=actor, task=task, note=form.cleaned_data["note"], expected_version=form.cleaned_data["version"]
        )
    except ApplicationError as exc:
        return _row_response(request, actor, task, message="", form_errors=exc.message)
    message = f"Completed: {task.title}."
    if following is not None:
        message += f" Next occurrence due {timefmt.day(following.due_date)}."
    return _row_response(request, actor, task, message=message, removed=True)


@login_required
@require_POST
def task_snooze(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    task = task_get(actor, public_id)
    form = SnoozeTaskForm(request.POST)
    if not form.is_valid():
        return _row_response(request, actor, task, message="", form_errors=_errors(form))
    try:
        services.task_snooze(
            actor=actor,
            task=task,
            until=form.cleaned_data["until"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ApplicationError as exc:
        return _row_response(request, actor, task, message="", form_errors=exc.message)
    return _row_response(
        request,
        actor,
        task,
        removed=True,
        message=f"Snoozed until {timefmt.day(form.cleaned_data['until'])}: {task.title}.",
    )


# A row action's form, and the page that shows it without JavaScript.
ROW_ACTIONS = {
    "complete": ("careplans/partials/complete_form.html", "Complete"),
    "snooze": ("careplans/partials/snooze_form.html", "Snooze"),
    "reassign": ("careplans/partials/reassign_form.html", "Reassign"),
}


@login_required
@require_GET
def task_action_form(request: HttpRequest, public_id) -> HttpResponse:
    """
    The form of one row action (`?action=complete|snooze|reassign`), loaded into its worklist row when opened
    (a page of 50 rows carrying every form was ~150 KB, and reassign lists every member), or as a page
    without htmx. Served at the `task_reassign_form` URL, which came first.
    """
    actor = clinical_actor(request)
    task = task_get(actor, public_id)
    action = request.GET.get("action", "reassign")
    if action not in ROW_ACTIONS:
        raise NotFoundError()
    template, title = ROW_ACTIONS[action]
    owner_key = request.GET.get("list_owner", "")
    context = {
        "task": task,
        "members": org_members(actor) if action == "reassign" else (),
        "list_owner": User.objects.filter(pk=int(owner_key)).first() if owner_key.isdigit() else None,
    }
    if request.htmx:
        return render(request, template, context)
    return render(
        request,
        "careplans/task_reassign.html",
        {**context, "nav": "worklist", "form_template": template, "title": title},
    )


task_reassign_form = task_action_form


@login_required
@require_POST
def task_reassign(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    task = task_get(actor, public_id)
    form = ReassignTaskForm(request.POST, members=org_members(actor))
    if not form.is_valid():
        return _row_response(request, actor, task, message="", form_errors=_errors(form))
    owner = form.cleaned_data["owner"]
    try:
        services.task_reassign(
            actor=actor,
            task=task,
            owner=owner,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except ApplicationError as exc:
        return _row_response(request, actor, task, message="", form_errors=exc.message)
    return _row_response(
        request,
        actor,
        task,
        removed=owner != (_list_owner(request, actor) or actor.user),
        message=f"Given to {owner.full_name}: {task.title}.",
    )


def audit_worklist_view(actor, owner, *, shown: int, **detail) -> None:
    """A worklist names patients: each view of one is an audit entry (whose list, how many tasks shown)."""
    audit_record(actor=actor, event="worklist.view", action=AuditAction.READ,
                 detail={"owner": owner.email if owner else "", "shown": shown, **detail})  # fmt: skip


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    if not _is_supervisor(actor):
        raise NotFoundError()
    context = {"nav": "worklist", "loads": team_load(actor), "form": BulkReassignForm(members=org_members(actor))}
    return render(request, "careplans/team.html", context)


@login_required
@require_POST
def bulk_reassign(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    if not _is_supervisor(actor):
        raise NotFoundError()
    form = BulkReassignForm(request.POST, members=org_members(actor))
    task_ids = request.POST.getlist("task")
    if not form.is_valid() or not task_ids:
        problems = [_errors(form), "" if task_ids else "Choose at least one task to move."]
        messages.error(request, " ".join(p for p in problems if p))
    else:
        try:
            moved = services.tasks_bulk_reassign(
                actor=actor, task_ids=task_ids, owner=form.cleaned_data["owner"], note=form.cleaned_data["note"]
            )
        except (ApplicationError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "Some of the chosen tasks were not found."))
        else:
            messages.success(
                request, f"Moved {moved} task{'s' if moved != 1 else ''} to {form.cleaned_data['owner'].full_name}."
            )
    return redirect(safe_next_url(request, "careplans:worklist"))
