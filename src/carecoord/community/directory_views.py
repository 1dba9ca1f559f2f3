"""
The organization's community pages: the resource directory (search; agencies, services and locations it
curates; HSDS import), the inbox of referrals other organizations sent it, and its benefit thresholds.
An incoming referral shows only the referral and its patient summary, never the chart.
"""

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ApplicationError, NotFoundError, ValidationError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.core.models import Organization
from carecoord.core.uploads import MB, read_text, safe_filename

from . import importer, selectors, services
from .choices import ReferralStatus
from .domain import DEFAULT_THRESHOLDS, RECEIVER, SOURCES, referral_next_statuses
from .forms import (
    AgencyForm,
    DirectorySearchForm,
    ImportForm,
    LocationForm,
    ReferralStatusForm,
    ServiceForm,
    ServiceStatusForm,
    ThresholdForm,
)


def _linkable_organizations(actor):
    return Organization.objects.filter(active=True).exclude(pk=actor.organization.pk).order_by("name")


# The directory ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form = DirectorySearchForm(request.GET or None)
    hits, origin = [], None
    if form.is_bound:
        hits, origin = selectors.directory_search(actor, **form.filters())
    context = {
        "nav": "community",
        "form": form,
        "hits": hits,
        "origin": origin,
        "searched": form.is_bound,
        "agencies": selectors.agencies_for(actor).prefetch_related("services"),
        "agency_form": AgencyForm(organizations=_linkable_organizations(actor)),
        "incoming_open": selectors.incoming_referrals(actor, open_only=True).count(),
    }
    return render(request, "community/directory.html", context)


@login_required
@require_POST
def agency_new(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request)
    form = AgencyForm(request.POST, organizations=_linkable_organizations(actor))
    if form.is_valid():
        try:
            agency = services.agency_save(actor=actor, data=form.service_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"{agency.name} added to the directory.")
            return redirect(reverse("community:agency_detail", args=[agency.public_id]))
    context = {"nav": "community", "form": DirectorySearchForm(), "agency_form": form, "hits": [], "agencies": []}
    return render(request, "community/directory.html", context, status=400)


def _agency_context(actor, agency, **bound) -> dict:
    initial = {
        "name": agency.name,
        "description": agency.description,
        "phone": agency.phone,
        "email": agency.email,
        "website": agency.website,
        "linked_organization": str(agency.linked_organization.public_id) if agency.linked_organization else "",
        "version": agency.version,
    }
    context = {
        "nav": "community",
        "agency": agency,
        "services": agency.services.all(),
        "agency_form": AgencyForm(initial=initial, organizations=_linkable_organizations(actor)),
        "service_form": ServiceForm(prefix="service"),
    }
    context.update(bound)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def agency_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request) if request.method == "POST" else clinical_actor(request)
    agency = selectors.agency_get(actor, public_id)
    if request.method == "GET":
        return render(request, "community/agency_detail.html", _agency_context(actor, agency))
    form = AgencyForm(request.POST, organizations=_linkable_organizations(actor))
    if form.is_valid():
        try:
            services.agency_save(
                actor=actor, agency=agency, data=form.service_data(), expected_version=form.cleaned_data["version"]
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(reverse("community:agency_detail", args=[agency.public_id]))
    return render(request, "community/agency_detail.html", _agency_context(actor, agency, agency_form=form), status=400)


@login_required
@require_POST
def agency_set_active(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    agency = selectors.agency_get(actor, public_id)
    try:
        services.agency_set_active(actor=actor, agency=agency, active=request.POST.get("active") == "1")
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    return redirect(reverse("community:agency_detail", args=[agency.public_id]))


@login_required
@require_POST
def agency_service_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    agency = selectors.agency_get(actor, public_id)
    form = ServiceForm(request.POST, prefix="service")
    if form.is_valid():
        try:
            service = services.service_save(actor=actor, agency=agency, data=form.service_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"{service.name} added. Add where it is offered.")
            return redirect(reverse("community:service_detail", args=[service.public_id]))
    context = _agency_context(actor, agency, service_form=form)
    return render(request, "community/agency_detail.html", context, status=400)


def _service_context(service, **bound) -> dict:
    hours = "; ".join(h.get("description") or f"{h.get('byday', '')} {h.get('opens_at', '')}-{h.get('closes_at', '')}"
                      for h in service.hours)  # fmt: skip
    initial = {
        **{name: getattr(service, name) for name in services.SERVICE_FIELDS if name not in ("hours", "cost_options")},
        "needs": service.need_list,
        "languages": service.language_list,
        "hours_text": hours[:300],
        "version": service.version,
    }
    context = {
        "nav": "community",
        "service": service,
        "agency": service.agency,
        "hours": hours,
        "locations": list(service.locations.all()),
        "form": ServiceForm(initial=initial),
        "status_form": ServiceStatusForm(initial={"status": service.status}),
        "location_form": LocationForm(prefix="location"),
    }
    context.update(bound)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def service_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request) if request.method == "POST" else clinical_actor(request)
    service = selectors.service_get(actor, public_id)
    if request.method == "GET":
        return render(request, "community/service_detail.html", _service_context(service))
    form = ServiceForm(request.POST)
    if form.is_valid():
        try:
            services.service_save(
                actor=actor, service=service, data=form.service_data(), expected_version=form.cleaned_data["version"]
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(reverse("community:service_detail", args=[service.public_id]))
    return render(request, "community/service_detail.html", _service_context(service, form=form), status=400)


@login_required
@require_POST
def service_status(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    service = selectors.service_get(actor, public_id)
    form = ServiceStatusForm(request.POST)
    if form.is_valid():
        services.service_set_status(actor=actor, service=service, status=form.cleaned_data["status"])
        messages.success(request, f"Status: {service.get_status_display().lower()}.")
        return redirect(reverse("community:service_detail", args=[service.public_id]))
    return render(request, "community/service_detail.html", _service_context(service, status_form=form), status=400)


@login_required
@require_POST
def service_location_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    service = selectors.service_get(actor, public_id)
    form = LocationForm(request.POST, prefix="location")
    if form.is_valid():
        try:
            services.location_save(actor=actor, service=service, data=form.cleaned_data)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Location added.")
            return redirect(reverse("community:service_detail", args=[service.public_id]))
    context = _service_context(service, location_form=form)
    return render(request, "community/service_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def directory_import(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request)
    if request.method == "GET":
        return render(request, "community/import.html", {"nav": "community", "form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        try:
            report = _run_import(actor, form.cleaned_data["files"])
        except ApplicationError as exc:
            _put_error(form, exc)
    status = 200 if report is not None else 400
    return render(request, "community/import.html", {"nav": "community", "form": form, "report": report}, status=status)


HSDS_MAX_BYTES = 20 * MB  # per file; a county's whole HSDS directory is a few MB


def _run_import(actor, uploads):
    texts = {}
    for upload in uploads:
        name = safe_filename(upload.name, default="upload")
        texts[name] = read_text(upload, max_bytes=HSDS_MAX_BYTES, field="files", what=name)
    json_files = [name for name in texts if name.endswith(".json") and name != "datapackage.json"]
    if json_files:
        if len(texts) != 1:
            raise ValidationError("Import one JSON file at a time, or the CSV files of a package.")
        try:
            payload = json.loads(texts[json_files[0]])
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{json_files[0]} is not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        return importer.hsds_import_json(actor=actor, payload=payload)
    return importer.hsds_import_csv(actor=actor, files=texts)


# Incoming referrals (the receiving organization) ------------------------------------------------------------


@login_required
@require_GET
def incoming(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    show_all = request.GET.get("show") == "all"
    referrals = selectors.incoming_referrals(actor, open_only=not show_all)
    return render(
        request,
        "community/incoming.html",
        {"nav": "community", "referrals": referrals, "show_all": show_all},
    )


def _status_form(referral, data=None) -> ReferralStatusForm:
    """The receiver's status form, offering only the answers it may give now."""
    statuses = referral_next_statuses(referral.status, party=RECEIVER, receiver_uses_carecoord=True)
    return ReferralStatusForm(data, initial={"version": referral.version}, statuses=statuses)


def _summary_for_display(summary: dict) -> dict:
    """The stored summary, its date of birth (stored as ISO text) as a date the page formats."""
    shown = dict(summary or {})
    try:
        shown["birth_date"] = dt.date.fromisoformat(shown.get("birth_date") or "")
    except ValueError:
        shown["birth_date"] = None
    return shown


def _incoming_context(referral, form=None) -> dict:
    return {
        "nav": "community",
        "referral": referral,
        "summary": _summary_for_display(referral.patient_summary),
        "events": list(selectors.incoming_referral_history(referral)),
        "form": form or _status_form(referral),
        "statuses": ReferralStatus,
    }


@login_required
@require_GET
def referral_incoming(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    referral = selectors.incoming_referral_get(actor, public_id)
    audit_record(
        actor=actor,
        event="referral.incoming.view",
        action=AuditAction.READ,
        target=referral,
        detail={"patient_summary": True},
    )
    return render(request, "community/referral_incoming.html", _incoming_context(referral))


@login_required
@require_POST
def referral_answer(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    referral = selectors.incoming_referral_get(actor, public_id)
    form = _status_form(referral, request.POST)
    if form.is_valid():
        try:
            services.referral_set_status(
                actor=actor,
                referral=referral,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                outcome=form.cleaned_data["outcome"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"Referral {form.cleaned_data['status']}.")
            return redirect(reverse("community:referral_incoming", args=[referral.public_id]))
    return render(request, "community/referral_incoming.html", _incoming_context(referral, form), status=400)


# Benefit thresholds -----------------------------------------------------------------------------------------


def _thresholds_context(actor, form=None) -> dict:
    defaults = [
        {"program": program, "label": program.label, "figures": figures, "source": SOURCES[program]}
        for program, figures in ((p, DEFAULT_THRESHOLDS[p]) for p in DEFAULT_THRESHOLDS)
    ]
    return {
        "nav": "community",
        "rows": selectors.thresholds_for(actor),
        "defaults": defaults,
        "form": form or ThresholdForm(),
        "can_edit": actor.has_role(Role.ORG_ADMIN, Role.SUPERVISOR),
    }


@login_required
@require_http_methods(["GET", "POST"])
def thresholds(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    if request.method == "GET":
        return render(request, "community/thresholds.html", _thresholds_context(actor))
    editor_actor(request, Role.ORG_ADMIN, Role.SUPERVISOR)  # everyone reads the thresholds; these two set them
    form = ThresholdForm(request.POST)
    if form.is_valid():
        try:
            services.threshold_set(actor=actor, **form.cleaned_data)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Threshold saved.")
            return redirect(reverse("community:thresholds"))
    return render(request, "community/thresholds.html", _thresholds_context(actor, form), status=400)


@login_required
@require_POST
def threshold_delete(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, Role.ORG_ADMIN, Role.SUPERVISOR)
    row = selectors.thresholds_for(actor).filter(public_id=selectors._key(public_id)).first()
    if row is None:
        raise NotFoundError()
    try:
        services.threshold_delete(actor=actor, threshold=row)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("community:thresholds"))
