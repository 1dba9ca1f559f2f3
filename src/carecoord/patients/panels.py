"""
Actions on the chart's panels (family, care team, problems, identifiers, sharing). With htmx each answers
the re-rendered panel; without JavaScript each redirects back to the chart (or shows it with the errors).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from carecoord.core import clock
from carecoord.core.choices import PATIENT_REGISTRATION_ROLES
from carecoord.core.errors import ApplicationError
from carecoord.core.http import editor_actor

from . import services
from .chart import chart_context
from .forms import (
    CareTeamMemberForm,
    ConditionForm,
    ConditionStatusForm,
    IdentifierForm,
    RelatedPersonForm,
    ShareForm,
)
from .models import CareTeamMember, Condition, PatientShare, RelatedPerson
from .selectors import care_team_choices, patient_get, share_target_organizations


def _respond(request, actor, patient, panel: str, form_key: str, form, ok_message: str | None) -> HttpResponse:
    if ok_message and not request.htmx:
        messages.success(request, ok_message)
        return redirect(patient.get_absolute_url())
    bound = {} if ok_message else {form_key: form}
    context = chart_context(actor, patient, **bound)
    context["panel_message"] = ok_message
    if request.htmx:
        return render(request, f"patients/patient_chart.html#{panel}", context)
    return render(request, "patients/patient_chart.html", context, status=400)


def _run(form, action) -> str | None:
    """Runs the service when the form is valid; puts its error on the form. Returns None on failure."""
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ApplicationError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        return None


@login_required
@require_POST
def family_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)  # the front desk too, without the permission boxes
    patient = patient_get(actor, public_id, audit_event=None)
    form = RelatedPersonForm(request.POST, prefix="family", may_grant_permissions=actor.can_edit_patients)

    def add(data):
        person = services.related_person_add(actor=actor, patient=patient, data=form.data_for_service())
        return f"{person.display_name} was added."

    done = _run(form, add)
    return _respond(request, actor, patient, "family-panel", "family_form", form, done)


@login_required
@require_POST
def family_remove(request: HttpRequest, public_id, person_id) -> HttpResponse:
    actor = editor_actor(request, *PATIENT_REGISTRATION_ROLES)
    patient = patient_get(actor, public_id, audit_event=None)
    person = get_object_or_404(RelatedPerson, patient=patient, public_id=person_id, active=True)
    try:
        services.related_person_deactivate(actor=actor, person=person)
        message = f"{person.display_name} was removed from the family list."
    except ApplicationError as exc:  # a proxy or care-team member the front desk may not remove
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect(patient.get_absolute_url())
        message = exc.message
    return _respond(request, actor, patient, "family-panel", "family_form", None, message)


@login_required
@require_POST
def care_team_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = CareTeamMemberForm(request.POST, prefix="careteam", **care_team_choices(actor, patient))

    def add(data):
        member = services.care_team_member_add(
            actor=actor,
            patient=patient,
            role=data["role"],
            start_date=data["start_date"],
            user=data["user"],
            practitioner=data["practitioner"],
            related_person=data["related_person"],
            note=data["note"],
        )
        return f"{member.member_name} joined the care team."

    return _respond(request, actor, patient, "care-team-panel", "care_team_form", form, _run(form, add))


@login_required
@require_POST
def care_team_end(request: HttpRequest, public_id, member_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    member = get_object_or_404(CareTeamMember, patient=patient, public_id=member_id)
    try:
        services.care_team_member_end(actor=actor, member=member, end_date=clock.today_in(actor.organization.tz))
        message = f"{member.member_name} left the care team."
    except ApplicationError as exc:
        message = exc.message
    return _respond(request, actor, patient, "care-team-panel", "care_team_form", None, message)


@login_required
@require_POST
def condition_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = ConditionForm(request.POST, prefix="condition")

    def add(data):
        condition = services.condition_add(
            actor=actor,
            patient=patient,
            data={
                key: data[key] for key in ("code_system", "code", "display", "clinical_status", "onset_date", "note")
            },
        )
        return f"{condition.display} was added to the problem list."

    return _respond(request, actor, patient, "problems-panel", "condition_form", form, _run(form, add))


@login_required
@require_POST
def condition_status(request: HttpRequest, public_id, condition_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    condition = get_object_or_404(Condition, patient=patient, public_id=condition_id)
    form = ConditionStatusForm(request.POST)

    def change(data):
        services.condition_update(
            actor=actor,
            condition=condition,
            data={"clinical_status": data["clinical_status"]},
            expected_version=data["version"],
        )
        return f"{condition.display} is now {condition.get_clinical_status_display().lower()}."

    done = _run(form, change)
    if done is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        done = errors or "The status could not be changed."
    return _respond(request, actor, patient, "problems-panel", "condition_form", None, done)


@login_required
@require_POST
def identifier_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = IdentifierForm(request.POST, prefix="identifier")

    def add(data):
        services.identifier_add(actor=actor, patient=patient, **data)
        return "The identifier was added."

    done = _run(form, add)
    return _respond(request, actor, patient, "contact-panel", "identifier_form", form, done)


@login_required
@require_POST
def share_add(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    form = ShareForm(request.POST, prefix="share", organizations=share_target_organizations(actor))

    def share(data):
        services.patient_share_with_consent(actor=actor, patient=patient, **data)
        return f"The record is now shared with {data['grantee'].name}."

    done = _run(form, share)
    return _respond(request, actor, patient, "sharing-panel", "share_form", form, done)


@login_required
@require_POST
def share_revoke(request: HttpRequest, public_id, share_id) -> HttpResponse:
    actor = editor_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    share = get_object_or_404(PatientShare, patient=patient, public_id=share_id)
    try:
        services.share_revoke(actor=actor, share=share)
        message = f"Sharing with {share.organization.name} has ended."
    except ApplicationError as exc:
        message = exc.message
    return _respond(request, actor, patient, "sharing-panel", "share_form", None, message)
