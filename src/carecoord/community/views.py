"""
The chart's "Social needs" tab and what starts from it: the AHC HRSN screen, the benefits pre-screen, finding
community resources for the patient, referring, and following a sent referral. Writes redirect back
(POST/redirect/GET); a form with errors is shown again with status 400. Every read of patient data is audited.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock, timefmt
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.coverage.choices import ApplicationStatus
from carecoord.coverage.selectors import applications_for_patient, coverages_in_force
from carecoord.patients.chart import chart_context
from carecoord.patients.choices import ConditionCategory, ConditionClinicalStatus
from carecoord.patients.selectors import patient_get

from . import domain, selectors, services
from . import screening as hrsn
from .choices import OPEN_REFERRAL_STATUSES, Need, ReferralStatus
from .forms import (
    BenefitsForm,
    DirectorySearchForm,
    ReferralForm,
    ReferralNoteForm,
    ReferralStatusForm,
    ScreeningForm,
    default_respond_by,
)

NEED_BY_CODE = {(code.system, code.code): need for need, code in hrsn.NEED_CODES.items()}
# ICD-10-CM Z codes (FY2024) of social needs, as problem lists often code them ("Z59.41 Food insecurity"), by
# code prefix without the dot; the longest matching prefix wins (Z59.12 utilities within Z59.1 housing).
NEED_BY_ICD10_PREFIX = {
    "Z590": Need.HOMELESSNESS,  # Z59.00-Z59.02 homelessness
    "Z591": Need.INADEQUATE_HOUSING,  # Z59.10-Z59.19 inadequate housing
    "Z5912": Need.UTILITY_INSECURITY,  # inadequate housing utilities (screening.NEED_CODES uses it too)
    "Z594": Need.FOOD_INSECURITY,  # Z59.41 food insecurity, Z59.48 other lack of adequate food
    "Z595": Need.FINANCIAL_INSECURITY,  # extreme poverty
    "Z596": Need.FINANCIAL_INSECURITY,  # low income
    "Z5981": Need.HOUSING_INSTABILITY,  # Z59.81x housing instability, housed
    "Z5982": Need.TRANSPORTATION_INSECURITY,
    "Z5986": Need.FINANCIAL_INSECURITY,
    "Z5987": Need.FINANCIAL_INSECURITY,  # material hardship
    "Z56": Need.EMPLOYMENT,  # problems related to employment and unemployment
    "Z602": Need.SOCIAL_CONNECTION,  # problems related to living alone
    "Z604": Need.SOCIAL_CONNECTION,  # social exclusion and rejection
}


def _tab_url(patient) -> str:
    return reverse("community:patient_social_needs", args=[patient.public_id])


def _health_concerns(patient):
    return patient.conditions.filter(
        category=ConditionCategory.HEALTH_CONCERN, clinical_status=ConditionClinicalStatus.ACTIVE
    )


def need_of_condition(condition) -> str:
    """The social need a condition is coded as (the screening's SNOMED CT findings, ICD-10-CM Z codes), or ""."""
    need = NEED_BY_CODE.get((condition.code_system, condition.code))
    if need:
        return need
    if condition.code_system != hrsn.ICD10CM:
        return ""
    code = (condition.code or "").replace(".", "").upper()
    prefixes = [p for p in NEED_BY_ICD10_PREFIX if code.startswith(p)]
    return NEED_BY_ICD10_PREFIX[max(prefixes, key=len)] if prefixes else ""


def _referral_concerns(patient) -> list:
    """What a referral may address: the active health concerns, and active problem-list entries of a social need."""
    active = patient.conditions.filter(
        category__in=(ConditionCategory.HEALTH_CONCERN, ConditionCategory.PROBLEM_LIST),
        clinical_status=ConditionClinicalStatus.ACTIVE,
    )
    return [c for c in active if c.category == ConditionCategory.HEALTH_CONCERN or need_of_condition(c)]


def _open(request, public_id, event: str):
    """The patient, with one audited read of the social-needs record."""
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event=event, action=AuditAction.READ, target=patient, patient=patient)
    return actor, patient


@login_required
@require_GET
def patient_social_needs(request: HttpRequest, public_id) -> HttpResponse:
    actor, patient = _open(request, public_id, "social_needs.view")
    screenings = list(selectors.screenings_for_patient(actor, patient)[:20])
    context = chart_context(actor, patient, tab="social")
    context.update(
        screenings=screenings,
        latest=screenings[0] if screenings else None,
        concerns=[(c, need_of_condition(c)) for c in _health_concerns(patient)],
        referrals=list(selectors.referrals_for_patient(actor, patient)),
        open_statuses=OPEN_REFERRAL_STATUSES,
    )
    return render(request, "community/patient_social_needs.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_screening_new(request: HttpRequest, public_id) -> HttpResponse:
    editor_actor(request)
    actor, patient = _open(request, public_id, "social_needs.view")
    tz = actor.organization.tz
    if request.method == "GET":
        now = clock.now().astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
        form = ScreeningForm(tz=tz, initial={"occurred_at": now})
        return render(request, "community/screening_form.html", _screen_context(patient, form))
    form = ScreeningForm(request.POST, tz=tz)
    if form.is_valid():
        try:
            screening, conditions = services.screening_record(
                actor=actor, patient=patient, answers=form.answers(), occurred_at=form.cleaned_data["occurred_at"]
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            if screening.needs:
                added = f" {len(conditions)} added to the chart as health concerns." if conditions else ""
                messages.success(request, f"Screening saved: {', '.join(screening.need_labels).lower()}.{added}")
            else:
                messages.success(request, "Screening saved: no social needs found.")
            return redirect(reverse("community:screening_detail", args=[screening.public_id]))
    return render(request, "community/screening_form.html", _screen_context(patient, form), status=400)


def _screen_context(patient, form) -> dict:
    return {"nav": "patients", "patient": patient, "form": form, "title": hrsn.TITLE}


@login_required
@require_GET
def screening_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    screening = selectors.screening_get(actor, public_id)
    patient = patient_get(actor, screening.patient.public_id, audit_event=None)  # 404 unless visible
    audit_record(actor=actor, event="screening.view", action=AuditAction.READ, target=screening, patient=patient)
    rows = [
        {"question": q, "answer": hrsn.answer_label(q.link_id, screening.answers.get(q.link_id))}
        for q in hrsn.QUESTIONS
    ]
    return render(
        request,
        "community/screening_detail.html",
        {
            "nav": "patients",
            "patient": patient,
            "screening": screening,
            "rows": rows,
            "title": hrsn.TITLE,
            "need_links": list(zip(screening.needs, screening.need_labels, strict=True)),
        },
    )


@login_required
@require_GET
def patient_benefits(request: HttpRequest, public_id) -> HttpResponse:
    actor, patient = _open(request, public_id, "benefits.view")
    today = clock.today_in(actor.organization.tz)
    # No household size: the chart does not record who lives with the patient (a child is never a household of
    # one by default), so the coordinator asks and enters it; the form requires it.
    initial = {"state": patient.state or actor.organization.state, "age": patient.age_on(today)}
    in_force = coverages_in_force(actor, patient, today)
    insurance = domain.insurance_from_coverages([c.product_type for c in in_force])
    if insurance:
        initial["insurance"] = insurance
    form = BenefitsForm(request.GET or None, initial=initial)
    results = None
    if form.is_bound and form.is_valid():
        household = domain.Household(
            size=form.cleaned_data["household_size"],
            annual_income=form.cleaned_data["annual_income"],
            state=form.cleaned_data["state"],
            age=form.cleaned_data["age"],
            disabled=form.cleaned_data["disabled"],
            insurance=form.cleaned_data["insurance"],
            year=today.year,
        )
        results = domain.benefits_screen(household, selectors.threshold_overrides(actor.organization))
        audit_record(actor=actor, event="benefits.screen", action=AuditAction.EXECUTE, target=patient, patient=patient)
    context = {
        "nav": "patients",
        "patient": patient,
        "form": form,
        "results": results,
        "eligible": [r for r in results or [] if r.eligible],
        "eligible_rows": _with_applications(actor, patient, [r for r in results or [] if r.eligible]),
        "not_eligible": [r for r in results or [] if not r.eligible],
        # "Start application" opens the Insurance tab's new-application form, which only editors have.
        "can_apply": actor.can_edit_patients,
    }
    return render(request, "community/benefits.html", context, status=400 if form.is_bound and form.errors else 200)


def _with_applications(actor, patient, eligible: list) -> list[tuple]:
    """Each program the patient may qualify for, with the newest application for it not withdrawn or denied."""
    if not eligible:
        return []
    standing = {}
    for application in applications_for_patient(actor, patient).order_by("created_at"):
        if application.status not in (ApplicationStatus.WITHDRAWN, ApplicationStatus.DENIED):
            standing[application.program] = application
    return [(result, standing.get(result.application_program)) for result in eligible]


@login_required
@require_GET
def patient_resources(request: HttpRequest, public_id) -> HttpResponse:
    actor, patient = _open(request, public_id, "social_needs.view")
    today = clock.today_in(actor.organization.tz)
    data = request.GET.copy()
    if not data:
        data.update({"postal_code": (patient.postal_code or "")[:5], "age": patient.age_on(today)})
    form = DirectorySearchForm(data)
    hits, origin = selectors.directory_search(actor, **form.filters())
    context = {"nav": "patients", "patient": patient, "form": form, "hits": hits, "origin": origin}
    return render(request, "community/patient_resources.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_referral_new(request: HttpRequest, public_id) -> HttpResponse:
    editor_actor(request)
    actor, patient = _open(request, public_id, "social_needs.view")
    service_id = request.POST.get("service") or request.GET.get("service") or ""
    service = selectors.service_get(actor, service_id)  # 404 for a service outside the directory
    concerns = _referral_concerns(patient)
    today = clock.today_in(actor.organization.tz)
    if request.method == "GET":
        need, concern = _need_and_concern(service, concerns, request.GET.get("need", ""))
        initial = {
            "need": need,
            "condition": str(concern.public_id) if concern else "",
            "consent_by": patient.full_legal_name,  # the patient, even with a proxy on file: editable
            "consent_on": today,
            "respond_by": default_respond_by(today),
        }
        form = ReferralForm(initial=initial, conditions=concerns)
        context = _referral_context(patient, service, form, _open_referral_warning(actor, patient, need, today))
        return render(request, "community/referral_form.html", context)
    form = ReferralForm(request.POST, conditions=concerns)
    if form.is_valid():
        c = form.cleaned_data
        condition = next((x for x in concerns if str(x.public_id) == c["condition"]), None)
        try:
            referral = services.referral_send(
                actor=actor,
                patient=patient,
                service=service,
                need=c["need"],
                reason=c["reason"],
                consent_by=c["consent_by"],
                consent_method=c["consent_method"],
                consent_on=c["consent_on"],
                respond_by=c["respond_by"],
                condition=condition,
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, f"Referral sent to {referral.recipient_name}.")
            return redirect(reverse("community:referral_detail", args=[referral.public_id]))
    warning = _open_referral_warning(actor, patient, request.POST.get("need", ""), today)
    context = _referral_context(patient, service, form, warning)
    return render(request, "community/referral_form.html", context, status=400)


def _referral_context(patient, service, form, warning: str = "") -> dict:
    return {"nav": "patients", "patient": patient, "service": service, "form": form, "open_warning": warning}


def _need_and_concern(service, concerns, asked_need: str):
    """
    The need and the health concern a new referral starts with. The concerns that match the referral's need
    (`asked_need`, from the link followed) or, without one, any need the service serves: exactly one match is
    preselected (and, without an asked need, gives the need); none or several leave the concern blank.
    """
    asked_need = asked_need if asked_need in Need.values else ""
    needs = [asked_need] if asked_need else service.need_list
    matches = [c for c in concerns if need_of_condition(c) in needs]
    concern = matches[0] if len(matches) == 1 else None
    if asked_need:
        return asked_need, concern
    if concern is not None:
        return need_of_condition(concern), concern
    return (service.need_list[0] if service.need_list else ""), None


def _open_referral_warning(actor, patient, need: str, today) -> str:
    """A warning (not a refusal) when the patient already has a referral for `need` open or sent today."""
    if need not in Need.values:
        return ""
    tz = actor.organization.tz
    referrals = selectors.referrals_for_patient(actor, patient).filter(need=need).order_by("-sent_at")
    for referral in referrals.select_related("service", "service__agency", "practitioner"):
        sent = referral.sent_at.astimezone(tz).date()
        if referral.status in OPEN_REFERRAL_STATUSES or sent == today:
            to = referral.service.name if referral.service_id else referral.recipient_name
            return f"An open referral for {Need(need).label.lower()} exists: {to}, sent {timefmt.day(sent)}."
    return ""


@login_required
@require_GET
def referral_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    referral = selectors.referral_get(actor, public_id)
    audit_record(actor=actor, event="referral.view", action=AuditAction.READ, target=referral, patient=referral.patient)
    return render(request, "community/referral_detail.html", _referral_detail_context(referral))


def _status_form(referral, data=None) -> ReferralStatusForm:
    """The sender's status form, offering only the statuses it may move the referral to now."""
    statuses = domain.referral_next_statuses(
        referral.status, party=domain.SENDER, receiver_uses_carecoord=referral.receiving_organization_id is not None
    )
    return ReferralStatusForm(data, initial={"version": referral.version}, statuses=statuses)


def _referral_detail_context(referral, form=None, note_form=None) -> dict:
    return {
        "nav": "patients",
        "referral": referral,
        "patient": referral.patient,
        "events": list(selectors.referral_history(referral)),
        "form": form or _status_form(referral),
        "note_form": note_form or ReferralNoteForm(),
        "receiver_on_carecoord": referral.receiving_organization_id is not None,
        "statuses": ReferralStatus,
    }


@login_required
@require_POST
def referral_status(request: HttpRequest, public_id) -> HttpResponse:
    """The referring side: cancel, or record the answer of a receiver that does not use CareCoord."""
    actor = editor_actor(request)
    referral = selectors.referral_get(actor, public_id)
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
            return redirect(reverse("community:referral_detail", args=[referral.public_id]))
    context = _referral_detail_context(referral, form)
    return render(request, "community/referral_detail.html", context, status=400)


@login_required
@require_POST
def referral_note_add(request: HttpRequest, public_id) -> HttpResponse:
    """The referring side adds a follow-up note to an open referral, optionally with the next follow-up date."""
    actor = editor_actor(request)
    referral = selectors.referral_get(actor, public_id)
    form = ReferralNoteForm(request.POST)
    if form.is_valid():
        try:
            event = services.referral_note_add(
                actor=actor,
                referral=referral,
                note=form.cleaned_data["note"],
                follow_up_on=form.cleaned_data["follow_up_on"],
            )
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            follow_up = f" Follow up again on {timefmt.day(event.follow_up_on)}." if event.follow_up_on else ""
            messages.success(request, f"Note added.{follow_up}")
            return redirect(reverse("community:referral_detail", args=[referral.public_id]))
    context = _referral_detail_context(referral, note_form=form)
    return render(request, "community/referral_detail.html", context, status=400)
