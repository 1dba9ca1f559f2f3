"""
Patient education: the library of materials (built-ins shipped with CareCoord, organization = NULL, and each
organization's own), their revisions, and deliveries of a material to a patient or a family member with the
teach-back result.
"""

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse

from carecoord.core.models import BaseModel, Organization
from carecoord.patients.choices import LANGUAGE_NAMES, LANGUAGES
from carecoord.patients.models import Patient, RelatedPerson

from .choices import Audience, DeliveryMethod, TeachBack


def material_storage() -> FileSystemStorage:
    """Uploaded PDFs live under the var directory, outside any public URL; a view serves them after access checks."""
    return FileSystemStorage(location=settings.VAR_DIR / "media", base_url=None)


def material_upload_to(instance, filename: str) -> str:
    # Never the uploader's file name: it may carry PHI or path tricks.
    return f"education/{uuid.uuid4().hex}.pdf"


class Material(BaseModel):
    """One education material in one language: text in the safe markup (markup.py) or an uploaded PDF."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty: built-in."
    )
    topic = models.SlugField(max_length=80, help_text="Materials with the same topic are translations of each other.")
    language = models.CharField(max_length=10, choices=LANGUAGES, default="en")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    pdf = models.FileField(storage=material_storage, upload_to=material_upload_to, blank=True, max_length=200)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PATIENT)
    icd10_prefixes = models.JSONField(default=list, blank=True)
    snomed_codes = models.JSONField(default=list, blank=True)
    rxnorm_codes = models.JSONField(default=list, blank=True)
    careplan_categories = models.JSONField(default=list, blank=True)
    review_on = models.DateField(null=True, blank=True, help_text="When the content should be checked again.")
    source_note = models.CharField(max_length=300, blank=True)
    reading_formula = models.CharField(max_length=20, blank=True)
    reading_score = models.FloatField(null=True, blank=True)
    reading_grade = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["title", "language", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "language"], condition=Q(organization__isnull=True), name="material_builtin_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "topic", "language"],
                condition=Q(organization__isnull=False),
                name="material_org_unique",
            ),
            models.CheckConstraint(condition=~Q(body="") | ~Q(pdf=""), name="material_has_content"),
            models.CheckConstraint(condition=~Q(title=""), name="material_has_title"),
        ]
        indexes = [models.Index(fields=["organization", "active", "language"], name="material_org_active")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("education:material_detail", args=[self.public_id])

    @property
    def is_builtin(self) -> bool:
        return self.organization_id is None

    @property
    def is_pdf(self) -> bool:
        return bool(self.pdf)

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


class MaterialRevision(BaseModel):
    """The content of an organization's material as it was saved at one version (its edit history)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="revisions")
    material_version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField()

    class Meta:
        ordering = ["-material_version"]
        constraints = [
            models.UniqueConstraint(fields=["material", "material_version"], name="material_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.material_version}"


class Delivery(BaseModel):
    """A material given to a patient or one of their family members, how, in which language, and teach-back."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="education_deliveries")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="deliveries")
    material_version = models.PositiveIntegerField()
    title = models.CharField(max_length=200, help_text="The material's title when it was given.")
    language = models.CharField(max_length=10, choices=LANGUAGES)
    method = models.CharField(max_length=10, choices=DeliveryMethod.choices)
    related_person = models.ForeignKey(
        RelatedPerson,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="education_deliveries",
        help_text="Empty: given to the patient.",
    )
    delivered_at = models.DateTimeField()
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    teach_back = models.CharField(max_length=20, choices=TeachBack.choices, blank=True)
    teach_back_at = models.DateTimeField(null=True, blank=True)
    teach_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    teach_back_note = models.CharField(max_length=500, blank=True)
    outbox_message = models.ForeignKey(
        "messaging.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    follow_up_task = models.ForeignKey(
        "careplans.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-delivered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(teach_back="") | Q(teach_back_at__isnull=False), name="delivery_teach_back_dated"
            ),
        ]
        indexes = [models.Index(fields=["patient", "delivered_at"], name="delivery_patient_at")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_method_display()})"

    @property
    def recipient_name(self) -> str:
        return self.related_person.display_name if self.related_person_id else "Patient"

    @property
    def recipient_display(self) -> str:
        """The name printed on the handout: the family member's, or the patient's."""
        if self.related_person_id:
            return self.related_person.display_name
        return f"{self.patient.preferred_name or self.patient.given_name} {self.patient.family_name}"
