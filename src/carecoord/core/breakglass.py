"""
Break-glass (HIPAA 164.312(a)(2)(ii) emergency access; ONC 170.315(d)(6)): a member an organization admin
has marked eligible may open a restricted patient of their own organization, giving a reason, for a fixed
window (CARECOORD_BREAK_GLASS_MINUTES, 60 by default). `patients_visible_to` admits the patient while the
window runs; every audit entry about the patient by that user in that window carries the break-glass flag and
reason, and the opening lands on the organization's break-glass review list, the worklist of its admins and
auditors (privacy officers). After the window the patient answers 404 again.

The flag follows the BreakGlassAccess row (user + patient + window), not the browser session that opened it:
a second browser, the JSON API or any read outside a request (a job, a command) by the same user in the window
is flagged too. `flag_break_glass` (a pre_save receiver on AuditEvent) looks the row up for each new audit
entry naming a patient and a user.

The patient is looked up through the app registry because core sits below the patients app.
"""

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver

from . import clock
from .access import Actor, require_role
from .audit import audit_record
from .choices import AuditAction, AuditOutcome, Role
from .errors import NotFoundError, PermissionDeniedError, ValidationError
from .models import AuditEvent, BreakGlassAccess, Membership

MIN_REASON_LENGTH = 10


def window() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "CARECOORD_BREAK_GLASS_MINUTES", 60))


def break_glass_eligible(actor: Actor | None) -> bool:
    if actor is None or actor.user is None or not actor.can_see_patients:
        return False
    return Membership.objects.filter(
        user=actor.user, organization=actor.organization, active=True, break_glass=True
    ).exists()


def break_glass_open(*, actor: Actor, mrn: str, reason: str) -> BreakGlassAccess:
    """
    Opens the organization's restricted patient with this MRN to the actor for the break-glass window. A
    refused attempt is itself recorded (outside the opening's transaction, so the refusal does not undo it).
    """
    reason = (reason or "").strip()
    if not break_glass_eligible(actor):
        audit_record(
            actor=actor,
            event="breakglass.open",
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.DENIED,
            detail={"break_glass": True, "reason": reason[:500], "why": "not eligible"},
        )
        raise PermissionDeniedError("Your account is not allowed to use break-glass access.")
    with transaction.atomic():
        return _open(actor, mrn, reason)


def _open(actor: Actor, mrn: str, reason: str) -> BreakGlassAccess:
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError("Say why you need this record now (at least 10 characters).", field="reason")
    patient_model = apps.get_model("patients", "Patient")
    patient = patient_model.objects.filter(
        organization=actor.organization, mrn__iexact=(mrn or "").strip(), deleted_at__isnull=True
    ).first()
    if patient is None:
        raise ValidationError("No patient of your organization has that MRN.", field="mrn")
    now = clock.now()
    access = BreakGlassAccess.objects.create(
        user=actor.user,
        organization=actor.organization,
        patient_pk=patient.pk,
        patient_public_id=patient.public_id,
        reason=reason,
        opened_at=now,
        expires_at=now + window(),
    )
    audit_record(
        actor=actor,
        event="breakglass.open",
        action=AuditAction.EXECUTE,
        target=access,
        patient=patient,
        detail={"break_glass": True, "reason": reason, "expires_at": access.expires_at.isoformat()},
    )
    return access


def active_break_glass(user, *, now: dt.datetime | None = None):
    """The user's break-glass openings still inside their window."""
    return BreakGlassAccess.objects.filter(user=user, expires_at__gt=now or clock.now())


def break_glass_reviews_for(actor: Actor):
    """The organization's break-glass openings, unreviewed first: the admins' and auditors' worklist."""
    if not (actor.is_org_admin or actor.is_auditor):
        raise NotFoundError()
    return (
        BreakGlassAccess.objects.filter(organization=actor.organization)
        .select_related("user", "reviewed_by")
        .order_by("reviewed_at", "-opened_at")
    )


@transaction.atomic
def break_glass_review(*, actor: Actor, access: BreakGlassAccess) -> BreakGlassAccess:
    """Marks an opening as reviewed by an admin or auditor."""
    if not actor.is_auditor:
        require_role(actor, Role.ORG_ADMIN, message="Only admins and auditors review break-glass access.")
    if access.organization_id != actor.organization.pk:
        raise NotFoundError()
    if access.reviewed_at is None:
        BreakGlassAccess.objects.filter(pk=access.pk).update(reviewed_at=clock.now(), reviewed_by=actor.user)
        access.refresh_from_db()
        audit_record(actor=actor, event="breakglass.review", action=AuditAction.UPDATE, target=access)
    return access


def break_glass_reason(user_id, patient_public_id, at: dt.datetime) -> str | None:
    """The reason of the user's break-glass opening of this patient whose window holds `at`, or None."""
    if not user_id or patient_public_id is None:
        return None
    return (
        BreakGlassAccess.objects.filter(
            user_id=user_id, patient_public_id=patient_public_id, opened_at__lte=at, expires_at__gt=at
        )
        .order_by("-opened_at")
        .values_list("reason", flat=True)
        .first()
    )


@receiver(pre_save, sender=AuditEvent, dispatch_uid="carecoord.breakglass.flag")
def flag_break_glass(sender, instance: AuditEvent, raw: bool = False, **kwargs) -> None:
    """
    Every new audit entry about a patient by a user inside one of that user's break-glass windows for the
    patient carries the flag and the reason, whichever session, token or job wrote it (one indexed lookup).
    """
    if raw or instance.pk is not None or getattr(instance, "patient_restricted", None) is False:
        return
    reason = break_glass_reason(instance.user_id, instance.patient_public_id, instance.occurred_at or clock.now())
    if reason is not None:
        instance.detail = {**(instance.detail or {}), "break_glass": True, "break_glass_reason": reason}
