"""Reads on the HL7 v2 feed: the patient-match review queue and the message log of an organization."""

import uuid

from django.db.models import QuerySet

from carecoord.core.access import Actor, require_patient_reader
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import NotFoundError

from .models import InboundMessage, PatientMatchReview, ReviewStatus


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
