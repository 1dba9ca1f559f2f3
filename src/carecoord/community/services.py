"""
Writes of the community app:
- screening_record: an AHC HRSN screen; each positive domain becomes a coded health concern on the chart
  (patients.services.condition_add), unless the same concern is already active;
- agency_save / service_save / location_save / *_set_active: the organization curates its directory;
- referral_send / referral_set_status: closed-loop referrals, answered by the receiving organization when it uses
  CareCoord (it reads only the referral and its patient summary);
- referral_note_add: the referring side's follow-up notes, optionally moving the referral's follow-up task;
- referral_overdue_tasks_create: the periodic job's work, overdue referrals on the sender's worklist;
- threshold_set / threshold_delete: the organization's benefit thresholds.
The HSDS import is in importer.py.
"""

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import OPEN_TASK_STATUSES, TaskKind, TaskSource
from carecoord.careplans.models import Task
from carecoord.core import clock, timefmt
from carecoord.core.access import Actor, require_patient_editor, require_patient_reader, require_role
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import Practitioner
from carecoord.patients.choices import ConditionCategory, ConditionClinicalStatus
from carecoord.patients.models import Condition, Patient
from carecoord.patients.selectors import patient_get, patients_visible_to
from carecoord.patients.services import condition_add

from . import screening as hrsn
from .choices import OPEN_REFERRAL_STATUSES, Need, ReferralStatus, ServiceStatus
from .domain import RECEIVER, SENDER, referral_outcome_error, referral_transition_error
from .models import (
    Agency,
    BenefitThreshold,
    CommunityService,
    Referral,
    ReferralEvent,
    ResourceLocation,
    ServiceAtLocation,
    SocialScreening,
    tags_to_text,
)

REFERRAL_FOCUS = "community.Referral"


def _full_clean(instance, exclude=()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(messages[0], field=None if field == "__all__" else field) from exc


# Screening ---------------------------------------------------------------------------------------------------


@transaction.atomic
def screening_record(
    *, actor: Actor, patient: Patient, answers: dict, occurred_at: dt.datetime
) -> tuple[SocialScreening, list[Condition]]:
    """Saves a complete AHC HRSN screen and adds each positive need to the chart as a health concern."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    if occurred_at > clock.now():
        raise ValidationError("The screening cannot be in the future.", field="occurred_at")
    try:
        result = hrsn.score(answers)
    except hrsn.IncompleteAnswers as exc:
        raise ValidationError(str(exc)) from exc
    screening = SocialScreening.objects.create(
        organization=patient.organization,
        patient=patient,
        occurred_at=occurred_at,
        answers=dict(result.answers),
        needs=list(result.needs),
        safety_total=result.safety_total,
        recorded_by=actor.user,
    )
    audit_record(
        actor=actor,
        event="screening.create",
        action=AuditAction.CREATE,
        target=screening,
        patient=patient,
        detail={"needs": list(result.needs)},
    )
    onset = occurred_at.astimezone(patient.organization.tz).date()
    conditions = [_need_to_chart(actor, patient, need, onset) for need in result.needs]
    return screening, [c for c in conditions if c is not None]


def _need_to_chart(actor: Actor, patient: Patient, need: str, onset: dt.date) -> Condition | None:
    code = hrsn.NEED_CODES[need]
    active = Condition.objects.filter(
        patient=patient,
        code_system=code.system,
        code=code.code,
        clinical_status=ConditionClinicalStatus.ACTIVE,
    )
    if active.exists():
        return None
    return condition_add(
        actor=actor,
        patient=patient,
        data={
            "code_system": code.system,
            "code": code.code,
            "display": code.display,
            "category": ConditionCategory.HEALTH_CONCERN,
            "onset_date": onset,
            "note": f"Positive on the AHC HRSN screen ({Need(need).label.lower()}).",
        },
    )


# The directory -----------------------------------------------------------------------------------------------

AGENCY_FIELDS = ("name", "description", "email", "website", "phone", "linked_organization")
SERVICE_FIELDS = (
    "name",
    "description",
    "url",
    "email",
    "phone",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "fees_description",
    "application_process",
    "hours",
    "cost_options",
)
LOCATION_FIELDS = ("name", "address_1", "city", "state", "postal_code", "latitude", "longitude", "transportation")


def _save(actor, instance, data: dict, fields, expected_version, event: str, exclude=("organization",)):
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])
    _full_clean(instance, exclude=exclude)
    if instance.pk is None:
        instance.save()
        audit_record(actor=actor, event=f"{event}.create", action=AuditAction.CREATE, target=instance)
    else:
        if expected_version is None:
            raise ConflictError("Reload the page and try again.")
        save_versioned(instance, expected_version=expected_version, fields=[f for f in fields if f in data])
        audit_record(actor=actor, event=f"{event}.update", action=AuditAction.UPDATE, target=instance)
    return instance


@transaction.atomic
def agency_save(*, actor: Actor, data: dict, agency: Agency | None = None, expected_version=None) -> Agency:
    """Adds or edits a community organization of the actor's directory."""
    require_patient_editor(actor)
    linked = data.get("linked_organization")
    if linked is not None and not isinstance(linked, Organization):
        raise ValidationError("Choose a CareCoord organization.", field="linked_organization")
    agency = agency or Agency(organization=actor.organization)
    if agency.organization_id != actor.organization.pk:
        raise NotFoundError()
    return _save(actor, agency, data, AGENCY_FIELDS, expected_version, "agency")


@transaction.atomic
def service_save(
    *,
    actor: Actor,
    data: dict,
    agency: Agency | None = None,
    service: CommunityService | None = None,
    expected_version=None,
) -> CommunityService:
    """Adds (under `agency`) or edits a service; `needs` and `languages` are lists."""
    require_patient_editor(actor)
    if service is None:
        if agency is None or agency.organization_id != actor.organization.pk:
            raise NotFoundError()
        service = CommunityService(organization=actor.organization, agency=agency)
    elif service.organization_id != actor.organization.pk:
        raise NotFoundError()
    data = dict(data)
    fields = list(SERVICE_FIELDS)
    for name in ("needs", "languages"):
        if name in data:
            values = data[name]
            if name == "needs" and any(v not in Need.values for v in values):
                raise ValidationError("Choose need categories from the list.", field="needs")
            data[name] = tags_to_text(values)
            fields.append(name)
    return _save(actor, service, data, fields, expected_version, "service", exclude=("organization", "agency"))


@transaction.atomic
def service_set_status(*, actor: Actor, service: CommunityService, status: str) -> CommunityService:
    """Deactivates (inactive, temporarily closed, defunct) or reactivates a service."""
    require_patient_editor(actor)
    if service.organization_id != actor.organization.pk:
        raise NotFoundError()
    if status not in ServiceStatus.values:
        raise ValidationError("Unknown status.", field="status")
    service.status = status
    save_versioned(service, expected_version=service.version, fields=["status"])
    audit_record(actor=actor, event="service.status", action=AuditAction.UPDATE, target=service, detail={"to": status})
    return service


@transaction.atomic
def agency_set_active(*, actor: Actor, agency: Agency, active: bool) -> Agency:
    require_patient_editor(actor)
    if agency.organization_id != actor.organization.pk:
        raise NotFoundError()
    agency.active = active
    save_versioned(agency, expected_version=agency.version, fields=["active"])
    audit_record(actor=actor, event="agency.active", action=AuditAction.UPDATE, target=agency, detail={"to": active})
    return agency


@transaction.atomic
def location_save(
    *, actor: Actor, data: dict, service: CommunityService, location: ResourceLocation | None = None
) -> ResourceLocation:
    """Adds a location to a service (or edits one), keeping the HSDS service_at_location link."""
    require_patient_editor(actor)
    if service.organization_id != actor.organization.pk:
        raise NotFoundError()
    location = location or ResourceLocation(organization=actor.organization, agency=service.agency)
    if (data.get("latitude") is None) != (data.get("longitude") is None):
        raise ValidationError("Give both latitude and longitude, or neither.", field="latitude")
    location = _save(
        actor, location, data, LOCATION_FIELDS, location.version if location.pk else None, "location",
        exclude=("organization", "agency"),
    )  # fmt: skip
    ServiceAtLocation.objects.get_or_create(
        service=service, location=location, defaults={"organization": actor.organization}
    )
    return location


# Referrals ---------------------------------------------------------------------------------------------------


def _patient_summary(patient: Patient) -> dict:
    """The minimum a receiving organization needs to reach the patient; nothing clinical."""
    return {
        "name": f"{patient.given_name} {patient.family_name}",
        "birth_date": patient.birth_date.isoformat(),
        "phone": patient.phone_primary,
        "preferred_language": patient.get_preferred_language_display(),
        "interpreter_needed": patient.interpreter_needed,
    }


def _event(referral: Referral, actor: Actor | None, organization, from_status: str, to_status: str, note="") -> None:
    ReferralEvent.objects.create(
        organization=referral.organization,
        referral=referral,
        at=clock.now(),
        by=actor.user if actor else None,
        by_organization=organization,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


@transaction.atomic
def referral_send(
    *,
    actor: Actor,
    patient: Patient,
    need: str,
    reason: str,
    consent_by: str,
    consent_method: str,
    consent_on: dt.date,
    respond_by: dt.date,
    service: CommunityService | None = None,
    practitioner: Practitioner | None = None,
    condition: Condition | None = None,
) -> Referral:
    """Refers the patient, with consent recorded, to a service of the directory or to a practitioner."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    today = clock.today_in(actor.organization.tz)
    if (service is None) == (practitioner is None):
        raise ValidationError("Refer to one service or one practitioner.", field="service")
    if service is not None and (service.organization_id != actor.organization.pk or not service.is_active):
        raise ValidationError("Choose an active service of your directory.", field="service")
    if practitioner is not None and practitioner.organization_id != actor.organization.pk:
        raise ValidationError("Choose a practitioner of your directory.", field="practitioner")
    if condition is not None and condition.patient_id != patient.pk:
        raise ValidationError("The health concern belongs to another patient.", field="condition")
    if not (consent_by or "").strip() or not (consent_method or "").strip():
        raise ValidationError("Record who gave consent to share the referral, and how.", field="consent_by")
    if consent_on > today:
        raise ValidationError("The consent date cannot be in the future.", field="consent_on")
    if respond_by < today:
        raise ValidationError("The answer date cannot be in the past.", field="respond_by")
    referral = Referral(
        organization=actor.organization,
        patient=patient,
        need=need,
        condition=condition,
        service=service,
        practitioner=practitioner,
        receiving_organization=service.agency.linked_organization if service else None,
        reason=(reason or "").strip(),
        consent_by=consent_by.strip(),
        consent_method=consent_method.strip(),
        consent_on=consent_on,
        patient_summary=_patient_summary(patient),
        respond_by=respond_by,
        sent_at=clock.now(),
        created_by=actor.user,
    )
    _full_clean(referral, exclude=("organization", "patient", "created_by", "condition", "service", "practitioner"))
    referral.save()
    _event(referral, actor, actor.organization, "", ReferralStatus.SENT, "Sent with the patient's consent.")
    audit_record(
        actor=actor,
        event="referral.send",
        action=AuditAction.CREATE,
        target=referral,
        patient=patient,
        detail={"need": need, "to_organization": str(getattr(referral.receiving_organization, "public_id", ""))},
    )
    return referral


@transaction.atomic
def referral_set_status(
    *,
    actor: Actor,
    referral: Referral,
    status: str,
    expected_version: int,
    note: str = "",
    outcome: str = "",
) -> Referral:
    """
    Moves a referral on. The receiving organization marks it received, accepted, declined (with a reason) or
    completed (with an outcome); the sender cancels it, and answers for a receiver that does not use CareCoord.
    """
    require_patient_editor(actor)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    is_receiver = referral.receiving_organization_id == actor.organization.pk
    is_sender = patients_visible_to(actor).filter(pk=referral.patient_id).exists()
    if not (is_receiver or is_sender):
        raise NotFoundError()
    party = RECEIVER if is_receiver and not is_sender else SENDER
    if is_receiver and is_sender:
        party = RECEIVER if status != ReferralStatus.CANCELLED else SENDER
    problem = referral_transition_error(
        referral.status, status, party=party, receiver_uses_carecoord=referral.receiving_organization_id is not None
    )
    if problem:
        raise InvalidStateError(problem)
    note = (note or "").strip()
    if status == ReferralStatus.DECLINED and not note:
        raise ValidationError("Say why the referral is declined.", field="note")
    if status == ReferralStatus.COMPLETED and not outcome:
        raise ValidationError("Record the outcome for the patient.", field="outcome")
    mismatch = referral_outcome_error(status, outcome or "")
    if mismatch:
        raise ValidationError(mismatch, field="outcome")
    previous = referral.status
    referral.status = status
    fields = ["status"]
    if status in (ReferralStatus.COMPLETED, ReferralStatus.DECLINED, ReferralStatus.CANCELLED):
        referral.closed_at = clock.now()
        referral.outcome = outcome or referral.outcome
        referral.outcome_note = note
        fields += ["closed_at", "outcome", "outcome_note"]
    _full_clean(referral, exclude=("organization", "patient", "created_by", "condition", "service", "practitioner"))
    save_versioned(referral, expected_version=expected_version, fields=fields)
    _event(referral, actor, actor.organization, previous, status, note)
    audit_record(
        actor=actor,
        event="referral.status",
        action=AuditAction.UPDATE,
        target=referral,
        patient=referral.patient if party == SENDER else None,
        detail={"from": previous, "to": status},
    )
    return referral


NOTE_MAX_LENGTH = 2000


def _follow_up_key(referral: Referral) -> str:
    return f"referral-follow-up:{referral.public_id}:"


@transaction.atomic
def referral_note_add(
    *, actor: Actor, referral: Referral, note: str, follow_up_on: dt.date | None = None
) -> ReferralEvent:
    """
    Adds a follow-up note to an open referral of the referring side ("called the food bank, no answer"). With
    `follow_up_on`, the referral's open worklist tasks (overdue, or an earlier follow-up) are done and one
    "Follow up on referral" task is due that day: one follow-up date per referral, moved by each new note.
    """
    require_patient_editor(actor)
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if not patients_visible_to(actor).filter(pk=referral.patient_id).exists():
        raise NotFoundError()
    if not referral.is_open:
        raise InvalidStateError(
            f"This referral is {referral.get_status_display().lower()}; notes can be added only while it is open."
        )
    note = (note or "").strip()
    if not note:
        raise ValidationError("Write the follow-up note: what was done or learned.", field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(f"Keep the note under {NOTE_MAX_LENGTH} characters.", field="note")
    if follow_up_on is not None:
        careplan_services.check_follow_up_day(actor, follow_up_on)
    event = ReferralEvent.objects.create(
        organization=referral.organization,
        referral=referral,
        at=clock.now(),
        by=actor.user,
        by_organization=actor.organization,
        note=note,
        follow_up_on=follow_up_on,
    )
    if follow_up_on is not None:
        _move_follow_up_task(actor, referral, event)
    audit_record(
        actor=actor,
        event="referral.note",
        action=AuditAction.UPDATE,
        target=referral,
        patient=referral.patient,
        detail={"event": str(event.public_id), "follow_up_on": follow_up_on.isoformat() if follow_up_on else ""},
    )
    return event


def _move_follow_up_task(actor: Actor, referral: Referral, event: ReferralEvent) -> None:
    """Completes the referral's open tasks on the actor's worklist, then puts the next follow-up there."""
    careplan_services.move_follow_up_task(
        actor,
        patient=referral.patient,
        focus_type=REFERRAL_FOCUS,
        focus_id=referral.public_id,
        due_on=event.follow_up_on,
        title=f"Follow up on referral: {referral.get_need_display().lower()} for {referral.patient.display_name}",
        description=f"Referred to {referral.recipient_name}. Last note: {event.note}",
        kind=TaskKind.REFERRAL,
        source=TaskSource.COMMUNITY,
        owner=actor.user,
        dedupe_key=f"{_follow_up_key(referral)}{event.public_id}",
        close_note=f"Followed up on the referral; next follow-up on {timefmt.day(event.follow_up_on)}.",
    )


def referral_overdue_tasks_create(*, organization: Organization) -> list:
    """
    Puts "Referral overdue" on the referring organization's worklist for each open referral past its answer
    date, unless a follow-up note already put an open follow-up task there. Idempotent: the dedupe key names
    the referral and its answer date.
    """
    today = clock.today_in(organization.tz)
    system = careplan_services._system_actor(organization)
    followed_up = Task.objects.filter(
        organization=organization,
        focus_type=REFERRAL_FOCUS,
        status__in=OPEN_TASK_STATUSES,
        dedupe_key__startswith="referral-follow-up:",
    ).values("focus_id")
    overdue = (
        Referral.objects.filter(
            organization=organization,
            status__in=OPEN_REFERRAL_STATUSES,
            respond_by__lt=today,
            patient__in=patients_visible_to(system),
        )
        .exclude(public_id__in=followed_up)
        .select_related("patient", "service__agency", "practitioner")
    )
    created = []
    for referral in overdue:
        created.append(
            careplan_services.task_create(
                actor=None,
                organization=organization,
                patient=referral.patient,
                kind=TaskKind.REFERRAL,
                title=f"Referral overdue: {referral.get_need_display().lower()} for {referral.patient.display_name}",
                description=(
                    f"Referred to {referral.recipient_name} on {timefmt.day(referral.sent_at, organization.tz)}; "
                    "an answer was expected "
                    f"by {timefmt.day(referral.respond_by)} (status: {referral.get_status_display().lower()})."
                ),
                due_date=today,
                owner_role=Role.COORDINATOR,
                source=TaskSource.COMMUNITY,
                focus_type=REFERRAL_FOCUS,
                focus_id=referral.public_id,
                dedupe_key=f"referral-overdue:{referral.public_id}:{referral.respond_by.isoformat()}",
            )
        )
    return created


# Benefit thresholds ------------------------------------------------------------------------------------------


@transaction.atomic
def threshold_set(*, actor: Actor, program: str, state: str, percent: int, source: str = "") -> BenefitThreshold:
    """Sets the organization's percent-of-poverty limit for a program in a state (or all states)."""
    require_patient_reader(actor)
    require_role(actor, Role.ORG_ADMIN, Role.SUPERVISOR, message="Only an administrator or supervisor can do this.")
    row, _ = BenefitThreshold.objects.get_or_create(
        organization=actor.organization,
        program=program,
        state=state,
        defaults={"percent": percent, "source": source, "updated_by": actor.user},
    )
    row.percent, row.source, row.updated_by = percent, source, actor.user
    _full_clean(row, exclude=("organization", "updated_by"))
    row.save()
    audit_record(actor=actor, event="threshold.set", action=AuditAction.UPDATE, target=row, detail={"percent": percent})
    return row


@transaction.atomic
def threshold_delete(*, actor: Actor, threshold: BenefitThreshold) -> None:
    require_role(actor, Role.ORG_ADMIN, Role.SUPERVISOR, message="Only an administrator or supervisor can do this.")
    if threshold.organization_id != actor.organization.pk:
        raise NotFoundError()
    audit_record(actor=actor, event="threshold.delete", action=AuditAction.DELETE, target=threshold)
    threshold.delete()
