"""
Writes on the outbox: `message_queue` (idempotent by key), `messages_cancel_queued`, and delivery
(`outbox_deliver`), which the worker runs. Delivery claims a message with one conditional UPDATE (its lease),
sends outside any transaction so a slow provider holds no lock, then records the outcome; a worker that dies
mid-send leaves the lease to expire and the message is tried again.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.models import Organization
from carecoord.patients.models import Patient, RelatedPerson

from .choices import MessageStatus
from .models import OutboxMessage
from .senders import sender_for

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
RETRY_PAUSES = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]
DELIVERY_BATCH = 200


@transaction.atomic
def message_queue(
    *,
    organization: Organization,
    channel: str,
    to_address: str,
    body: str,
    subject: str = "",
    language: str = "en",
    patient: Patient | None = None,
    related_person: RelatedPerson | None = None,
    idempotency_key: str = "",
    kind: str = "",
    focus_type: str = "",
    focus_id: uuid.UUID | None = None,
) -> tuple[OutboxMessage, bool]:
    """
    Queues a message for the worker to deliver; returns (message, created). With an `idempotency_key`
    already used in the organization, returns that message and queues nothing, even under a race (the
    database's unique constraint has the last word).
    """
    if idempotency_key:
        existing = OutboxMessage.objects.filter(organization=organization, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    message = OutboxMessage(
        organization=organization,
        patient=patient,
        related_person=related_person,
        channel=channel,
        to_address=to_address,
        language=language,
        subject=subject,
        body=body,
        idempotency_key=idempotency_key,
        kind=kind,
        focus_type=focus_type,
        focus_id=focus_id,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not idempotency_key:
            raise
        # Another worker queued the same key first; theirs is the one message.
        return OutboxMessage.objects.get(organization=organization, idempotency_key=idempotency_key), False
    audit_record(
        organization=organization,
        event="outbox.queue",
        action=AuditAction.CREATE,
        target=message,
        patient=patient,
        detail={"kind": kind, "channel": channel},
    )
    return message, True


@transaction.atomic
def messages_cancel_queued(
    *, organization: Organization, focus_type: str, focus_id: uuid.UUID, kind: str, keep_keys=()
) -> int:
    """Cancels the still-queued messages of a kind about one record (except `keep_keys`); returns how many."""
    queued = OutboxMessage.objects.filter(
        organization=organization, focus_type=focus_type, focus_id=focus_id, kind=kind, status=MessageStatus.QUEUED
    ).exclude(idempotency_key__in=list(keep_keys))
    return _cancel(queued)


def _cancel(queued) -> int:
    now = clock.now()
    cancelled = 0
    for message in queued.select_related("patient", "organization"):
        updated = OutboxMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.CANCELLED, cancelled_at=now, next_attempt_at=None, version=F("version") + 1
        )
        if updated:
            cancelled += 1
            audit_record(
                organization=message.organization,
                event="outbox.cancel",
                action=AuditAction.UPDATE,
                target=message,
                patient=message.patient,
                detail={"kind": message.kind},
            )
    return cancelled


def outbox_deliver(*, limit: int = DELIVERY_BATCH) -> dict[str, int]:
    """Delivers the queued messages that are due; returns counts of sent, retrying and failed."""
    now = clock.now()
    due = (
        OutboxMessage.objects.filter(status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for pk in list(due):
        outcome = message_deliver(pk)
        if outcome:
            counts[outcome] += 1
    return counts


def message_deliver(pk: int) -> str | None:
    """Claims, sends and records one message; returns "sent", "retrying", "failed", or None if not claimed."""
    message = _claim(pk)
    if message is None:
        return None
    try:
        sender_for(message.channel).send(message)
    except Exception as exc:  # any provider failure (network, refusal, bad config) is recorded and retried
        return _record_failure(message, exc)
    _record_sent(message)
    return "sent"


def _claim(pk: int) -> OutboxMessage | None:
    """Takes the message for this worker for one lease, atomically; None when another worker has it."""
    now = clock.now()
    claimed = (
        OutboxMessage.objects.filter(pk=pk, status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    )
    if not claimed:
        return None
    return OutboxMessage.objects.select_related("organization", "patient").get(pk=pk)


@transaction.atomic
def _record_sent(message: OutboxMessage) -> None:
    now = clock.now()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=now, next_attempt_at=None, last_error="", version=F("version") + 1
    )
    audit_record(
        organization=message.organization,
        event="outbox.send",
        action=AuditAction.EXECUTE,
        target=message,
        patient=message.patient,
        detail={"kind": message.kind, "channel": message.channel, "attempt": message.attempts},
    )


@transaction.atomic
def _record_failure(message: OutboxMessage, exc: Exception) -> str:
    """Keeps the error on the message (not in the log: it may name the address) and schedules a retry."""
    max_attempts = settings.CARECOORD_OUTBOX_MAX_ATTEMPTS
    gave_up = message.attempts >= max_attempts
    pause = RETRY_PAUSES[min(message.attempts, len(RETRY_PAUSES)) - 1]
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED if gave_up else MessageStatus.QUEUED,
        next_attempt_at=None if gave_up else clock.now() + pause,
        last_error=f"{type(exc).__name__}: {exc}"[:500],
        version=F("version") + 1,
    )
    logger.warning(
        "outbox message %s not delivered (attempt %s of %s, %s)",
        message.public_id,
        message.attempts,
        max_attempts,
        type(exc).__name__,
    )
    return "failed" if gave_up else "retrying"
