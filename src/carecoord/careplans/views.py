"""
Care plan pages: the chart's care-plan tab (plans, goals, the tasks timeline; create or apply a template), a
plan's page (approve, status, edit, goals, tasks, history), the printable PDF, and a task's page.

Panel actions on the plan page (add goal, goal progress, add task) answer with htmx the re-rendered panel plus
the other panels out of band (the plan's version and history change with every action); without JavaScript
they redirect back to the plan, or re-render it with the form's errors.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.models import User
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import pdf, services
from .choices import OPEN_TASK_STATUSES, CarePlanStatus, GoalAchievementStatus, GoalLifecycleStatus, TaskKind
from .domain import EDITABLE_PLAN_STATUSES, PLAN_TRANSITIONS
from .forms import (
    ApplyTemplateForm,
    CarePlanForm,
    CarePlanStatusForm,
    GoalForm,
    GoalStatusForm,
    TaskForm,
    VersionForm,
)
from .selectors import careplan_get, careplans_for_patient, patient_task_timeline, task_get, templates_for
from .worklist_views import org_members

# The plan's lifecycle moves offered as buttons, in this order (approval of a draft is its own action).
STATUS_ACTIONS = {
    CarePlanStatus.ACTIVE: "Reactivate",
    CarePlanStatus.ON_HOLD: "Put on hold",
    CarePlanStatus.COMPLETED: "Mark completed",
    CarePlanStatus.REVOKED: "Revoke",
}
PLAN_PANELS = ("plan-header", "goals-panel", "tasks-panel", "history-panel")


# A reassignment's note as `task_reassign` stores it: "<email or role> → <email or role>[: why]".
REASSIGN_NOTE = re.compile(r"(?P<before>\S*) → (?P<after>\S*)(?P<rest>: .*)?", re.DOTALL)

# Service fields that a form names differently.
FIELD_ALIASES = {"recurrence": "repeat", "note": "reason"}


def _put_error(form, exc: ApplicationError) -> None:
    """Shows a service's error on its field when the form has that field, else above the form."""
    if isinstance(exc, NotFoundError):
        raise exc
    field = FIELD_ALIASES.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


# The chart's care-plan tab ----------------------------------------------------------------------------------


def _conditions(patient) -> list:
    return list(patient.conditions.exclude(verification_status="entered-in-error").order_by("display"))


def _tab_context(actor, patient, *, plan_form=None, apply_form=None) -> dict:
    today = clock.today_in(actor.organization.tz)
    context = chart_context(actor, patient, tab="careplans")
    context.update(
        plans=list(careplans_for_patient(actor, patient)),
        timeline=patient_task_timeline(actor, patient),
        plan_form=plan_form
        or CarePlanForm(prefix="plan", conditions=_conditions(patient), initial={"start_date": today}),
        apply_form=apply_form
        or ApplyTemplateForm(prefix="apply", templates=templates_for(actor), initial={"start_date": today}),
    )
    return context


@login_required
@require_GET
def patient_careplans(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="careplan.list", action=AuditAction.READ, target=patient, patient=patient)
    return render(request, "careplans/patient_careplans.html", _tab_context(actor, patient))


@login_required
@require_POST
def careplan_create(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = CarePlanForm(request.POST, prefix="plan", conditions=_conditions(patient))
    if form.is_valid():
        try:
            careplan = services.careplan_create(
                actor=actor, patient=patient, data=form.plan_data(), addresses=form.chosen_conditions()
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            waiting = "" if careplan.status == CarePlanStatus.ACTIVE else " It waits for a provider's approval."
            messages.success(request, f"Care plan “{careplan.title}” created.{waiting}")
            return redirect(careplan.get_absolute_url())
    context = _tab_context(actor, patient, plan_form=form)
    return render(request, "careplans/patient_careplans.html", context, status=400)


@login_required
@require_POST
def template_apply(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = ApplyTemplateForm(request.POST, prefix="apply", templates=templates_for(actor))
    if form.is_valid():
        template = form.cleaned_data["template"]
        codes = set(template.condition_codes)
        try:
            careplan = services.careplan_template_apply(
                actor=actor,
                patient=patient,
                template=template,
                start_date=form.cleaned_data["start_date"],
                addresses=[c for c in _conditions(patient) if c.code in codes],
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"Care plan “{careplan.title}” created from the template.")
            return redirect(careplan.get_absolute_url())
    context = _tab_context(actor, patient, apply_form=form)
    return render(request, "careplans/patient_careplans.html", context, status=400)


# A plan's page ----------------------------------------------------------------------------------------------


def _status_actions(careplan) -> list[tuple[str, str]]:
    allowed = PLAN_TRANSITIONS.get(careplan.status, frozenset())
    if careplan.status == CarePlanStatus.DRAFT:
        allowed = allowed - {CarePlanStatus.ACTIVE}  # a draft becomes active by approval
    labels = {**STATUS_ACTIONS}
    if careplan.status == CarePlanStatus.COMPLETED:
        labels[CarePlanStatus.ACTIVE] = "Reopen"
    return [(status, label) for status, label in labels.items() if status in allowed]


def _change_lines(changes: dict) -> list[str]:
    """A revision's changes as short lines: 'status: draft → active'."""
    lines = []
    for name, pair in changes.items():
        label = name.replace("goal.", "goal ").replace("_", " ")
        if name == "addresses":
            lines.append("conditions addressed changed")
        elif isinstance(pair, list | tuple) and len(pair) == 2:
            before, after = (str(v) if v not in (None, "") else "—" for v in pair)
            lines.append(f"{label}: {before} → {after}")
    return lines


def _revisions(careplan) -> list:
    revisions = list(careplan.revisions.select_related("changed_by")[:100])
    for revision in revisions:
        revision.lines = _change_lines(revision.changes or {})
    return revisions


def _plan_context(actor, careplan, **bound) -> dict:
    """Everything the plan page shows, with any bound forms that failed (goal_form, task_form, status_form...)."""
    today = clock.today_in(actor.organization.tz)
    goals = list(careplan.goals.order_by(F("due_date").asc(nulls_last=True), "id"))
    tasks = list(
        careplan.tasks.select_related("owner", "goal", "completed_by", "organization").order_by("due_date", "id")
    )
    open_for_work = actor.can_edit_patients and careplan.status in EDITABLE_PLAN_STATUSES
    ours = careplan.organization_id == actor.organization.pk  # services._require_plan_author
    context = {
        "nav": "patients",
        "careplan": careplan,
        "patient": careplan.patient,
        "today": today,
        "addresses": list(careplan.addresses.all()),
        "goals": goals,
        "open_tasks": [t for t in tasks if t.status in OPEN_TASK_STATUSES],
        "closed_tasks": sorted(
            (t for t in tasks if t.status not in OPEN_TASK_STATUSES),
            key=lambda t: t.completed_at or t.updated_at,
            reverse=True,
        ),
        "revisions": _revisions(careplan),
        "can_edit": open_for_work and ours,
        "can_add_tasks": open_for_work,
        "plan_is_ours": ours,
        "can_change_status": actor.can_edit_patients and ours,
        "can_approve": careplan.status == CarePlanStatus.DRAFT and actor.has_role(Role.PROVIDER) and ours,
        "status_actions": _status_actions(careplan),
        "lifecycle_choices": GoalLifecycleStatus.choices,
        "achievement_choices": GoalAchievementStatus.choices,
        "goal_form": GoalForm(prefix="goal"),
        "task_form": TaskForm(prefix="task", members=org_members(actor), goals=goals, initial={"due_date": today}),
        "status_form": CarePlanStatusForm(initial={"version": careplan.version}),
        "approve_form": VersionForm(initial={"version": careplan.version}),
    }
    context.update(bound)
    return context


def _reload(actor, careplan):
    """The plan as stored now (the version and history move with every action)."""
    return careplan_get(actor, careplan.public_id, audit_event=None)


@login_required
@require_GET
def careplan_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    careplan = careplan_get(actor, public_id)
    return render(request, "careplans/careplan_detail.html", _plan_context(actor, careplan))


def _plan_response(request, actor, careplan, panel: str, *, ok: str | None, status: int = 400, **bound):
    """After a panel action: htmx gets the panel (plus the others out of band on success); else redirect or page."""
    if ok and not request.htmx:
        messages.success(request, ok)
        return redirect(careplan.get_absolute_url())
    careplan = _reload(actor, careplan)
    context = _plan_context(actor, careplan, **({} if ok else bound))
    if request.htmx:
        context.update(panel_message=ok, target_panel=panel, panels=PLAN_PANELS if ok else (panel,))
        response = render(request, "careplans/partials/plan_panels.html", context)
    else:
        response = render(request, "careplans/careplan_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def careplan_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None if request.method == "POST" else "careplan.view")
    refusal = services.plan_author_refusal(actor, careplan)
    if refusal:  # another organization's plan: its writer changes it
        messages.error(request, refusal)
        return redirect(careplan.get_absolute_url())
    conditions = _conditions(careplan.patient)
    if request.method == "GET":
        form = CarePlanForm(conditions=conditions, initial=CarePlanForm.initial_for(careplan))
        return render(request, "careplans/careplan_edit.html", {"nav": "patients", "careplan": careplan, "form": form})
    form = CarePlanForm(request.POST, conditions=conditions)
    conflict = False
    if form.is_valid():
        try:
            services.careplan_update(
                actor=actor,
                careplan=careplan,
                data=form.plan_data(),
                expected_version=form.cleaned_data.get("version") or 0,
                addresses=form.chosen_conditions(),
            )
        except ConflictError as exc:
            conflict = True
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Care plan saved.")
            return redirect(careplan.get_absolute_url())
    context = {"nav": "patients", "careplan": _reload(actor, careplan), "form": form, "conflict": conflict}
    return render(request, "careplans/careplan_edit.html", context, status=409 if conflict else 400)


@login_required
@require_POST
def careplan_approve(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None)  # 404 for a plan out of reach, then the role
    editor_actor(request, Role.PROVIDER)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.careplan_approve(actor=actor, careplan=careplan, expected_version=form.cleaned_data["version"])
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Care plan approved; it is now active.")
            return redirect(careplan.get_absolute_url())
    context = _plan_context(actor, _reload(actor, careplan), approve_form=form)
    return render(request, "careplans/careplan_detail.html", context, status=400)


@login_required
@require_POST
def careplan_status(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None)
    form = CarePlanStatusForm(request.POST)
    if form.is_valid():
        try:
            services.careplan_set_status(
                actor=actor,
                careplan=careplan,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"The care plan is now {careplan.get_status_display().lower()}.")
            return redirect(careplan.get_absolute_url())
    context = _plan_context(actor, _reload(actor, careplan), status_form=form)
    return render(request, "careplans/careplan_detail.html", context, status=400)


@login_required
@require_POST
def goal_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None)
    form = GoalForm(request.POST, prefix="goal")
    ok = None
    if form.is_valid():
        try:
            goal = services.goal_add(actor=actor, careplan=careplan, data=form.goal_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            ok = f"Goal added: {goal.description}"
    return _plan_response(request, actor, careplan, "goals-panel", ok=ok, goal_form=form)


@login_required
@require_POST
def goal_status(request: HttpRequest, public_id, goal_id) -> HttpResponse:
    actor = editor_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None)
    goal = get_object_or_404(careplan.goals, public_id=goal_id)
    form = GoalStatusForm(request.POST)
    ok, status = None, 400
    if form.is_valid():
        try:
            services.goal_update(
                actor=actor,
                goal=goal,
                data={k: form.cleaned_data[k] for k in ("lifecycle_status", "achievement_status")},
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            status = 409 if isinstance(exc, ConflictError) else 400
            _put_error(form, exc)
        else:
            ok = f"Goal updated: {goal.description}"
    bound = {"goal_error_for": goal.public_id, "goal_status_form": form}
    return _plan_response(request, actor, careplan, "goals-panel", ok=ok, status=status, **bound)


@login_required
@require_POST
def task_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None)
    today = clock.today_in(actor.organization.tz)
    form = TaskForm(
        request.POST, prefix="task", members=org_members(actor), goals=list(careplan.goals.all()), today=today
    )
    ok = None
    if form.is_valid():
        try:
            task = services.careplan_task_add(actor=actor, careplan=careplan, **form.task_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            ok = f"Task added: {task.title}"
            if task.due_date and task.due_date < today:
                ok += f" (due {timefmt.day(task.due_date)}, so already overdue)"
    return _plan_response(request, actor, careplan, "tasks-panel", ok=ok, task_form=form)


@login_required
@require_GET
def careplan_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The plan in plain language for the patient and family, as a PDF download."""
    actor = clinical_actor(request)
    careplan = careplan_get(actor, public_id, audit_event=None)
    document = pdf.careplan_pdf(actor, careplan)
    audit_record(
        actor=actor, event="careplan.print", action=AuditAction.READ, target=careplan, patient=careplan.patient
    )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="care-plan.pdf"'
    return response


# A task's page ----------------------------------------------------------------------------------------------


def _find_slot_url(task) -> str:
    """The patient's find-a-slot page for an open "appointment to schedule" task; empty for any other task."""
    if task.kind != TaskKind.SCHEDULE or task.status not in OPEN_TASK_STATUSES:
        return ""
    return f"{reverse('scheduling:find')}?{urlencode({'patient': task.patient.public_id})}"


@login_required
@require_GET
def task_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    task = task_get(actor, public_id)
    audit_record(actor=actor, event="task.view", action=AuditAction.READ, target=task, patient=task.patient)
    return render(
        request,
        "careplans/task_detail.html",
        {
            "nav": "worklist",
            "task": task,
            "events": _task_history(task),
            "today": clock.today_in(actor.organization.tz),
            "is_open": task.status in OPEN_TASK_STATUSES,
            "find_slot_url": _find_slot_url(task),
        },
    )


def _task_history(task) -> list:
    """The task's events, each with `note_text`: a reassignment names people and roles, not the emails kept."""
    events = list(task.events.select_related("by"))
    moves = {e.pk: m for e in events if e.kind == "reassign" and (m := REASSIGN_NOTE.fullmatch(e.note))}
    emails = {value for m in moves.values() for value in (m["before"], m["after"]) if "@" in value}
    names = {}
    if emails:  # one query for the whole history; only people of the task's organization are named
        people = User.objects.filter(email__in=emails, memberships__organization=task.organization_id)
        names = dict(people.exclude(full_name="").values_list("email", "full_name"))

    def who(value: str) -> str:
        if value in Role.values:
            return Role(value).label
        return names.get(value) or value or "no one"

    for event in events:
        move = moves.get(event.pk)
        event.note_text = (
            event.note if move is None else f"{who(move['before'])} → {who(move['after'])}{move['rest'] or ''}"
        )
    return events
