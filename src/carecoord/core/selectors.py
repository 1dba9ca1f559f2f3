"""Reads on the core data: the audit log, for auditors."""

import datetime as dt

from django.db.models import Q, QuerySet

from .access import Actor
from .errors import NotFoundError
from .models import AuditEvent


def audit_events_for(*, actor: Actor, filters: dict) -> QuerySet[AuditEvent]:
    """Audit events of the actor's organization (as actor or as the data's tenant), filtered."""
    if not actor.is_auditor and not actor.is_org_admin:
        raise NotFoundError()
    org = actor.organization
    events = AuditEvent.objects.filter(Q(acting_organization=org) | Q(tenant_organization=org))
    tz = org.tz
    if filters.get("start"):
        events = events.filter(occurred_at__gte=dt.datetime.combine(filters["start"], dt.time.min, tzinfo=tz))
    if filters.get("end"):
        events = events.filter(
            occurred_at__lt=dt.datetime.combine(filters["end"], dt.time.min, tzinfo=tz) + dt.timedelta(days=1)
        )
    if filters.get("user"):
        events = events.filter(user_email__iexact=filters["user"].strip())
    if filters.get("event"):
        events = events.filter(event__startswith=filters["event"].strip())
    if filters.get("patient"):
        events = events.filter(patient_public_id=filters["patient"])
    if filters.get("outcome"):
        events = events.filter(outcome=filters["outcome"])
    return events.select_related("acting_organization", "tenant_organization").order_by("-occurred_at", "-id")
