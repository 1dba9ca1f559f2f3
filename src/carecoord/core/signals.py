"""Sign-in events go to the audit log (successes and failures alike, ONC 170.315(d)(2))."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import clock
from .audit import audit_record
from .choices import AuditAction, AuditOutcome
from .models import User

SIGNED_IN_AT_SESSION_KEY = "carecoord_signed_in_at"


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    if request is not None:
        request.session[SIGNED_IN_AT_SESSION_KEY] = clock.now().timestamp()
    audit_record(user=user, event="auth.login", action=AuditAction.EXECUTE)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    audit_record(
        user=user,
        event="auth.login",
        action=AuditAction.EXECUTE,
        outcome=AuditOutcome.FAILURE,
        detail={"email": email} if user is None else {},
    )
