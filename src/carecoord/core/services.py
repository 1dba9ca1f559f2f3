"""Writes on organizations, users and memberships."""

import re
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from .access import Actor, require_role
from .audit import audit_record
from .choices import US_STATE_CODES, AuditAction, OrganizationKind, Role
from .errors import ConflictError, NotFoundError, ValidationError
from .models import Membership, Organization, User, validate_timezone


def _full_clean(instance, exclude: list[str] | None = None) -> None:
    """Model validation (lengths, choices) before saving, so PostgreSQL never sees an over-long value."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(messages[0], field=None if field == "__all__" else field) from exc


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organization_create(
    *, name: str, kind: str, state: str, timezone: str, require_mfa: bool = True, slug: str | None = None
) -> Organization:
    """Creates a tenant. Two-factor is required of its members unless turned off explicitly."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("An organization needs a name.", field="name")
    if kind not in OrganizationKind.values:
        raise ValidationError(f"Unknown kind “{kind}”; use one of: {', '.join(OrganizationKind.values)}.", field="kind")
    state = (state or "").upper()
    if state not in US_STATE_CODES:
        raise ValidationError(f"“{state}” is not a US state or territory code.", field="state")
    try:
        validate_timezone(timezone)
    except DjangoValidationError as exc:
        raise ValidationError(exc.messages[0], field="timezone") from exc
    if slug and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", slug):
        raise ValidationError("A slug uses lowercase letters, digits and dashes.", field="slug")
    if slug and Organization.objects.filter(slug=slug).exists():
        raise ConflictError(f"An organization with slug “{slug}” already exists.", field="slug")
    org = Organization(
        name=name,
        slug=slug or _unique_slug(name),
        kind=kind,
        state=state,
        timezone=timezone,
        require_mfa=require_mfa,
    )
    _full_clean(org)
    org.save()
    audit_record(event="organization.create", action=AuditAction.CREATE, target=org, organization=org)
    return org


@transaction.atomic
def user_create(*, email: str, full_name: str, password: str, organization: Organization, role: str) -> User:
    """Creates a user with a first membership; the email is the login and is unique regardless of case."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationError(f"“{email}” is not a valid email address.", field="email") from exc
    if role not in Role.values:
        raise ValidationError(f"Unknown role “{role}”; use one of: {', '.join(Role.values)}.", field="role")
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError(f"A user with email {email} already exists.", field="email")
    user = User(email=email, full_name=(full_name or "").strip() or email.split("@")[0])
    _full_clean(user, exclude=["password"])
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ConflictError(f"A user with email {email} already exists.", field="email") from exc
    Membership.objects.create(user=user, organization=organization, role=role)
    audit_record(
        event="user.create",
        action=AuditAction.CREATE,
        target=user,
        organization=organization,
        detail={"role": role},
    )
    return user


@transaction.atomic
def membership_add(*, actor: Actor | None, user: User, organization: Organization, role: str) -> Membership:
    if actor is not None:
        require_role(actor, Role.ORG_ADMIN, message="Only an organization admin can add members.")
        if actor.organization != organization:
            raise ValidationError("You can add members only to your own organization.")
    if role not in Role.values:
        raise ValidationError(f"Unknown role “{role}”.", field="role")
    _check_admin_separation(user, role)
    membership, created = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    if not created and not membership.active:
        membership.active = True
        membership.save(update_fields=["active", "updated_at"])
    _end_sessions(user)  # a privilege change: open sessions start over
    audit_record(
        actor=actor,
        event="membership.add",
        action=AuditAction.CREATE,
        target=membership,
        organization=organization,
        detail={"role": role, "user": str(user.public_id)},
    )
    return membership


@transaction.atomic
def organization_settings_update(
    *,
    actor: Actor,
    idle_timeout_minutes: int,
    require_mfa: bool,
    expected_version: int,
    escalation_hours: int | None = None,
) -> Organization:
    require_role(actor, Role.ORG_ADMIN, message="Only an organization admin can change these settings.")
    if not 1 <= idle_timeout_minutes <= 720:
        raise ValidationError("The idle timeout must be between 1 and 720 minutes.", field="idle_timeout_minutes")
    if escalation_hours is None:
        escalation_hours = actor.organization.escalation_hours
    if not 1 <= escalation_hours <= 720:
        raise ValidationError("Escalate after 1 to 720 hours.", field="escalation_hours")
    updated = Organization.objects.filter(pk=actor.organization.pk, version=expected_version).update(
        idle_timeout_minutes=idle_timeout_minutes,
        require_mfa=require_mfa,
        escalation_hours=escalation_hours,
        version=expected_version + 1,
    )
    if not updated:
        raise ConflictError("Someone else changed these settings meanwhile; reload and try again.")
    org = Organization.objects.get(pk=actor.organization.pk)
    audit_record(
        actor=actor,
        event="organization.settings",
        action=AuditAction.UPDATE,
        target=org,
        detail={
            "idle_timeout_minutes": idle_timeout_minutes,
            "require_mfa": require_mfa,
            "escalation_hours": escalation_hours,
        },
    )
    return org


# --- account security: ending sessions, password change, disabling, roles --------------------------------------


def organization_choose(*, user: User, organization: Organization) -> None:
    """Remembers the organization `user` chose to work in, so their next session starts there."""
    User.objects.filter(pk=user.pk).update(last_organization=organization)
    user.last_organization = organization
    audit_record(user=user, organization=organization, event="auth.switch_organization", action=AuditAction.EXECUTE)


def _end_sessions(user: User) -> None:
    """Ends every open session of `user` at its next request (see `User._get_session_auth_hash`)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


@transaction.atomic
def member_add(*, actor: Actor, email: str, full_name: str, role: str) -> tuple[Membership, str]:
    """
    An organization admin adds a person to their organization in `role`. Someone who already has an account
    (any organization) gains the membership and signs in as before; someone new gets an account with a one-time
    password, returned here for the admin to hand over, which they change under Account security.
    """
    require_role(actor, Role.ORG_ADMIN, message="Only an organization admin can add members.")
    email = (email or "").strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if Membership.objects.filter(user=user, organization=actor.organization, active=True).exists():
            raise ConflictError(f"{email} is already a member; change their role in the list.", field="email")
        return membership_add(actor=actor, user=user, organization=actor.organization, role=role), ""
    one_time = secrets.token_urlsafe(12)
    user = user_create(email=email, full_name=full_name, password=one_time, organization=actor.organization,
                       role=role)  # fmt: skip
    membership = Membership.objects.get(user=user, organization=actor.organization, role=role)
    audit_record(actor=actor, event="membership.add", action=AuditAction.CREATE, target=membership,
                 detail={"role": role, "user": str(user.public_id), "new_account": True})  # fmt: skip
    return membership, one_time


def _member_in_scope(actor: Actor, membership: Membership) -> None:
    require_role(actor, Role.ORG_ADMIN, message="Only an organization admin can change members.")
    if membership.organization_id != actor.organization.pk:
        raise NotFoundError()


@transaction.atomic
def sessions_end_others(*, user: User) -> None:
    """Ends the user's other sessions; the caller keeps the current one with `update_session_auth_hash`."""
    _end_sessions(user)
    audit_record(user=user, event="auth.sessions_end_others", action=AuditAction.EXECUTE, target=user)


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, end_other_sessions: bool) -> User:
    """Changes the user's password (checked against the password rules); optionally ends their other sessions."""
    if not user.check_password(old_password):
        raise ValidationError("Your current password is not right.", field="old_password")
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ValidationError(" ".join(exc.messages), field="new_password") from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if end_other_sessions:
        _end_sessions(user)
    audit_record(
        user=user,
        event="auth.password_change",
        action=AuditAction.UPDATE,
        target=user,
        detail={"end_other_sessions": end_other_sessions},
    )
    return user


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User) -> User:
    """Disables a member's account; their open sessions end at their next request."""
    require_role(actor, Role.ORG_ADMIN, message="Only an organization admin can disable accounts.")
    if not Membership.objects.filter(user=user, organization=actor.organization).exists():
        raise NotFoundError()
    if user.pk == actor.user.pk:
        raise ValidationError("You cannot disable your own account.")
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    _end_sessions(user)
    audit_record(actor=actor, event="user.deactivate", action=AuditAction.UPDATE, target=user)
    return user


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership) -> Membership:
    """Takes a role away; the member's open sessions end at their next request."""
    _member_in_scope(actor, membership)
    Membership.objects.filter(pk=membership.pk).update(active=False, break_glass=False)
    membership.active = False
    _end_sessions(membership.user)
    audit_record(
        actor=actor,
        event="membership.remove",
        action=AuditAction.UPDATE,
        target=membership,
        detail={"role": membership.role, "user": str(membership.user.public_id)},
    )
    return membership


@transaction.atomic
def membership_role_change(*, actor: Actor, membership: Membership, role: str) -> Membership:
    """Changes a member's role (a privilege change): their open sessions end at their next request."""
    _member_in_scope(actor, membership)
    if role not in Role.values:
        raise ValidationError(f"Unknown role “{role}”.", field="role")
    _check_admin_separation(membership.user, role, ignore=membership)
    previous = membership.role
    membership.role = role
    try:
        with transaction.atomic():
            membership.save(update_fields=["role", "updated_at"])
    except IntegrityError as exc:
        raise ConflictError("The member already holds that role.", field="role") from exc
    _end_sessions(membership.user)
    audit_record(
        actor=actor,
        event="membership.role_change",
        action=AuditAction.UPDATE,
        target=membership,
        detail={"from": previous, "to": role, "user": str(membership.user.public_id)},
    )
    return membership


@transaction.atomic
def membership_break_glass_set(*, actor: Actor, membership: Membership, allowed: bool) -> Membership:
    """Lets a member use break-glass on this organization's restricted patients, or stops it (audited)."""
    _member_in_scope(actor, membership)
    if not membership.active:
        raise ValidationError("That membership is no longer active.")
    Membership.objects.filter(pk=membership.pk).update(break_glass=allowed)
    membership.break_glass = allowed
    audit_record(
        actor=actor,
        event="membership.break_glass",
        action=AuditAction.UPDATE,
        target=membership,
        detail={"allowed": allowed, "user": str(membership.user.public_id)},
    )
    return membership


def _check_admin_separation(user: User, role: str, ignore: Membership | None = None) -> None:
    """
    Admin privileges sit on identities separate from everyday accounts (HIPAA 164.312(a)(2)(i); RELIABILITY
    rule 2): an organization admin account holds no other role, and an everyday account is never made admin.
    """
    others = Membership.objects.filter(user=user, active=True)
    if ignore is not None:
        others = others.exclude(pk=ignore.pk)
    roles = set(others.values_list("role", flat=True))
    if not roles:
        return
    if role == Role.ORG_ADMIN and roles - {Role.ORG_ADMIN}:
        raise ValidationError(
            "Organization admin privileges go on a separate account: create a new user for the admin role.",
            field="role",
        )
    if role != Role.ORG_ADMIN and Role.ORG_ADMIN in roles:
        raise ValidationError(
            "This is an organization admin account; everyday roles go on the person's own separate account.",
            field="role",
        )
