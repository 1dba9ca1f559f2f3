"""Core periodic jobs."""

import datetime as dt

from .audit import audit_seal
from .idempotency import purge_expired
from .periodic import periodic


@periodic(every=dt.timedelta(minutes=1))
def seal_audit_events() -> int:
    """Seals audit events whose after-commit sealing was skipped (a crash, a busy lock)."""
    return audit_seal()


@periodic(every=dt.timedelta(hours=1))
def purge_expired_idempotency_keys() -> int:
    """Idempotency keys are kept 24 hours (core.idempotency); older ones are deleted."""
    return purge_expired()
