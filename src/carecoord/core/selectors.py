"""Reads on the core data: the audit log, for auditors."""

import datetime as dt
import uuid

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
        events = events.filter(patient_public_id__in=audit_patient_ids(org, filters["patient"]))
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("outcome"):
        events = events.filter(outcome=filters["outcome"])
    return events.select_related("acting_organization", "tenant_organization").order_by(*audit_order(filters))


# The columns the audit report sorts by (ONC 170.315(d)(3)); anything else falls back to newest first.
AUDIT_SORTS = {
    "when": "occurred_at",
    "user": "user_email",
    "acting": "acting_organization__name",
    "tenant": "tenant_organization__name",
    "action": "action",
    "event": "event",
    "record": "object_type",
    "patient": "patient_public_id",
    "from": "source_ip",
    "outcome": "outcome",
}


def audit_order(filters: dict) -> list[str]:
    key = (filters.get("sort") or "").strip()
    descending = key.startswith("-")
    column = AUDIT_SORTS.get(key.lstrip("-"))
    if column is None:
        return ["-occurred_at", "-id"]
    prefix = "-" if descending else ""
    return [f"{prefix}{column}", f"{prefix}id"]


def audit_patient_ids(org, text: str) -> list:
    """
    The public ids of the organization's patients a search names: a public id, an MRN (exact) or name words
    (each a prefix of a name, in any order). Deleted patients count: their audit trail stays searchable.
    """
    from carecoord.patients.domain import name_query_terms
    from carecoord.patients.models import Patient

    text = text.strip()
    try:
        return [uuid.UUID(text)]
    except ValueError:
        pass
    patients = Patient.objects.filter(organization=org)
    match = Q(mrn__iexact=text)
    terms = name_query_terms(text)
    if terms:
        name_match = Q()
        for term in terms[:5]:
            name_match &= Q(search_name__contains=f" {term}")
        match |= name_match
    return list(patients.filter(match).values_list("public_id", flat=True)[:500])
