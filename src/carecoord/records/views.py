"""Records management pages: patient exports, disclosures, deleted patients and legal holds."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import RECORD_EXPORT_ROLES, AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import editor_actor, put_service_error
from carecoord.patients.selectors import patient_get

from . import selectors, services
from .exports import FILES, export_file
from .forms import AmendmentRequestForm, ExportRequestForm

# What every export holds (exports.export_run builds all of it; there is no partial export).
EXPORT_CONTENTS = (
    "record.pdf: a readable copy of the designated record set (demographics, insurance, medications, care plans,"
    " appointments and signed progress notes)",
    "bundle.json: the same record as a FHIR R4 Bundle",
    "amendments.json: the patient's amendment requests and their outcomes",
    "manifest.json: the files' SHA-256 digests",
)


def _actor(request: HttpRequest):
    actor = getattr(request, "actor", None)
    if actor is None:
        raise Http404
    return actor


def _admin(request: HttpRequest):
    """Admin-only pages answer 404 to everyone else, like a record they may not see."""
    actor = _actor(request)
    if not actor.is_org_admin:
        raise Http404
    return actor


def _admin_action(request: HttpRequest, action: Callable[[Actor], object], success: str) -> HttpResponse:
    """
    An admin-only action on the deleted-records page: `action(actor)` runs for an org admin (404 for anyone
    else, or for a record they cannot see); its refusal or `success` shows as a message back on that page.
    """
    actor = _admin(request)
    try:
        action(actor)
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("records:deleted_list")


@login_required
@require_http_methods(["GET", "POST"])
def export_create(request: HttpRequest, patient_id) -> HttpResponse:
    """
    A right-of-access export discloses the whole record: GET shows whose record, for whom and what it holds;
    only the POST of that page, with a recipient chosen, queues it.
    """
    actor = editor_actor(request, *RECORD_EXPORT_ROLES)
    try:
        patient = patient_get(actor, patient_id, audit_event=None if request.method == "POST" else "export.confirm")
        representatives = list(selectors.export_representatives_of(actor, patient))
    except NotFoundError as exc:
        raise Http404 from exc
    form = ExportRequestForm(request.POST or None, patient=patient, representatives=representatives)
    if request.method == "POST" and form.is_valid():
        try:
            export = services.export_request(actor=actor, patient=patient, recipient=form.recipient_label())
        except NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            put_service_error(form, exc)
        else:
            messages.success(request, "The export is being prepared; this page shows when it is ready.")
            return redirect("records:export_detail", export.public_id)
    status = 400 if request.method == "POST" else 200
    context = {"patient": patient, "form": form, "contents": EXPORT_CONTENTS}
    return render(request, "records/export_confirm.html", context, status=status)


@login_required
@require_GET
def export_detail(request: HttpRequest, export_id) -> HttpResponse:
    actor = _actor(request)
    try:
        export = selectors.export_get(actor, export_id)
    except NotFoundError as exc:
        raise Http404 from exc
    audit_record(actor=actor, event="export.view", target=export, patient=export.patient)
    files = [f for f in export.manifest.get("files", [])] if export.status == "done" else []
    return render(request, "records/export_detail.html", {"export": export, "files": files, "names": list(FILES)})


@login_required
@require_GET
def export_download(request: HttpRequest, export_id, name: str) -> HttpResponse:
    actor = _actor(request)
    try:
        export = selectors.export_get(actor, export_id)
    except NotFoundError as exc:
        raise Http404 from exc
    path = export_file(export, name)
    if path is None:
        raise Http404
    audit_record(actor=actor, event="export.download", target=export, patient=export.patient, detail={"file": name})
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=FILES[name])
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def disclosure_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    try:
        disclosures = selectors.disclosures_for(actor)
    except NotFoundError as exc:
        raise Http404 from exc
    page = Paginator(disclosures, 50).get_page(request.GET.get("page"))
    audit_record(actor=actor, event="disclosure.list", action=AuditAction.READ)
    return render(request, "records/disclosure_list.html", {"page": page, "query": ""})


@login_required
@require_POST
def patient_delete(request: HttpRequest, patient_id) -> HttpResponse:
    actor = _admin(request)
    try:
        patient = patient_get(actor, patient_id, audit_event=None)
        services.patient_soft_delete(actor=actor, patient=patient, reason=request.POST.get("reason", ""))
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("patients:chart", patient_id)
    messages.success(request, "The patient record was deleted; an organization admin can restore it.")
    return redirect("records:deleted_list")


@login_required
@require_GET
def deleted_list(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    try:
        deletions = selectors.deletions_for(actor)
        holds = selectors.holds_for(actor).filter(released_at__isnull=True)
    except NotFoundError as exc:
        raise Http404 from exc
    audit_record(actor=actor, event="deletion.list", action=AuditAction.READ)
    return render(request, "records/deleted_list.html", {"deletions": deletions[:200], "holds": holds[:200]})


@login_required
@require_POST
def patient_restore(request: HttpRequest, patient_id) -> HttpResponse:
    actor = _admin(request)
    try:
        patient = services.patient_restore(actor=actor, patient_public_id=patient_id)
    except NotFoundError as exc:
        raise Http404 from exc
    messages.success(request, f"{patient.display_name} is restored.")
    return redirect("records:deleted_list")


@login_required
@require_POST
def hold_place(request: HttpRequest, patient_id) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _admin_action(
        request,
        lambda actor: services.legal_hold_place(actor=actor, patient_public_id=patient_id, reason=reason),
        "Legal hold placed: the record will not be purged while it stands.",
    )


@login_required
@require_POST
def hold_release(request: HttpRequest, hold_id) -> HttpResponse:
    return _admin_action(
        request, lambda actor: services.legal_hold_release(actor=actor, hold_public_id=hold_id), "Legal hold released."
    )


# --- amendments ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def amendment_list(request: HttpRequest, patient_id) -> HttpResponse:
    """The patient's amendment requests, and the form recording a new one (they quote signed notes)."""
    actor = _actor(request)
    if not actor.can_edit_patients:
        raise Http404
    try:
        patient = patient_get(actor, patient_id, audit_event=None if request.method == "POST" else "amendment.list")
    except NotFoundError as exc:
        raise Http404 from exc
    form = AmendmentRequestForm(request.POST or None, notes=selectors.signed_notes_of(actor, patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.amendment_request_record(actor=actor, patient=patient, **form.service_data())
        except NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            put_service_error(form, exc)
        else:
            messages.success(request, "The amendment request is recorded; accept or deny it below.")
            return redirect("records:amendment_list", patient.public_id)
    requests = selectors.amendments_of(actor, patient)
    status = 400 if request.method == "POST" else 200
    context = {"patient": patient, "form": form, "requests": requests}
    return render(request, "records/amendment_list.html", context, status=status)


@login_required
@require_POST
def amendment_decide(request: HttpRequest, amendment_id) -> HttpResponse:
    actor = _actor(request)
    try:
        amendment = selectors.amendment_get(actor, amendment_id)
        if request.POST.get("decision") == "accept":
            services.amendment_accept(actor=actor, request=amendment)
        else:
            services.amendment_deny(actor=actor, request=amendment, denial_reason=request.POST.get("denial_reason", ""))
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Decision recorded.")
    return redirect("records:amendment_list", amendment.patient.public_id)
