"""
Booking pages: find a slot (for a patient or in general), book it, the appointment's page with its actions
(reschedule, cancel, the visit's status) and the chart's Schedule tab with the patient's preferences.

The find page's results and the appointment page's reschedule results are one partial (`slot_results`),
refreshed in place with htmx when the search changes; without JavaScript the search is a plain GET. Choosing
a time to book opens the confirm step (a GET: with whom, where, when, and the reason to type), whose "Book"
POSTs; a refusal comes back on the confirm step with the way back to the search. Other actions are plain POSTs
that redirect back with a message, or re-render the page with the error and fresh slots.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError
from carecoord.core.http import clinical_actor
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import services
from .choices import RESCHEDULABLE_STATUSES, AppointmentStatus
from .domain import TRANSITIONS, interpreter_to_arrange, timing_error
from .forms import BookForm, CancelForm, FindSlotForm, PreferenceForm, RescheduleForm, StatusForm
from .selectors import (
    appointment_get,
    appointment_types_for,
    patient_no_show_rate,
    patient_schedule,
    scheduling_preference_for,
)
from .slot_search import SlotSearch, availability_text, search_slots

# The visit's status changes offered as buttons, in the order of a visit; cancelling has its own form.
STATUS_BUTTONS = {
    AppointmentStatus.BOOKED: "Confirm booking",
    AppointmentStatus.ARRIVED: "Arrived",
    AppointmentStatus.CHECKED_IN: "Checked in",
    AppointmentStatus.FULFILLED: "Seen (fulfilled)",
    AppointmentStatus.NOSHOW: "No-show",
    AppointmentStatus.ENTERED_IN_ERROR: "Entered in error",
}


def _errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _put_error(exc: ApplicationError) -> str:
    """A service's message for the page; a NotFoundError stays a 404."""
    if isinstance(exc, NotFoundError):
        raise exc
    return exc.message


def _with_vary(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


# Find a slot and book it ---------------------------------------------------------------------------------------


def _patient_from(request: HttpRequest, actor):
    key = request.GET.get("patient") or ""
    return patient_get(actor, key, audit_event=None) if key else None


def _query_string(query: QueryDict, **changes: str) -> str:
    """The query string of a link that keeps the search (and whom it is for), with `changes` applied."""
    changed = query.copy()
    for key, value in changes.items():
        changed[key] = value
    return changed.urlencode()


def _later_query(query: QueryDict, search: SlotSearch | None) -> str:
    """The same search from the last day shown, for "Later times" when the results were cut short."""
    if search is None or not search.truncated:
        return ""
    first = search.next_first_day.isoformat()
    return _query_string(query, first_day=first, last_day=max(query.get("last_day", ""), first))


def _day_queries(query: QueryDict, search: SlotSearch | None) -> None:
    """Gives each day that shows only its earliest times a link to the same search of that day alone."""
    if search is None or search.single_day:
        return
    for group in search.days:
        if group.capped:
            day = group.day.isoformat()
            group.day_query = _query_string(query, first_day=day, last_day=day)


def _find_query(actor, query: QueryDict, patient) -> QueryDict:
    """
    The search the find page runs and every link on it keeps: the request's, or the opening search when none
    was asked for (with the type a link names as ?type=...), always naming the patient so that following a link
    still lets the coordinator book.
    """
    if "appointment_type" in query:
        found = query.copy()
    else:
        found = QueryDict(mutable=True)
        found.update(FindSlotForm.initial_for(actor, patient=patient))
        if query.get("type"):
            found["appointment_type"] = query["type"]
    if patient is not None:
        found["patient"] = str(patient.public_id)
    return found


def _find_form(actor, query: QueryDict, types) -> FindSlotForm:
    """The search form, unbound (no error yet) while it opens without a visit type chosen."""
    if query.get("appointment_type"):
        return FindSlotForm(query, actor=actor, types=types)
    return FindSlotForm(initial=query.dict(), actor=actor, types=types)


def _find_context(actor, query: QueryDict, patient) -> dict:
    types = appointment_types_for(actor)
    searched = "appointment_type" in query
    query = _find_query(actor, query, patient)
    form = FindSlotForm(query, actor=actor, types=types) if searched else _find_form(actor, query, types)
    preference = scheduling_preference_for(actor, patient) if patient else None
    search: SlotSearch | None = search_slots(actor, form, patient=patient, preference=preference)
    _day_queries(query, search)
    context = {
        "nav": "schedule",
        "form": form,
        "patient": patient,
        "preference": preference,
        "search": search,
        "choose_type_prompt": not form.is_bound,
        "search_query": _query_string(query),
        "has_types": types.exists(),
        "tz": actor.organization.tz,
        "no_show": patient_no_show_rate(actor, patient) if patient else None,
        "availability_text": availability_text(preference),
        "later_query": _later_query(query, search),
    }
    if patient is not None:
        context.update(chart_context(actor, patient, tab="schedule"))
        context["nav"] = "schedule"
    return context


@login_required
@require_GET
def find(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    patient = _patient_from(request, actor)
    if patient is not None:
        audit_record(actor=actor, event="appointment.search", target=patient, patient=patient)
    template = "scheduling/find.html"
    if request.htmx and request.htmx.target == "slot-results":
        template += "#results"
    return _with_vary(render(request, template, _find_context(actor, request.GET, patient)))


def _booking_context(actor, patient, form: BookForm, *, search: str, error: str = "", conflict: bool = False) -> dict:
    """
    The confirm step's page: the chosen slot spelled out (when it could be read), the reason field, and the
    way back to the same search. With `error` the slot cannot be booked: the page says why instead.
    """
    tz = actor.organization.tz
    data = form.cleaned_data if form.is_bound and not form.errors else {}
    slot = data.get("slot")
    kind = data.get("appointment_type")
    details = None
    if slot and kind:
        start = slot["start"].astimezone(dt.UTC).replace(second=0, microsecond=0)
        end = start + dt.timedelta(minutes=kind.duration_minutes)
        details = {
            "practitioner": slot["practitioner"],
            "location": slot["location"],
            "appointment_type": kind,
            "when": timefmt.day_date_time(start, tz),
            "until": timefmt.clock(end, tz),
        }
    back_query = QueryDict(search, mutable=True)
    back_query["patient"] = str(patient.public_id)
    preference = scheduling_preference_for(actor, patient)
    context = {
        "form": form,
        "details": details,
        "book_error": error,
        "conflict": conflict,
        "search_query": search,
        "back_url": f"{reverse('scheduling:find')}?{back_query.urlencode()}",
        "preference": preference,
        "needs_interpreter": preference.needs_interpreter,
        "interpreter_to_arrange": bool(details)
        and interpreter_to_arrange(preference.needs_interpreter, details["practitioner"], patient.preferred_language),
        "no_show": patient_no_show_rate(actor, patient),
    }
    context.update(chart_context(actor, patient, tab="schedule"))
    context["nav"] = "schedule"
    return context


def _book_problem(actor, patient, form: BookForm) -> ApplicationError | None:
    data = form.cleaned_data
    return services.appointment_book_problem(
        actor=actor, patient=patient, appointment_type=data["appointment_type"], **data["slot"]
    )


def _status_of(exc: ApplicationError) -> int:
    return 409 if isinstance(exc, ConflictError) else 400


@login_required
@require_GET
def patient_book_confirm(request: HttpRequest, public_id) -> HttpResponse:
    """
    The step between choosing a free time and booking it: the coordinator sees with whom, where and when,
    types the reason, then books (a POST to `patient_book`) or goes back to the same search.
    """
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="appointment.search", target=patient, patient=patient)
    search = request.GET.get("search", "")
    if "slot" not in request.GET:  # nothing chosen (an old link): the search
        query = QueryDict(search, mutable=True)
        query["patient"] = str(patient.public_id)
        return redirect(f"{reverse('scheduling:find')}?{query.urlencode()}")
    form = BookForm(request.GET, actor=actor, types=appointment_types_for(actor))
    error, status, conflict = "", 200, False
    if not form.is_valid():
        error, status = _errors(form), 400
    else:
        problem = _book_problem(actor, patient, form)
        if problem is not None:
            error, status, conflict = _put_error(problem), _status_of(problem), isinstance(problem, ConflictError)
    context = _booking_context(actor, patient, form, search=search, error=error, conflict=conflict)
    return render(request, "scheduling/book_confirm.html", context, status=status)


@login_required
@require_POST
def patient_book(request: HttpRequest, public_id) -> HttpResponse:
    """Books the slot the confirm step showed, with its reason; a refusal comes back on the confirm step."""
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = BookForm(request.POST, actor=actor, types=appointment_types_for(actor))
    status, conflict = 400, False
    if form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                actor=actor,
                patient=patient,
                appointment_type=data["appointment_type"],
                reason=data["reason"],
                **data["slot"],
            )
        except ApplicationError as exc:
            error, status, conflict = _put_error(exc), _status_of(exc), isinstance(exc, ConflictError)
        else:
            when = timefmt.day_date_time(appointment.start, actor.organization.tz)
            messages.success(
                request, f"Booked: {appointment.appointment_type.name} with {appointment.practitioner} on {when}."
            )
            return redirect(reverse("scheduling:appointment_detail", args=[appointment.public_id]))
    else:
        error = _errors(form)
    search = request.POST.get("search", "")
    context = _booking_context(actor, patient, form, search=search, error=error, conflict=conflict)
    return render(request, "scheduling/book_confirm.html", context, status=status)


# The appointment's page --------------------------------------------------------------------------------------


def _status_actions(appointment, tz) -> list[tuple[str, str]]:
    if appointment.is_outside:
        return []  # an outside visit is confirmed, attended or missed through its own actions
    allowed = set(TRANSITIONS.get(appointment.status, frozenset())) - {AppointmentStatus.CANCELLED}
    if appointment.status != AppointmentStatus.ENTERED_IN_ERROR:
        allowed.add(AppointmentStatus.ENTERED_IN_ERROR)
    now = clock.now()
    return [
        (status, label)
        for status, label in STATUS_BUTTONS.items()
        if status in allowed and not timing_error(status, appointment.start, now, tz)
    ]


def _can_reschedule(appointment) -> bool:
    return not appointment.is_outside and appointment.status in RESCHEDULABLE_STATUSES


def _reschedule_query(appointment, query: QueryDict) -> QueryDict | None:
    """The reschedule search, with the appointment's own type; None until the coordinator asks for times."""
    if "first_day" not in query:
        return None
    fixed = query.copy()
    fixed["appointment_type"] = str(appointment.appointment_type.public_id)
    return fixed


def _detail_context(actor, appointment, query: QueryDict, **extra) -> dict:
    patient = appointment.patient
    context = {
        "nav": "schedule",
        "appointment": appointment,
        "patient": patient,
        "tz": actor.organization.tz,
        "status_actions": _status_actions(appointment, actor.organization.tz),
        "can_cancel": AppointmentStatus.CANCELLED in TRANSITIONS.get(appointment.status, frozenset()),
        "can_reschedule": _can_reschedule(appointment),
        "interpreter_to_arrange": interpreter_to_arrange(
            appointment.needs_interpreter, appointment.practitioner, patient.preferred_language
        ),
        "cancel_form": CancelForm(initial={"version": appointment.version}),
        "no_show": patient_no_show_rate(actor, patient),
        "reschedule_open": False,
        "search": None,
    }
    if context["can_reschedule"]:
        types = appointment_types_for(actor).filter(pk=appointment.appointment_type_id)
        search_query = _reschedule_query(appointment, query)
        preference = scheduling_preference_for(actor, patient)
        if search_query is None:
            form = FindSlotForm(
                initial=FindSlotForm.initial_for(actor, patient=patient, appointment_type=appointment.appointment_type),
                actor=actor,
                types=types,
            )
            form.initial["practitioner"] = str(appointment.practitioner.public_id)
            search = None
        else:
            form = FindSlotForm(search_query, actor=actor, types=types)
            search = search_slots(actor, form, patient=patient, preference=preference)
            _day_queries(search_query, search)
        context.update(
            form=form,
            search=search,
            search_query=_query_string(search_query) if search_query else "",
            reschedule_open=search_query is not None,
            later_query=_later_query(search_query, search) if search_query else "",
            preference=preference,
        )
    context.update(extra)
    return context


@login_required
@require_GET
def appointment_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    appointment = appointment_get(actor, public_id)
    template = "scheduling/appointment_detail.html"
    if request.htmx and request.htmx.target == "slot-results":
        template += "#results"
    else:
        audit_record(actor=actor, event="appointment.view", target=appointment, patient=appointment.patient)
    return _with_vary(render(request, template, _detail_context(actor, appointment, request.GET)))


def _back(appointment) -> HttpResponse:
    return redirect(reverse("scheduling:appointment_detail", args=[appointment.public_id]))


@login_required
@require_POST
def appointment_reschedule(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    appointment = appointment_get(actor, public_id)
    form = RescheduleForm(request.POST, actor=actor)
    status = 400
    if form.is_valid():
        slot = form.cleaned_data["slot"]
        try:
            moved = services.appointment_reschedule(
                actor=actor, appointment=appointment, expected_version=form.cleaned_data["version"], **slot
            )
        except ApplicationError as exc:
            error = _put_error(exc)
            status = 409 if isinstance(exc, ConflictError) else 400
        else:
            when = timefmt.day_date_time(moved.start, actor.organization.tz)
            messages.success(request, f"Moved to {when} with {moved.practitioner}.")
            return _back(moved)
    else:
        error = _errors(form)
    query = QueryDict(request.POST.get("search", ""), mutable=True)
    query.setdefault("first_day", clock.today_in(actor.organization.tz).isoformat())
    query.setdefault("last_day", query["first_day"])
    appointment = appointment_get(actor, public_id)
    context = _detail_context(actor, appointment, query, book_error=error)
    return render(request, "scheduling/appointment_detail.html", context, status=status)


@login_required
@require_POST
def appointment_cancel(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    appointment = appointment_get(actor, public_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.appointment_cancel(
                actor=actor,
                appointment=appointment,
                reason=data["reason"],
                note=data["note"],
                expected_version=data["version"],
            )
        except ApplicationError as exc:
            form.add_error(None, _put_error(exc))
        else:
            messages.success(request, "Appointment cancelled. The time is free for others.")
            return _back(appointment)
    context = _detail_context(actor, appointment, QueryDict(), cancel_form=form, cancel_open=True)
    return render(request, "scheduling/appointment_detail.html", context, status=400)


@login_required
@require_POST
def appointment_status(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    appointment = appointment_get(actor, public_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status from the buttons on this page.")
        return _back(appointment)
    status = form.cleaned_data["status"]
    try:
        services.appointment_status_set(
            actor=actor, appointment=appointment, status=status, expected_version=form.cleaned_data["version"]
        )
    except ApplicationError as exc:
        messages.error(request, _put_error(exc))
    else:
        label = STATUS_BUTTONS.get(status, status)
        messages.success(request, f"Marked “{label}”.")
    return _back(appointment)


# The chart's Schedule tab ------------------------------------------------------------------------------------


def _schedule_context(actor, patient, *, preference_form=None) -> dict:
    preference = scheduling_preference_for(actor, patient)
    context = chart_context(actor, patient, tab="schedule")
    context.update(
        schedule=patient_schedule(actor, patient),
        no_show=patient_no_show_rate(actor, patient),
        preference=preference,
        preference_form=preference_form or PreferenceForm(initial=PreferenceForm.initial_for(preference)),
        tz=actor.organization.tz,
    )
    return context


@login_required
@require_GET
def patient_schedule_tab(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="appointment.list", action=AuditAction.READ, target=patient, patient=patient)
    return render(request, "scheduling/patient_schedule.html", _schedule_context(actor, patient))


@login_required
@require_POST
def patient_preferences(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = PreferenceForm(request.POST)
    if form.is_valid():
        try:
            services.scheduling_preference_set(actor=actor, patient=patient, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, _put_error(exc))
        else:
            messages.success(request, "Scheduling preferences saved.")
            return redirect(reverse("scheduling:patient_schedule", args=[patient.public_id]))
    context = _schedule_context(actor, patient, preference_form=form)
    return render(request, "scheduling/patient_schedule.html", context, status=400)
