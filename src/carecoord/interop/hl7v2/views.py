"""
The HL7 v2 feed's pages: the patient-match review queue (what PID said beside the candidates, and the three
decisions: match, new patient, dismiss) and the inbound-message log for organization admins (raw message,
status, ACK code, error). Decisions go through `services`; each redirects back to the queue.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.http import clinical_actor, editor_actor

from . import selectors, services
from .forms import MessageFilterForm, ReviewDismissForm, ReviewMatchForm
from .models import PatientMatchReview

REVIEWS_PER_PAGE = 20
MESSAGES_PER_PAGE = 50


def _card(actor, review: PatientMatchReview, **bound) -> dict:
    candidates = selectors.review_candidates(actor, review)
    return {
        "review": review,
        "pid": selectors.review_demographics(review),
        "candidates": candidates,
        "match_form": bound.get("match_form") or ReviewMatchForm(candidates=candidates, auto_id=f"id_{review.pk}_%s"),
        "dismiss_form": bound.get("dismiss_form") or ReviewDismissForm(auto_id=f"id_{review.pk}_%s"),
        "error": bound.get("error", ""),
    }


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    page = Paginator(selectors.reviews_open_for(actor), REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    cards = [_card(actor, review) for review in page.object_list]
    audit_record(actor=actor, event="hl7v2.reviews.view", action=AuditAction.READ,
                 detail={"page": page.number, "shown": len(cards)})  # fmt: skip
    context = {"nav": "transitions", "page": page, "cards": cards, "can_edit": actor.can_edit_patients}
    return render(request, "hl7v2/review_list.html", context)


@login_required
@require_GET
def review_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    review = selectors.review_get(actor, public_id)
    context = {"nav": "transitions", "card": _card(actor, review), "can_edit": actor.can_edit_patients}
    return render(request, "hl7v2/review_detail.html", context)


def _failed(request, actor, review, exc: ApplicationError, **bound) -> HttpResponse:
    """The review again with the error beside its forms; a missing or forbidden record stays a 404."""
    if isinstance(exc, NotFoundError):
        raise exc
    review = selectors.review_get(actor, review.public_id)
    context = {
        "nav": "transitions",
        "card": _card(actor, review, error=exc.message, **bound),
        "can_edit": actor.can_edit_patients,
    }
    return render(request, "hl7v2/review_detail.html", context, status=400)


def _done(request, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(reverse("hl7v2:review_list"))


@login_required
@require_POST
def review_match(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    review = selectors.review_get(actor, public_id)
    form = ReviewMatchForm(request.POST, candidates=selectors.review_candidates(actor, review))
    if not form.is_valid():
        return _failed(request, actor, review, ApplicationError("Choose who the message is about."), match_form=form)
    patient = selectors.review_chosen_patient(actor, patient_id=form.cleaned_data["patient"],
                                              mrn=form.cleaned_data["mrn"])  # fmt: skip
    if patient is None:
        form.add_error("mrn", "No patient you can see has that MRN.")
        return _failed(request, actor, review, ApplicationError("No patient was found."), match_form=form)
    try:
        services.review_match(actor=actor, review=review, patient=patient)
    except ApplicationError as exc:
        return _failed(request, actor, review, exc, match_form=form)
    return _done(request, f"The message is now on the record of {patient.display_name}.")


@login_required
@require_POST
def review_create(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    review = selectors.review_get(actor, public_id)
    try:
        review = services.review_create_patient(actor=actor, review=review)
    except ApplicationError as exc:
        return _failed(request, actor, review, exc)
    return _done(request, f"{review.resolved_patient.display_name} is registered and the message acted on.")


@login_required
@require_POST
def review_dismiss(request: HttpRequest, public_id) -> HttpResponse:
    actor = editor_actor(request)
    review = selectors.review_get(actor, public_id)
    form = ReviewDismissForm(request.POST)
    if not form.is_valid():
        return _failed(request, actor, review, ApplicationError("Say why it is dismissed."), dismiss_form=form)
    try:
        services.review_dismiss(actor=actor, review=review, reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        return _failed(request, actor, review, exc, dismiss_form=form)
    return _done(request, "The message is dismissed; it stays in the message log.")


# --- the message log --------------------------------------------------------------------------------------------


@login_required
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form = MessageFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    page = Paginator(selectors.message_log_for(actor, status=status), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    audit_record(actor=actor, event="hl7v2.messages.view", action=AuditAction.READ,
                 detail={"page": page.number, "status": status, "shown": len(page.object_list)})  # fmt: skip
    context = {"nav": "transitions", "form": form, "page": page, "query": f"status={status}" if status else ""}
    return render(request, "hl7v2/message_list.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def message_detail(request: HttpRequest, public_id) -> HttpResponse:
    actor = clinical_actor(request)
    message = selectors.message_get(actor, public_id)
    segments = message.raw.replace("\r\n", "\r").replace("\n", "\r").strip("\r").split("\r")
    review = getattr(message, "review", None)
    context = {"nav": "transitions", "message": message, "segments": segments, "review": review}
    return render(request, "hl7v2/message_detail.html", context)
