"""
Transitions pages: the dashboard of open episodes (deadlines, risk, readmissions, filters), an episode's page
(the stay, checklist, deadlines with their actions, complexity, LACE, TCM, the feed's history) and the chart's
Hospital stays tab. Writes redirect back to the episode (POST/redirect/GET); a form with errors is shown again
on the episode page with status 400.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from carecoord.checkins.choices import OutreachMethod
from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import domain, selectors, services
from .choices import (
    AdmissionType,
    DischargeDisposition,
    EncounterClass,
    EncounterStatus,
    TransitionStep,
    admission_type_label,
)
from .forms import ChecklistItemForm, ComplexityForm, DashboardFilterForm, StepForm
from .models import TransitionEpisode

PAGE_SIZE = 50
STEP_LABELS = {"contact": "Contact", "med_rec": "Med rec", "visit": "Visit"}
STATE_LABELS = {"done": "Done", "done_late": "Done late", "due": "Due", "overdue": "Overdue"}
DONE_ACTIONS = {
    TransitionStep.CONTACT: "Record contact",
    TransitionStep.MED_REC: "Med rec done",
    TransitionStep.VISIT: "Visit done",
}


@dataclass(frozen=True)
class Deadline:
    """One deadline as the pages show it: its label, due day, state, when it was done, days left or late."""

    step: str
    label: str
    due: dt.date
    state: str  # done, done_late, due, overdue (window: open, ended)
    state_label: str
    done_at: dt.datetime | None
    days: int  # days until due (negative: days late)


def deadlines(episode: TransitionEpisode, today: dt.date) -> list[Deadline]:
    """The contact, medication and visit deadlines, then the 30-day window, as the pages show them."""
    rows = [
        Deadline(
            step=s.step,
            label=STEP_LABELS[s.step],
            due=s.due,
            state=s.state,
            state_label=_state_label(s.state, (s.due - today).days),
            done_at=s.done_at,
            days=(s.due - today).days,
        )
        for s in selectors.episode_progress(episode, today)
    ]
    left = (episode.window_end - today).days
    rows.append(
        Deadline(step="window", label="30-day window", due=episode.window_end,
                 state="open" if left >= 0 else "ended",
                 state_label=f"{left} days left" if left >= 0 else "Ended", done_at=None, days=left)
    )  # fmt: skip
    return rows


def _state_label(state: str, days: int) -> str:
    if state == "due":
        return "Due today" if days == 0 else f"Due in {days} day{'s' if days != 1 else ''}"
    if state == "overdue":
        return f"Overdue {-days} day{'s' if days != -1 else ''}"
    return STATE_LABELS[state]


@dataclass(frozen=True)
class DashboardRow:
    episode: TransitionEpisode
    deadlines: list[Deadline]
    risk: str
    readmission_days: int | None
    visit_booked: dt.datetime | None = None  # the first visit booked since the discharge, if the visit is not done

    @property
    def visit_booked_late(self) -> bool:
        return bool(self.visit_booked) and self.visit_booked.astimezone(self.episode.organization.tz).date() > (
            self.episode.visit_due
        )


# --- the dashboard -------------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    today = clock.today_in(actor.organization.tz)
    form = DashboardFilterForm(request.GET or None, facilities=selectors.dashboard_facilities(actor))
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    episodes = selectors.episodes_dashboard(
        actor, facility=filters.get("facility"), risk=filters.get("risk", ""), late_only=filters.get("late", False),
        today=today, discharged=filters.get("discharged", ""), sort=filters.get("sort", ""),
    )  # fmt: skip
    page = Paginator(episodes, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        DashboardRow(
            e,
            deadlines(e, today),
            selectors.lace_risk(e.lace_score),
            selectors.readmission_days(e),
            visit_booked=None if e.visit_at else e.visit_booked_at,
        )
        for e in page.object_list
    ]
    used = sorted(name for name, value in filters.items() if value)
    detail = {"page": page.number, "shown": len(rows), "filters": used}
    audit_record(actor=actor, event="transitions.dashboard", action=AuditAction.READ, detail=detail)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "transitions",
        "form": form,
        "page": page,
        "rows": rows,
        "counts": selectors.dashboard_counts(actor, today),
        "today": today,
        "query": query.urlencode(),
        "by_discharge": filters.get("sort") == "discharge",
    }
    return render(request, "transitions/dashboard.html", context, status=400 if form.errors else 200)


# --- one episode -----------------------------------------------------------------------------------------------


def _history(episode: TransitionEpisode, tz) -> list[dict]:
    """The encounter's history (what each message or person changed), newest first, times as local datetimes."""
    entries = []
    for entry in reversed(episode.encounter.history or []):
        try:
            at = dt.datetime.fromisoformat(entry.get("at", "")).astimezone(tz)
        except ValueError:
            at = None
        source = entry.get("source") or {}
        changes = entry.get("changes") or {}
        entries.append({
            "at": at,
            "event": entry.get("event", "").replace("_", " "),
            "hl7_event": source.get("event", ""),
            "control_id": source.get("control_id", ""),
            "message": source.get("message", ""),
            "changes": [
                (name.replace("_", " "), _change_text(value, tz, CODED.get(name)))
                for name, value in sorted(changes.items())
            ],
            "note": entry.get("note", ""),
        })  # fmt: skip
    return entries


CODED = {
    "admission_type": dict(AdmissionType.choices),
    "discharge_disposition": dict(DischargeDisposition.choices),
    "encounter_class": dict(EncounterClass.choices),
    "status": dict(EncounterStatus.choices),
}


def _shown(value, tz, labels: dict | None = None) -> str:
    """A value from the history as a person reads it: codes by name, ISO times in local time, lists joined."""
    if value in (None, "", []):
        return "—"
    if labels and isinstance(value, str) and value in labels:
        return labels[value]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return timefmt.date_time(dt.datetime.fromisoformat(value), tz)
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(v.get("code", v)) if isinstance(v, dict) else str(v) for v in value)
    return str(value)


def _change_text(value, tz, labels: dict | None = None) -> str:
    """One change: "before → after", or for a group (the demographics a hospital reported) each of its parts."""
    if isinstance(value, list) and len(value) == 2:
        return f"{_shown(value[0], tz, labels)} → {_shown(value[1], tz, labels)}"
    if isinstance(value, dict):
        return "; ".join(f"{name.replace('_', ' ')}: {_change_text(part, tz)}" for name, part in value.items())
    return _shown(value, tz)


def _episode_context(actor, episode: TransitionEpisode, **bound) -> dict:
    tz = actor.organization.tz
    today = clock.today_in(tz)
    rows = deadlines(episode, today)
    visits = selectors.episode_booked_visits(episode)
    deadline_rows = [
        {
            "d": row,
            "action": DONE_ACTIONS.get(row.step, ""),
            "form": None
            if row.step not in STEP_LABELS or row.done_at
            else bound.get(f"step_form_{row.step}")
            or StepForm(tz=tz, initial={"step": row.step, "version": episode.version}, auto_id=f"id_{row.step}_%s"),
        }
        for row in rows
    ]
    return {
        "nav": "transitions",
        "episode": episode,
        "encounter": episode.encounter,
        "patient": episode.patient,
        "deadline_rows": deadline_rows,
        "complexity_form": bound.get("complexity_form")
        or ComplexityForm(initial={"complexity": episode.complexity, "version": episode.version}),
        "checklist": [
            {
                **item,
                "done_at": dt.datetime.fromisoformat(item["done_at"]) if item.get("done_at") else None,
                "link": _checklist_link(item["key"], episode),
            }
            for item in episode.checklist
        ],
        "lace": episode.lace_detail,
        "charlson_names": domain.charlson_names((episode.lace_detail or {}).get("charlson_conditions", [])),
        "admission_type": admission_type_label(episode.encounter.admission_type),
        "contact_note": selectors.episode_contact_note(episode),
        "tcm_plans": selectors.episode_tcm_plans(episode),
        "booked_visits": visits,
        "late_visit_warning": selectors.late_visit_warning(episode, visits),
        "risk": selectors.lace_risk(episode.lace_score),
        "readmission_days": selectors.readmission_days(episode),
        "tcm_code": selectors.episode_tcm_code(episode),
        "tcm_reasons": selectors.episode_tcm_reasons(episode),
        "history": _history(episode, tz),
        "can_edit": actor.can_edit_patients and episode.status == "open",
        "can_see_messages": actor.is_org_admin,
        "today": today,
        "error": bound.get("error", ""),
    }


# Checklist steps done on another page: the page, and what its link says.
CHECKLIST_LINKS = {
    "follow_up_visit": "Find a slot",
    "med_rec": "Reconcile medications",
}


def _checklist_link(key: str, episode: TransitionEpisode) -> dict | None:
    """Where a checklist step is done: the slot search for the patient, or the patient's medications page."""
    if key == "follow_up_visit":
        url = f"{reverse('scheduling:find')}?{urlencode({'patient': episode.patient.public_id})}"
    elif key == "med_rec":
        url = reverse("medications:patient_medications", args=[episode.patient.public_id])
    else:
        return None
    return {"url": url, "text": CHECKLIST_LINKS[key]}


def _episode_url(episode: TransitionEpisode) -> str:
    return reverse("transitions:episode_detail", args=[episode.public_id])


@login_required
@require_GET
def episode_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    episode = selectors.episode_get(actor, public_id)
    return render(request, "transitions/episode_detail.html", _episode_context(actor, episode))


def _failed(request, actor, episode, exc: ApplicationError, **bound) -> HttpResponse:
    """The episode page again with the service's error (a missing or forbidden episode stays a 404)."""
    if isinstance(exc, NotFoundError):
        raise exc
    episode = selectors.episode_get(actor, episode.public_id, audit_event=None)
    context = _episode_context(actor, episode, error=exc.message, **bound)
    return render(request, "transitions/episode_detail.html", context, status=409 if exc.http_status == 409 else 400)


@login_required
@require_POST
def episode_step(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    episode = selectors.episode_get(actor, public_id, audit_event=None)
    step = request.POST.get("step", "")
    step = step if step in STEP_LABELS else ""
    form = StepForm(request.POST, tz=actor.organization.tz, auto_id=f"id_{step or 'step'}_%s")
    if not step or not form.is_valid():
        message = "Check what you entered below." if step else "Choose what was done."
        bound = {f"step_form_{step}": form} if step else {}
        return _failed(request, actor, episode, ApplicationError(message), **bound)
    data = form.cleaned_data
    try:
        services.episode_record_step(actor=actor, episode=episode, step=data["step"], note=data["note"],
                                     expected_version=data["version"], at=data["at"],
                                     method=data.get("method") or OutreachMethod.PHONE)  # fmt: skip
    except ApplicationError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        return _failed(request, actor, episode, exc, **{f"step_form_{step}": form})
    messages.success(request, f"{TransitionStep(data['step']).label} recorded.")
    return redirect(_episode_url(episode))


@login_required
@require_POST
def episode_complexity(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    episode = selectors.episode_get(actor, public_id, audit_event=None)
    form = ComplexityForm(request.POST)
    if not form.is_valid():
        return _failed(request, actor, episode, ApplicationError("Choose moderate or high."), complexity_form=form)
    try:
        services.episode_set_complexity(actor=actor, episode=episode, complexity=form.cleaned_data["complexity"],
                                        expected_version=form.cleaned_data["version"])  # fmt: skip
    except ApplicationError as exc:
        return _failed(request, actor, episode, exc, complexity_form=form)
    messages.success(request, "Complexity changed; the visit and medication deadlines follow.")
    return redirect(_episode_url(episode))


@login_required
@require_POST
def episode_checklist(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    episode = selectors.episode_get(actor, public_id, audit_event=None)
    form = ChecklistItemForm(request.POST)
    if not form.is_valid():
        return _failed(request, actor, episode, ApplicationError("That checklist step could not be read."))
    try:
        data = form.cleaned_data
        services.episode_check_item(actor=actor, episode=episode, key=data["key"], done=data["done"],
                                    expected_version=data["version"])  # fmt: skip
    except ApplicationError as exc:
        return _failed(request, actor, episode, exc)
    messages.success(request, "Checklist updated.")
    return redirect(_episode_url(episode) + "#checklist")


# --- the chart's Hospital stays tab ------------------------------------------------------------------------------


@login_required
@require_GET
def patient_stays(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="transitions.stays.view", action=AuditAction.READ, target=patient, patient=patient)
    today = clock.today_in(actor.organization.tz)
    stays = []
    for encounter in selectors.encounters_for_patient(actor, patient):
        episode = getattr(encounter, "episode", None)
        stays.append({
            "encounter": encounter,
            "episode": episode,
            "episode_is_ours": bool(episode) and episode.organization_id == actor.organization.pk,
            "deadlines": deadlines(episode, today) if episode and episode.status == "open" else [],
            "risk": selectors.lace_risk(episode.lace_score) if episode else "",
            "readmission_of": list(encounter.readmission_of.all()),
        })  # fmt: skip
    context = chart_context(actor, patient, tab="stays")
    context.update(stays=stays)
    return render(request, "transitions/patient_stays.html", context)
