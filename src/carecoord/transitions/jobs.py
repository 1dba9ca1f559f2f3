"""Transitions periodic jobs."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .services import episodes_close_ended


@periodic(every=dt.timedelta(days=1))
def close_ended_episodes() -> int:
    """Closes the open transition episodes whose 30-day window has ended, in every active organization."""
    return sum(episodes_close_ended(organization=org) for org in Organization.objects.filter(active=True))
