"""
Scheduling setup pages: the setup index, appointment types, a practitioner's weekly hours and time away
(with a two-week preview of free slots, an htmx partial), the CSV import of outside practitioners' hours,
the organization's closed dates beside the state's public holidays, and the reminder policy.

Every clinical role may look; changes go through availability_services, which allow schedulers and org
admins (the reminder policy: org admins). Records are looked up in the actor's organization first, so
another organization's id answers 404 before anything else happens.
"""

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock, timefmt
from carecoord.core.choices import Role
from carecoord.core.errors import ApplicationError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.http import clinical_actor, editor_actor, put_service_error

from . import availability_selectors as selectors
from . import availability_services as services
from .availability_forms import (
    AppointmentTypeForm,
    ClosedDateForm,
    HoursBlockForm,
    HoursImportForm,
    ReminderPolicyForm,
    SlotPreviewForm,
    TimeAwayForm,
)
from .availability_import import COLUMNS
from .selectors import slots_available

PREVIEW_DAYS = 14
PREVIEW_LIMIT = 300


def _put_error(form, exc: ApplicationError) -> None:
    """A service's error on the form; missing and forbidden records answer with their own page."""
    put_service_error(form, exc, propagate=(NotFoundError, PermissionDeniedError))


def _base(actor, **extra) -> dict:
    return {"nav": "schedule", "can_manage": selectors.can_manage_setup(actor), **extra}


# The setup index --------------------------------------------------------------------------------------------


@login_required
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    context = _base(
        actor,
        practitioners=list(selectors.practitioners_with_hours(actor)),
        type_count=selectors.appointment_types_for(actor, active_only=True).count(),
        is_admin=actor.is_org_admin,
    )
    return render(request, "scheduling/availability_setup.html", context)


# Appointment types ------------------------------------------------------------------------------------------


def _types_page(request, actor, form=None, status=200) -> HttpResponse:
    context = _base(actor, types=list(selectors.appointment_types_for(actor)), form=form or AppointmentTypeForm())
    return render(request, "scheduling/availability_types.html", context, status=status)


@login_required
@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    return _types_page(request, clinical_actor(request))


@login_required
@require_POST
def type_new(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    form = AppointmentTypeForm(request.POST)
    if form.is_valid():
        try:
            kind = services.appointment_type_create(actor=actor, **form.service_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"Appointment type “{kind.name}” added.")
            return redirect("scheduling:type_list")
    return _types_page(request, actor, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    kind = selectors.appointment_type_get(actor, public_id)
    if request.method == "GET":
        form = AppointmentTypeForm(initial=AppointmentTypeForm.initial_for(kind))
        return render(request, "scheduling/availability_type_edit.html", _base(actor, kind=kind, form=form))
    form = AppointmentTypeForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_type_update(
                actor=actor,
                appointment_type=kind,
                expected_version=form.cleaned_data["version"] or kind.version,
                **form.service_data(),
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"Appointment type “{kind.name}” saved.")
            return redirect("scheduling:type_list")
    context = _base(actor, kind=kind, form=form)
    return render(request, "scheduling/availability_type_edit.html", context, status=400)


@login_required
@require_POST
def type_deactivate(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    kind = services.appointment_type_deactivate(
        actor=actor, appointment_type=selectors.appointment_type_get(actor, public_id)
    )
    messages.success(request, f"“{kind.name}” is no longer offered for new bookings.")
    return redirect("scheduling:type_list")


@login_required
@require_POST
def type_reactivate(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    kind = services.appointment_type_reactivate(
        actor=actor, appointment_type=selectors.appointment_type_get(actor, public_id)
    )
    messages.success(request, f"“{kind.name}” is offered again.")
    return redirect("scheduling:type_list")


# A practitioner's hours and time away -----------------------------------------------------------------------


def _block_form(actor, *args, **kwargs) -> HoursBlockForm:
    return HoursBlockForm(
        *args,
        locations=selectors.locations_for(actor),
        appointment_types=selectors.appointment_types_for(actor, active_only=True),
        **kwargs,
    )


def _preview(actor, practitioner, form: SlotPreviewForm) -> dict:
    """The next two weeks of free slots of the chosen type, grouped by local day."""
    if not form.is_bound or not form.is_valid():
        return {"preview_form": form, "preview_days": None}
    today = clock.today_in(actor.organization.tz)
    options = slots_available(
        actor,
        appointment_type=form.cleaned_data["type"],
        first_day=today,
        last_day=today + dt.timedelta(days=PREVIEW_DAYS - 1),
        practitioners=[practitioner],
        limit=PREVIEW_LIMIT,
    )
    tz = actor.organization.tz
    local = [(option.start.astimezone(tz), option) for option in options]
    days = [
        (day, [start.time() for start, _ in group]) for day, group in groupby(local, key=lambda pair: pair[0].date())
    ]
    return {"preview_form": form, "preview_days": days, "preview_type": form.cleaned_data["type"]}


def _hours_context(actor, practitioner, request=None, **bound) -> dict:
    preview = SlotPreviewForm(
        request.GET if request is not None and "type" in request.GET else None,
        appointment_types=selectors.appointment_types_for(actor, active_only=True),
    )
    context = _base(
        actor,
        practitioner=practitioner,
        blocks=list(selectors.hours_blocks_for(actor, practitioner)),
        away=list(selectors.time_away_for(actor, practitioner)),
        block_form=_block_form(actor),
        away_form=TimeAwayForm(tz=actor.organization.tz),
        **_preview(actor, practitioner, preview),
    )
    context.update(bound)
    return context


@login_required
@require_GET
def practitioner_hours(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    practitioner = selectors.practitioner_for_hours(actor, public_id)
    context = _hours_context(actor, practitioner, request)
    partial = request.htmx and not request.htmx.history_restore_request
    template = "scheduling/partials/availability_slots.html" if partial else "scheduling/availability_hours.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def practitioner_hours_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    practitioner = selectors.practitioner_for_hours(actor, public_id)
    form = _block_form(actor, request.POST)
    if form.is_valid():
        try:
            services.hours_block_create(actor=actor, practitioner=practitioner, **form.service_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Hours added.")
            return redirect("scheduling:practitioner_hours", public_id=practitioner.public_id)
    context = _hours_context(actor, practitioner, block_form=form, open_block_form=True)
    return render(request, "scheduling/availability_hours.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def hours_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    block = selectors.hours_block_get(actor, public_id)
    if request.method == "GET":
        form = _block_form(actor, initial=HoursBlockForm.initial_for(block))
        return render(request, "scheduling/availability_hours_edit.html", _base(actor, hours=block, form=form))
    form = _block_form(actor, request.POST)
    if form.is_valid():
        try:
            services.hours_block_update(
                actor=actor,
                block=block,
                expected_version=form.cleaned_data["version"] or block.version,
                **form.service_data(),
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Hours saved.")
            return redirect("scheduling:practitioner_hours", public_id=block.practitioner.public_id)
    context = _base(actor, hours=block, form=form)
    return render(request, "scheduling/availability_hours_edit.html", context, status=400)


@login_required
@require_POST
def hours_delete(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    block = selectors.hours_block_get(actor, public_id)
    practitioner = block.practitioner
    services.hours_block_delete(actor=actor, block=block)
    messages.success(request, "Hours removed. Appointments already booked in them stay booked.")
    return redirect("scheduling:practitioner_hours", public_id=practitioner.public_id)


@login_required
@require_POST
def practitioner_away_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    practitioner = selectors.practitioner_for_hours(actor, public_id)
    form = TimeAwayForm(request.POST, tz=actor.organization.tz)
    if form.is_valid():
        try:
            away = services.time_away_create(actor=actor, practitioner=practitioner, **form.cleaned_data)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Time away added.")
            booked = selectors.booked_during(practitioner, away.start, away.end)
            if booked:
                messages.warning(
                    request,
                    f"{booked} booked appointment{pluralize(booked)} {pluralize(booked, 'falls,fall')} in this time; "
                    f"{pluralize(booked, 'it was,they were')} not moved. "
                    f"Reschedule or cancel {pluralize(booked, 'it,them')} from the calendar.",
                )
            return redirect("scheduling:practitioner_hours", public_id=practitioner.public_id)
    context = _hours_context(actor, practitioner, away_form=form, open_away_form=True)
    return render(request, "scheduling/availability_hours.html", context, status=400)


@login_required
@require_POST
def away_delete(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    away = selectors.time_away_get(actor, public_id)
    practitioner = away.practitioner
    services.time_away_delete(actor=actor, away=away)
    messages.success(request, "Time away removed.")
    return redirect("scheduling:practitioner_hours", public_id=practitioner.public_id)


# Import of outside practitioners' hours ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def hours_import(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    if not selectors.can_manage_setup(actor):
        raise PermissionDeniedError(services.SETUP_DENIED)
    form = HoursImportForm(request.POST or None, request.FILES or None)
    row_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            created = services.hours_import(
                actor=actor, text=form.cleaned_data["file"], replace=form.cleaned_data["replace"]
            )
        except services.ImportRefused as exc:
            form.add_error(None, exc.message)
            row_errors = exc.details["errors"]
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            names = sorted({str(block.practitioner) for block in created})
            messages.success(
                request, f"Imported {len(created)} block{pluralize(len(created))} of hours for {', '.join(names)}."
            )
            return redirect("scheduling:setup")
    status = 400 if request.method == "POST" else 200
    context = _base(actor, form=form, row_errors=row_errors, columns=COLUMNS)
    return render(request, "scheduling/availability_import.html", context, status=status)


# Closed dates -----------------------------------------------------------------------------------------------


def _closed_page(request, actor, form=None, status=200) -> HttpResponse:
    today = clock.today_in(actor.organization.tz)
    context = _base(
        actor,
        closed=list(selectors.closed_dates_for(actor, since=today)),
        holidays=selectors.public_holidays_ahead(actor.organization, today),
        form=form or ClosedDateForm(),
    )
    return render(request, "scheduling/availability_closed.html", context, status=status)


@login_required
@require_GET
def closed_list(request: HttpRequest) -> HttpResponse:
    return _closed_page(request, clinical_actor(request))


@login_required
@require_POST
def closed_new(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    form = ClosedDateForm(request.POST)
    if form.is_valid():
        try:
            closed = services.closed_date_create(actor=actor, **form.cleaned_data)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            day = f"{closed.date:%A, %B} {closed.date.day}, {closed.date.year}"
            messages.success(request, f"Closed on {day}: no slots are offered that day.")
            return redirect("scheduling:closed_list")
    return _closed_page(request, actor, form, status=400)


@login_required
@require_POST
def closed_delete(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    closed = selectors.closed_date_get(actor, public_id)
    services.closed_date_delete(actor=actor, closed=closed)
    messages.success(request, f"{timefmt.day(closed.date)} is open again.")
    return redirect("scheduling:closed_list")


def _holiday_choice(request: HttpRequest, change) -> HttpResponse:
    actor = editor_actor(request, *selectors.SETUP_ROLES)
    try:
        choice = change(actor=actor, name=request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, choice.message)
    return redirect("scheduling:closed_list")


@login_required
@require_POST
def holiday_open(request: HttpRequest) -> HttpResponse:
    return _holiday_choice(request, services.holiday_open)


@login_required
@require_POST
def holiday_close(request: HttpRequest) -> HttpResponse:
    return _holiday_choice(request, services.holiday_close)


# Reminder policy --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def reminder_policy(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    if not actor.has_role(Role.ORG_ADMIN):
        raise PermissionDeniedError("Only organization admins change the reminder policy.")
    policy = selectors.reminder_policy_for(actor.organization)
    form = ReminderPolicyForm(request.POST or None, initial=ReminderPolicyForm.initial_for(policy))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.fields if name != "version"}
        try:
            services.reminder_policy_set(actor=actor, expected_version=form.cleaned_data["version"], **data)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Reminder policy saved.")
            return redirect("scheduling:reminder_policy")
    status = 400 if request.method == "POST" else 200
    context = _base(actor, form=form, policy=policy)
    return render(request, "scheduling/availability_reminders.html", context, status=status)
