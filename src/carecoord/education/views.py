"""
Patient-education pages: the library (list, a material with its reading level and history, add, edit, copy,
archive, the uploaded PDF and a printable handout), and the chart's Education tab (suggestions, the delivery
form, deliveries with teach-back, a delivery's handout as PDF). Writes redirect back (POST/redirect/GET); a form
with errors is shown again with status 400.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, ConflictError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor
from carecoord.core.http import put_service_error as _put_error
from carecoord.patients.chart import chart_context
from carecoord.patients.selectors import patient_get

from . import services
from .choices import TeachBack
from .forms import DeliveryForm, LibraryFilterForm, MaterialForm, TeachBackForm, VersionForm
from .markup import to_html
from .pdf import handout_pdf
from .readability import TARGET_GRADE, reading_level
from .selectors import (
    deliveries_for_patient,
    delivery_get,
    library_search,
    material_get,
    materials_for,
    medications_available,
    suggestions_for,
    translations_of,
)


def _can_edit_library(actor) -> bool:
    return actor.can_edit_patients or actor.is_org_admin


# The library ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form = LibraryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    materials = library_search(
        actor, query=data.get("q", ""), language=data.get("language", ""), audience=data.get("audience", "")
    )
    context = {
        "nav": "education",
        "form": form,
        "materials": materials,
        "can_edit": _can_edit_library(actor),
        "target_grade": TARGET_GRADE,
    }
    return render(request, "education/material_list.html", context)


def _material_context(actor, material, **extra) -> dict:
    level = reading_level(material.body, material.language) if material.body else None
    context = {
        "nav": "education",
        "material": material,
        "body_html": mark_safe(to_html(material.body)),  # noqa: S308 -- to_html escapes every character first
        "level": level,
        "translations": translations_of(actor, material),
        "revisions": list(material.revisions.select_related("edited_by")[:20]) if not material.is_builtin else [],
        "can_edit": _can_edit_library(actor) and not material.is_builtin,
        "can_copy": _can_edit_library(actor),
        "version_form": VersionForm(initial={"version": material.version}),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def material_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    material = material_get(actor, public_id)
    return render(request, "education/material_detail.html", _material_context(actor, material))


def _form_page(request, form, material=None, status=200, level=None) -> HttpResponse:
    context = {"nav": "education", "form": form, "material": material, "level": level, "target_grade": TARGET_GRADE}
    return render(request, "education/material_form.html", context, status=status)


def _service_data(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k not in ("pdf", "version")}


def _warn_reading_level(request, material) -> None:
    if material.reading_grade is not None and material.reading_grade > TARGET_GRADE:
        messages.warning(
            request,
            f"Reading level is above grade {TARGET_GRADE:.0f}. Health-literacy guidance asks for grade 6 to 8: "
            "use shorter sentences and everyday words.",
        )


@login_required
@require_http_methods(["GET", "POST"])
def material_new(request: HttpRequest) -> HttpResponse:
    actor = editor_actor(request)
    if not _can_edit_library(actor):
        raise NotFoundError()
    if request.method == "GET":
        return _form_page(request, MaterialForm(initial={"language": "en"}))
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            material = services.material_create(actor=actor, data=_service_data(form), pdf=form.cleaned_data["pdf"])
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, "Material added to your library.")
            _warn_reading_level(request, material)
            return redirect(material.get_absolute_url())
    return _form_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def material_edit(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    if not _can_edit_library(actor):
        raise NotFoundError()  # as material_new: a role that cannot edit the library is refused, not redirected
    material = material_get(actor, public_id)
    if material.is_builtin:
        messages.error(request, services.BUILTIN_MESSAGE)
        return redirect(material.get_absolute_url())
    if request.method == "GET":
        form = MaterialForm(initial=MaterialForm.initial_for(material), editing=True)
        return _form_page(request, form, material, level=reading_level(material.body, material.language))
    form = MaterialForm(request.POST, request.FILES, editing=True, initial=MaterialForm.initial_for(material))
    status = 400
    if form.is_valid():
        try:
            services.material_update(
                actor=actor,
                material=material,
                data=_service_data(form),
                expected_version=form.cleaned_data["version"] or 0,
                pdf=form.cleaned_data["pdf"] or None,
            )
        except ApplicationError as exc:
            status = 409 if isinstance(exc, ConflictError) else 400
            _put_error(form, exc)
        else:
            messages.success(request, "Material saved.")
            _warn_reading_level(request, material)
            return redirect(material.get_absolute_url())
    level = reading_level(form.data.get("body", ""), material.language)
    return _form_page(request, form, material, status=status, level=level)


@login_required
@require_POST
def material_copy(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    material = material_get(actor, public_id)
    try:
        copy = services.material_copy(actor=actor, material=material)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
        return redirect(material.get_absolute_url())
    messages.success(request, "Copied to your library. Edit it to adapt it.")
    return redirect(reverse("education:material_edit", args=[copy.public_id]))


@login_required
@require_POST
def material_archive(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    material = material_get(actor, public_id)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ConflictError("Reload the page and try again.")
        services.material_archive(actor=actor, material=material, expected_version=form.cleaned_data["version"])
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "Material archived. It is no longer suggested or offered.")
    return redirect(material.get_absolute_url())


@login_required
@require_GET
def material_file(request: HttpRequest, public_id) -> HttpResponse:
    """The uploaded PDF, served after the library's access check (never from a public media URL)."""
    actor = clinical_actor(request)
    material = material_get(actor, public_id)
    if not material.pdf:
        raise NotFoundError()
    return FileResponse(
        material.pdf.open("rb"), content_type="application/pdf", filename=f"{material.topic}.pdf", as_attachment=True
    )


@login_required
@require_GET
def material_handout(request: HttpRequest, public_id) -> HttpResponse:
    """The material printed as a handout (no patient on it), for a stack at the front desk."""
    actor = clinical_actor(request)
    material = material_get(actor, public_id)
    if not material.body:
        return material_file(request, public_id)
    pdf = handout_pdf(material, organization=actor.organization)
    return _pdf_response(pdf, f"{material.topic}-{material.language}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# The chart's Education tab ----------------------------------------------------------------------------------


def _tab_context(actor, patient, **bound) -> dict:
    context = chart_context(actor, patient, tab="education")
    suggestions = suggestions_for(actor, patient)
    library_materials = list(materials_for(actor))
    first = suggestions[0][1] if suggestions else None
    related = context["related_persons"]
    context.update(
        suggestions=suggestions,
        medications_checked=medications_available(),
        deliveries=list(deliveries_for_patient(actor, patient)[:50]),
        delivery_form=DeliveryForm(
            prefix="delivery",
            materials=_offered(suggestions, library_materials),
            related_persons=related,
            initial={"material": str(first.public_id) if first else None},
        ),
        teach_back_values=TeachBack,
    )
    context.update(bound)
    return context


def _offered(suggestions, library_materials) -> list:
    """The delivery form's materials: the suggestions first, then the rest of the library."""
    chosen = [material for _, material in suggestions]
    seen = {m.pk for m in chosen}
    return chosen + [m for m in library_materials if m.pk not in seen]


def _tab_url(patient) -> str:
    return reverse("education:patient_education", args=[patient.public_id])


@login_required
@require_GET
def patient_education(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="education.view", action=AuditAction.READ, target=patient, patient=patient)
    return render(request, "education/patient_education.html", _tab_context(actor, patient))


@login_required
@require_POST
def patient_delivery_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    context = _tab_context(actor, patient)
    form = DeliveryForm(
        request.POST,
        prefix="delivery",
        materials=context["delivery_form"].materials.values(),
        related_persons=context["related_persons"],
    )
    if form.is_valid():
        try:
            delivery = services.delivery_record(actor=actor, patient=patient, **form.service_data())
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _delivered_message(delivery))
            return redirect(_tab_url(patient) + "#deliveries")
    context["delivery_form"] = form
    return render(request, "education/patient_education.html", context, status=400)


def _delivered_message(delivery) -> str:
    text = f"Recorded: “{delivery.title}” {delivery.get_method_display().lower()} to {delivery.recipient_name}."
    if delivery.outbox_message_id:
        text += " The email is in the outbox."
    if delivery.follow_up_task_id:
        text += " A follow-up task is on your worklist."
    return text


@login_required
@require_POST
def delivery_teach_back(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    delivery = delivery_get(actor, public_id)
    form = TeachBackForm(request.POST)
    if form.is_valid():
        try:
            services.delivery_teach_back_record(
                actor=actor,
                delivery=delivery,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFoundError):
                raise
            error = exc.message
        else:
            messages.success(request, "Teach-back recorded.")
            return redirect(_tab_url(delivery.patient) + "#deliveries")
    else:
        error = "Choose what teach-back showed." if "result" in form.errors else _first_error(form)
    # Shown again on the tab with what was typed kept, the delivery's form open with its error.
    context = _tab_context(
        actor, delivery.patient, teach_back_form=form, teach_back_for=delivery.public_id, teach_back_error=error
    )
    return render(request, "education/patient_education.html", context, status=400)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@login_required
@require_GET
def delivery_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The delivered material as a printable handout with the recipient's name, as given (its language)."""
    actor = clinical_actor(request)
    delivery = delivery_get(actor, public_id)
    audit_record(
        actor=actor, event="education_delivery.print", action=AuditAction.READ, target=delivery,
        patient=delivery.patient,
    )  # fmt: skip
    material = delivery.material
    if not material.body:
        return FileResponse(
            material.pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{material.topic}.pdf",
            as_attachment=True,
        )
    pdf = handout_pdf(material, organization=actor.organization, recipient=delivery.recipient_display)
    return _pdf_response(pdf, f"{material.topic}-{material.language}.pdf")
