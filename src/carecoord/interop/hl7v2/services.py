"""
A coordinator's decisions on the patient-match review queue. Resolving a review acts on its stored message
as if the patient had matched on arrival (all of it or nothing), records the hospital's identifiers on the
chosen patient, then retries the other open reviews, which now may match by identifier.
"""

from django.db import transaction

from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from .handler import dispatch
from .matching import create_from_pid, match_by_identifier, remember_identifiers
from .models import DISMISSED_PREFIX, MessageStatus, PatientMatchReview, ReviewStatus
from .parse import Hl7Error, parse_adt


def _open_review(actor: Actor, review: PatientMatchReview) -> PatientMatchReview:
    require_patient_editor(actor)
    fresh = (
        PatientMatchReview.objects.select_for_update()
        .select_related("message")
        .filter(pk=review.pk, organization=actor.organization)
        .first()
    )
    if fresh is None:
        raise NotFoundError()
    if fresh.status != ReviewStatus.OPEN:
        raise ValidationError("Someone already decided this match.")
    return fresh


def _apply(actor: Actor, review: PatientMatchReview, patient: Patient, status: str) -> PatientMatchReview:
    message = review.message
    try:
        adt = parse_adt(message.raw, actor.organization.tz)
    except Hl7Error as exc:
        raise ValidationError(f"The stored message can no longer be read: {exc.message}") from exc
    remember_identifiers(actor.organization, patient, adt.patient)
    with transaction.atomic():
        message_status, _, note = dispatch(message, adt, actor.organization, patient=patient)
    message.status, message.patient, message.error = message_status, patient, note
    message.processed_at = clock.now()
    message.save(update_fields=["status", "patient", "error", "processed_at", "updated_at"])
    review.status, review.resolved_patient = status, patient
    review.resolved_by, review.resolved_at = actor.user, clock.now()
    review.version += 1
    review.save()
    audit_record(actor=actor, event="hl7v2.review.resolve", action=AuditAction.UPDATE, target=review,
                 patient=patient, detail={"decision": status})  # fmt: skip
    retry_open_reviews(actor)
    return review


@transaction.atomic
def review_match(*, actor: Actor, review: PatientMatchReview, patient: Patient) -> PatientMatchReview:
    """The message is about `patient`: act on it for them."""
    review = _open_review(actor, review)
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        raise NotFoundError()
    return _apply(actor, review, patient, ReviewStatus.MATCHED)


@transaction.atomic
def review_create_patient(*, actor: Actor, review: PatientMatchReview) -> PatientMatchReview:
    """The message is about someone new: register them from PID and act on it."""
    review = _open_review(actor, review)
    adt = parse_adt(review.message.raw, actor.organization.tz)
    patient = create_from_pid(actor.organization, adt.patient)
    if patient is None:
        raise ValidationError("PID lacks a name or birth date to register the patient; register them by hand.")
    return _apply(actor, review, patient, ReviewStatus.CREATED)


@transaction.atomic
def review_dismiss(*, actor: Actor, review: PatientMatchReview, reason: str) -> PatientMatchReview:
    """The message is about nobody we coordinate care for: it stays stored, and nothing is done."""
    review = _open_review(actor, review)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the message is dismissed.", field="reason")
    review.status, review.resolved_by, review.resolved_at = ReviewStatus.DISMISSED, actor.user, clock.now()
    review.version += 1
    review.save()
    message = review.message
    message.status, message.error = MessageStatus.IGNORED, f"{DISMISSED_PREFIX}{reason}"[:1000]
    message.save(update_fields=["status", "error", "updated_at"])
    audit_record(actor=actor, event="hl7v2.review.dismiss", action=AuditAction.UPDATE, target=review,
                 detail={"reason": reason[:200]})  # fmt: skip
    return review


def retry_open_reviews(actor: Actor) -> int:
    """Open reviews whose identifiers now name one patient are acted on, oldest message first."""
    done = 0
    reviews = PatientMatchReview.objects.filter(organization=actor.organization, status=ReviewStatus.OPEN)
    for review in reviews.select_related("message").order_by("message__received_at", "id"):
        try:
            adt = parse_adt(review.message.raw, actor.organization.tz)
        except Hl7Error:
            continue
        match = match_by_identifier(actor.organization, adt.patient)
        if match is None or match.patient is None:
            continue
        _apply(actor, review, match.patient, ReviewStatus.MATCHED)
        done += 1
    return done
