"""
Writes on the patient registry. Each takes the acting user, checks access through core, runs in one
transaction and leaves an audit entry.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q

from carecoord.core import clock
from carecoord.core.access import Actor, require_patient_editor, require_patient_registrar
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carecoord.core.models import Membership, Organization, User
from carecoord.core.versioning import save_versioned
from carecoord.directory.domain import normalize_zip
from carecoord.directory.models import Practitioner

from .choices import ENDED_CONDITION_STATUSES, ConsentScope, ConsentStatus
from .domain import PhoneError, normalize_phone, search_name, sort_name, validate_condition_code
from .models import (
    CareTeamMember,
    Condition,
    Consent,
    Patient,
    PatientIdentifier,
    PatientShare,
    RelatedPerson,
)
from .selectors import duplicate_candidates, patient_get

OLDEST_BIRTH_DATE = dt.date(1900, 1, 1)

PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "middle_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "gender",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "phone_primary",
    "phone_primary_kind",
    "phone_secondary",
    "phone_secondary_kind",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "preferred_language",
    "interpreter_needed",
    "preferred_contact_method",
    "best_time_to_contact",
    "consent_sms",
    "consent_email",
    "chart_alert",
)


class PossibleDuplicateError(ConflictError):
    """Registration stopped because the person may already be registered; `candidates` lists who."""

    code = "possible-duplicate"

    def __init__(self, candidates: list[Patient]):
        super().__init__(
            "This person may already be registered. Check the patients below; register anyway only if "
            "none of them is the same person."
        )
        self.candidates = candidates


def _full_clean(instance: Model, exclude: list[str] | None = None) -> None:
    """Runs model validation and raises our ValidationError naming the first bad field."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationError(messages[0], field=None if field == "__all__" else field) from exc


def patient_problems(patient: Patient, *, skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """
    Normalizes the patient's demographics in place (names, phones, email, ZIP) and returns every problem
    found, by field, leaving out the `skip` fields (already reported). The services raise them together;
    PatientForm shows them beside its own errors, so one submit reports every problem.
    """
    skip = set(skip)
    problems: dict[str, list[str]] = {}
    today = clock.today_in(patient.organization.tz)
    for name in ("mrn", "given_name", "family_name"):
        setattr(patient, name, (getattr(patient, name) or "").strip())
    if "birth_date" not in skip:
        if not isinstance(patient.birth_date, dt.date):
            problems["birth_date"] = ["Enter the date of birth as YYYY-MM-DD."]
        elif patient.birth_date > today:
            problems["birth_date"] = ["The date of birth cannot be in the future."]
        elif patient.birth_date < OLDEST_BIRTH_DATE:
            problems["birth_date"] = ["The date of birth is before 1900; check the year."]
    for field in ("phone_primary", "phone_secondary"):
        if field not in skip:
            try:
                setattr(patient, field, normalize_phone(getattr(patient, field)))
            except PhoneError as exc:
                problems[field] = [str(exc)]
    patient.email = (patient.email or "").strip().lower()
    if "postal_code" not in skip:
        try:
            patient.postal_code = normalize_zip(patient.postal_code, required=False)
        except ValidationError as exc:
            problems["postal_code"] = [exc.message]
    refresh_name_keys(patient)
    exclude = ["organization", *skip, *problems]
    try:
        patient.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    return problems


NAME_KEY_FIELDS = ("search_name", "sort_name")


def refresh_name_keys(patient: Patient) -> tuple[str, ...]:
    """
    Recomputes what is derived from the patient's names (the search words, the list sort key) and returns
    those fields, for the caller to save with the names.
    """
    patient.search_name = search_name(
        patient.given_name, patient.middle_name, patient.family_name, patient.preferred_name
    )
    patient.sort_name = sort_name(patient.family_name, patient.given_name)
    return NAME_KEY_FIELDS


def _clean_patient(patient: Patient) -> None:
    """Normalizes the patient's demographics, or raises one ValidationError naming every bad field."""
    problems = patient_problems(patient)
    if problems:
        raise ValidationError.of({None if f == "__all__" else f: m for f, m in problems.items()})


def _audit(actor: Actor, event: str, action: str, target, patient: Patient, **detail) -> None:
    audit_record(actor=actor, event=event, action=action, target=target, patient=patient, detail=detail)


@transaction.atomic
def patient_register(*, actor: Actor, data: dict, allow_possible_duplicate: bool = False) -> Patient:
    """Registers a patient in the actor's organization, stopping first if they may already be registered."""
    require_patient_registrar(actor)
    patient = Patient(organization=actor.organization, **{k: v for k, v in data.items() if k in PATIENT_FIELDS})
    _clean_patient(patient)
    if Patient.objects.filter(organization=actor.organization, mrn__iexact=patient.mrn).exists():
        raise ConflictError(f"MRN {patient.mrn} already belongs to another patient.", field="mrn")
    if not allow_possible_duplicate:
        candidates = duplicate_candidates(
            actor, given_name=patient.given_name, family_name=patient.family_name, birth_date=patient.birth_date
        )
        if candidates:
            raise PossibleDuplicateError(candidates)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        raise ConflictError(f"MRN {patient.mrn} already belongs to another patient.", field="mrn") from exc
    _audit(
        actor,
        "patient.create",
        AuditAction.CREATE,
        patient,
        patient,
        possible_duplicate_overridden=allow_possible_duplicate,
    )
    return patient


@transaction.atomic
def patient_update(*, actor: Actor, patient: Patient, data: dict, expected_version: int) -> Patient:
    """
    Saves an edit of the demographics and contact details (PATIENT_FIELDS) only if nobody saved the patient
    since `expected_version` was read. Registration data: the front desk may make it too.
    """
    require_patient_registrar(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _require_registration_holder(actor, patient)
    before = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    for name, value in data.items():
        if name in PATIENT_FIELDS:
            setattr(patient, name, value)
    _clean_patient(patient)
    # Compared after normalizing, so a phone or email typed differently is not reported as changed.
    changed = sorted(name for name in PATIENT_FIELDS if getattr(patient, name) != before[name])
    if (
        "mrn" in changed
        and Patient.objects.filter(organization=patient.organization, mrn__iexact=patient.mrn)
        .exclude(pk=patient.pk)
        .exists()
    ):
        raise ConflictError(f"MRN {patient.mrn} already belongs to another patient.", field="mrn")
    save_versioned(patient, expected_version=expected_version, fields=[*PATIENT_FIELDS, *NAME_KEY_FIELDS])
    _audit(actor, "patient.update", AuditAction.UPDATE, patient, patient, fields=changed)
    return patient


@transaction.atomic
def patient_set_active(*, actor: Actor, patient: Patient, active: bool, expected_version: int) -> Patient:
    """Marks a patient record active or inactive (a retired or merged-away record stays, inactive)."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _require_home_organization(actor, patient)
    patient.active = active
    save_versioned(patient, expected_version=expected_version, fields=["active"])
    _audit(actor, "patient.activate" if active else "patient.deactivate", AuditAction.UPDATE, patient, patient)
    return patient


@transaction.atomic
def patient_restricted_set(*, actor: Actor, patient: Patient, restricted: bool, expected_version: int) -> Patient:
    """
    Marks a record restricted: in its home organization only the current care team sees it, others need
    break-glass. Anyone of the home organization who may edit the record and sees it may restrict or reopen it.
    """
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    if patient.organization_id != actor.organization.pk:
        raise PermissionDeniedError("Only the patient's home organization can restrict the record.")
    patient.restricted = restricted
    save_versioned(patient, expected_version=expected_version, fields=["restricted"])
    _audit(actor, "patient.restrict" if restricted else "patient.unrestrict", AuditAction.UPDATE, patient, patient)
    return patient


@transaction.atomic
def identifier_add(*, actor: Actor, patient: Patient, type: str, system: str, value: str) -> PatientIdentifier:
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _require_registration_holder(actor, patient)
    identifier = PatientIdentifier(
        organization=patient.organization, patient=patient, type=type, system=system.strip(), value=value.strip()
    )
    _full_clean(identifier, exclude=["organization", "patient"])
    if PatientIdentifier.objects.filter(
        organization=patient.organization, system=identifier.system, value=identifier.value
    ).exists():
        raise ConflictError("Another patient already has this identifier from this issuer.", field="value")
    identifier.save()
    _audit(actor, "identifier.create", AuditAction.CREATE, identifier, patient)
    return identifier


RELATED_FIELDS = (
    "given_name",
    "family_name",
    "relationship",
    "phone",
    "email",
    "address",
    "preferred_language",
    "is_emergency_contact",
    "may_receive_information",
    "is_health_care_proxy",
    "note",
)


# What a related person may do for the patient. The front desk (PATIENT_REGISTRATION_ROLES) records who the
# person is and how to reach them; naming a health care proxy (a legal designation, checked against the
# proxy's document) and recording that the patient lets us discuss their care with the person (45 CFR
# 164.510(b)) stay with the roles that change patient records (PATIENT_WRITE_ROLES), in either direction.
RELATED_PERMISSION_FIELDS = ("is_health_care_proxy", "may_receive_information")
PERMISSION_REFUSALS = {
    "is_health_care_proxy": (
        "Only the care team can record a health care proxy (they check the proxy document). "
        "Save the contact without it and ask the care team to mark the proxy."
    ),
    "may_receive_information": (
        "Only the care team can record whether the patient allows us to share information with this person. "
        "Save the contact without it and ask the care team."
    ),
}


def _clean_related(person: RelatedPerson) -> None:
    try:
        person.phone = normalize_phone(person.phone)
    except PhoneError as exc:
        raise ValidationError(str(exc), field="phone") from exc
    if not (person.phone or person.email or person.address):
        raise ValidationError("Give at least one way to reach this person (phone, email or address).", field="phone")
    _full_clean(person, exclude=["organization", "patient"])


# A shared patient's registration (demographics, identifiers, the family and contacts list) stays with the home
# organization: it registered the patient, its systems (an ADT feed) keep the record, and it answers for it. A
# partner the patient is shared with reads it and asks the home organization to correct it; what the partner adds
# of its own (its staff and practitioners on the care team, the problems it records) it changes itself.
# docs/security.md, "A shared patient's records".
def registration_refusal(actor: Actor, organization_id: int) -> str | None:
    """Why this actor may not change registration data held by `organization_id` (the home one), or None."""
    if organization_id == actor.organization.pk:
        return None
    holder = Organization.objects.filter(pk=organization_id).values_list("name", flat=True).first()
    return f"{holder} keeps this patient's registration and family list: ask them to change it."


def _require_registration_holder(actor: Actor, patient: Patient) -> None:
    refusal = registration_refusal(actor, patient.organization_id)
    if refusal:
        raise PermissionDeniedError(refusal)


def _own_staff(actor: Actor, user_ids: Iterable[int]) -> set[int]:
    """Which of these users are active members of the actor's organization (one query)."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return set()
    members = Membership.objects.filter(organization=actor.organization, active=True, user_id__in=ids)
    return set(members.values_list("user_id", flat=True))


def care_team_end_refusals(actor: Actor, patient: Patient, members: Iterable[CareTeamMember]) -> dict[int, str]:
    """
    The members this actor may not end, with why. The home organization ends anyone; a partner ends only its own
    people: its staff and the practitioners of its directory.
    """
    members = list(members)
    if patient.organization_id == actor.organization.pk:
        return {}
    staff = _own_staff(actor, (m.user_id for m in members))
    why = f"{patient.organization.name} manages this member of the care team; you end your own organization's."
    return {
        m.pk: why
        for m in members
        if not (m.user_id in staff or (m.practitioner_id and m.practitioner.organization_id == actor.organization.pk))
    }


def condition_change_refusals(actor: Actor, patient: Patient, conditions: Iterable[Condition]) -> dict[int, str]:
    """
    The problems this actor may not change, with why. The home organization changes any; a partner changes the
    problems its own staff recorded and asks the home organization about the others.
    """
    conditions = list(conditions)
    if patient.organization_id == actor.organization.pk:
        return {}
    staff = _own_staff(actor, (c.recorded_by_id for c in conditions))
    why = f"{patient.organization.name} recorded this problem: ask them to change it."
    return {c.pk: why for c in conditions if c.recorded_by_id not in staff}


def _require_permission_change_allowed(actor: Actor, data: dict, current: RelatedPerson | None = None) -> None:
    """Refuses a registrar's change of a permission flag (sending the flag unchanged is fine)."""
    if actor.can_edit_patients:
        return
    for name in RELATED_PERMISSION_FIELDS:
        if name in data and bool(data[name]) != bool(getattr(current, name, False)):
            raise PermissionDeniedError(PERMISSION_REFUSALS[name], field=name)


def related_person_removal_refusal(actor: Actor, person: RelatedPerson, *, on_care_team: bool) -> str | None:
    """
    Why this actor may not remove the person, or None. A registrar removes plain contacts only: not a proxy,
    not someone the patient lets us share information with, not a care-team member (removal ends it). Only the
    home organization removes anyone (`registration_refusal`).
    """
    refusal = registration_refusal(actor, person.organization_id)
    if refusal:
        return refusal
    if actor.can_edit_patients:
        return None
    if person.is_health_care_proxy:
        return "Only the care team can remove a health care proxy."
    if person.may_receive_information:
        return "This person may receive information about the patient; only the care team can remove them."
    if on_care_team:
        return "This person is on the care team; only the care team can remove them."
    return None


def _open_care_team_memberships(person: RelatedPerson):
    return CareTeamMember.objects.filter(related_person=person, end_date__isnull=True)


@transaction.atomic
def related_person_add(*, actor: Actor, patient: Patient, data: dict) -> RelatedPerson:
    """
    Adds a family member, caregiver or emergency contact, with what they may do for the patient. Registration
    data: the front desk may add one, without the permission flags (RELATED_PERMISSION_FIELDS).
    """
    require_patient_registrar(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _require_registration_holder(actor, patient)
    _require_permission_change_allowed(actor, data)
    person = RelatedPerson(
        organization=patient.organization, patient=patient, **{k: v for k, v in data.items() if k in RELATED_FIELDS}
    )
    _clean_related(person)
    person.save()
    _audit(actor, "related_person.create", AuditAction.CREATE, person, patient)
    return person


@transaction.atomic
def related_person_update(*, actor: Actor, person: RelatedPerson, data: dict, expected_version: int) -> RelatedPerson:
    """Changes the fields given; the front desk may change all but the permission flags."""
    require_patient_registrar(actor)
    _require_registration_holder(actor, patient_get(actor, person.patient.public_id, audit_event=None))
    _require_permission_change_allowed(actor, data, person)
    changed = sorted(k for k, v in data.items() if k in RELATED_FIELDS and getattr(person, k) != v)
    for name in changed:
        setattr(person, name, data[name])
    _clean_related(person)
    save_versioned(person, expected_version=expected_version, fields=list(RELATED_FIELDS))
    _audit(actor, "related_person.update", AuditAction.UPDATE, person, person.patient, fields=changed)
    return person


@transaction.atomic
def related_person_deactivate(
    *, actor: Actor, person: RelatedPerson, expected_version: int | None = None
) -> RelatedPerson:
    """Takes the person off the family list and ends their open care-team memberships."""
    require_patient_registrar(actor)
    patient_get(actor, person.patient.public_id, audit_event=None)
    memberships = _open_care_team_memberships(person)
    refusal = related_person_removal_refusal(actor, person, on_care_team=memberships.exists())
    if refusal:
        raise PermissionDeniedError(refusal)
    person.active = False
    version = person.version if expected_version is None else expected_version
    save_versioned(person, expected_version=version, fields=["active"])
    memberships.update(end_date=clock.today_in(person.patient.organization.tz))
    _audit(actor, "related_person.deactivate", AuditAction.UPDATE, person, person.patient)
    return person


@transaction.atomic
def care_team_member_add(
    *,
    actor: Actor,
    patient: Patient,
    role: str,
    start_date: dt.date,
    user: User | None = None,
    practitioner: Practitioner | None = None,
    related_person: RelatedPerson | None = None,
    end_date: dt.date | None = None,
    note: str = "",
) -> CareTeamMember:
    """Adds a staff member, a directory practitioner (possibly of another organization) or a family member."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    if sum(member is not None for member in (user, practitioner, related_person)) != 1:
        raise ValidationError("Choose exactly one member: a staff member, a practitioner or a family member.")
    if (
        user is not None
        and not user.memberships.filter(
            organization__in=[actor.organization, patient.organization], active=True
        ).exists()
    ):
        raise ValidationError("That staff member is not in your organization.", field="user")
    allowed_orgs = (actor.organization.pk, patient.organization_id)
    if practitioner is not None and practitioner.organization_id not in allowed_orgs:
        raise NotFoundError("That practitioner is not in your directory.")
    if related_person is not None and related_person.patient_id != patient.pk:
        raise NotFoundError("That family member belongs to another patient.")
    if end_date and end_date < start_date:
        raise ValidationError("The end date is before the start date.", field="end_date")
    # Any overlap with an existing period of the same person in the same role, including one that ends later.
    duplicate = CareTeamMember.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date),
        patient=patient,
        role=role,
        user=user,
        practitioner=practitioner,
        related_person=related_person,
    )
    if end_date is not None:
        duplicate = duplicate.filter(start_date__lte=end_date)
    if duplicate.exists():
        raise ConflictError("This person already has this role on the care team.")
    member = CareTeamMember(
        organization=patient.organization,
        patient=patient,
        role=role,
        user=user,
        practitioner=practitioner,
        related_person=related_person,
        start_date=start_date,
        end_date=end_date,
        note=note.strip(),
    )
    _full_clean(member, exclude=["organization", "patient", "user", "practitioner", "related_person"])
    member.save()
    _audit(actor, "care_team.add", AuditAction.CREATE, member, patient, role=role)
    return member


@transaction.atomic
def care_team_member_end(*, actor: Actor, member: CareTeamMember, end_date: dt.date) -> CareTeamMember:
    require_patient_editor(actor)
    patient = patient_get(actor, member.patient.public_id, audit_event=None)
    refusal = care_team_end_refusals(actor, patient, [member]).get(member.pk)
    if refusal:
        raise PermissionDeniedError(refusal)
    if end_date < member.start_date:
        raise ValidationError("The end date is before the start date.", field="end_date")
    member.end_date = end_date
    save_versioned(member, expected_version=member.version, fields=["end_date"])
    _audit(actor, "care_team.end", AuditAction.UPDATE, member, member.patient)
    return member


CONDITION_FIELDS = (
    "code_system",
    "code",
    "display",
    "category",
    "clinical_status",
    "verification_status",
    "onset_date",
    "abatement_date",
    "note",
)


@transaction.atomic
def condition_add(*, actor: Actor, patient: Patient, data: dict) -> Condition:
    """Adds a coded problem to the problem list (ICD-10-CM or SNOMED CT, checked for format)."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    condition = Condition(
        organization=patient.organization,
        patient=patient,
        recorded_by=actor.user,
        **{k: v for k, v in data.items() if k in CONDITION_FIELDS},
    )
    _clean_condition(condition, patient)
    condition.save()
    _audit(actor, "condition.create", AuditAction.CREATE, condition, patient, code=condition.code)
    return condition


@transaction.atomic
def condition_update(*, actor: Actor, condition: Condition, data: dict, expected_version: int) -> Condition:
    require_patient_editor(actor)
    patient = patient_get(actor, condition.patient.public_id, audit_event=None)
    refusal = condition_change_refusals(actor, patient, [condition]).get(condition.pk)
    if refusal:
        raise PermissionDeniedError(refusal)
    data = {k: v for k, v in data.items() if k in CONDITION_FIELDS}
    if data.get("clinical_status") in ENDED_CONDITION_STATUSES and not (
        data.get("abatement_date") or condition.abatement_date
    ):
        data["abatement_date"] = clock.today_in(patient.organization.tz)  # when it was seen to have ended
    elif "clinical_status" in data and data["clinical_status"] not in ENDED_CONDITION_STATUSES:
        data.setdefault("abatement_date", None)  # active again: no abatement (con-4)
    for name, value in data.items():
        setattr(condition, name, value)
    _clean_condition(condition, patient)
    save_versioned(condition, expected_version=expected_version, fields=list(data))
    _audit(actor, "condition.update", AuditAction.UPDATE, condition, patient, fields=sorted(data))
    return condition


def _clean_condition(condition: Condition, patient: Patient) -> None:
    try:
        condition.code = validate_condition_code(condition.code_system, condition.code)
    except ValueError as exc:
        raise ValidationError(str(exc), field="code") from exc
    today = clock.today_in(patient.organization.tz)
    if condition.onset_date and condition.onset_date > today:
        raise ValidationError("The onset date cannot be in the future.", field="onset_date")
    if condition.onset_date and condition.onset_date < patient.birth_date:
        raise ValidationError("The onset date is before the patient was born.", field="onset_date")
    if condition.abatement_date and condition.onset_date and condition.abatement_date < condition.onset_date:
        raise ValidationError("The resolved date is before the onset date.", field="abatement_date")
    _full_clean(condition, exclude=["organization", "patient", "recorded_by"])


def _require_home_organization(actor: Actor, patient: Patient) -> None:
    if patient.organization_id != actor.organization.pk:
        raise PermissionDeniedError("Only the patient's home organization can record consents and shares.")


@transaction.atomic
def consent_record(
    *,
    actor: Actor,
    patient: Patient,
    grantee: Organization | None,
    signed_on: dt.date,
    signed_by: str,
    method: str,
    expires_on: dt.date | None = None,
    scope: str = ConsentScope.PATIENT_PRIVACY,
) -> Consent:
    """Records a patient's consent, e.g. to share their record with a coordination organization."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _require_home_organization(actor, patient)
    if signed_on > clock.today_in(actor.organization.tz):
        raise ValidationError("The consent date cannot be in the future.", field="signed_on")
    if expires_on and expires_on <= signed_on:
        raise ValidationError("The consent must expire after the day it was signed.", field="expires_on")
    if grantee is not None and grantee.pk == patient.organization_id:
        raise ValidationError("Choose another organization to share with.", field="grantee")
    consent = Consent(
        organization=patient.organization,
        patient=patient,
        scope=scope,
        status=ConsentStatus.ACTIVE,
        grantee=grantee,
        signed_on=signed_on,
        expires_on=expires_on,
        signed_by=signed_by.strip(),
        method=method.strip(),
        recorded_by=actor.user,
    )
    _full_clean(consent, exclude=["organization", "patient", "recorded_by", "grantee"])
    consent.save()
    _audit(
        actor,
        "consent.create",
        AuditAction.CREATE,
        consent,
        patient,
        grantee=str(grantee.public_id) if grantee else None,
    )
    return consent


@transaction.atomic
def share_grant(*, actor: Actor, patient: Patient, consent: Consent) -> PatientShare:
    """Shares the patient with the organization named in an active privacy consent."""
    require_patient_editor(actor)
    patient = patient_get(actor, patient.public_id, audit_event=None)
    _require_home_organization(actor, patient)
    if consent.patient_id != patient.pk:
        raise NotFoundError("That consent belongs to another patient.")
    # The stored consent decides (it may have been withdrawn since the caller read it), locked until commit.
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.status != ConsentStatus.ACTIVE or consent.scope != ConsentScope.PATIENT_PRIVACY:
        raise ValidationError("Sharing needs an active privacy consent.", field="consent")
    if consent.grantee is None:
        raise ValidationError("This consent does not name an organization to share with.", field="consent")
    if consent.expires_on and consent.expires_on < clock.today_in(actor.organization.tz):
        raise ValidationError("This consent has expired.", field="consent")
    if PatientShare.objects.filter(patient=patient, organization=consent.grantee, revoked_at__isnull=True).exists():
        raise ConflictError(f"The patient is already shared with {consent.grantee.name}.")
    try:
        with transaction.atomic():
            share = PatientShare.objects.create(
                patient=patient, organization=consent.grantee, consent=consent, granted_by=actor.user
            )
    except IntegrityError as exc:  # a concurrent share with the same organization won the race
        raise ConflictError(f"The patient is already shared with {consent.grantee.name}.") from exc
    _audit(actor, "share.grant", AuditAction.CREATE, share, patient, grantee=str(consent.grantee.public_id))
    return share


@transaction.atomic
def share_revoke(*, actor: Actor, share: PatientShare, withdraw_consent: bool = True) -> PatientShare:
    """Ends a share at once; by default the consent behind it is marked inactive too."""
    require_patient_editor(actor)
    patient = patient_get(actor, share.patient.public_id, audit_event=None)
    _require_home_organization(actor, patient)
    if share.revoked_at is not None:
        raise ConflictError("This share was already revoked.")
    share.revoked_at = clock.now()
    share.revoked_by = actor.user
    save_versioned(share, expected_version=share.version, fields=["revoked_at", "revoked_by"])
    if withdraw_consent:
        Consent.objects.filter(pk=share.consent_id).update(status=ConsentStatus.INACTIVE)
    _audit(actor, "share.revoke", AuditAction.UPDATE, share, patient, grantee=str(share.organization.public_id))
    return share


@transaction.atomic
def patient_share_with_consent(
    *,
    actor: Actor,
    patient: Patient,
    grantee: Organization,
    signed_on: dt.date,
    signed_by: str,
    method: str,
    expires_on: dt.date | None = None,
) -> PatientShare:
    """Records the patient's consent to share with `grantee` and shares the record, both or neither."""
    consent = consent_record(
        actor=actor,
        patient=patient,
        grantee=grantee,
        signed_on=signed_on,
        signed_by=signed_by,
        method=method,
        expires_on=expires_on,
    )
    return share_grant(actor=actor, patient=patient, consent=consent)
