"""
Prior authorization and funding application pages: add from the Insurance tab, a prior authorization's page
(status, units used and the visits counted, appeals with their documents) and an application's page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.uploads import attachment_response
from carecoord.patients.selectors import patient_get

from . import domain, funding_services, priorauth_services
from .choices import APPEAL_OUTCOMES, PriorAuthStatus
from .forms import AppealStatusForm, ApplicationForm, DocumentForm, PriorAuthForm, PriorAuthStatusForm, VisitForm
from .priorauth_services import TRANSITIONS
from .selectors import (
    appeal_get,
    application_get,
    coverages_for_patient,
    document_get,
    prior_auth_get,
    visit_get,
)
from .views import _bad, _practitioners, put_error, tab_url


@login_required
@require_POST
def patient_priorauth_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = PriorAuthForm(
        request.POST,
        prefix="auth",
        coverages=coverages_for_patient(actor, patient, include_ended=False),
        practitioners=_practitioners(actor),
    )
    if form.is_valid():
        try:
            auth = priorauth_services.prior_auth_create(actor=actor, patient=patient, data=form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Prior authorization request recorded as a draft.")
            return redirect(auth.get_absolute_url())
    return _bad(request, actor, patient, auth_form=form)


def _auth_context(actor, auth, **bound) -> dict:
    appeals = list(auth.appeals.prefetch_related("documents"))
    allowed = TRANSITIONS.get(auth.status, set())
    status_form = bound.pop("status_form", None) or PriorAuthStatusForm(initial={"version": auth.version})
    status_form.limit_statuses(allowed)
    open_appeal = next((a for a in appeals if a.status not in APPEAL_OUTCOMES), None)
    appeal_form = bound.pop("appeal_form", None)
    if open_appeal is not None:
        appeal_form = appeal_form or AppealStatusForm(initial={"version": open_appeal.version})
        appeal_form.limit_statuses(open_appeal.status)
    today = clock.today_in(actor.organization.tz)
    appeal_by = None
    if auth.status == PriorAuthStatus.DENIED and auth.decided_on and open_appeal is None and not appeals:
        appeal_by = domain.appeal_deadline(auth.decided_on, auth.appeal_deadline_days)
    return {
        "nav": "patients",
        "patient": auth.patient,
        "auth": auth,
        "today": today,
        "appeal_by": appeal_by,
        "appeal_days_left": (appeal_by - today).days if appeal_by else None,
        "units_left": domain.units_left(auth.units_approved, auth.units_used),
        "visits": list(auth.visits.select_related("recorded_by")),
        "appeals": appeals,
        "open_appeal": open_appeal,
        "status_form": status_form if allowed else None,
        "visit_form": VisitForm(),
        "appeal_form": appeal_form,
        "document_form": DocumentForm(),
        "can_edit": actor.can_edit_patients and auth.organization_id == actor.organization.pk,
        **bound,
    }


def _render_auth(request, actor, auth, status=200, **bound) -> HttpResponse:
    return render(request, "coverage/priorauth_detail.html", _auth_context(actor, auth, **bound), status=status)


@login_required
@require_GET
def priorauth_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    auth = prior_auth_get(actor, public_id)
    audit_record(actor=actor, event="priorauth.view", target=auth, patient=auth.patient)
    return _render_auth(request, actor, auth)


@login_required
@require_POST
def priorauth_status(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    auth = prior_auth_get(actor, public_id)
    form = PriorAuthStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            priorauth_services.prior_auth_set_status(
                actor=actor,
                auth=auth,
                status=data["status"],
                expected_version=data["version"],
                on=data["on"],
                units_approved=data["units_approved"],
                reference_number=data["reference_number"],
                denial_reason=data["denial_reason"],
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Status updated.")
            return redirect(auth.get_absolute_url())
    auth.refresh_from_db()
    return _render_auth(request, actor, auth, status=400, status_form=form)


@login_required
@require_POST
def priorauth_visit_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    auth = prior_auth_get(actor, public_id)
    form = VisitForm(request.POST)
    if form.is_valid():
        try:
            priorauth_services.prior_auth_visit_record(actor=actor, auth=auth, **form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Visit counted against the authorization.")
            return redirect(auth.get_absolute_url() + "#visits")
    return _render_auth(request, actor, auth, status=400, visit_form=form)


@login_required
@require_POST
def visit_void(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    visit = visit_get(actor, public_id)
    try:
        priorauth_services.prior_auth_visit_void(actor=actor, visit=visit)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "Visit taken back; its units are available again.")
    return redirect(visit.authorization.get_absolute_url() + "#visits")


@login_required
@require_POST
def priorauth_appeal_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    auth = prior_auth_get(actor, public_id)
    try:
        appeal = priorauth_services.appeal_create(actor=actor, auth=auth)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"{appeal.get_level_display()} opened; file it by {timefmt.day(appeal.filing_deadline)}."
        )
    return redirect(auth.get_absolute_url() + "#appeals")


@login_required
@require_POST
def appeal_status(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    appeal = appeal_get(actor, public_id)
    form = AppealStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            priorauth_services.appeal_set_status(
                actor=actor,
                appeal=appeal,
                status=data["status"],
                expected_version=data["version"],
                on=data["on"],
                note=data["note"],
                units_approved=data["units_approved"],
                decision_due=data["decision_due"],
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Appeal updated.")
            return redirect(appeal.authorization.get_absolute_url() + "#appeals")
    return _render_auth(request, actor, appeal.authorization, status=400, appeal_form=form)


@login_required
@require_POST
def appeal_document_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    appeal = appeal_get(actor, public_id)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            priorauth_services.appeal_document_add(
                actor=actor,
                appeal=appeal,
                title=form.cleaned_data["title"],
                file_name=upload.name,
                content=upload.checked_content,
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Document attached to the appeal.")
            return redirect(appeal.authorization.get_absolute_url() + "#appeals")
    return _render_auth(request, actor, appeal.authorization, status=400, document_form=form)


@login_required
@require_GET
def document_download(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    document = document_get(actor, public_id)
    audit_record(actor=actor, event="appeal.document_view", target=document, patient=document.patient)
    content = bytes(document.content)
    return attachment_response(content, content_type=document.content_type, filename=document.file_name)


# Funding applications ---------------------------------------------------------------------------------------


@login_required
@require_POST
def patient_application_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = ApplicationForm(request.POST, prefix="application")
    if form.is_valid():
        try:
            app = funding_services.application_create(actor=actor, patient=patient, data=form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            missing = len(app.documents_missing)
            messages.success(
                request, f"Application recorded{f'; {missing} document task(s) on the worklist' if missing else ''}."
            )
            return redirect(tab_url(patient, "applications"))
    return _bad(request, actor, patient, application_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request) if request.method == "POST" else clinical_actor(request)
    app = application_get(actor, public_id)
    if request.method == "GET":
        audit_record(actor=actor, event="funding.view", target=app, patient=app.patient)
        form = ApplicationForm()
        form.prepare_initial(app)
    else:
        form = ApplicationForm(request.POST)
        if form.is_valid():
            try:
                funding_services.application_update(
                    actor=actor,
                    application=app,
                    data=form.cleaned_data,
                    expected_version=int(request.POST.get("version") or 0),
                )
            except ApplicationError as exc:
                put_error(form, exc)
            else:
                messages.success(request, "Application saved.")
                return redirect(tab_url(app.patient, "applications"))
    context = {
        "nav": "patients",
        "patient": app.patient,
        "app": app,
        "form": form,
        "can_edit": actor.can_edit_patients and app.organization_id == actor.organization.pk,
    }
    return render(request, "coverage/application_detail.html", context, status=200 if request.method == "GET" else 400)
