"""Check-in periodic jobs."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .services import checkin_tasks_create


@periodic(every=dt.timedelta(minutes=30))
def create_due_checkin_tasks() -> int:
    """Puts "Check in with <patient>" on the worklist for every cadence due within a day (idempotent)."""
    return sum(len(checkin_tasks_create(organization=org)) for org in Organization.objects.filter(active=True))
