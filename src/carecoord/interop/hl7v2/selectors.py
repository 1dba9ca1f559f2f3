"""Reads on the HL7 v2 feed: the patient-match review queue and the message log of an organization."""

import uuid

from django.db.models import QuerySet

from carecoord.core.access import Actor, require_patient_reader
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError
from carecoord.patients.selectors import patients_visible_to

from .models import InboundMessage, MessageStatus, PatientMatchReview, ReviewStatus


def reviews_open_for(actor: Actor) -> QuerySet[PatientMatchReview]:
    """The open patient-match reviews of the actor's organization, oldest first (the queue a coordinator works)."""
    require_patient_reader(actor)
    return (
        PatientMatchReview.objects.filter(organization=actor.organization, status=ReviewStatus.OPEN)
        .select_related("message")
        .order_by("created_at", "id")
    )


def review_get(actor: Actor, public_id) -> PatientMatchReview:
    """One review of the actor's organization (it shows what a hospital said about a person: audited)."""
    require_patient_reader(actor)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    review = (
        PatientMatchReview.objects.filter(organization=actor.organization, public_id=key)
        .select_related("message", "resolved_patient")
        .first()
    )
    if review is None:
        raise NotFoundError()
    audit_record(actor=actor, event="hl7v2.review.view", action=AuditAction.READ, target=review)
    return review


def messages_for(actor: Actor) -> QuerySet[InboundMessage]:
    """The organization's inbound messages, newest first."""
    require_patient_reader(actor)
    return InboundMessage.objects.filter(organization=actor.organization).order_by("-received_at", "-id")


# --- the pages: the review queue with its candidates, the message log for organization admins ------------------

HIDDEN_IDENTIFIER_TYPES = frozenset({"SS"})  # Social Security numbers are never shown (nor used to match)


def review_candidates(actor: Actor, review: PatientMatchReview) -> list[dict]:
    """The review's candidates with the patients the actor may see ({patient, score, reasons}), best first."""
    keys = []
    for candidate in review.candidates:
        try:
            keys.append(uuid.UUID(str(candidate.get("patient"))))
        except ValueError:
            continue
    patients = {p.public_id: p for p in patients_visible_to(actor).filter(public_id__in=keys)}
    shown = []
    for candidate in review.candidates:
        patient = patients.get(_uuid(candidate.get("patient")))
        if patient is not None:
            shown.append({"patient": patient, "score": candidate.get("score"), "reasons": candidate.get("reasons", [])})
    return shown


def review_demographics(review: PatientMatchReview) -> dict:
    """What PID said, for a person to compare: identifiers without Social Security numbers."""
    data = dict(review.demographics or {})
    data["identifiers"] = [
        i for i in data.get("identifiers") or [] if str(i.get("type", "")).upper() not in HIDDEN_IDENTIFIER_TYPES
    ]
    return data


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _require_org_admin(actor: Actor) -> None:
    """The message log shows raw messages about anyone the feed mentions: organization admins only (else 404)."""
    require_patient_reader(actor)
    if not actor.is_org_admin:
        raise NotFoundError()


def message_log_for(actor: Actor, *, status: str = "") -> QuerySet[InboundMessage]:
    """The organization's inbound messages for its admins, newest first, optionally of one status."""
    _require_org_admin(actor)
    messages = messages_for(actor).select_related("patient")
    if status in MessageStatus.values:
        messages = messages.filter(status=status)
    return messages


def message_get(actor: Actor, public_id) -> InboundMessage:
    """One inbound message for an organization admin (raw content: the read is audited)."""
    _require_org_admin(actor)
    key = _uuid(public_id)
    message = messages_for(actor).select_related("patient").filter(public_id=key).first() if key else None
    if message is None:
        raise NotFoundError()
    audit_record(actor=actor, event="hl7v2.message.view", action=AuditAction.READ, target=message,
                 patient=message.patient)  # fmt: skip
    return message


def review_chosen_patient(actor: Actor, *, patient_id: str = "", mrn: str = ""):
    """The patient a coordinator chose for a review, by id (a candidate) or by MRN; None when nobody visible."""
    visible = patients_visible_to(actor)
    if patient_id:
        key = _uuid(patient_id)
        return visible.filter(public_id=key).first() if key else None
    mrn = mrn.strip()
    return visible.filter(mrn__iexact=mrn).order_by("id").first() if mrn else None
