"""
Pages of multi-visit plans and recurring series.

- A new plan (patient's id): visits, gaps, deadlines and the patient's availability; "Find the best plan" saves
  the request as a draft, runs the planner and shows the plan's page with the proposal or the explanation.
- A plan's page (plan's id): the proposal per trip day, "Book this plan" (all or nothing), "Find a fresh plan".
- A new series (patient's id): "Check" lists every occurrence free or why not; "Book" books the free ones,
  skipping the conflicts the check listed. The chosen practitioner's weekly hours show beside the weekdays
  (htmx redraws them when the practitioner, type or location changes; the full page renders them too).
- A series' page (series' id): "N of M booked", its occurrences, the ones skipped at booking and why, cancel
  the rest from occurrence N, move the rest.
Failed actions re-render the page with the error: 400 for bad input, 409 for a clash with other bookings.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.careplans.selectors import careplans_for_patient
from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError
from carecoord.core.http import clinical_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.patients.selectors import patient_get

from . import planning_selectors as selectors
from . import planning_services as services
from .plan_forms import (
    OrderFormSet,
    PlanForm,
    SeriesCancelRestForm,
    SeriesChangeRestForm,
    SeriesForm,
    SeriesSkipForm,
    VisitFormSet,
    availability_initial,
    plan_request_from,
)


def _status_of(exc: ApplicationError) -> int:
    return 409 if isinstance(exc, ConflictError) else 400


# --- a new visit plan ---------------------------------------------------------------------------------------


def _plan_forms(actor, patient, data=None) -> dict:
    today = clock.today_in(actor.organization.tz)
    preference = selectors.scheduling_preference_for(actor, patient)
    careplans = list(careplans_for_patient(actor, patient))
    return {
        "plan_form": PlanForm(data, careplans=careplans, initial=availability_initial(preference, today)),
        "visits": VisitFormSet(data, prefix="visit", form_kwargs={"organization": actor.organization}),
        "orders": OrderFormSet(data, prefix="order"),
        "preference": preference,
    }


def _new_plan_page(request, actor, patient, forms: dict, status: int = 200) -> HttpResponse:
    context = {
        "nav": "patients",
        "patient": patient,
        "plans": list(selectors.visit_plans_for_patient(actor, patient)[:20]),
        "series_list": list(selectors.series_for_patient(actor, patient)[:20]),
        **forms,
    }
    return render(request, "scheduling/plan_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_plan_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    forms = _plan_forms(actor, patient, request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return _new_plan_page(request, actor, patient, forms)
    plan_form, visits, orders = forms["plan_form"], forms["visits"], forms["orders"]
    if plan_form.is_valid() and visits.is_valid() and orders.is_valid():
        plan_request = plan_request_from(plan_form, visits, orders)
        if plan_request is not None:
            try:
                plan = services.visit_plan_create(
                    actor=actor,
                    patient=patient,
                    title=plan_form.cleaned_data["title"],
                    request=plan_request,
                    careplan=plan_form.chosen_careplan(),
                )
            except ApplicationError as exc:
                _put_error(plan_form, exc)
            else:
                _propose(request, actor, plan)
                return redirect("scheduling:plan_detail", public_id=plan.public_id)
    return _new_plan_page(request, actor, patient, forms, status=400)


def _propose(request, actor, plan) -> None:
    try:
        plan = services.visit_plan_propose(actor=actor, plan=plan)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
        return
    if plan.request["proposal"]["feasible"]:
        messages.success(request, "Here is the best plan found. Review it, then book it.")
    else:
        messages.warning(request, "No plan fits every requirement; see why below.")


# --- a plan's page ------------------------------------------------------------------------------------------


def _request_rows(actor, plan) -> list[dict]:
    """The plan's visits as entered, with names instead of ids."""
    refs = selectors.plan_references(actor, plan.request)
    rows = []
    for number, visit in enumerate(plan.request.get("visits", []), start=1):
        rows.append(
            {
                "number": number,
                "label": visit["label"],
                "appointment_type": refs.types[visit["appointment_type"]],
                "practitioner": refs.practitioners.get(visit.get("practitioner") or ""),
                "location": refs.locations.get(visit.get("location") or ""),
                "specialty_code": visit.get("specialty_code") or "",
                "times_per_week": visit.get("times_per_week"),
                "weeks": visit.get("weeks"),
                "not_before": visit.get("not_before") or "",
                "deadline": visit.get("deadline") or "",
            }
        )
    return rows


def _order_rows(plan) -> list[str]:
    labels = {visit["key"]: f"{visit['label']} (visit {visit['key'][1:]})" for visit in plan.request.get("visits", [])}
    lines = []
    for order in plan.request.get("orders", []):
        gap = "within" if order["kind"] == "within" else "at least"
        lines.append(f"{labels[order['after']]} comes {gap} {order['days']} days after {labels[order['before']]}")
    return lines


def _plan_page(request, actor, plan, *, error: str = "", status: int = 200) -> HttpResponse:
    proposal = plan.request.get("proposal") or {}
    visits = selectors.proposal_visits(actor, proposal) if proposal.get("feasible") else []
    context = {
        "nav": "patients",
        "plan": plan,
        "patient": plan.patient,
        "request_rows": _request_rows(actor, plan),
        "order_rows": _order_rows(plan),
        "availability": plan.request.get("availability", {}),
        "availability_days": services.day_names(plan.request.get("availability", {}).get("weekdays") or []),
        "window": plan.request.get("window", {}),
        "proposal": proposal,
        "days": selectors.proposal_days(visits),
        "appointments": list(plan.appointments.select_related("practitioner", "location", "appointment_type")),
        "error": error,
        "is_draft": plan.status == "draft",
    }
    return render(request, "scheduling/plan_detail.html", context, status=status)


@login_required
@require_GET
def plan_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    plan = selectors.visit_plan_get(actor, public_id)
    audit_record(actor=actor, event="visit_plan.view", action=AuditAction.READ, target=plan, patient=plan.patient)
    return _plan_page(request, actor, plan)


@login_required
@require_POST
def plan_propose(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    plan = selectors.visit_plan_get(actor, public_id)
    _propose(request, actor, plan)
    return redirect("scheduling:plan_detail", public_id=plan.public_id)


@login_required
@require_POST
def plan_book(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    plan = selectors.visit_plan_get(actor, public_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _plan_page(request, actor, plan, error="Reload the page and book again.", status=400)
    try:
        booked = services.visit_plan_book(
            actor=actor, plan=plan, proposal=plan.request.get("proposal") or {}, expected_version=version
        )
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        plan = selectors.visit_plan_get(actor, public_id)
        return _plan_page(request, actor, plan, error=exc.message, status=_status_of(exc))
    messages.success(request, f"Booked {len(booked)} visits.")
    return redirect("scheduling:plan_detail", public_id=plan.public_id)


# --- a new series -------------------------------------------------------------------------------------------


HOURS_PANEL = "series-hours"


def _hours_context(actor, form: SeriesForm) -> dict:
    """The chosen practitioner's weekly hours (for the chosen type, the chosen location first), if one is chosen."""
    practitioner = form.chosen("practitioner")
    if practitioner is None:
        return {"hours_practitioner": None, "hours": []}
    hours = selectors.practitioner_weekly_hours(
        actor,
        practitioner,
        on=clock.today_in(actor.organization.tz),
        appointment_type=form.chosen("appointment_type"),
        location=form.chosen("location"),
    )
    return {"hours_practitioner": practitioner, "hours_type": form.chosen("appointment_type"), "hours": hours}


def _series_page(request, actor, patient, form, *, checks=None, error: str = "", status: int = 200) -> HttpResponse:
    checks = checks or []
    context = {
        "nav": "patients",
        "patient": patient,
        "form": form,
        "checks": checks,
        "free": [c for c in checks if c.free],
        "conflicts": [c for c in checks if not c.free],
        "error": error,
        **_hours_context(actor, form),
    }
    response = render(request, "scheduling/series_new.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _hours_panel(request: HttpRequest, actor, public_id) -> HttpResponse:
    """The hours beside the weekdays again when the practitioner, type or location changes (htmx); no chart data."""
    patient = patient_get(actor, public_id, audit_event=None)
    names = ("practitioner", "appointment_type", "location")
    form = SeriesForm(organization=actor.organization, initial={name: request.GET.get(name, "") for name in names})
    context = {"patient": patient, "form": form, **_hours_context(actor, form)}
    response = render(request, "scheduling/series_new.html#hours", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _check(actor, patient, form):
    return selectors.series_check(actor, patient=patient, **form.series_data())


@login_required
@require_http_methods(["GET", "POST"])
def patient_series_new(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    if request.method == "GET" and request.htmx and request.htmx.target == HOURS_PANEL:
        return _hours_panel(request, actor, public_id)
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    if request.method == "GET":
        today = clock.today_in(actor.organization.tz)
        initial = {"first_date": today, "weeks": 3, "local_time": "10:00"}
        return _series_page(request, actor, patient, SeriesForm(organization=actor.organization, initial=initial))
    form = SeriesForm(request.POST, organization=actor.organization)
    skip = SeriesSkipForm(request.POST)
    if not form.is_valid():
        return _series_page(request, actor, patient, form, status=400)
    if request.POST.get("action") != "book" or not skip.is_valid():
        return _series_page(request, actor, patient, form, checks=_check(actor, patient, form))
    try:
        series = services.series_book(
            actor=actor, patient=patient, skip=skip.cleaned_data["skip"], **form.series_data()
        )
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        checks = _check(actor, patient, form)
        return _series_page(request, actor, patient, form, checks=checks, error=exc.message, status=_status_of(exc))
    skipped = f", {len(series.skipped)} skipped" if series.skipped else ""
    messages.success(request, f"Series booked: {series.booked_count} of {series.occurrences} occurrences{skipped}.")
    return redirect("scheduling:series_detail", public_id=series.public_id)


# --- a series' page -----------------------------------------------------------------------------------------


def _series_detail_page(request, actor, series, *, status: int = 200, **forms) -> HttpResponse:
    appointments = selectors.series_appointments(series)
    upcoming = [a for a in appointments if a.status in services.OPEN_STATUSES and a.start > clock.now()]
    first_open = upcoming[0].series_index + 1 if upcoming else 1
    context = {
        "nav": "patients",
        "series": series,
        "patient": series.patient,
        "appointments": appointments,
        "has_upcoming": bool(upcoming),
        "weekday_names": services.day_names(series.weekdays),
        "skipped": [
            {"number": row["number"], "day": dt.date.fromisoformat(row["day"]), "problem": row["problem"]}
            for row in series.skipped or []
        ],
        "cancel_form": forms.get("cancel_form") or SeriesCancelRestForm(initial={"from_number": first_open}),
        "change_form": forms.get("change_form")
        or SeriesChangeRestForm(initial={"from_number": first_open, "local_time": series.local_time}),
    }
    return render(request, "scheduling/series_detail.html", context, status=status)


@login_required
@require_GET
def series_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    series = selectors.series_get(actor, public_id)
    audit_record(actor=actor, event="series.view", action=AuditAction.READ, target=series, patient=series.patient)
    return _series_detail_page(request, actor, series)


@login_required
@require_POST
def series_cancel_rest(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    series = selectors.series_get(actor, public_id)
    form = SeriesCancelRestForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            cancelled = services.series_cancel_rest(
                actor=actor, series=series, from_number=data["from_number"], reason=data["reason"], note=data["note"]
            )
        except ApplicationError as exc:
            _put_error(form, exc)
            status = _status_of(exc)
        else:
            messages.success(request, f"Cancelled {len(cancelled)} occurrences.")
            return redirect(reverse("scheduling:series_detail", args=[series.public_id]))
    return _series_detail_page(request, actor, series, status=status, cancel_form=form)


@login_required
@require_POST
def series_change_rest(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    series = selectors.series_get(actor, public_id)
    form = SeriesChangeRestForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.series_change_rest(
                actor=actor,
                series=series,
                from_number=data["from_number"],
                weekdays=data["weekdays"],
                local_time=data["local_time"],
                starting=data["starting"],
            )
        except ApplicationError as exc:
            _put_error(form, exc)
            status = _status_of(exc)
        else:
            messages.success(request, f"Moved {len(moved)} occurrences.")
            return redirect(reverse("scheduling:series_detail", args=[series.public_id]))
    return _series_detail_page(request, actor, series, status=status, change_form=form)
