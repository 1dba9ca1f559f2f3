"""Reads of records management, access-filtered."""

from django.db.models import QuerySet

from carecoord.checkins.choices import NoteStatus
from carecoord.checkins.models import ProgressNote
from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.patients.selectors import patients_visible_to

from .models import AmendmentRequest, Disclosure, LegalHold, PatientDeletion, PatientExport


def export_get(actor: Actor, public_id) -> PatientExport:
    """An export of the actor's organization whose patient is still visible; NotFoundError otherwise."""
    if actor is None or not (actor.has_role("coordinator") or actor.is_org_admin):
        raise NotFoundError()
    export = (
        PatientExport.objects.filter(
            organization=actor.organization, public_id=str(public_id), patient__deleted_at__isnull=True
        )
        .select_related("patient", "organization", "requested_by")
        .first()
    )
    if export is None:
        raise NotFoundError()
    return export


def disclosures_for(actor: Actor) -> QuerySet[Disclosure]:
    """The accounting of disclosures of the actor's organization, for auditors and org admins."""
    if actor is None or not (actor.is_auditor or actor.is_org_admin):
        raise NotFoundError()
    return Disclosure.objects.filter(organization=actor.organization).select_related("user", "patient")


def deletions_for(actor: Actor) -> QuerySet[PatientDeletion]:
    if actor is None or not actor.is_org_admin:
        raise NotFoundError()
    return PatientDeletion.objects.filter(organization=actor.organization).select_related("patient", "deleted_by")


def holds_for(actor: Actor) -> QuerySet[LegalHold]:
    if actor is None or not actor.is_org_admin:
        raise NotFoundError()
    return LegalHold.objects.filter(organization=actor.organization).select_related("patient", "placed_by")


def amendments_of(actor: Actor, patient) -> QuerySet[AmendmentRequest]:
    """The amendment requests of a patient the actor has already been allowed to see."""
    return AmendmentRequest.objects.filter(organization=actor.organization, patient=patient).select_related(
        "note", "addendum", "decided_by"
    )


def amendment_get(actor: Actor, public_id) -> AmendmentRequest:
    request = (
        AmendmentRequest.objects.filter(organization=actor.organization, public_id=str(public_id))
        .select_related("patient")
        .first()
        if actor is not None and actor.can_edit_patients
        else None
    )
    if request is None or not patients_visible_to(actor).filter(pk=request.patient_id).exists():
        raise NotFoundError()
    return request


def signed_notes_of(actor: Actor, patient) -> QuerySet[ProgressNote]:
    return ProgressNote.objects.filter(
        organization=actor.organization, patient=patient, status=NoteStatus.SIGNED
    ).order_by("-occurred_at")


def export_representatives_of(actor: Actor, patient) -> QuerySet:
    """
    The patient's personal representatives on file (active health care proxies), who may receive a
    right-of-access export for them. `patient` is one the actor may see (patients.selectors.patient_get).
    """
    if actor is None or not actor.can_export_records:
        raise NotFoundError()
    return patient.related_persons.filter(active=True, is_health_care_proxy=True).order_by(
        "family_name", "given_name", "pk"
    )
