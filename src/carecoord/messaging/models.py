"""
The outbox: every message CareCoord sends to a patient or a family member, kept as a row first and delivered
by the worker (`jobs.deliver_outbox`) through the sender configured for its channel (`senders`).
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from carecoord.core.models import BaseModel, Organization
from carecoord.patients.models import Patient, RelatedPerson

from .choices import Channel, MessageStatus


class OutboxMessage(BaseModel):
    """
    One message to one address. An `idempotency_key` is unique within its organization, so the creator that
    names one (a reminder, a notice) can never queue the same message twice, even from two workers at once.
    `focus_type`/`focus_id` name the record it is about (e.g. scheduling.Appointment), as on tasks.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox_messages"
    )
    related_person = models.ForeignKey(
        RelatedPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to_address = models.CharField(max_length=254, help_text="Email address, E.164 phone number or postal address.")
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Not tried again before this time.")
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=40, blank=True, help_text="What the message is, e.g. appointment_reminder.")
    focus_type = models.CharField(max_length=80, blank=True)
    focus_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["organization", "created_at"], name="outbox_org_created"),
            models.Index(fields=["focus_type", "focus_id"], name="outbox_focus"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="outbox_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} message ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("messaging:message_detail", args=[self.public_id])
