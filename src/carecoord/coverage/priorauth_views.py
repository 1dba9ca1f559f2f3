"""
Prior authorization and funding application pages: add from the Insurance tab, a prior authorization's page
(status, units used and the visits counted, appeals with their documents) and an application's page with
its document checklist (each document marked received or not received).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.uploads import attachment_response
from carecoord.patients.selectors import patient_get

from . import domain, funding_services, priorauth_services
from .choices import APPEAL_OUTCOMES, APPROVED_STATUSES, PriorAuthStatus
from .forms import (
    AppealStatusForm,
    ApplicationForm,
    DecisionCorrectForm,
    DecisionDetailsForm,
    DocumentForm,
    DocumentMarkForm,
    FollowUpForm,
    PriorAuthForm,
    PriorAuthStatusForm,
    VisitForm,
    decision_fields,
)
from .priorauth_services import AWAITING, CORRECTIONS, DECIDED
from .selectors import (
    appeal_get,
    application_document_get,
    application_documents,
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
    today = clock.today_in(actor.organization.tz)
    allowed = priorauth_services.next_statuses(auth, today)
    status_form = bound.pop("status_form", None) or PriorAuthStatusForm(initial={"version": auth.version})
    status_form.limit_statuses(allowed)
    open_appeal = next((a for a in appeals if a.status not in APPEAL_OUTCOMES), None)
    appeal_form = bound.pop("appeal_form", None)
    if open_appeal is not None:
        appeal_form = appeal_form or AppealStatusForm(initial={"version": open_appeal.version})
        appeal_form.limit_statuses(open_appeal.status)
    appeal_by = None
    if auth.status == PriorAuthStatus.DENIED and auth.decided_on and open_appeal is None and not appeals:
        appeal_by = domain.appeal_deadline(auth.decided_on, auth.appeal_deadline_days)
    return {
        "nav": "patients",
        "patient": auth.patient,
        "auth": auth,
        **_decision_forms(auth, bound),
        "history": _history(actor, auth),
        "today": today,
        "appeal_by": appeal_by,
        "appeal_days_left": (appeal_by - today).days if appeal_by else None,
        "units_left": domain.units_left(auth.units_approved, auth.units_used),
        "visits": list(auth.visits.select_related("recorded_by")),
        "appeals": appeals,
        "open_appeal": open_appeal,
        "status_form": status_form if allowed else None,
        # Why "Expired" is not offered yet (an approval whose period has not ended); also the refusal's message.
        "expiry_note": priorauth_services.expiry_refusal(auth, today) if auth.status in APPROVED_STATUSES else "",
        "visit_form": VisitForm(),
        "appeal_form": appeal_form,
        "document_form": DocumentForm(),
        "can_edit": actor.can_edit_patients and auth.organization_id == actor.organization.pk,
        **bound,
    }


def _decision_forms(auth, bound: dict) -> dict:
    """Edit decision details and correct the decision once decided; log a follow-up while awaiting the payer."""
    forms = {"details_form": None, "correct_form": None, "follow_up_form": None}
    if auth.status in DECIDED:
        forms["details_form"] = bound.pop("details_form", None) or DecisionDetailsForm.for_auth(auth)
        correct_form = bound.pop("correct_form", None) or DecisionCorrectForm(
            initial={"version": auth.version}, prefix="correct"
        )
        correct_form.limit_statuses(CORRECTIONS[auth.status])
        forms["correct_form"] = correct_form
    if auth.status in AWAITING:
        forms["follow_up_form"] = bound.pop("follow_up_form", None) or FollowUpForm(prefix="follow")
    return forms


def _history(actor, auth) -> list[dict]:
    """The request's history, newest first, with who and when in the organization's time zone."""
    tz = actor.organization.tz
    rows = []
    for event in auth.events.select_related("by").order_by("-at", "-id"):
        rows.append(
            {
                "event": event,
                "at": timefmt.date_time(event.at, tz),
                "by": event.by.full_name if event.by else "CareCoord",
                "follow_up_on": timefmt.day(event.follow_up_on) if event.follow_up_on else "",
                "changes": [_change_line(name, values) for name, values in event.changes.items()],
            }
        )
    return rows


CHANGE_LABELS = {
    "reference_number": "Authorization number",
    "units_approved": "Units approved",
    "start_date": "Authorized from",
    "end_date": "Authorized through",
    "denial_reason": "Denial reason",
}


def _change_line(name: str, values: list) -> str:
    def shown(value) -> str:
        if value in (None, ""):
            return "(none)"
        if name in ("start_date", "end_date"):
            return timefmt.day(dt.date.fromisoformat(value))
        return str(value)

    before, after = values
    return f"{CHANGE_LABELS.get(name, name)}: {shown(before)} to {shown(after)}"


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
                **decision_fields(data),
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Status updated.")
            _warn_without_number(request, auth)
            return redirect(auth.get_absolute_url())
    auth.refresh_from_db()
    return _render_auth(request, actor, auth, status=400, status_form=form)


def _warn_without_number(request, auth) -> None:
    # The payer's authorization number (X12 278 HCR02) comes with an approval but not always at once (a phone
    # approval, a letter to follow), so it is not required; say clearly that it is missing and how to add it.
    if auth.status in (PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED) and not auth.reference_number:
        messages.warning(
            request,
            "Approved without an authorization number. Claims usually need it: add it with "
            "Edit decision details as soon as the payer gives it.",
        )


@login_required
@require_POST
def priorauth_decision_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    auth = prior_auth_get(actor, public_id)
    form = DecisionDetailsForm.for_auth(auth, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version, note = data.pop("version"), data.pop("note")
        try:
            priorauth_services.prior_auth_decision_edit(
                actor=actor, auth=auth, data=data, expected_version=version, note=note
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Decision details saved.")
            auth.refresh_from_db()
            _warn_without_number(request, auth)
            return redirect(auth.get_absolute_url() + "#history")
    auth.refresh_from_db()
    return _render_auth(request, actor, auth, status=400, details_form=form)


@login_required
@require_POST
def priorauth_decision_correct(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    auth = prior_auth_get(actor, public_id)
    form = DecisionCorrectForm(request.POST, prefix="correct")
    if form.is_valid():
        data = form.cleaned_data
        try:
            priorauth_services.prior_auth_decision_correct(
                actor=actor,
                auth=auth,
                status=data["status"],
                reason=data["reason"],
                expected_version=data["version"],
                **decision_fields(data),
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            auth.refresh_from_db()
            messages.success(request, f"Decision corrected: now {auth.get_status_display().lower()}.")
            _warn_without_number(request, auth)
            return redirect(auth.get_absolute_url() + "#history")
    auth.refresh_from_db()
    return _render_auth(request, actor, auth, status=400, correct_form=form)


@login_required
@require_POST
def priorauth_follow_up(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    auth = prior_auth_get(actor, public_id)
    form = FollowUpForm(request.POST, prefix="follow")
    if form.is_valid():
        try:
            event = priorauth_services.prior_auth_follow_up_log(actor=actor, auth=auth, **form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            when = f"; next follow-up on {timefmt.day(event.follow_up_on)}" if event.follow_up_on else ""
            messages.success(request, f"Follow-up logged{when}.")
            return redirect(auth.get_absolute_url() + "#history")
    auth.refresh_from_db()
    return _render_auth(request, actor, auth, status=400, follow_up_form=form)


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
            missing = funding_services.missing_count(app)
            tasks = f"; {missing} document task{pluralize(missing)} on the worklist" if missing else ""
            messages.success(request, f"Application recorded{tasks}.")
            return redirect(tab_url(patient, "applications"))
    return _bad(request, actor, patient, application_form=form)


def _application_context(actor, app, **bound) -> dict:
    documents = application_documents(app)
    tz = actor.organization.tz
    for document in documents:
        document.received_label = timefmt.date_time(document.received_at, tz) if document.received else ""
    form = bound.pop("form", None)
    if form is None:
        form = ApplicationForm()
        form.prepare_initial(app, documents)
    return {
        "nav": "patients",
        "patient": app.patient,
        "app": app,
        "form": form,
        "documents": documents,
        "missing": [d for d in documents if not d.received],
        "can_edit": actor.can_edit_patients and app.organization_id == actor.organization.pk,
        **bound,
    }


def _render_application(request, actor, app, status=200, **bound) -> HttpResponse:
    context = _application_context(actor, app, **bound)
    return render(request, "coverage/application_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request) if request.method == "POST" else clinical_actor(request)
    app = application_get(actor, public_id)
    if request.method == "GET":
        audit_record(actor=actor, event="funding.view", target=app, patient=app.patient)
        return _render_application(request, actor, app)
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
            return redirect(app.get_absolute_url())  # back to the application the coordinator was working on
    app.refresh_from_db()
    return _render_application(request, actor, app, status=400, form=form)


@login_required
@require_POST
def application_document_mark(request: HttpRequest, public_id) -> HttpResponse:
    """A checklist button: one document received, or not received after all (POST/redirect/GET)."""
    actor = editor_actor(request)
    app = application_get(actor, public_id)
    form = DocumentMarkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        document = application_document_get(actor, app, data["document"])
        try:
            funding_services.application_document_mark(
                actor=actor, document=document, received=data["received"], expected_version=data["version"]
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFoundError):
                raise
            error = exc.message
        else:
            state = "received" if data["received"] else "not received"
            messages.success(request, f"{document.name} marked {state}.")
            return redirect(app.get_absolute_url() + "#documents")
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    app.refresh_from_db()
    return _render_application(request, actor, app, status=400, mark_error=error)
