"""Therapy periodic job: visits used and the plans' due tasks follow the appointments kept (hourly)."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .therapy_services import therapy_plans_recount_all


@periodic(every=dt.timedelta(hours=1))
def recount_therapy_plans() -> int:
    """Recounts the visits of every active therapy plan and creates the recertification/report tasks due."""
    return sum(therapy_plans_recount_all(organization=org) for org in Organization.objects.filter(active=True))
