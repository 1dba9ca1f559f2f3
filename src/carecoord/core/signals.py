"""
Sign-in events go to the audit log (successes, failures and lockouts alike, ONC 170.315(d)(2), HIPAA
164.308(a)(5)(ii)(C)). The audit log, not the application log, is the record: auditors read and export it,
and its hash chain shows tampering. An attempt naming a known user is filed under that user's organization
so its auditors see it; an attempt naming no known account has no organization (operators see it in
`audit-verify`-checked exports).
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import clock
from .audit import audit_record
from .choices import AuditAction, AuditOutcome
from .models import Membership, User

SIGNED_IN_AT_SESSION_KEY = "carecoord_signed_in_at"


def home_organization(user: User | None):
    """The organization a sign-in event of `user` is filed under: their first active membership's."""
    if user is None:
        return None
    membership = (
        Membership.objects.filter(user=user, active=True, organization__active=True)
        .select_related("organization")
        .order_by("organization__name", "role")
        .first()
    )
    return membership.organization if membership else None


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    if request is not None:
        request.session[SIGNED_IN_AT_SESSION_KEY] = clock.now().timestamp()
    audit_record(user=user, organization=home_organization(user), event="auth.login", action=AuditAction.EXECUTE)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    locked = bool(getattr(request, "axes_locked_out", False))
    detail = {"reason": "locked_out" if locked else "bad_credentials"}
    if user is None:
        detail["email"] = email
    audit_record(
        user=user,
        organization=home_organization(user),
        event="auth.login",
        action=AuditAction.EXECUTE,
        outcome=AuditOutcome.DENIED if locked else AuditOutcome.FAILURE,
        detail=detail,
    )
