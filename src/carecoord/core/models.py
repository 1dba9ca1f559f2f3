"""
Core data: the BaseModel every record inherits, organizations (tenants), users and their memberships,
and the append-only, hash-chained audit log.
"""

import functools
import uuid
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from .choices import US_STATES, AuditAction, AuditOutcome, OrganizationKind, Role


class BaseModel(models.Model):
    """A private integer key, a public UUID for URLs and FHIR ids, timestamps and an edit version."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (use an IANA name like America/Chicago).")


class Organization(BaseModel):
    """A tenant: a clinic, hospital, nursing home, coordination organization or program using CareCoord."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=40, choices=OrganizationKind.choices)
    state = models.CharField(max_length=2, choices=US_STATES)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    require_mfa = models.BooleanField(
        default=True, help_text="Every member must use two-factor authentication (admins always must)."
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(default=15)
    escalation_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A high-priority task overdue this many hours goes to a supervisor."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(idle_timeout_minutes__gte=1) & models.Q(idle_timeout_minutes__lte=720),
                name="organization_idle_timeout_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class UserManager(BaseUserManager):
    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: one human, one account, identified by email."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)
    session_generation = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised to end every open session of the user (see `_get_session_auth_hash`).",
    )
    last_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The organization the user last chose to work in; a new session starts there.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def _get_session_auth_hash(self, secret=None):
        # Django checks this hash on every request and ends a session whose stored hash differs. Mixing in
        # `session_generation` lets a disable, a role change or "sign out my other sessions" end open
        # sessions at their very next request, as a password change already does.
        key_salt = "carecoord.core.models.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class Membership(BaseModel):
    """A user's role in an organization; a user acts for one organization at a time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    active = models.BooleanField(default=True)
    break_glass = models.BooleanField(
        default=False, help_text="May open a restricted patient of this organization in an emergency (break-glass)."
    )

    class Meta:
        ordering = ["organization__name", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"


class BreakGlassAccess(BaseModel):
    """
    An emergency opening of one restricted patient by one user, for a fixed window (HIPAA 164.312(a)(2)(ii)).
    The patient is named by key, not by foreign key, because core sits below the patients app.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient_pk = models.BigIntegerField()
    patient_public_id = models.UUIDField()
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["user", "patient_pk", "expires_at"], name="breakglass_user_patient"),
            models.Index(fields=["organization", "reviewed_at"], name="breakglass_org_review"),
        ]

    def __str__(self) -> str:
        return f"break-glass by {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"


class AuditEventQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("Audit events are append-only; they cannot be deleted.")


class AuditEvent(models.Model):
    """
    One audited action (ASTM E2147: who, for which organization, what, which record and patient, when,
    from where, outcome). Rows are append-only: the model and its queryset refuse changes and deletes, except
    sealing, which fills `sequence`, `previous_hash` and `hash` once; `audit_verify` detects any change made
    behind the application's back. (Database-level refusal by trigger and role is the reliability issue's.)
    """

    occurred_at = models.DateTimeField(db_index=True)
    # The three keys below have no index of their own: the (key, occurred_at) indexes in Meta serve every look-up
    # by them, and each index costs every request its update (each request writes at least one event).
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False
    )
    user_email = models.CharField(max_length=254, blank=True)
    acting_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    tenant_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    action = models.CharField(max_length=1, choices=AuditAction.choices)
    event = models.CharField(max_length=80, help_text="What happened, e.g. patient.view, patient.update.")
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)
    sequence = models.BigIntegerField(null=True, blank=True, unique=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["acting_organization", "occurred_at"], name="audit_org_time"),
            models.Index(fields=["tenant_organization", "occurred_at"], name="audit_tenant_time"),
            models.Index(fields=["user", "occurred_at"], name="audit_user_time"),
            # The events waiting for sealing (core.audit._pending, once a second per process). Through the
            # unique index on sequence, "sequence IS NULL" also visited every sealed event's old row version
            # until vacuum removed it: 57 ms a sealing at 240,000 events, growing with the audit trail.
            models.Index(fields=["id"], condition=models.Q(sequence__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.user_email} {self.event} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)  # core.breakglass.flag_break_glass runs first (pre_save)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only; they cannot be deleted.")


class AuditChainHead(models.Model):
    """The single row holding the end of the audit hash chain; sealing locks it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain at {self.sequence}"


# Registered here so the app loads it with its other models; it lives with its mechanism.
from .idempotency import IdempotencyKey  # noqa: E402, F401
