"""
Writes of records management. Every function takes the acting person, checks access, runs in one
transaction and leaves exactly one audit entry.

  patient_soft_delete / patient_restore      "delete" a patient (hidden everywhere) and undo it (org admin)
  legal_hold_place / legal_hold_release      stop (or allow again) the retention purge of one patient
  retention_policy_set                       the organization's retention horizon in years
  export_request                             queue a right-of-access export (built by exports.export_run)
  amendment_request_record / _accept / _deny the patient's amendment requests (45 CFR 164.526)
"""

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from carecoord.checkins.models import NoteAddendum, ProgressNote
from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.versioning import save_versioned
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get
from carecoord.patients.services import refresh_name_keys

from .choices import AMENDABLE_DEMOGRAPHICS, AmendmentStatus, AmendmentTarget
from .models import AmendmentRequest, LegalHold, PatientDeletion, PatientExport, RetentionPolicy

ADMIN_ONLY = "Only an organization admin can do this."


def require_org_admin(actor: Actor) -> None:
    if not actor.is_org_admin:
        raise PermissionDeniedError(ADMIN_ONLY)


def _home_patient(actor: Actor, patient: Patient) -> Patient:
    """The patient, visible to the actor and belonging to the actor's organization; NotFoundError otherwise."""
    patient = patient_get(actor, patient.public_id, audit_event=None)
    if patient.organization_id != actor.organization.pk:
        raise NotFoundError()
    return patient


# --- deletion -----------------------------------------------------------------------------------------------


@transaction.atomic
def patient_soft_delete(*, actor: Actor, patient: Patient, reason: str) -> PatientDeletion:
    """Hides the patient everywhere (lists, search, FHIR, worklist); the rows and audit trail stay."""
    require_org_admin(actor)
    patient = _home_patient(actor, patient)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the record is being deleted.", field="reason")
    now = clock.now()
    if not Patient.objects.filter(pk=patient.pk, deleted_at__isnull=True).update(deleted_at=now):
        raise NotFoundError()
    deletion = PatientDeletion.objects.create(
        organization=actor.organization,
        patient=patient,
        patient_public_id=patient.public_id,
        deleted_at=now,
        deleted_by=actor.user,
        reason=reason[:300],
    )
    audit_record(
        actor=actor,
        event="patient.delete",
        action=AuditAction.DELETE,
        target=patient,
        patient=patient,
        detail={"deletion": str(deletion.public_id)},
    )
    return deletion


def deleted_patient_get(actor: Actor, public_id) -> Patient:
    """A soft-deleted patient of the actor's organization, for an org admin; NotFoundError otherwise."""
    if actor is None or not actor.is_org_admin:
        raise NotFoundError()
    patient = Patient.objects.filter(
        organization=actor.organization, deleted_at__isnull=False, public_id=str(public_id)
    ).first()
    if patient is None:
        raise NotFoundError()
    return patient


@transaction.atomic
def patient_restore(*, actor: Actor, patient_public_id) -> Patient:
    """Brings a soft-deleted patient back (org admin of the home organization)."""
    patient = deleted_patient_get(actor, patient_public_id)
    Patient.objects.filter(pk=patient.pk).update(deleted_at=None)
    patient.deleted_at = None
    PatientDeletion.objects.filter(patient=patient, restored_at__isnull=True, purged_at__isnull=True).update(
        restored_at=clock.now(), restored_by=actor.user
    )
    audit_record(actor=actor, event="patient.restore", action=AuditAction.UPDATE, target=patient, patient=patient)
    return patient


# --- legal holds and retention --------------------------------------------------------------------------------


@transaction.atomic
def legal_hold_place(*, actor: Actor, patient_public_id, reason: str) -> LegalHold:
    """Places a legal hold: the retention job never purges this patient while it stands."""
    require_org_admin(actor)
    patient = Patient.objects.filter(organization=actor.organization, public_id=str(patient_public_id)).first()
    if patient is None:
        raise NotFoundError()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Name the matter the hold is for.", field="reason")
    hold = LegalHold.objects.create(
        organization=actor.organization,
        patient=patient,
        reason=reason[:300],
        placed_by=actor.user,
        placed_at=clock.now(),
    )
    audit_record(actor=actor, event="legal_hold.place", action=AuditAction.CREATE, target=hold, patient=patient)
    return hold


@transaction.atomic
def legal_hold_release(*, actor: Actor, hold_public_id) -> LegalHold:
    require_org_admin(actor)
    hold = (
        LegalHold.objects.select_for_update(of=("self",))
        .filter(organization=actor.organization, public_id=str(hold_public_id), released_at__isnull=True)
        .select_related("patient")
        .first()
    )
    if hold is None:
        raise NotFoundError()
    hold.released_at = clock.now()
    hold.released_by = actor.user
    hold.save(update_fields=["released_at", "released_by", "updated_at"])
    audit_record(actor=actor, event="legal_hold.release", action=AuditAction.UPDATE, target=hold, patient=hold.patient)
    return hold


@transaction.atomic
def retention_policy_set(*, actor: Actor, retention_years: int) -> RetentionPolicy:
    require_org_admin(actor)
    if not 1 <= int(retention_years) <= 100:
        raise ValidationError("Keep records between 1 and 100 years.", field="retention_years")
    policy, _ = RetentionPolicy.objects.get_or_create(organization=actor.organization)
    before = policy.retention_years
    policy.retention_years = int(retention_years)
    policy.updated_by = actor.user
    policy.save()
    audit_record(
        actor=actor,
        event="retention.update",
        action=AuditAction.UPDATE,
        target=policy,
        detail={"from": before, "to": policy.retention_years},
    )
    return policy


# --- exports ------------------------------------------------------------------------------------------------


EXPORT_ROLES_MESSAGE = "Only coordinators and organization admins can export a patient's record."


@transaction.atomic
def export_request(*, actor: Actor, patient: Patient, recipient: str) -> PatientExport:
    """Queues a right-of-access export; the worker builds it (exports.export_run)."""
    if not actor.can_export_records:
        raise PermissionDeniedError(EXPORT_ROLES_MESSAGE)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    recipient = (recipient or "").strip() or "The patient"
    export = PatientExport.objects.create(
        organization=actor.organization, patient=patient, requested_by=actor.user, recipient=recipient[:200]
    )
    audit_record(actor=actor, event="export.request", action=AuditAction.CREATE, target=export, patient=patient)
    return export


# --- amendments ---------------------------------------------------------------------------------------------


@transaction.atomic
def amendment_request_record(
    *,
    actor: Actor,
    patient: Patient,
    target: str,
    requested_text: str,
    requested_by: str,
    reason: str = "",
    note: ProgressNote | None = None,
    field: str = "",
    received_at: dt.datetime | None = None,
) -> AmendmentRequest:
    """Records a patient's request to amend a signed note or a demographic field."""
    require_patient_editor(actor)
    patient = _home_patient(actor, patient)
    requested_text = (requested_text or "").strip()
    if not requested_text:
        raise ValidationError("Write what the patient asks the record to say.", field="requested_text")
    if not (requested_by or "").strip():
        raise ValidationError("Name who made the request.", field="requested_by")
    if target == AmendmentTarget.PROGRESS_NOTE:
        if note is None or note.patient_id != patient.pk or not note.is_signed:
            raise ValidationError("Choose a signed progress note of this patient.", field="note")
        field = ""
    elif target == AmendmentTarget.DEMOGRAPHICS:
        if field not in AMENDABLE_DEMOGRAPHICS:
            raise ValidationError("Choose the demographic field to amend.", field="field")
        note = None
    else:
        raise ValidationError("Choose what the request amends.", field="target")
    request = AmendmentRequest.objects.create(
        organization=actor.organization,
        patient=patient,
        target=target,
        note=note,
        field=field,
        requested_text=requested_text[:10000],
        reason=(reason or "").strip()[:10000],
        requested_by=requested_by.strip()[:200],
        received_at=received_at or clock.now(),
        recorded_by=actor.user,
    )
    audit_record(actor=actor, event="amendment.request", action=AuditAction.CREATE, target=request, patient=patient)
    return request


def _pending(actor: Actor, request: AmendmentRequest) -> AmendmentRequest:
    require_patient_editor(actor)
    locked = (
        AmendmentRequest.objects.select_for_update(of=("self",))
        .filter(pk=request.pk, organization=actor.organization)
        .select_related("patient", "note")
        .first()
    )
    if locked is None:
        raise NotFoundError()
    _home_patient(actor, locked.patient)
    if locked.status != AmendmentStatus.PENDING:
        raise InvalidStateError(f"This request was already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def amendment_accept(*, actor: Actor, request: AmendmentRequest) -> AmendmentRequest:
    """
    Accepts: a note gets an addendum with the amendment (the signed original is untouched and linked); a
    demographic field takes the new value and the request keeps the old one.
    """
    request = _pending(actor, request)
    if request.target == AmendmentTarget.PROGRESS_NOTE:
        text = f"Amendment accepted at the request of {request.requested_by}: {request.requested_text}"
        request.addendum = NoteAddendum.objects.create(note=request.note, text=text[:10000], author=actor.user)
    else:
        patient = request.patient
        request.original_value = str(getattr(patient, request.field) or "")
        setattr(patient, request.field, request.requested_text[: patient._meta.get_field(request.field).max_length])
        try:
            patient.full_clean(exclude=[f.name for f in Patient._meta.fields if f.name != request.field])
        except DjangoValidationError as exc:
            raise ValidationError(
                f"The requested value does not fit {AMENDABLE_DEMOGRAPHICS[request.field]}: {exc}",
                field="requested_text",
            ) from exc
        # A name amended moves the patient in lists and search (sort_name, search_name).
        save_versioned(patient, expected_version=patient.version, fields=[request.field, *refresh_name_keys(patient)])
    request.status = AmendmentStatus.ACCEPTED
    request.decided_by = actor.user
    request.decided_at = clock.now()
    request.save()
    audit_record(
        actor=actor,
        event="amendment.accept",
        action=AuditAction.UPDATE,
        target=request,
        patient=request.patient,
        detail={"target": request.target, **({"field": request.field} if request.field else {})},
    )
    return request


@transaction.atomic
def amendment_deny(*, actor: Actor, request: AmendmentRequest, denial_reason: str) -> AmendmentRequest:
    """Denies with a reason (164.526(d)); the request and the denial are kept, the record is unchanged."""
    request = _pending(actor, request)
    denial_reason = (denial_reason or "").strip()
    if not denial_reason:
        raise ValidationError("Give the reason for the denial; the patient receives it.", field="denial_reason")
    request.status = AmendmentStatus.DENIED
    request.denial_reason = denial_reason[:10000]
    request.decided_by = actor.user
    request.decided_at = clock.now()
    request.save()
    audit_record(
        actor=actor, event="amendment.deny", action=AuditAction.UPDATE, target=request, patient=request.patient
    )
    return request
