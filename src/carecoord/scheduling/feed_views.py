"""
Calendar feed pages: a patient's or a practitioner's feeds (create, list, revoke) and the public `.ics`
address calendar apps subscribe to (no sign-in: the token in the address is the credential).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError
from carecoord.core.http import TWO_FACTOR_FOR_TOKENS, clinical_actor, two_factor_done
from carecoord.directory.selectors import practitioner_get
from carecoord.patients.selectors import patient_get

from .choices import FeedKind
from .feed_services import (
    feed_create,
    feed_get,
    feed_read,
    feed_revoke,
    feeds_for_patient,
    feeds_for_practitioner,
)


class FeedForm(forms.Form):
    label = forms.CharField(
        max_length=120, required=False, help_text="Who it is for, e.g. “Daughter's phone” or “Clinic laptop”."
    )


def _feeds_page(request: HttpRequest, *, subject, feeds, create, back_url: str, is_patient: bool) -> HttpResponse:
    """Lists the subject's feeds; a POST creates one and shows its address, this once only."""
    form = FeedForm(request.POST or None)
    new_address = ""
    status = 200
    if request.method == "POST" and not two_factor_done(request):
        form.add_error(None, TWO_FACTOR_FOR_TOKENS)
        status = 403
    elif request.method == "POST" and form.is_valid():
        try:
            _, token = create(form.cleaned_data["label"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = 400
        else:
            new_address = request.build_absolute_uri(reverse("scheduling:ics", args=[token]))
            form = FeedForm()
    elif request.method == "POST":
        status = 400
    context = {
        "nav": "patients" if is_patient else "directory",
        "subject": subject,
        "is_patient": is_patient,
        "feeds": feeds,
        "form": form,
        "new_address": new_address,
        "back_url": back_url,
    }
    return render(request, "scheduling/feed_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patient_feeds(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    patient = patient_get(actor, public_id, audit_event=None)
    audit_record(actor=actor, event="feed.list", action=AuditAction.READ, target=patient, patient=patient)
    return _feeds_page(
        request,
        subject=patient,
        is_patient=True,
        feeds=feeds_for_patient(actor, patient),
        create=lambda label: feed_create(actor=actor, patient=patient, label=label),
        back_url=patient.get_absolute_url(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def practitioner_feeds(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    practitioner = practitioner_get(actor, public_id)
    return _feeds_page(
        request,
        subject=practitioner,
        is_patient=False,
        feeds=feeds_for_practitioner(actor, practitioner),
        create=lambda label: feed_create(actor=actor, practitioner=practitioner, label=label),
        back_url=practitioner.get_absolute_url(),
    )


@login_required
@require_POST
def feed_revoke_view(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    feed = feed_get(actor, public_id)
    try:
        feed_revoke(actor=actor, feed=feed)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The calendar feed was revoked; its address no longer works.")
    if feed.kind == FeedKind.PATIENT:
        return redirect("scheduling:patient_feeds", public_id=feed.patient.public_id)
    return redirect("scheduling:practitioner_feeds", public_id=feed.practitioner.public_id)


@require_safe
def ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed's iCalendar text; 404 for an unknown or revoked token (the same page either way)."""
    _, body = feed_read(token)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="appointments.ics"'
    return response
