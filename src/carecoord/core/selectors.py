"""Reads on the core data: the audit log, for auditors."""

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from .access import Actor
from .audit_labels import event_codes_labelled, event_label, object_kind
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
        events = events.filter(audit_event_match(filters["event"]))
    if filters.get("patient"):
        events = events.filter(patient_public_id__in=audit_patient_ids(org, filters["patient"]))
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("outcome"):
        events = events.filter(outcome=filters["outcome"])
    return events.select_related("acting_organization", "tenant_organization").order_by(*audit_order(filters))


def audit_event_match(text: str) -> Q:
    """
    The events a typed event filter names: the codes of any label the page shows ("Worklist viewed", any
    case), and, for text with no space, the codes it begins ("task." or "task.reassign").
    """
    text = text.strip()
    match = Q(event__in=event_codes_labelled(text))
    if text and not any(char.isspace() for char in text):
        match |= Q(event__startswith=text)
    return match


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
    "Name (MRN)" by public id, in at most two queries, for the events' patients the organization's audit log
    names: those of the viewer's organization (deleted ones included: their audit trail stays readable), and
    another organization's patients shared with the viewer's organization by a share in force today, to every
    reader of the audit log (an auditor too, who sees no chart: the privacy officer checks what the staff
    opened). Any other patient is left out: `audit_rows_describe` says whose patient it is instead.
    """
    from carecoord.patients.models import Patient
    from carecoord.patients.selectors import patients_shared_with

    fields = ("public_id", "given_name", "family_name", "preferred_name", "mrn", "organization")
    own = actor.organization
    ids = {e.patient_public_id for e in events if e.patient_public_id}
    if not ids:
        return {}
    home = Patient.objects.filter(organization=own, public_id__in=ids).only(*fields)
    labels = {p.public_id: f"{p.display_name} ({p.mrn})" for p in home}
    elsewhere = {e.patient_public_id for e in events if e.patient_public_id and e.tenant_organization_id != own.pk}
    elsewhere -= labels.keys()
    if elsewhere:
        shared = (
            patients_shared_with(own)
            .filter(public_id__in=elsewhere)
            .select_related("organization")
            .only(*fields, "organization__name")
        )
        labels.update({p.public_id: f"{p.display_name} (patient of {p.organization.name})" for p in shared})
    return labels


# Who did what no person did: system jobs and the HL7 feed record no user (task history says "CareCoord").
AUTOMATIC_USER_LABEL = "CareCoord (automatic)"


def audit_rows_describe(actor: Actor, events: list[AuditEvent]) -> None:
    """
    Sets on each event what the audit page shows in words: `user_label`, `event_label`, `object_kind`,
    `patient_label` (None when the event names no patient). A constant number of queries, whatever the
    number of events.
    """
    labels = audit_patient_labels(actor, events)
    for event in events:
        event.user_label = event.user_email or (AUTOMATIC_USER_LABEL if event.user_id is None else "")
        event.event_label = event_label(event.event)
        event.object_kind = object_kind(event.object_type)
        event.patient_label = _patient_label(actor, event, labels) if event.patient_public_id else None


def _patient_label(actor: Actor, event: AuditEvent, labels: dict) -> str:
    if event.patient_public_id in labels:
        return labels[event.patient_public_id]
    tenant = event.tenant_organization
    if tenant is None:
        return "Patient not visible to you"
    if tenant.pk != actor.organization.pk:
        return f"Patient of {tenant.name}"
    return "Patient no longer on file"  # the organization's own patient, purged since
