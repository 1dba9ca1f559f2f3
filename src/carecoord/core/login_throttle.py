"""
Throttling sign-in per address (RELIABILITY T10; ASVS 6.3.1/11.4.2). django-axes locks one account from one
address after CARECOORD_LOCKOUT_FAILURES failures; this adds a higher limit for the address itself, so one
password tried across many accounts (password spraying) is also stopped. Both cool down after
CARECOORD_LOCKOUT_MINUTES without failures: nothing is locked permanently, and an attacker elsewhere cannot
lock a real user out of their own workstation. The count comes from axes' own failure records.
"""

import datetime as dt

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from .audit import audit_record
from .choices import AuditAction, AuditOutcome
from .models import User
from .signals import home_organization

DEFAULT_ADDRESS_FAILURE_LIMIT = 10


def address_failure_limit() -> int:
    return int(getattr(settings, "CARECOORD_LOCKOUT_ADDRESS_FAILURES", DEFAULT_ADDRESS_FAILURE_LIMIT))


def address_throttled(request) -> bool:
    """True when the request's address has failed sign-in the limit's number of times within the cool-off."""
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    failures = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return (failures or 0) >= address_failure_limit()


def record_throttled_attempt(email: str) -> None:
    user = User.objects.filter(email__iexact=email).first()
    detail = {"reason": "address_throttled"}
    if user is None:
        detail["email"] = email[:254]
    audit_record(
        user=user,
        organization=home_organization(user),
        event="auth.login",
        action=AuditAction.EXECUTE,
        outcome=AuditOutcome.DENIED,
        detail=detail,
    )
