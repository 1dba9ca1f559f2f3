"""
Check-in pages: the chart's Check-ins tab (cadence, outreach, notes, assessments with score charts), a
note's page (edit while draft, sign, discard, addenda, add a questionnaire), a questionnaire's form and
result, the patient timeline, and the organization's check-in policy. Writes redirect back (POST/redirect/
GET); a form with errors is shown again with status 400.
"""

import datetime as dt
import uuid
from xml.etree import ElementTree as ET

import pygal
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.careplans.choices import OPEN_TASK_STATUSES, GoalAchievementStatus
from carecoord.careplans.selectors import careplans_for_patient, task_get
from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import services
from .charts import CHART_STYLE, svg_data_uri
from .choices import Adherence, Barrier, NoteStatus
from .forms import (
    AddendumForm,
    AssessmentForm,
    CadenceForm,
    CheckinPolicyForm,
    NoteForm,
    OutreachForm,
    TimelineFilterForm,
    VersionForm,
)
from .instruments import INSTRUMENTS
from .notes import NOTE_TEMPLATES
from .progress_selectors import goal_plan_titles
from .selectors import (
    ACTIVE_PLAN_STATUSES,
    TIMELINE_KINDS,
    active_cadence,
    assessment_get,
    assessment_series,
    assessments_for_patient,
    cadence_get,
    checkin_policy_for,
    checkin_status,
    failed_run_length,
    note_get,
    notes_for_patient,
    open_goals_for,
    outreach_for_patient,
    patient_timeline,
)


def _tab_url(patient) -> str:
    return reverse("checkins:patient_checkins", args=[patient.public_id])


# The chart's Check-ins tab ----------------------------------------------------------------------------------


def _checkin_task(actor, request: HttpRequest, patient):
    """The worklist task a call is logged from (?task=), when it is about this patient."""
    key = request.GET.get("task") or ""
    if not key:
        return None
    try:
        task = task_get(actor, key)
    except NotFoundError:
        return None
    return task if task.patient_id == patient.pk else None


def _safe_next(request: HttpRequest) -> str:
    """Where the coordinator came from (`next`, from the worklist's "Log call"), when it is on this site."""
    target = request.POST.get("outreach-next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _tab_context(actor, request, patient, log_task=None, **bound) -> dict:
    tz = actor.organization.tz
    policy = checkin_policy_for(actor.organization)
    assessments = assessments_for_patient(actor, patient)
    context = chart_context(actor, patient, tab="checkins")
    task = log_task or _checkin_task(actor, request, patient)
    cadence = active_cadence(actor, patient)
    context.update(
        policy=policy,
        cadence=cadence,
        checkin=checkin_status(actor, patient, cadence),
        attempts=outreach_for_patient(actor, patient),
        failed_in_a_row=failed_run_length(actor, patient),
        notes=notes_for_patient(actor, patient),
        note_templates=NOTE_TEMPLATES.values(),
        assessments=assessments,
        charts=_score_charts(assessments, tz),
        instruments=INSTRUMENTS.values(),
        log_task=task,
        cadence_form=CadenceForm(
            prefix="cadence", policy=policy, careplans=_plans(actor, patient), initial={"preset": CadenceForm.STANDARD}
        ),
        outreach_form=OutreachForm(
            prefix="outreach",
            tz=tz,
            related_persons=context["related_persons"],
            initial={"task": task.public_id if task else None, "next": _safe_next(request)},
        ),
    )
    context.update(bound)
    return context


def _plans(actor, patient):
    # With their organization: the dropdown labels plans that share a title by author and organization.
    return careplans_for_patient(actor, patient).filter(status__in=ACTIVE_PLAN_STATUSES).select_related("organization")


@login_required
@require_GET
def patient_checkins(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="checkins.view", action=AuditAction.READ, target=patient, patient=patient)
    return render(request, "checkins/patient_checkins.html", _tab_context(actor, request, patient))


@login_required
@require_POST
def patient_cadence_set(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = CadenceForm(
        request.POST, prefix="cadence", policy=checkin_policy_for(actor.organization), careplans=_plans(actor, patient)
    )
    if form.is_valid():
        try:
            cadence = services.cadence_set(actor=actor, patient=patient, **form.service_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(
                request, f"Check in every {cadence.interval_days} days; next due {timefmt.day(cadence.next_due)}."
            )
            return redirect(_tab_url(patient))
    context = _tab_context(actor, request, patient, cadence_form=form)
    return render(request, "checkins/patient_checkins.html", context, status=400)


@login_required
@require_POST
def cadence_stop(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    cadence = cadence_get(actor, public_id)
    try:
        services.cadence_stop(actor=actor, cadence=cadence)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "Scheduled check-ins stopped.")
    return redirect(_tab_url(cadence.patient))


@login_required
@require_POST
def patient_outreach_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    related = [p for p in patient.related_persons.filter(active=True)]
    form = OutreachForm(request.POST, prefix="outreach", tz=actor.organization.tz, related_persons=related)
    task = None
    if form.is_valid():
        try:
            task = task_get(actor, form.cleaned_data["task"]) if form.cleaned_data["task"] else None
            logged = services.outreach_log(
                actor=actor,
                patient=patient,
                method=form.cleaned_data["method"],
                outcome=form.cleaned_data["outcome"],
                occurred_at=form.cleaned_data["occurred_at"],
                related_person=form.related_person(),
                note=form.cleaned_data["note"],
                task=task,
                minutes=form.cleaned_data["minutes"] if task else None,
                complete_task=bool(task and form.cleaned_data["complete_task"]),
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _logged_message(actor, logged))
            return redirect(_safe_next(request) or _tab_url(patient) + "#outreach")
    else:
        task = _posted_task(actor, form, patient)
    context = _tab_context(actor, request, patient, log_task=task, outreach_form=form)
    return render(request, "checkins/patient_checkins.html", context, status=400)


def _posted_task(actor, form, patient):
    """The task of a form with errors, so it is shown again with its minutes and completion fields."""
    try:
        task = task_get(actor, uuid.UUID(form.data.get("outreach-task", "")))
    except (ValueError, NotFoundError):
        return None
    return task if task.patient_id == patient.pk else None


def _logged_message(actor, logged: services.CallLogged) -> str:
    """What was recorded: "Recorded: Phone call, reached; 12 min logged; task ... completed." and the like."""
    attempt = logged.attempt
    parts = [f"Recorded: {attempt.get_method_display()}, {attempt.get_outcome_display().lower()}"]
    if logged.time_entry is not None:
        parts.append(f"{logged.time_entry.minutes} min logged as care-management time")
    task = logged.task
    if task is not None and logged.task_completed:
        done = f"task “{task.title}” completed"
        if logged.next_task is not None and logged.next_task.due_date:
            done += f" (the next one is due {timefmt.day(logged.next_task.due_date)})"
        parts.append(done)
    elif task is not None and task.status in OPEN_TASK_STATUSES:
        parts.append(f"task “{task.title}” stays open")
    text = "; ".join(parts) + "."
    if logged.failed_in_a_row:
        policy = checkin_policy_for(actor.organization)
        tries = logged.failed_in_a_row
        text += f" {tries} attempt{'s' if tries != 1 else ''} in a row without reaching the patient"
        if tries >= policy.failed_attempts_to_escalate:
            text += f": {policy.get_escalation_action_display().lower()} (a task is on the worklist)."
        else:
            text += f"; after {policy.failed_attempts_to_escalate}: {policy.get_escalation_action_display().lower()}."
    return text


def _score_charts(assessments, tz) -> list[dict]:
    """Per instrument: a server-rendered SVG line chart of totals with the band thresholds, and its data."""
    charts = []
    for key, points in assessment_series(assessments).items():
        instrument = INSTRUMENTS[key]
        chart = pygal.Line(
            style=CHART_STYLE,
            js=[],
            disable_xml_declaration=True,
            explicit_size=True,
            height=280,
            width=640,
            range=(0, instrument.max_score),
            legend_at_bottom=True,
            truncate_legend=-1,
            x_label_rotation=30,
            title=f"{instrument.title} over time",
        )
        chart.x_labels = [timefmt.day_short_year(p.at, tz) for p in points]
        chart.add(f"{instrument.title} total", [p.total for p in points])
        for band in instrument.bands[1:]:
            chart.add(
                f"{band.label} from {band.low}",
                [band.low] * len(points),
                show_dots=False,
                stroke_style={"dasharray": "4, 4", "width": 1},
            )
        root = chart.render_tree()
        for parent in root.iter():
            for child in list(parent):
                if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                    parent.remove(child)
        last = points[-1]
        alt = (
            f"{instrument.title}: {len(points)} result{'s' if len(points) != 1 else ''}; latest {last.total} "
            f"({last.band}) on {timefmt.day(last.at, tz)}."
        )
        svg = ET.tostring(root, encoding="unicode")
        charts.append({"instrument": instrument, "points": points, "alt": alt, "src": svg_data_uri(svg)})
    return charts


# Progress notes ---------------------------------------------------------------------------------------------


def _providers(context_or_patient, today) -> list[tuple[str, str]]:
    """Care-team members who are staff or practitioners, as (id, name) choices for a note's participants."""
    members = context_or_patient.care_team.select_related("user", "practitioner").filter(related_person__isnull=True)
    return [(str(m.public_id), f"{m.member_name} ({m.get_role_display()})") for m in members if m.is_current(today)]


def _note_form(actor, patient, template: str, data=None, initial=None, goals=None) -> NoteForm:
    today = clock.today_in(actor.organization.tz)
    return NoteForm(
        data,
        initial=initial,
        template=template,
        tz=actor.organization.tz,
        goals=goals if goals is not None else open_goals_for(actor, patient),
        related_persons=list(patient.related_persons.filter(active=True)),
        providers=_providers(patient, today),
    )


@login_required
@require_http_methods(["GET", "POST"])
def patient_note_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    template = request.POST.get("template") or request.GET.get("template") or ""
    if template not in NOTE_TEMPLATES:
        raise Http404("Choose a note template.")
    if request.method == "GET":
        initial = {"title": NOTE_TEMPLATES[template].default_title, "occurred_at": _local_now(actor)}
        form = _note_form(actor, patient, template, initial=initial)
        return render(request, "checkins/note_form.html", _note_form_context(actor, patient, form, template))
    form = _note_form(actor, patient, template, data=request.POST)
    if form.is_valid():
        try:
            note = services.note_create(actor=actor, patient=patient, template=template, data=form.note_data(patient))
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Draft saved. Sign it when it is complete.")
            return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    return render(request, "checkins/note_form.html", _note_form_context(actor, patient, form, template), status=400)


def _local_now(actor) -> dt.datetime:
    return clock.now().astimezone(actor.organization.tz).replace(tzinfo=None, second=0, microsecond=0)


def _note_form_context(actor, patient, form, template, note=None) -> dict:
    return {"nav": "patients", "patient": patient, "form": form, "template": NOTE_TEMPLATES[template], "note": note}


@login_required
@require_GET
def note_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    note = note_get(actor, public_id)
    return render(request, "checkins/note_detail.html", _note_context(actor, note))


def _goal_progress(actor, note, rows: list[dict]) -> list[dict]:
    """A note's goal progress rows, each with its status by name and the care plan the goal belongs to."""
    statuses = dict(GoalAchievementStatus.choices)
    plans = goal_plan_titles(actor, note.patient, [row.get("goal") for row in rows])
    return [
        {**row, "status_label": statuses.get(row.get("status", ""), ""), "careplan": plans.get(row.get("goal"), "")}
        for row in rows
    ]


def _note_context(actor, note, **bound) -> dict:
    structured = note.structured or {}
    is_author_draft = not note.is_signed and note.status == NoteStatus.DRAFT and note.author_id == actor.user.pk
    context = {
        "nav": "patients",
        "note": note,
        "patient": note.patient,
        "template": NOTE_TEMPLATES.get(note.template),
        "addenda": list(note.addenda.select_related("author")),
        "assessments": list(note.assessments.select_related("by")),
        "can_edit": is_author_draft and actor.can_edit_patients,
        "can_addend": note.is_signed and actor.can_edit_patients and note.organization_id == actor.organization.pk,
        "instruments": INSTRUMENTS.values(),
        "adherence_label": dict(Adherence.choices).get(structured.get("adherence", ""), ""),
        "barrier_labels": [dict(Barrier.choices).get(b, b) for b in structured.get("barriers", [])],
        "goal_progress": _goal_progress(actor, note, structured.get("goals", [])),
        "sign_form": VersionForm(initial={"version": note.version}),
        "addendum_form": AddendumForm(),
    }
    context.update(bound)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    note = note_get(actor, public_id, audit_event=None if request.method == "POST" else "note.view")
    if note.is_signed:
        messages.error(request, services.SIGNED_MESSAGE)
        return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    goals = open_goals_for(actor, note.patient)
    if request.method == "GET":
        initial = NoteForm.initial_for(note, actor.organization.tz, goals)
        form = _note_form(actor, note.patient, note.template, initial=initial, goals=goals)
        return render(
            request, "checkins/note_form.html", _note_form_context(actor, note.patient, form, note.template, note)
        )
    form = _note_form(actor, note.patient, note.template, data=request.POST, goals=goals)
    status = 400
    if form.is_valid():
        try:
            services.note_update(
                actor=actor,
                note=note,
                data=form.note_data(note.patient),
                expected_version=form.cleaned_data["version"] or 0,
            )
        except ApplicationError as exc:
            status = 409 if isinstance(exc, ConflictError) else 400
            _put_error(form, exc)
        else:
            messages.success(request, "Draft saved.")
            return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    context = _note_form_context(actor, note.patient, form, note.template, note)
    return render(request, "checkins/note_form.html", context, status=status)


@login_required
@require_POST
def note_sign(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    note = note_get(actor, public_id, audit_event=None)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.note_sign(actor=actor, note=note, expected_version=form.cleaned_data["version"])
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Note signed. It can no longer change; corrections go in an addendum.")
            return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    context = _note_context(actor, note_get(actor, public_id, audit_event=None), sign_form=form)
    return render(request, "checkins/note_detail.html", context, status=400)


@login_required
@require_POST
def note_discard(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    note = note_get(actor, public_id, audit_event=None)
    patient = note.patient
    try:
        services.note_discard(actor=actor, note=note)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
        return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    messages.success(request, "Draft discarded.")
    return redirect(_tab_url(patient))


@login_required
@require_POST
def note_addendum_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    note = note_get(actor, public_id, audit_event=None)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.note_addendum_add(actor=actor, note=note, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Addendum added.")
            return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    return render(request, "checkins/note_detail.html", _note_context(actor, note, addendum_form=form), status=400)


# Questionnaires ---------------------------------------------------------------------------------------------


def _instrument(request):
    key = request.POST.get("instrument") or request.GET.get("instrument") or ""
    if key not in INSTRUMENTS:
        raise Http404("Choose a questionnaire.")
    return INSTRUMENTS[key]


def _assessment_page(request, actor, patient, note=None) -> HttpResponse:
    instrument = _instrument(request)
    tz = actor.organization.tz
    form = AssessmentForm(request.POST or None, instrument=instrument, tz=tz)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                assessment, _ = services.assessment_record(
                    actor=actor,
                    patient=patient,
                    instrument=instrument.key,
                    answers=form.answers(),
                    occurred_at=form.cleaned_data["occurred_at"],
                    note=note,
                )
            except ApplicationError as exc:
                _put_error(form, exc)
            else:
                messages.success(request, f"{instrument.title} saved: {assessment.total}, {assessment.band}.")
                if note is not None:
                    return redirect(reverse("checkins:note_detail", args=[note.public_id]))
                return redirect(reverse("checkins:assessment_detail", args=[assessment.public_id]))
    context = {"nav": "patients", "patient": patient, "form": form, "instrument": instrument, "note": note}
    return render(request, "checkins/assessment_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_assessment_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    return _assessment_page(request, actor, patient)


@login_required
@require_http_methods(["GET", "POST"])
def note_assessment_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    note = note_get(actor, public_id, audit_event=None if request.method == "POST" else "note.view")
    if note.status != NoteStatus.DRAFT:
        messages.error(request, "That note is signed; record the questionnaire on its own or in a new note.")
        return redirect(reverse("checkins:note_detail", args=[note.public_id]))
    return _assessment_page(request, actor, note.patient, note=note)


@login_required
@require_GET
def assessment_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    assessment = assessment_get(actor, public_id)
    instrument = INSTRUMENTS.get(assessment.instrument)
    answers = []
    if instrument:
        labels = dict(instrument.answers)
        for number, item in enumerate(instrument.items, start=1):
            value = assessment.answers.get(item.link_id)
            answers.append({"number": number, "text": item.text, "value": value, "label": labels.get(value, "—")})
    follow_up = "Positive PHQ-2: give the PHQ-9." if assessment.instrument == "phq2" and assessment.positive else ""
    context = {
        "nav": "patients", "patient": assessment.patient, "assessment": assessment, "instrument": instrument,
        "answers": answers, "follow_up": follow_up,
    }  # fmt: skip
    return render(request, "checkins/assessment_detail.html", context)


# The timeline -----------------------------------------------------------------------------------------------


def _day_start(day: dt.date | None, tz) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz) if day else None


@login_required
@require_GET
def patient_timeline_view(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = TimelineFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    tz = actor.organization.tz
    end_day = data.get("date_to")
    timeline = patient_timeline(
        actor,
        patient,
        kinds=data.get("kinds") or None,
        start=_day_start(data.get("date_from"), tz),
        end=_day_start(end_day + dt.timedelta(days=1), tz) if end_day else None,
        page=data.get("page") or 1,
    )
    audit_record(actor=actor, event="timeline.view", action=AuditAction.READ, target=patient, patient=patient)
    query = request.GET.copy()
    query.pop("page", None)
    context = chart_context(actor, patient, tab="timeline")
    context.update(filter_form=form, timeline=timeline, kinds=TIMELINE_KINDS, query=query.urlencode())
    return render(
        request, "checkins/patient_timeline.html", context, status=200 if form.is_valid() or not request.GET else 400
    )


# The organization's policy ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def policy_settings(request: HttpRequest) -> HttpResponse:
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_org_admin:
        raise NotFoundError()
    policy = checkin_policy_for(actor.organization)
    form = CheckinPolicyForm(request.POST or None, initial=CheckinPolicyForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_policy_update(actor=actor, data=form.cleaned_data)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Check-in policy saved.")
            return redirect(reverse("checkins:policy_settings"))
    status = 400 if request.method == "POST" else 200
    return render(request, "checkins/policy_settings.html", {"nav": "settings", "form": form}, status=status)
