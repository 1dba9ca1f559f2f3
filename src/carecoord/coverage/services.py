"""
Writes of payers, coverages and eligibility checks. A map:
- payers: `payer_create`, `payer_update` (the organization's payer directory);
- coverages: `coverage_add`, `coverage_update`, `coverage_end`; active coverages of a patient are kept
  ordered 1 (primary), 2 (secondary), 3 (tertiary)... without gaps or ties, under a row lock; registration
  data, so the front desk may make them too (core.choices.PATIENT_REGISTRATION_ROLES), as it may check
  eligibility below;
- eligibility: `eligibility_check_start` (an X12 270 made for the coverage), `eligibility_result_record`
  (checked on a portal or by phone), `eligibility_response_upload` (a 271 read into the check's result);
  an inactive result puts "verify insurance" on the worklist once.
Worklist tasks of this app carry `source=TaskSource.COVERAGE`. Prior authorizations are in
`priorauth_services.py`, funding applications in `funding_services.py`.
"""

import datetime as dt

from django.db import transaction
from django.db.models import F

from carecoord.careplans import services as careplan_services
from carecoord.careplans.choices import TaskKind, TaskPriority, TaskSource
from carecoord.checkins.selectors import coordinator_of
from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor, require_patient_registrar
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, Role
from carecoord.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from carecoord.core.models import Organization
from carecoord.core.versioning import save_versioned
from carecoord.directory.models import ExternalOrganizationKind, Practitioner
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patient_get

from . import domain
from .choices import MAX_ORDER, CoverageStatus, EligibilityMethod, EligibilityStatus, ProductType
from .eligibility import parse_271
from .models import Coverage, EligibilityCheck, Payer
from .x12 import EligibilityInquiry, Person, X12Error, build_270

PAYER_FIELDS = ("name", "payer_id", "phone", "fax", "portal_url", "appeal_deadline_days", "external_organization")
COVERAGE_FIELDS = (
    "payer", "product_type", "plan_name", "member_id", "group_id", "group_name", "relationship",
    "subscriber_given_name", "subscriber_family_name", "subscriber_birth_date", "start_date", "end_date", "note",
)  # fmt: skip
ELIGIBILITY_FOCUS = "coverage.EligibilityCheck"


def _visible(actor: Actor, patient: Patient) -> Patient:
    return patient_get(actor, patient.public_id, audit_event=None)


def _own(actor: Actor, record) -> None:
    """Records are changed only by the organization that wrote them (others may read them under a share)."""
    if record.organization_id != actor.organization.pk:
        raise PermissionDeniedError("Only the organization that recorded this can change it.")


def task_owner(organization: Organization, patient: Patient) -> dict:
    """The patient's coordinator in `organization`, else any coordinator (a role-owned task)."""
    coordinator = coordinator_of(organization, patient)
    return {"owner": coordinator} if coordinator else {"owner_role": Role.COORDINATOR}


# Payers -----------------------------------------------------------------------------------------------------


def _validate_payer(actor: Actor, payer: Payer) -> None:
    payer.name = (payer.name or "").strip()
    payer.payer_id = (payer.payer_id or "").strip().upper()
    if not payer.name:
        raise ValidationError("Give the payer's name.", field="name")
    if not 1 <= payer.appeal_deadline_days <= 730:
        raise ValidationError("The appeal deadline runs from 1 to 730 days.", field="appeal_deadline_days")
    ext = payer.external_organization
    if ext is not None and (ext.organization_id != actor.organization.pk or ext.kind != ExternalOrganizationKind.PAYER):
        raise ValidationError(
            "Link a directory organization of kind “Insurer / health plan”.", field="external_organization"
        )
    duplicate = Payer.objects.filter(organization=actor.organization, payer_id=payer.payer_id).exclude(pk=payer.pk)
    if payer.payer_id and duplicate.exists():
        raise ValidationError(f"Another payer already has the payer ID {payer.payer_id}.", field="payer_id")


@transaction.atomic
def payer_create(*, actor: Actor, data: dict) -> Payer:
    """Adds a payer to the organization's directory."""
    require_patient_editor(actor)
    payer = Payer(organization=actor.organization, **{k: data[k] for k in PAYER_FIELDS if k in data})
    _validate_payer(actor, payer)
    payer.save()
    audit_record(actor=actor, event="payer.create", action=AuditAction.CREATE, target=payer)
    return payer


@transaction.atomic
def payer_update(*, actor: Actor, payer: Payer, data: dict, expected_version: int) -> Payer:
    require_patient_editor(actor)
    if payer.organization_id != actor.organization.pk:
        raise NotFoundError()
    for name in (*PAYER_FIELDS, "active"):
        if name in data:
            setattr(payer, name, data[name])
    _validate_payer(actor, payer)
    save_versioned(payer, expected_version=expected_version, fields=[*PAYER_FIELDS, "active"])
    audit_record(actor=actor, event="payer.update", action=AuditAction.UPDATE, target=payer)
    return payer


# Coverages --------------------------------------------------------------------------------------------------


def _validate_coverage(actor: Actor, coverage: Coverage) -> None:
    for name in ("plan_name", "member_id", "group_id", "group_name", "subscriber_given_name", "subscriber_family_name"):
        setattr(coverage, name, (getattr(coverage, name) or "").strip())
    if coverage.product_type not in ProductType.values:
        raise ValidationError("Choose the kind of coverage.", field="product_type")
    self_pay = coverage.product_type == ProductType.SELF_PAY
    if coverage.payer is None and not self_pay:
        raise ValidationError("Choose the payer.", field="payer")
    if coverage.payer is not None and coverage.payer.organization_id != actor.organization.pk:
        raise NotFoundError("That payer is not in your payer directory.")
    if not coverage.member_id and not self_pay:
        raise ValidationError("Give the member ID from the insurance card.", field="member_id")
    if coverage.relationship != "self" and not coverage.subscriber_family_name:
        raise ValidationError("Name the subscriber (the policy holder).", field="subscriber_family_name")
    if coverage.start_date and coverage.end_date and coverage.end_date < coverage.start_date:
        raise ValidationError("The coverage ends before it starts.", field="end_date")


def _active_ids(organization, patient) -> list[int]:
    """The patient's active coverages in their order, locked for the change being made."""
    rows = (
        Coverage.objects.select_for_update()
        .filter(organization=organization, patient=patient, status=CoverageStatus.ACTIVE)
        .order_by(F("order").asc(nulls_last=True), "id")
    )
    return [row.pk for row in rows]


def _apply_orders(organization, patient, orders: dict[int, int]) -> None:
    """Writes new orders in two steps (clear, then set) so the one-coverage-per-order constraint always holds."""
    if any(number > MAX_ORDER for number in orders.values()):
        raise ValidationError(f"A patient can have at most {MAX_ORDER} active coverages.", field="order")
    current = dict(Coverage.objects.filter(pk__in=orders).values_list("pk", "order"))
    moved = [pk for pk, number in orders.items() if current.get(pk) != number]
    Coverage.objects.filter(pk__in=moved).update(order=None)
    for pk in moved:
        Coverage.objects.filter(pk=pk).update(order=orders[pk], version=F("version") + 1, updated_at=clock.now())


@transaction.atomic
def coverage_add(*, actor: Actor, patient: Patient, data: dict, position: int | None = None) -> Coverage:
    """
    Adds an insurance to the patient at `position` (1 primary, 2 secondary...; last when not given); the
    other active coverages move down so the order stays 1, 2, 3 without gaps.
    """
    require_patient_registrar(actor)
    patient = _visible(actor, patient)
    coverage = Coverage(organization=actor.organization, patient=patient, status=CoverageStatus.ACTIVE)
    for name in COVERAGE_FIELDS:
        if name in data:
            setattr(coverage, name, data[name])
    _validate_coverage(actor, coverage)
    active = _active_ids(actor.organization, patient)
    coverage.save()
    _apply_orders(actor.organization, patient, domain.reorder(active, coverage.pk, position or len(active) + 1))
    coverage.refresh_from_db()
    audit_record(
        actor=actor,
        event="coverage.add",
        action=AuditAction.CREATE,
        target=coverage,
        patient=patient,
        detail={"product_type": coverage.product_type, "order": coverage.order},
    )
    return coverage


@transaction.atomic
def coverage_update(
    *, actor: Actor, coverage: Coverage, data: dict, expected_version: int, position: int | None = None
) -> Coverage:
    """Changes a coverage's details and, with `position`, its place in the order (the others shift)."""
    require_patient_registrar(actor)
    _visible(actor, coverage.patient)
    _own(actor, coverage)
    for name in COVERAGE_FIELDS:
        if name in data:
            setattr(coverage, name, data[name])
    _validate_coverage(actor, coverage)
    save_versioned(coverage, expected_version=expected_version, fields=list(COVERAGE_FIELDS))
    if position is not None and coverage.status == CoverageStatus.ACTIVE:
        active = _active_ids(actor.organization, coverage.patient)
        _apply_orders(actor.organization, coverage.patient, domain.reorder(active, coverage.pk, position))
    coverage.refresh_from_db()
    audit_record(
        actor=actor,
        event="coverage.update",
        action=AuditAction.UPDATE,
        target=coverage,
        patient=coverage.patient,
        detail={"order": coverage.order},
    )
    return coverage


@transaction.atomic
def coverage_end(
    *, actor: Actor, coverage: Coverage, end_date: dt.date | None, expected_version: int, in_error: bool = False
) -> Coverage:
    """Ends a coverage (or marks it entered in error); the ones after it move up in the order."""
    require_patient_registrar(actor)
    _visible(actor, coverage.patient)
    _own(actor, coverage)
    if coverage.status != CoverageStatus.ACTIVE:
        raise ValidationError("This coverage has already ended.")
    end_date = end_date or clock.today_in(actor.organization.tz)
    if coverage.start_date and end_date < coverage.start_date and not in_error:
        raise ValidationError("The coverage cannot end before it started.", field="end_date")
    coverage.status = CoverageStatus.ENTERED_IN_ERROR if in_error else CoverageStatus.CANCELLED
    coverage.end_date = coverage.end_date if in_error else end_date
    coverage.order = None
    save_versioned(coverage, expected_version=expected_version, fields=["status", "end_date", "order"])
    remaining = _active_ids(actor.organization, coverage.patient)
    _apply_orders(actor.organization, coverage.patient, domain.close_gaps(remaining))
    audit_record(
        actor=actor,
        event="coverage.end",
        action=AuditAction.UPDATE,
        target=coverage,
        patient=coverage.patient,
        detail={"status": coverage.status},
    )
    return coverage


# Eligibility ------------------------------------------------------------------------------------------------


def _check_coverage(actor: Actor, coverage: Coverage) -> None:
    _visible(actor, coverage.patient)
    _own(actor, coverage)
    if coverage.status != CoverageStatus.ACTIVE:
        raise ValidationError("Eligibility is checked on an active coverage.")
    if coverage.product_type == ProductType.SELF_PAY:
        raise ValidationError("Self-pay has no payer to ask about eligibility.")


def _inquiry(check: EligibilityCheck, provider: Practitioner | None, service_date: dt.date) -> EligibilityInquiry:
    coverage, patient, org = check.coverage, check.patient, check.organization
    person = Person(patient.family_name, patient.given_name, patient.birth_date)
    subscriber, dependent = person, None
    if coverage.relationship != "self":
        subscriber = Person(
            coverage.subscriber_family_name, coverage.subscriber_given_name, coverage.subscriber_birth_date
        )
        dependent = person
    if provider is not None:
        provider_name, npi = f"{provider.family_name},{provider.given_name}", provider.npi
    else:
        provider_name, npi = org.name, ""
    return EligibilityInquiry(
        sender_id=org.slug,
        receiver_id=coverage.payer.payer_id,
        control_number=check.control_number,
        created_at=check.requested_at.astimezone(org.tz),
        trace_number=check.trace_number,
        trace_originator=f"9{org.pk:09d}"[:10],
        payer_name=coverage.payer.name,
        payer_id=coverage.payer.payer_id,
        provider_name=provider_name,
        provider_npi=npi,
        provider_is_person=provider is not None,
        subscriber=subscriber,
        member_id=coverage.member_id,
        dependent=dependent,
        service_date=service_date,
        service_types=tuple(check.service_types),
    )


@transaction.atomic
def eligibility_check_start(
    *,
    actor: Actor,
    coverage: Coverage,
    service_types: list[str] | None = None,
    provider: Practitioner | None = None,
    service_date: dt.date | None = None,
) -> EligibilityCheck:
    """Starts an X12 eligibility check: the 270 inquiry is made and kept, ready to send to the payer."""
    require_patient_registrar(actor)
    _check_coverage(actor, coverage)
    if not coverage.payer.payer_id:
        raise ValidationError("Add the payer's electronic payer ID to the payer directory to make an X12 inquiry.")
    if provider is not None and (provider.organization_id != actor.organization.pk or not provider.npi):
        raise ValidationError("Choose a practitioner of your directory who has an NPI.", field="provider")
    check = EligibilityCheck.objects.create(
        organization=actor.organization,
        patient=coverage.patient,
        coverage=coverage,
        method=EligibilityMethod.X12,
        service_types=list(service_types or ["30"]),
        requested_at=clock.now(),
        requested_by=actor.user,
    )
    check.control_number = check.pk % 1_000_000_000 or 1
    check.trace_number = f"CC{check.control_number:09d}"
    check.request_x12 = build_270(_inquiry(check, provider, service_date or clock.today_in(actor.organization.tz)))
    check.save(update_fields=["control_number", "trace_number", "request_x12"])
    audit_record(
        actor=actor,
        event="eligibility.start",
        action=AuditAction.CREATE,
        target=check,
        patient=coverage.patient,
        detail={"coverage": str(coverage.public_id)},
    )
    return check


@transaction.atomic
def eligibility_result_record(
    *, actor: Actor, coverage: Coverage, method: str, status: str, plan_name: str = "", note: str = ""
) -> EligibilityCheck:
    """Records a check made on the payer's portal or by phone, with its result."""
    require_patient_registrar(actor)
    _check_coverage(actor, coverage)
    if method not in (EligibilityMethod.PORTAL, EligibilityMethod.PHONE):
        raise ValidationError("Choose how eligibility was checked.", field="method")
    if status not in (EligibilityStatus.ACTIVE, EligibilityStatus.INACTIVE):
        raise ValidationError("Say whether the coverage is active.", field="status")
    now = clock.now()
    check = EligibilityCheck.objects.create(
        organization=actor.organization,
        patient=coverage.patient,
        coverage=coverage,
        method=method,
        status=status,
        service_types=["30"],
        requested_at=now,
        responded_at=now,
        requested_by=actor.user,
        plan_name=(plan_name or "").strip()[:200],
        note=(note or "").strip()[:500],
    )
    audit_record(
        actor=actor, event="eligibility.record", action=AuditAction.CREATE, target=check, patient=coverage.patient
    )
    _inactive_task(check)
    return check


@transaction.atomic
def eligibility_response_upload(*, actor: Actor, check: EligibilityCheck, text: str) -> EligibilityCheck:
    """
    Reads a 271 response into the check: status (active, inactive, rejected), plan, benefits and the payer's
    rejection reasons. A file that cannot be read, or that answers another inquiry, changes nothing.
    """
    require_patient_registrar(actor)
    _visible(actor, check.patient)
    _own(actor, check)
    if check.method != EligibilityMethod.X12:
        raise ValidationError("Only an X12 check takes a 271 response.")
    try:
        response = parse_271(text)
    except X12Error as exc:
        raise ValidationError(str(exc), field="file") from exc
    if check.trace_number and response.trace_numbers and check.trace_number not in response.trace_numbers:
        raise ValidationError(
            f"This 271 answers another inquiry (trace {', '.join(response.trace_numbers)}), not this check "
            f"({check.trace_number}).",
            field="file",
        )
    status = {"active": EligibilityStatus.ACTIVE, "inactive": EligibilityStatus.INACTIVE}.get(
        response.status, EligibilityStatus.REJECTED
    )
    check.status = status
    check.plan_name = response.plan_name[:200]
    check.benefits = [b.as_dict() for b in response.benefits]
    check.rejections = [r.__dict__ for r in response.rejections]
    check.response_x12 = text.strip()
    check.responded_at = clock.now()
    fields = ["status", "plan_name", "benefits", "rejections", "response_x12", "responded_at"]
    save_versioned(check, expected_version=check.version, fields=fields)
    audit_record(
        actor=actor,
        event="eligibility.response",
        action=AuditAction.UPDATE,
        target=check,
        patient=check.patient,
        detail={"status": status, "benefits": len(check.benefits)},
    )
    _inactive_task(check)
    return check


def _inactive_task(check: EligibilityCheck) -> None:
    if check.status != EligibilityStatus.INACTIVE:
        return
    careplan_services.task_create(
        actor=None,
        organization=check.organization,
        patient=check.patient,
        kind=TaskKind.PAPERWORK,
        title=f"Insurance inactive: verify {check.coverage} with {check.patient.display_name}",
        description="The payer reports this coverage inactive. Ask the patient for their current insurance "
        "and update the Insurance tab.",
        due_date=clock.today_in(check.organization.tz) + dt.timedelta(days=2),
        priority=TaskPriority.URGENT,
        source=TaskSource.COVERAGE,
        focus_type=ELIGIBILITY_FOCUS,
        focus_id=check.public_id,
        dedupe_key=f"coverage-inactive:{check.public_id}",
        **task_owner(check.organization, check.patient),
    )
