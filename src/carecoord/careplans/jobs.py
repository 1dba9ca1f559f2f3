"""Care-plan periodic jobs."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .services import tasks_escalate_overdue


@periodic(every=dt.timedelta(minutes=15))
def escalate_overdue_tasks() -> int:
    """Gives supervisors a task for each high-priority task overdue beyond their organization's limit."""
    return sum(len(tasks_escalate_overdue(organization=org)) for org in Organization.objects.filter(active=True))
