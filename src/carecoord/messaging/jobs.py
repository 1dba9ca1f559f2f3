"""Messaging periodic jobs."""

import datetime as dt

from carecoord.core.periodic import periodic

from .services import outbox_deliver


@periodic(every=dt.timedelta(minutes=1))
def deliver_outbox() -> dict[str, int]:
    """Delivers queued outbox messages that are due, retrying failures with growing pauses."""
    return outbox_deliver()
