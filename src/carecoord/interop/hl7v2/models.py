"""
Inbound HL7 v2 messages, stored raw and processed once (unique per organization, sending facility and
message control ID), and the patient matches a person must decide.
"""

from django.conf import settings
from django.db import models

from carecoord.core.models import BaseModel, Organization
from carecoord.patients.models import Patient

from .parse import HANDLED_EVENTS

DISMISSED_PREFIX = "Dismissed: "  # the note of a message whose patient match review was dismissed


class MessageStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    REVIEW = "review", "Waiting for a patient match"
    REJECTED = "rejected", "Rejected"
    IGNORED = "ignored", "Not acted on"  # for one of several reasons: InboundMessage.not_acted_on_reason


class InboundMessage(BaseModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    raw = models.TextField()
    sending_application = models.CharField(max_length=180, blank=True)
    sending_facility = models.CharField(max_length=180)
    control_id = models.CharField(max_length=199)
    message_type = models.CharField(max_length=20, help_text="e.g. ADT^A03")
    version = models.CharField(max_length=10)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.RECEIVED)
    ack_code = models.CharField(max_length=2, blank=True)
    error = models.TextField(blank=True)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    peer = models.CharField(max_length=100, blank=True, help_text="Address the message came from.")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organization", "status", "received_at"], name="hl7msg_org_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sending_facility", "control_id"], name="hl7msg_processed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} from {self.sending_facility}"

    @property
    def status_text(self) -> str:
        """The status as pages show it: for a message not acted on, why (the choice label names one case only)."""
        if self.status != MessageStatus.IGNORED:
            return self.get_status_display()
        return f"{self.get_status_display()} ({self.not_acted_on_reason})"

    @property
    def not_acted_on_reason(self) -> str:
        event = self.message_type.split("^")[1] if "^" in self.message_type else ""
        if event not in HANDLED_EVENTS:
            return "event CareCoord does not use"
        if self.error.startswith(DISMISSED_PREFIX):
            return "dismissed at patient match review"
        return "no patient matched"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    MATCHED = "matched", "Matched to a patient"
    CREATED = "created", "New patient created"
    DISMISSED = "dismissed", "Dismissed"


class PatientMatchReview(BaseModel):
    """An inbound message whose patient could not be matched with certainty; a coordinator decides."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    message = models.OneToOneField(InboundMessage, on_delete=models.PROTECT, related_name="review")
    demographics = models.JSONField(help_text="What PID says: identifiers, name, birth date, sex, address, phone.")
    candidates = models.JSONField(default=list, help_text="[{patient public_id, score, reasons}]")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    resolved_patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status"], name="hl7review_open")]

    def __str__(self) -> str:
        return f"Patient match for {self.message}"
