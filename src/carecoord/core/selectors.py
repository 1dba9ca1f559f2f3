"""Reads on the core data: the audit log, for auditors."""

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from .access import Actor
from .errors import NotFoundError
from .models import AuditEvent, User


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
        text = filters["user"].strip()
        # The exact email also finds events with no user row, such as a failed sign-in with an unknown email.
        events = events.filter(Q(user__in=audit_user_ids(text)) | Q(user_email__iexact=text))
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


def audit_user_ids(text: str) -> list:
    """
    The ids of the users whose email or name contains the text (any case). The user table is small; the events
    are then found through their (user, occurred_at) index, where a pattern on the audit table's user_email
    would scan it.
    """
    match = Q(email__icontains=text) | Q(full_name__icontains=text)
    return list(User.objects.filter(match).values_list("id", flat=True)[:500])


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


def audit_patient_labels(actor: Actor, events) -> dict:
    """
    "Name (MRN)" by public id, in one query, for the events' patients the auditor may see: those of the actor's
    organization, deleted ones included. Another organization's patient stays an id.
    """
    from carecoord.patients.models import Patient

    ids = {e.patient_public_id for e in events if e.patient_public_id}
    if not ids:
        return {}
    patients = Patient.objects.filter(organization=actor.organization, public_id__in=ids).only(
        "public_id", "given_name", "family_name", "preferred_name", "mrn"
    )
    return {p.public_id: f"{p.display_name} ({p.mrn})" for p in patients}
