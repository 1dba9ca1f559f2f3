"""
Records management: disclosures (the accounting of disclosures), patient exports for the right of access,
amendment requests, legal holds, the retention policy and the record of each patient deletion.

Rows outlive the patient they name: a purge keeps `patient_public_id` so disclosures, deletions and audit
entries still say which record they were about.
"""

from django.conf import settings
from django.db import models

from carecoord.core.models import BaseModel, Organization
from carecoord.patients.models import Patient

from .choices import AmendmentStatus, AmendmentTarget, ExportStatus

# A policy choice, not a legal figure: medical-record retention is set by state law (commonly 6-10 years
# after the last encounter for adults, longer for minors), and HIPAA keeps its own documentation 6 years
# (45 CFR 164.316(b)(2)(i)). Ten years covers the common state minimums; each organization sets its own.
DEFAULT_RETENTION_YEARS = 10


class RetentionPolicy(BaseModel):
    """How long an organization keeps a deleted patient's record before the retention job may purge it."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="retention_policy")
    retention_years = models.PositiveSmallIntegerField(default=DEFAULT_RETENTION_YEARS)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_years__gte=1) & models.Q(retention_years__lte=100),
                name="retention_years_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.retention_years} years"


class PatientDeletion(BaseModel):
    """One "deletion" of a patient (a soft delete) and its restoration, if any."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, null=True, on_delete=models.SET_NULL, related_name="+")
    patient_public_id = models.UUIDField(db_index=True)
    deleted_at = models.DateTimeField()
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"Deletion of {self.patient_public_id}"


class LegalHold(BaseModel):
    """While active, a patient's record is never purged, whatever the retention policy says."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.CharField(max_length=300)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"Legal hold on {self.patient_id}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class PatientExport(BaseModel):
    """
    A right-of-access export (45 CFR 164.524; ONC 170.315(b)(10)/(d)(11)): queued by a person, built by
    the worker into a FHIR Bundle, a readable PDF and a manifest of SHA-256 digests. Its `public_id` is the
    download key; only the requesting organization can download it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(max_length=200, help_text="Who receives the copy (the patient, a representative).")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    manifest = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="patientexport_status")]

    def __str__(self) -> str:
        return f"Export {self.public_id} ({self.status})"


class Disclosure(BaseModel):
    """An entry in the accounting of disclosures (45 CFR 164.528; ONC 170.315(d)(11))."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, null=True, on_delete=models.SET_NULL, related_name="+")
    patient_public_id = models.UUIDField(db_index=True)
    disclosed_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(max_length=200)
    description = models.CharField(max_length=500)
    export = models.ForeignKey(PatientExport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-disclosed_at", "-id"]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient}"


class AmendmentRequest(BaseModel):
    """
    A patient's request to amend their record (45 CFR 164.526; ONC 170.315(d)(4)). Accepting keeps the
    original: a note gets an addendum linked here, a demographic change keeps the old value here. Denying
    keeps the request and the reason.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="amendment_requests")
    target = models.CharField(max_length=20, choices=AmendmentTarget.choices)
    note = models.ForeignKey(
        "checkins.ProgressNote", null=True, blank=True, on_delete=models.PROTECT, related_name="amendment_requests"
    )
    field = models.CharField(max_length=40, blank=True, help_text="The demographic field, for demographics.")
    requested_text = models.TextField(help_text="What the patient asks the record to say.")
    reason = models.TextField(blank=True, help_text="Why, in the patient's words.")
    requested_by = models.CharField(max_length=200, help_text="Who asked: the patient or their representative.")
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    denial_reason = models.TextField(blank=True)
    original_value = models.TextField(blank=True, help_text="The value before an accepted demographic amendment.")
    addendum = models.OneToOneField(
        "checkins.NoteAddendum", null=True, blank=True, on_delete=models.PROTECT, related_name="amendment_request"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=AmendmentStatus.DENIED) | ~models.Q(denial_reason=""),
                name="amendment_denial_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(target=AmendmentTarget.PROGRESS_NOTE) | models.Q(note__isnull=False),
                name="amendment_note_target_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment request {self.public_id} ({self.status})"
