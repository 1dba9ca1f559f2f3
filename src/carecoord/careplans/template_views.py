"""
Pages of the care-plan templates: the list (built-ins and the organization's own), a template's page with its
goals and tasks, and the actions on the organization's own templates (details, activate/deactivate, goals and
tasks). Built-ins are shown read-only with "Copy to adapt".

Goal and task actions answer htmx with the template's content re-rendered in place (the version, counts and
links change with every action); without JavaScript they redirect back to the page, or re-render it with the
form's errors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.access import require_role
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from carecoord.core.http import put_service_error

from . import template_services as services
from .choices import RecurrenceFrequency
from .models import CarePlanTemplate, TemplateGoal, TemplateTask
from .template_forms import TemplateActiveForm, TemplateForm, TemplateGoalForm, TemplateTaskForm

REPEAT_UNITS = {
    RecurrenceFrequency.DAILY: ("day", "days"),
    RecurrenceFrequency.WEEKLY: ("week", "weeks"),
    RecurrenceFrequency.MONTHLY: ("month", "months"),
}


def _actor(request: HttpRequest):
    actor = getattr(request, "actor", None)
    if actor is None:
        raise NotFoundError()
    return actor


def _detail_url(template: CarePlanTemplate) -> str:
    return reverse("careplans:template_detail", args=[template.public_id])


def _put_error(form, exc: ApplicationError) -> None:
    """A service's error on the form; missing and forbidden records answer with their own page."""
    put_service_error(form, exc, propagate=(NotFoundError, PermissionDeniedError))


def recurrence_words(task: TemplateTask) -> str:
    """'Every 2 weeks, 6 times' — a template task's repeat rule in words."""
    if not task.recurrence_frequency:
        return "Does not repeat"
    one, many = REPEAT_UNITS.get(task.recurrence_frequency, ("time", "times"))
    interval = task.recurrence_interval or 1
    every = f"Every {one}" if interval == 1 else f"Every {interval} {many}"
    return every + (f", {task.recurrence_count} times" if task.recurrence_count else "")


# The list ---------------------------------------------------------------------------------------------------


def _list_context(actor, form=None) -> dict:
    templates = list(
        services.templates_listed_for(actor).annotate(
            goal_count=Count("goals", distinct=True), task_count=Count("tasks", distinct=True)
        )
    )
    return {
        "nav": "patients",
        "builtins": [t for t in templates if t.is_builtin],
        "own": [t for t in templates if not t.is_builtin],
        "can_manage": services.can_manage_templates(actor),
        "form": form or TemplateForm(prefix="new"),
    }


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    return render(request, "careplans/template_list.html", _list_context(actor))


@login_required
@require_POST
def template_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require_role(actor, *services.MANAGER_ROLES)  # before the form: a 403 whatever the body
    form = TemplateForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            template = services.template_create(actor=actor, data=form.template_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"Template “{template.title}” created. Add its goals and tasks.")
            return redirect(_detail_url(template))
    return render(request, "careplans/template_list.html", _list_context(actor, form), status=400)


# A template's page ------------------------------------------------------------------------------------------


def _detail_context(actor, template: CarePlanTemplate, **bound) -> dict:
    """
    The template's page. `bound` carries forms that failed: goal_form / task_form (the add forms),
    goal_edit_form with goal_error_for (a goal's pk), task_edit_form with task_error_for, active_form.
    """
    goals = list(template.goals.all())
    tasks = list(template.tasks.select_related("goal"))
    editable = services.can_manage_templates(actor) and not template.is_builtin
    for task in tasks:
        task.repeat_text = recurrence_words(task)
    if editable:
        for goal in goals:
            goal.edit_form = (
                bound["goal_edit_form"]
                if bound.get("goal_error_for") == goal.pk
                else TemplateGoalForm(prefix=f"goal-{goal.pk}", initial=TemplateGoalForm.initial_for(goal))
            )
        for task in tasks:
            task.edit_form = (
                bound["task_edit_form"]
                if bound.get("task_error_for") == task.pk
                else TemplateTaskForm(prefix=f"task-{task.pk}", goals=goals, initial=TemplateTaskForm.initial_for(task))
            )
    return {
        "nav": "patients",
        "template": template,
        "goals": goals,
        "tasks": tasks,
        "can_manage": services.can_manage_templates(actor),
        "can_edit": editable,
        "goal_form": bound.get("goal_form") or TemplateGoalForm(prefix="goal"),
        "task_form": bound.get("task_form") or TemplateTaskForm(prefix="task", goals=goals),
        "active_form": bound.get("active_form"),
    }


def _reload(actor, template: CarePlanTemplate) -> CarePlanTemplate:
    """The template as stored now (its version moves with every action)."""
    return services.template_get(actor, template.public_id)


@login_required
@require_GET
def template_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    return render(request, "careplans/template_detail.html", _detail_context(actor, template))


def _respond(request, actor, template, *, ok: str | None, status: int = 400, **bound) -> HttpResponse:
    """After a goal or task action: htmx gets the content in place; else a redirect (success) or the page."""
    if ok and not request.htmx:
        messages.success(request, ok)
        return redirect(_detail_url(template))
    context = _detail_context(actor, _reload(actor, template), **({} if ok else bound))
    if request.htmx:
        # 200 even for errors: htmx swaps only successful answers, and the form shows its errors in place.
        context["panel_message"] = ok
        response = render(request, "careplans/template_detail.html#template-content", context)
    else:
        response = render(request, "careplans/template_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def template_copy(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    copy = services.template_copy(actor=actor, template=template)
    messages.success(request, f"This is your organization's copy of “{template.title}”: adapt it here.")
    return redirect(_detail_url(copy))


def _require_editable(actor, template: CarePlanTemplate) -> None:
    if not services.can_manage_templates(actor):
        raise PermissionDeniedError(services.NOT_A_MANAGER)
    if template.is_builtin:
        raise PermissionDeniedError(services.BUILTIN_READ_ONLY)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, public_id) -> HttpResponse:
    """The template's details on a page of their own, with the version the user saw."""
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    _require_editable(actor, template)
    if request.method == "GET":
        form = TemplateForm(editing=True, initial=TemplateForm.initial_for(template))
        return render(request, "careplans/template_edit.html", {"nav": "patients", "template": template, "form": form})
    form = TemplateForm(request.POST, editing=True)
    conflict = False
    if form.is_valid():
        try:
            services.template_update(
                actor=actor,
                template=template,
                data=form.template_data(),
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ConflictError as exc:
            conflict = True
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Template saved.")
            return redirect(_detail_url(template))
    context = {"nav": "patients", "template": _reload(actor, template), "form": form, "conflict": conflict}
    return render(request, "careplans/template_edit.html", context, status=409 if conflict else 400)


@login_required
@require_POST
def template_active(request: HttpRequest, public_id) -> HttpResponse:
    """Retires the template (no longer offered when a plan is started) or brings it back."""
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    _require_editable(actor, template)
    form = TemplateActiveForm(request.POST)
    status = 400
    if form.is_valid():
        active = form.cleaned_data["active"]
        try:
            services.template_update(
                actor=actor, template=template, data={"active": active}, expected_version=form.cleaned_data["version"]
            )
        except ApplicationError as exc:
            status = 409 if isinstance(exc, ConflictError) else 400
            _put_error(form, exc)
        else:
            state = "active: it is offered" if active else "inactive: it is no longer offered"
            messages.success(request, f"The template is {state} when a care plan is started.")
            return redirect(_detail_url(template))
    context = _detail_context(actor, _reload(actor, template), active_form=form)
    return render(request, "careplans/template_detail.html", context, status=status)


# Goals and tasks --------------------------------------------------------------------------------------------


def _goal_of(template: CarePlanTemplate, template_goal_id: int) -> TemplateGoal:
    goal = template.goals.filter(pk=template_goal_id).first()
    if goal is None:
        raise NotFoundError()
    return goal


def _task_of(template: CarePlanTemplate, template_task_id: int) -> TemplateTask:
    task = template.tasks.filter(pk=template_task_id).first()
    if task is None:
        raise NotFoundError()
    return task


@login_required
@require_POST
def template_goal_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    _require_editable(actor, template)
    form = TemplateGoalForm(request.POST, prefix="goal")
    ok = None
    if form.is_valid():
        try:
            goal = services.template_goal_add(actor=actor, template=template, data=form.goal_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            ok = f"Goal added: {goal.description}"
    return _respond(request, actor, template, ok=ok, goal_form=form)


@login_required
@require_POST
def template_goal_edit(request: HttpRequest, public_id, template_goal_id: int) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    goal = _goal_of(template, template_goal_id)
    _require_editable(actor, template)
    form = TemplateGoalForm(request.POST, prefix=f"goal-{goal.pk}")
    ok = None
    if form.is_valid():
        try:
            services.template_goal_update(actor=actor, goal=goal, data=form.goal_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            ok = f"Goal saved: {goal.description}"
    return _respond(request, actor, template, ok=ok, goal_edit_form=form, goal_error_for=goal.pk)


@login_required
@require_POST
def template_goal_remove(request: HttpRequest, public_id, template_goal_id: int) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    goal = _goal_of(template, template_goal_id)
    _require_editable(actor, template)
    services.template_goal_remove(actor=actor, goal=goal)
    return _respond(request, actor, template, ok=f"Goal removed: {goal.description}")


@login_required
@require_POST
def template_task_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    _require_editable(actor, template)
    form = TemplateTaskForm(request.POST, prefix="task", goals=list(template.goals.all()))
    ok = None
    if form.is_valid():
        try:
            task = services.template_task_add(actor=actor, template=template, data=form.task_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            ok = f"Task added: {task.title}"
    return _respond(request, actor, template, ok=ok, task_form=form)


@login_required
@require_POST
def template_task_edit(request: HttpRequest, public_id, template_task_id: int) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    task = _task_of(template, template_task_id)
    _require_editable(actor, template)
    form = TemplateTaskForm(request.POST, prefix=f"task-{task.pk}", goals=list(template.goals.all()))
    ok = None
    if form.is_valid():
        try:
            services.template_task_update(actor=actor, task=task, data=form.task_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            ok = f"Task saved: {task.title}"
    return _respond(request, actor, template, ok=ok, task_edit_form=form, task_error_for=task.pk)


@login_required
@require_POST
def template_task_remove(request: HttpRequest, public_id, template_task_id: int) -> HttpResponse:
    actor = _actor(request)
    template = services.template_get(actor, public_id)
    task = _task_of(template, template_task_id)
    _require_editable(actor, template)
    services.template_task_remove(actor=actor, task=task)
    return _respond(request, actor, template, ok=f"Task removed: {task.title}")
