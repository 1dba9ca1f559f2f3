"""
Writes on the directory: practitioners, external organizations and locations. Each takes the acting user,
checks that their role may change the directory, validates (raising ValidationError naming the field),
runs in one transaction and leaves an audit entry. Updates carry the version the editor started from.

`data` holds the entry's fields by name; an update changes only the fields it names.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ConflictError, NotFoundError, ValidationError
from carecoord.core.models import BaseModel
from carecoord.core.versioning import save_versioned
from carecoord.patients.domain import PhoneError, normalize_phone

from .access import require_directory_editor
from .domain import normalize_hours, normalize_languages, normalize_npi, normalize_state, normalize_zip
from .models import ExternalOrganization, Location, Practitioner
from .taxonomy import resolve_specialty

T = TypeVar("T", bound=BaseModel)

PRACTITIONER_FIELDS = (
    "npi", "prefix", "given_name", "family_name", "suffix", "specialty_code", "specialty_display",
    "languages", "accepting_new_patients", "phone", "email", "external_organization",
)  # fmt: skip
EXTERNAL_ORGANIZATION_FIELDS = (
    "name", "kind", "npi", "phone", "fax", "email", "website", "address_line", "city", "state",
    "postal_code", "active",
)  # fmt: skip
LOCATION_FIELDS = (
    "external_organization", "name", "address_line", "city", "state", "postal_code", "phone", "hours", "active",
)  # fmt: skip


# --- shared steps ---------------------------------------------------------------------------------------


def _assign(instance: T, data: Mapping[str, Any], allowed: tuple[str, ...]) -> T:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no editable field {', '.join(unknown)}")
    for name, value in data.items():
        setattr(instance, name, value)
    return instance


def _text(instance: BaseModel, *names: str) -> None:
    for name in names:
        setattr(instance, name, " ".join(str(getattr(instance, name) or "").split()))


def _phones(instance: BaseModel, *names: str) -> None:
    for name in names:
        try:
            setattr(instance, name, normalize_phone(getattr(instance, name)))
        except PhoneError as exc:
            raise ValidationError(str(exc), field=name) from exc


def _required(instance: BaseModel, **messages: str) -> None:
    for name, message in messages.items():
        if not getattr(instance, name):
            raise ValidationError(message, field=name)


def _full_clean(instance: BaseModel, exclude: list[str]) -> None:
    """Runs the model's own field checks (lengths, choices, email, URL) and names the first bad field."""
    try:
        instance.full_clean(exclude=["organization", *exclude], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field, errors = next(iter(exc.message_dict.items()))
        raise ValidationError(errors[0], field=None if field == "__all__" else field) from exc


def _own(actor: Actor, model: type[T], instance: T) -> T:
    """Re-reads `instance` within the actor's organization, locked for the rest of the transaction."""
    fresh = model.objects.select_for_update().filter(pk=instance.pk, organization=actor.organization).first()
    if fresh is None:
        raise NotFoundError()
    return fresh


def _check_external_organization(actor: Actor, instance: Practitioner | Location) -> None:
    chosen = instance.external_organization
    if chosen is not None and chosen.organization_id != actor.organization.pk:
        raise ValidationError("That organization is not in your directory.", field="external_organization")


def _changed(before: Mapping[str, Any], instance: BaseModel) -> list[str]:
    return [name for name, value in before.items() if getattr(instance, name) != value]


def _snapshot(instance: BaseModel, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _save_new(instance: BaseModel, conflict: ConflictError) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise conflict from exc


def _save_edit(instance: BaseModel, expected_version: int, fields: tuple[str, ...], conflict: ConflictError):
    try:
        with transaction.atomic():
            save_versioned(instance, expected_version=expected_version, fields=list(fields))
    except IntegrityError as exc:
        raise conflict from exc


# --- practitioners --------------------------------------------------------------------------------------


def _clean_practitioner(actor: Actor, practitioner: Practitioner) -> None:
    _text(practitioner, "prefix", "given_name", "family_name", "suffix")
    _required(
        practitioner,
        given_name="Enter the practitioner's given (first) name.",
        family_name="Enter the practitioner's family (last) name.",
    )
    practitioner.npi = normalize_npi(practitioner.npi)
    practitioner.specialty_code, practitioner.specialty_display = resolve_specialty(
        practitioner.specialty_code, practitioner.specialty_display
    )
    practitioner.languages = normalize_languages(practitioner.languages)
    practitioner.accepting_new_patients = bool(practitioner.accepting_new_patients)
    _phones(practitioner, "phone")
    practitioner.email = (practitioner.email or "").strip().lower()
    _check_external_organization(actor, practitioner)
    _full_clean(practitioner, exclude=["external_organization"])


def _npi_conflict(practitioner: Practitioner) -> ConflictError:
    return ConflictError(f"NPI {practitioner.npi} is already in your directory.", field="npi")


def _check_npi_unique(practitioner: Practitioner) -> None:
    if not practitioner.npi:
        return
    holder = (
        Practitioner.objects.filter(organization_id=practitioner.organization_id, npi=practitioner.npi)
        .exclude(pk=practitioner.pk)
        .first()
    )
    if holder is not None:
        raise ConflictError(
            f"NPI {practitioner.npi} already belongs to {holder.display_name} in your directory.", field="npi"
        )


@transaction.atomic
def practitioner_create(*, actor: Actor, data: Mapping[str, Any]) -> Practitioner:
    """Adds a practitioner to the actor's directory; an NPI may appear once per organization."""
    require_directory_editor(actor)
    practitioner = _assign(Practitioner(organization=actor.organization), data, PRACTITIONER_FIELDS)
    _clean_practitioner(actor, practitioner)
    _check_npi_unique(practitioner)
    _save_new(practitioner, _npi_conflict(practitioner))
    audit_record(actor=actor, event="practitioner.create", action=AuditAction.CREATE, target=practitioner)
    return practitioner


@transaction.atomic
def practitioner_update(
    *, actor: Actor, practitioner: Practitioner, data: Mapping[str, Any], expected_version: int
) -> Practitioner:
    """Saves an edit only if nobody saved the practitioner since `expected_version` was read."""
    require_directory_editor(actor)
    practitioner = _own(actor, Practitioner, practitioner)
    before = _snapshot(practitioner, PRACTITIONER_FIELDS)
    _assign(practitioner, data, PRACTITIONER_FIELDS)
    _clean_practitioner(actor, practitioner)
    _check_npi_unique(practitioner)
    _save_edit(practitioner, expected_version, PRACTITIONER_FIELDS, _npi_conflict(practitioner))
    audit_record(
        actor=actor, event="practitioner.update", action=AuditAction.UPDATE, target=practitioner,
        detail={"changed": _changed(before, practitioner)},
    )  # fmt: skip
    return practitioner


def _practitioner_set_active(actor: Actor, practitioner: Practitioner, *, active: bool) -> Practitioner:
    require_directory_editor(actor)
    practitioner = _own(actor, Practitioner, practitioner)
    if practitioner.active == active:
        return practitioner  # a repeated click changes nothing and records nothing
    practitioner.active = active
    save_versioned(practitioner, expected_version=practitioner.version, fields=["active"])
    event = "practitioner.reactivate" if active else "practitioner.deactivate"
    audit_record(actor=actor, event=event, action=AuditAction.UPDATE, target=practitioner)
    return practitioner


@transaction.atomic
def practitioner_deactivate(*, actor: Actor, practitioner: Practitioner) -> Practitioner:
    """Takes the practitioner out of searches and pickers; care teams that name them keep them."""
    return _practitioner_set_active(actor, practitioner, active=False)


@transaction.atomic
def practitioner_reactivate(*, actor: Actor, practitioner: Practitioner) -> Practitioner:
    return _practitioner_set_active(actor, practitioner, active=True)


# --- external organizations -----------------------------------------------------------------------------


def _clean_external_organization(organization: ExternalOrganization) -> None:
    _text(organization, "name", "address_line", "city")
    _required(organization, name="Enter the organization's name.", kind="Choose what kind of organization it is.")
    organization.npi = normalize_npi(organization.npi)
    _phones(organization, "phone", "fax")
    organization.email = (organization.email or "").strip().lower()
    organization.website = (organization.website or "").strip()
    organization.state = normalize_state(organization.state, required=False)
    organization.postal_code = normalize_zip(organization.postal_code, required=False)
    organization.active = bool(organization.active)
    _full_clean(organization, exclude=[])


@transaction.atomic
def external_organization_create(*, actor: Actor, data: Mapping[str, Any]) -> ExternalOrganization:
    """Adds an organization the team works with (hospital, practice, pharmacy, payer...) to the directory."""
    require_directory_editor(actor)
    organization = _assign(ExternalOrganization(organization=actor.organization), data, EXTERNAL_ORGANIZATION_FIELDS)
    _clean_external_organization(organization)
    organization.save()
    audit_record(actor=actor, event="external_organization.create", action=AuditAction.CREATE, target=organization)
    return organization


@transaction.atomic
def external_organization_update(
    *, actor: Actor, organization: ExternalOrganization, data: Mapping[str, Any], expected_version: int
) -> ExternalOrganization:
    """Saves an edit only if nobody saved the organization since `expected_version` was read."""
    require_directory_editor(actor)
    organization = _own(actor, ExternalOrganization, organization)
    before = _snapshot(organization, EXTERNAL_ORGANIZATION_FIELDS)
    _assign(organization, data, EXTERNAL_ORGANIZATION_FIELDS)
    _clean_external_organization(organization)
    save_versioned(organization, expected_version=expected_version, fields=list(EXTERNAL_ORGANIZATION_FIELDS))
    audit_record(
        actor=actor, event="external_organization.update", action=AuditAction.UPDATE, target=organization,
        detail={"changed": _changed(before, organization)},
    )  # fmt: skip
    return organization


# --- locations ------------------------------------------------------------------------------------------


def _clean_location(actor: Actor, location: Location) -> None:
    _text(location, "name", "address_line", "city")
    _required(
        location,
        name="Enter the location's name.",
        address_line="Enter the street address.",
        city="Enter the city.",
    )
    location.state = normalize_state(location.state, required=True)
    location.postal_code = normalize_zip(location.postal_code, required=True)
    _phones(location, "phone")
    location.hours = normalize_hours(location.hours)
    location.active = bool(location.active)
    _check_external_organization(actor, location)
    _full_clean(location, exclude=["external_organization"])


@transaction.atomic
def location_create(*, actor: Actor, data: Mapping[str, Any]) -> Location:
    """Adds a place care happens (the organization's own site or an external organization's)."""
    require_directory_editor(actor)
    location = _assign(Location(organization=actor.organization), data, LOCATION_FIELDS)
    _clean_location(actor, location)
    location.save()
    audit_record(actor=actor, event="location.create", action=AuditAction.CREATE, target=location)
    return location


@transaction.atomic
def location_update(*, actor: Actor, location: Location, data: Mapping[str, Any], expected_version: int) -> Location:
    """Saves an edit only if nobody saved the location since `expected_version` was read."""
    require_directory_editor(actor)
    location = _own(actor, Location, location)
    before = _snapshot(location, LOCATION_FIELDS)
    _assign(location, data, LOCATION_FIELDS)
    _clean_location(actor, location)
    save_versioned(location, expected_version=expected_version, fields=list(LOCATION_FIELDS))
    audit_record(
        actor=actor, event="location.update", action=AuditAction.UPDATE, target=location,
        detail={"changed": _changed(before, location)},
    )  # fmt: skip
    return location
