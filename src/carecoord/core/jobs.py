"""Core periodic jobs."""

import datetime as dt

from .audit import audit_seal
from .periodic import periodic


@periodic(every=dt.timedelta(minutes=1))
def seal_audit_events() -> int:
    """Seals audit events whose after-commit sealing was skipped (a crash, a busy lock)."""
    return audit_seal()
