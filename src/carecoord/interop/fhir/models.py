"""
FHIR plumbing: system clients and their OAuth2 access tokens, the version history of resources (vread and
_history), and bulk-export jobs. Secrets and tokens are stored as hashes only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from carecoord.core.models import BaseModel, Organization


class ApiClient(BaseModel):
    """
    A system (backend-services) client of one organization. It acts through its own service user, a member
    of the organization without a usable password, so every write and audit entry names it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_clients")
    name = models.CharField(max_length=120)
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256)
    scopes = models.CharField(max_length=2000, help_text="SMART scopes, space separated.")
    service_user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class AccessToken(models.Model):
    """A bearer token issued to a client; only its SHA-256 is kept."""

    token_sha256 = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    scopes = models.CharField(max_length=2000)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class HistoryMethod(models.TextChoices):
    CREATE = "POST", "Created"
    UPDATE = "PUT", "Updated"
    DELETE = "DELETE", "Deleted"


class ResourceVersion(models.Model):
    """One version of a FHIR resource as it was written, for vread and _history."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=40)
    resource_id = models.UUIDField()
    version_id = models.PositiveIntegerField()
    last_updated = models.DateTimeField()
    method = models.CharField(max_length=6, choices=HistoryMethod.choices)
    resource = models.JSONField(null=True, help_text="The resource as written; null for a deletion.")

    class Meta:
        ordering = ["-last_updated", "-id"]
        indexes = [
            models.Index(fields=["organization", "resource_type", "last_updated"], name="fhirhist_org_type_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "resource_id", "version_id"], name="fhirhist_one_row_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version_id}"


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    RUNNING = "running", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ExportJob(BaseModel):
    """A FHIR Bulk Data $export request and, once done, its NDJSON files (under VAR_DIR/exports/<id>/)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=10, help_text="system, group or patient.")
    group_id = models.CharField(max_length=64, blank=True)
    types = models.JSONField(default=list, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.ACCEPTED)
    output = models.JSONField(default=list, blank=True, help_text="[{type, file, count}]")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="fhirexport_status")]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=["system", "group", "patient"]), name="fhirexport_level_known")
        ]

    def __str__(self) -> str:
        return f"$export {self.level} ({self.status})"
