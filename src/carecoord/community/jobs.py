"""Community periodic jobs."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .services import referral_overdue_tasks_create


@periodic(every=dt.timedelta(hours=1))
def create_overdue_referral_tasks() -> int:
    """Puts each open referral past its answer date on its organization's worklist (idempotent)."""
    return sum(len(referral_overdue_tasks_create(organization=org)) for org in Organization.objects.filter(active=True))
