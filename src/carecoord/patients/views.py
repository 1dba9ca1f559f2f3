"""Patient list and search, registration, the chart and demographics edit. Panel actions: panels.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import PATIENT_REGISTRATION_ROLES, AuditAction
from carecoord.core.errors import ApplicationError, ConflictError
from carecoord.core.http import clinical_actor, editor_actor, put_service_error

from . import services
from .chart import chart_context, empty_forms
from .codes import COMMON_ICD10CM
from .forms import PatientForm
from .selectors import patient_get, patient_search, patients_visible_to

PAGE_SIZE = 25


@login_required
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(patient_search(actor, query), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        actor=actor,
        event="patient.search",
        action=AuditAction.READ,
        detail={"query": query, "page": page.number, "shown": len(page.object_list)},
    )
    context = {
        "nav": "patients",
        "q": query,
        "page": page,
        "query": f"q={query}" if query else "",
        "today": clock.today_in(actor.organization.tz),
    }
    template = "patients/patient_list.html"
    if request.htmx and request.htmx.target == "patient-results":
        template += "#results"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def patient_register(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    form = PatientForm(
        request.POST or None, initial={"state": actor.organization.state}, organization=actor.organization
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_register(
                actor=actor,
                data=form.patient_data(),
                allow_possible_duplicate=request.POST.get("confirm_not_duplicate") == "yes",
            )
        except services.PossibleDuplicateError as exc:
            duplicates = exc.candidates
        except ApplicationError as exc:
            put_service_error(form, exc)
        else:
            messages.success(request, f"{patient.display_name} is registered.")
            if request.POST.get("then") == "family":  # "Register, then add family or caregiver"
                return redirect(f"{patient.get_absolute_url()}?form=family#family-panel")
            return redirect(patient.get_absolute_url())
    context = {
        "nav": "patients",
        "form": form,
        "duplicates": duplicates,
        "today": clock.today_in(actor.organization.tz),
    }
    return render(request, "patients/patient_register.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def patient_chart(request: HttpRequest, public_id) -> HttpResponse:
    """
    The chart. Its "Add …" forms are left out of the page (rendering them was most of its time, the care-team
    and sharing forms listing every staff member, practitioner and organization): `?form=<key>` loads one when
    it is opened (htmx), or shows the chart with it open (without JavaScript).
    """
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id)
    form = request.GET.get("form", "")
    if form == "share" and patient.organization_id != actor.organization.pk:
        form = ""  # only the home organization shares a record
    if form in LAZY_FORMS and _may_open_form(actor, form):
        if request.htmx:
            context = {
                "patient": patient,
                "common_codes": COMMON_ICD10CM,
                "can_edit": actor.can_edit_patients,
                **empty_forms(actor, patient),
            }
            return render(request, f"patients/patient_chart.html#{LAZY_FORMS[form]}", context)
        return render(request, "patients/patient_chart.html", {**chart_context(actor, patient), "open_form": form})
    return render(request, "patients/patient_chart.html", chart_context(actor, patient))


@login_required
@require_POST
def patient_restrict(request: HttpRequest, public_id) -> HttpResponse:
    """An org admin restricts the record to its care team (others need break-glass), or opens it again."""
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    restricted = request.POST.get("restricted") == "1"
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.patient_restricted_set(actor=actor, patient=patient, restricted=restricted, expected_version=version)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Restricted to the care team." if restricted else "Open to the organization again.")
        if restricted and not patients_visible_to(actor).filter(pk=patient.pk).exists():
            return redirect("patients:list")  # not on the care team: the chart is closed to this user now
    return redirect(patient.get_absolute_url())


# ?form=<key> -> the partial of patient_chart.html holding that form
LAZY_FORMS = {key: f"{key}-form" for key in ("identifier", "family", "care-team", "problem", "share")}
# Forms of registration data, which the front desk fills in too (the others: PATIENT_WRITE_ROLES).
REGISTRATION_FORMS = {"family"}


def _may_open_form(actor, form: str) -> bool:
    return actor.can_register_patients if form in REGISTRATION_FORMS else actor.can_edit_patients


@login_required
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    patient = patient_get(actor, public_id, audit_event=None if request.method == "POST" else "patient.view")
    refusal = services.registration_refusal(actor, patient.organization_id)
    if refusal:  # a partner the patient is shared with: the home organization keeps the registration
        messages.error(request, refusal)
        return redirect(patient.get_absolute_url())
    form = PatientForm(request.POST or None, instance=patient)
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                actor=actor,
                patient=patient,
                data=form.patient_data(),
                expected_version=form.cleaned_data.get("version") or 0,
            )
        except ConflictError as exc:
            conflict = exc.field is None
            form.add_error(exc.field, exc.message)
        except ApplicationError as exc:
            put_service_error(form, exc)
        else:
            messages.success(request, "Changes saved.")
            return redirect(patient.get_absolute_url())
    context = {
        "nav": "patients",
        "form": form,
        "patient": patient,
        "conflict": conflict,
        "today": clock.today_in(actor.organization.tz),
    }
    status = 409 if conflict else (400 if form.errors else 200)
    return render(request, "patients/patient_edit.html", context, status=status)
