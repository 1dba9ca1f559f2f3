"""Reads on the outbox, starting from the patients the actor may see."""

import uuid

from django.db.models import Q, QuerySet

from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.patients.selectors import patients_visible_to

from .choices import MessageStatus
from .models import OutboxMessage


def outbox_for(actor: Actor, *, status: str = "", channel: str = "") -> QuerySet[OutboxMessage]:
    """The organization's messages about patients the actor may see (or about no patient), newest first."""
    messages = OutboxMessage.objects.filter(organization=actor.organization).filter(
        Q(patient__isnull=True) | Q(patient__in=patients_visible_to(actor))
    )
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    return messages.select_related("patient", "related_person").order_by("-created_at", "-id")


def message_get(actor: Actor, public_id) -> OutboxMessage:
    """The message if the actor may see it; NotFoundError otherwise (missing and forbidden look alike)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc
    message = outbox_for(actor).filter(public_id=key).first()
    if message is None:
        raise NotFoundError()
    return message


def queued_messages_about(*, organization, kind: str, focus_type: str) -> QuerySet[OutboxMessage]:
    """The organization's still-queued messages of a kind about records of one type (for the worker)."""
    return OutboxMessage.objects.filter(
        organization=organization, kind=kind, focus_type=focus_type, status=MessageStatus.QUEUED
    )


def idempotency_keys_used(*, organization, keys) -> set[str]:
    """Which of `keys` already name a message of the organization (in any status), in one query."""
    return set(
        OutboxMessage.objects.filter(organization=organization, idempotency_key__in=list(keys)).values_list(
            "idempotency_key", flat=True
        )
    )
