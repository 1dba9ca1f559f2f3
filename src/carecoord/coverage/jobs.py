"""Insurance periodic jobs: prior authorization expiry alerts; funding application document, decision, renewal tasks."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .funding_services import application_tasks_sync
from .priorauth_services import prior_auth_expiry_tasks


@periodic(every=dt.timedelta(hours=6))
def alert_expiring_prior_auths() -> int:
    """A worklist task ahead of each approved authorization's end; expired ones marked (idempotent)."""
    return sum(prior_auth_expiry_tasks(organization=org) for org in Organization.objects.filter(active=True))


@periodic(every=dt.timedelta(hours=6))
def sync_funding_application_tasks() -> int:
    """Tasks for missing documents of open applications, decisions to check and renewals coming up (idempotent)."""
    return sum(application_tasks_sync(organization=org) for org in Organization.objects.filter(active=True))
