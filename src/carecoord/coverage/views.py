"""
Insurance pages: the chart's Insurance tab (coverages in order, eligibility checks, prior authorizations,
funding applications), an eligibility check's page (download the 270, upload the 271, the benefits read from
it), and the payer directory. Prior authorizations and applications have their pages in priorauth_views.py.
Writes redirect back (POST/redirect/GET); a form with errors is shown again with status 400.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.audit import audit_record
from carecoord.core.choices import PATIENT_REGISTRATION_ROLES, AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.http import put_service_error as put_error
from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind, Practitioner
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import services
from .choices import CoverageStatus, FundingProgram
from .eligibility import ACTIVE_CODES, COST_KINDS, cost_rows, covered_services, service_label
from .forms import (
    ApplicationForm,
    CoverageEndForm,
    CoverageForm,
    CoverageOrderForm,
    EligibilityRecordForm,
    EligibilityStartForm,
    PayerForm,
    PriorAuthForm,
    ResponseUploadForm,
)
from .selectors import (
    applications_for_patient,
    coverage_get,
    coverages_for_patient,
    eligibility_checks_for_patient,
    eligibility_get,
    may_see_member_id,
    payer_get,
    payers_for,
    prior_auths_for_patient,
    with_member_ids,
)


def tab_url(patient, anchor: str = "") -> str:
    return reverse("coverage:patient_insurance", args=[patient.public_id]) + (f"#{anchor}" if anchor else "")


EMPTY = Practitioner.objects.none()


def practitioners_with_npi(actor):
    return Practitioner.objects.filter(organization=actor.organization, active=True).exclude(npi="")


def _practitioners(actor):
    return Practitioner.objects.filter(organization=actor.organization, active=True)


def _tab_context(actor, patient, **bound) -> dict:
    context = chart_context(actor, patient, tab="insurance")
    payers = payers_for(actor)
    coverages = with_member_ids(actor, list(coverages_for_patient(actor, patient)))
    active = coverages_for_patient(actor, patient, include_ended=False)
    own = actor.organization.pk
    in_force = [c for c in coverages if c.status == CoverageStatus.ACTIVE and c.organization_id == own]
    context.update(
        coverages=coverages,
        payers_exist=payers.exists(),
        checks=list(eligibility_checks_for_patient(actor, patient)[:10]),
        # Rows another organization wrote say whose they are (read only here).
        auths=list(prior_auths_for_patient(actor, patient).select_related("organization")),
        applications=list(applications_for_patient(actor, patient).select_related("organization")),
        # The first coverage is the primary one; "after the others" only once there are others.
        coverage_form=CoverageForm(prefix="coverage", payers=payers, initial={"position": 1} if not in_force else None),
        coverages_in_force=len(in_force),
        record_form=EligibilityRecordForm(prefix="record"),
        start_form=EligibilityStartForm(prefix="start", practitioners=EMPTY),
        auth_form=PriorAuthForm(prefix="auth", coverages=active, practitioners=_practitioners(actor)),
        application_form=ApplicationForm(prefix="application"),
    )
    context.update(bound)
    _forms_per_coverage(actor, coverages, context)
    return context


def _forms_per_coverage(actor, coverages, context) -> None:
    """Each coverage's own eligibility forms (distinct ids on the page); a failed one stays bound to its row."""
    failed = context.get("form_coverage")
    for c in coverages:
        c.start_form = EligibilityStartForm(
            prefix="start", auto_id=f"start-{c.public_id}-%s", practitioners=practitioners_with_npi(actor)
        )
        c.record_form = EligibilityRecordForm(prefix="record", auto_id=f"record-{c.public_id}-%s")
        if failed is not None and failed.pk == c.pk:
            c.start_form = context["start_form"] if context["start_form"].is_bound else c.start_form
            c.record_form = context["record_form"] if context["record_form"].is_bound else c.record_form
            c.open = True


def _application_start(query) -> dict:
    """
    `?program=snap&program_name=...` (the benefits pre-screen's "Start application"): the new-application form
    with that program preselected and open. An unknown program is ignored (the form starts empty).
    """
    program = query.get("program", "")
    if program not in FundingProgram.values:
        return {}
    name = " ".join(query.get("program_name", "").split())[:200]
    initial = {"program": program, "program_name": name or FundingProgram(program).label}
    return {"application_form": ApplicationForm(prefix="application", initial=initial), "application_open": True}


@login_required
@require_GET
def patient_insurance(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="insurance.view", action=AuditAction.READ, target=patient, patient=patient)
    context = _tab_context(actor, patient, **_application_start(request.GET))
    return render(request, "coverage/patient_insurance.html", context)


def _bad(request, actor, patient, **bound) -> HttpResponse:
    return render(request, "coverage/patient_insurance.html", _tab_context(actor, patient, **bound), status=400)


@login_required
@require_POST
def patient_coverage_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    patient = patient_get(actor, public_id, audit_event=None)
    form = CoverageForm(request.POST, prefix="coverage", payers=payers_for(actor))
    if form.is_valid():
        try:
            coverage = services.coverage_add(
                actor=actor, patient=patient, data=form.service_data(), position=form.cleaned_data["position"]
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"{coverage} added as {coverage.order_name.lower()} coverage.")
            return redirect(tab_url(patient, "coverages"))
    return _bad(request, actor, patient, coverage_form=form)


@login_required
@require_POST
def coverage_end(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    coverage = coverage_get(actor, public_id)
    form = CoverageEndForm(request.POST)
    if form.is_valid():
        try:
            services.coverage_end(
                actor=actor,
                coverage=coverage,
                end_date=form.cleaned_data["end_date"],
                in_error=form.cleaned_data["in_error"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"{coverage} ended; the order of the others was updated.")
            return redirect(tab_url(coverage.patient, "coverages"))
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(tab_url(coverage.patient, "coverages"))


@login_required
@require_POST
def coverage_order(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    coverage = coverage_get(actor, public_id)
    form = CoverageOrderForm(request.POST)
    if form.is_valid():
        try:
            coverage = services.coverage_update(
                actor=actor,
                coverage=coverage,
                data={},
                expected_version=form.cleaned_data["version"],
                position=form.cleaned_data["position"],
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"{coverage} is now {coverage.order_name.lower()}.")
            return redirect(tab_url(coverage.patient, "coverages"))
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(tab_url(coverage.patient, "coverages"))


@login_required
@require_POST
def coverage_eligibility_start(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    coverage = coverage_get(actor, public_id)
    form = EligibilityStartForm(request.POST, prefix="start", practitioners=practitioners_with_npi(actor))
    if form.is_valid():
        try:
            check = services.eligibility_check_start(actor=actor, coverage=coverage, **form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "The 270 inquiry is ready: download it and send it to the payer.")
            return redirect(reverse("coverage:eligibility_detail", args=[check.public_id]))
    return _bad(request, actor, coverage.patient, start_form=form, form_coverage=coverage)


@login_required
@require_POST
def coverage_eligibility_record(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    coverage = coverage_get(actor, public_id)
    form = EligibilityRecordForm(request.POST, prefix="record")
    if form.is_valid():
        try:
            services.eligibility_result_record(actor=actor, coverage=coverage, **form.cleaned_data)
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Eligibility check recorded.")
            return redirect(tab_url(coverage.patient, "eligibility"))
    return _bad(request, actor, coverage.patient, record_form=form, form_coverage=coverage)


# An eligibility check ---------------------------------------------------------------------------------------


def _check_context(actor, check, **bound) -> dict:
    with_member_ids(actor, [check.coverage])
    return {
        "nav": "patients",
        "patient": check.patient,
        "check": check,
        "costs": cost_rows(check.benefits),
        "covered": [(code, service_label(code)) for code in covered_services(check.benefits)],
        # Active-coverage lines are the "Services covered" list; the rest (plan, PCP, limits...) is shown here.
        "other_benefits": [
            b
            for b in check.benefits
            if b.get("code") not in COST_KINDS and not (b.get("code") in ACTIVE_CODES and not b.get("plan"))
        ],
        "upload_form": ResponseUploadForm(),
        "can_edit": actor.can_register_patients and check.organization_id == actor.organization.pk,
        **bound,
    }


@login_required
@require_GET
def eligibility_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    check = eligibility_get(actor, public_id)
    audit_record(actor=actor, event="eligibility.view", target=check, patient=check.patient)
    return render(request, "coverage/eligibility_detail.html", _check_context(actor, check))


@login_required
@require_GET
def eligibility_request(request: HttpRequest, public_id) -> HttpResponse:
    """The 270 inquiry as a file to send to the payer or clearinghouse."""
    actor = clinical_actor(request)
    check = eligibility_get(actor, public_id)
    if not check.request_x12 or not may_see_member_id(actor):
        raise NotFoundError()  # the 270 carries the member ID
    audit_record(actor=actor, event="eligibility.download", target=check, patient=check.patient)
    response = HttpResponse(check.request_x12, content_type="application/edi-x12")
    response["Content-Disposition"] = f'attachment; filename="eligibility-{check.control_number:09d}.270"'
    return response


@login_required
@require_POST
def eligibility_upload(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    check = eligibility_get(actor, public_id)
    form = ResponseUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            check = services.eligibility_response_upload(actor=actor, check=check, text=form.cleaned_data["file"])
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, f"Response read: {check.get_status_display().lower()}.")
            return redirect(reverse("coverage:eligibility_detail", args=[check.public_id]))
    context = _check_context(actor, check, upload_form=form)
    return render(request, "coverage/eligibility_detail.html", context, status=400)


# The payer directory ----------------------------------------------------------------------------------------


def _payer_orgs(actor):
    return ExternalOrganization.objects.filter(
        organization=actor.organization, kind=ExternalOrganizationKind.PAYER, active=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def payer_list(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request) if request.method == "POST" else clinical_actor(request)
    form = PayerForm(request.POST or None, external_organizations=_payer_orgs(actor))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                payer = services.payer_create(actor=actor, data=form.cleaned_data)
            except ApplicationError as exc:
                put_error(form, exc)
            else:
                messages.success(request, f"{payer.name} added to the payer directory.")
                return redirect(reverse("coverage:payer_list"))
        status = 400
    context = {"nav": "directory", "payers": payers_for(actor, active_only=False), "form": form}
    return render(request, "coverage/payer_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def payer_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    payer = payer_get(actor, public_id)
    initial = {
        **{name: getattr(payer, name) for name in services.PAYER_FIELDS if name != "external_organization"},
        "external_organization": payer.external_organization.public_id if payer.external_organization else None,
    }
    form = PayerForm(request.POST or None, initial=initial, external_organizations=_payer_orgs(actor))
    if request.method == "POST" and form.is_valid():
        try:
            services.payer_update(
                actor=actor,
                payer=payer,
                data=form.cleaned_data,
                expected_version=int(request.POST.get("version") or 0),
            )
        except ApplicationError as exc:
            put_error(form, exc)
        else:
            messages.success(request, "Payer saved.")
            return redirect(reverse("coverage:payer_list"))
    status = 400 if request.method == "POST" else 200
    context = {"nav": "directory", "payer": payer, "form": form}
    return render(request, "coverage/payer_edit.html", context, status=status)
