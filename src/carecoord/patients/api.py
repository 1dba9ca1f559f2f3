"""
JSON endpoints of the patient registry: search and read through the same selectors as the pages, and
registration and the demographics/contact edit through the same form and services as the pages
(patients.forms.PatientForm validates, patients.services acts, audits and checks the role), and a patient's
family members, caregivers and proxies (/patients/{id}/related-persons, patients.forms.RelatedPersonForm):
registration data, so the front desk too, except the permission flags (services.RELATED_PERMISSION_FIELDS).

Bodies are read leniently (every field optional, text as strings) and judged by the form, so one refusal
names every bad field (400, "errors"). Registration stops at a likely duplicate (409 with the candidates)
unless the caller sends `confirm_not_duplicate: true`, as the page does. An edit names the version it started
from; a stale one answers 412 and saves nothing.
"""

import datetime as dt
import uuid

from django.forms.models import model_to_dict
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from carecoord.core.access import require_patient_registrar
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import InvalidStateError, ValidationError

from . import services
from .forms import PatientForm, RelatedPersonForm
from .selectors import patient_get, patient_search, related_person_get, related_persons_for

router = Router(tags=["patients"])


class PatientOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
    birth_date: dt.date
    gender: str
    phone_primary: str
    preferred_language: str
    interpreter_needed: bool
    organization: str = Field(alias="organization.slug")
    version: int


class SearchQuery(Schema):
    q: str = Field("", max_length=100)
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(25, ge=1, le=100)


class SearchOut(Schema):
    results: list[PatientOut]
    next_offset: int | None


class PatientFields(Schema):
    """The registration form's fields (services.PATIENT_FIELDS); lengths as stored, dates as YYYY-MM-DD."""

    mrn: str | None = Field(None, max_length=40)
    given_name: str | None = Field(None, max_length=100)
    middle_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    birth_date: str | None = Field(None, max_length=40, description="YYYY-MM-DD.")
    gender: str | None = Field(None, max_length=20, description="male, female, other or unknown.")
    sex_at_birth: str | None = Field(None, max_length=20)
    gender_identity: str | None = Field(None, max_length=40)
    pronouns: str | None = Field(None, max_length=40)
    phone_primary: str | None = Field(None, max_length=40, description="Any format, e.g. (312) 555-0100.")
    phone_primary_kind: str | None = Field(None, max_length=20)
    phone_secondary: str | None = Field(None, max_length=40)
    phone_secondary_kind: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=20)
    postal_code: str | None = Field(None, max_length=20)
    preferred_language: str | None = Field(None, max_length=20)
    interpreter_needed: bool | None = None
    preferred_contact_method: str | None = Field(None, max_length=20)
    best_time_to_contact: str | None = Field(None, max_length=100)
    consent_sms: bool | None = None
    consent_email: bool | None = None
    chart_alert: str | None = Field(None, max_length=200)


class RegisterIn(PatientFields):
    confirm_not_duplicate: bool = Field(
        False, description="Register even though likely duplicates were found (after checking them)."
    )


class UpdateIn(PatientFields):
    version: int | None = Field(None, description="The version of the patient the edit started from.")


class Candidate(Schema):
    id: uuid.UUID
    name: str
    birth_date: dt.date
    mrn: str


class ConflictOut(Schema):
    code: str
    message: str
    field: str | None = None
    errors: list[dict] | None = None
    candidates: list[Candidate] | None = Field(
        None, description="A likely duplicate (code possible-duplicate): the patients who may be the same person."
    )


def _given(body: PatientFields) -> dict:
    """The fields the caller sent; a null counts as not sent."""
    sent = body.dict(exclude={"confirm_not_duplicate", "version"})
    return {name: value for name, value in sent.items() if value is not None}


def _valid(form: PatientForm) -> dict:
    if not form.is_valid():
        raise ValidationError.of({None if f == "__all__" else f: list(m) for f, m in form.errors.items()})
    return form.patient_data()


@router.get("", response=SearchOut, summary="Search patients by name, date of birth, MRN or phone")
def search_patients(request, query: Query[SearchQuery]):
    actor = request.auth
    rows = list(patient_search(actor, query.q)[query.offset : query.offset + query.limit + 1])
    audit_record(
        actor=actor,
        event="patient.search",
        action=AuditAction.READ,
        detail={"query": query.q, "offset": query.offset, "shown": min(len(rows), query.limit), "api": True},
    )
    more = len(rows) > query.limit
    return {"results": rows[: query.limit], "next_offset": query.offset + query.limit if more else None}


@router.post("", response={201: PatientOut, 409: ConflictOut}, summary="Register a patient")
def register_patient(request, body: RegisterIn):
    actor = request.auth
    require_patient_registrar(actor)
    blank = PatientForm(organization=actor.organization)
    defaults = {name: blank.get_initial_for_field(field, name) for name, field in blank.fields.items()}
    defaults = {name: value for name, value in defaults.items() if value is not None}
    form = PatientForm({**defaults, **_given(body)}, organization=actor.organization)
    try:
        patient = services.patient_register(
            actor=actor, data=_valid(form), allow_possible_duplicate=body.confirm_not_duplicate
        )
    except services.PossibleDuplicateError as exc:
        candidates = [
            {"id": p.public_id, "name": p.display_name, "birth_date": p.birth_date, "mrn": p.mrn}
            for p in exc.candidates
        ]
        return Status(409, {"code": exc.code, "message": exc.message, "candidates": candidates})
    return Status(201, patient)


@router.get("/{patient_id}", response=PatientOut)
def get_patient(request, patient_id: uuid.UUID):
    return patient_get(request.auth, patient_id)


@router.patch("/{patient_id}", response=PatientOut, summary="Change a patient's demographics and contact details")
def update_patient(request, patient_id: uuid.UUID, body: UpdateIn):
    actor = request.auth
    patient = patient_get(actor, patient_id, audit_event=None)
    require_patient_registrar(actor)
    if body.version is None:
        raise ValidationError("Give the version of the patient you started from.", field="version")
    current = model_to_dict(patient, fields=services.PATIENT_FIELDS)
    form = PatientForm({**current, **_given(body)}, instance=patient)
    return services.patient_update(actor=actor, patient=patient, data=_valid(form), expected_version=body.version)


# Family members, caregivers and proxies ----------------------------------------------------------------------


class RelatedPersonOut(Schema):
    id: uuid.UUID = Field(alias="public_id")
    given_name: str
    family_name: str
    relationship: str = Field(description="HL7 v3 RoleCode: SPS, MTH, DAUC, SONC, GUARD, CAREGIVER, FRND, O...")
    relationship_display: str = Field(alias="get_relationship_display")
    phone: str
    email: str
    address: str
    preferred_language: str
    is_emergency_contact: bool
    may_receive_information: bool = Field(description="The patient allows us to discuss their care with them.")
    is_health_care_proxy: bool
    note: str
    active: bool
    version: int


class RelatedPersonList(Schema):
    results: list[RelatedPersonOut]


class RelatedPersonQuery(Schema):
    include_inactive: bool = Field(False, description="Also the people removed from the family list.")


class RelatedPersonFields(Schema):
    """The chart's family form (services.RELATED_FIELDS). The front desk may not set the permission flags."""

    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    relationship: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=40, description="Any format, e.g. (312) 555-0100.")
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=300)
    preferred_language: str | None = Field(None, max_length=20)
    is_emergency_contact: bool | None = None
    may_receive_information: bool | None = Field(None, description="Not the front desk's to change (403).")
    is_health_care_proxy: bool | None = Field(None, description="Not the front desk's to change (403).")
    note: str | None = Field(None, max_length=300)


class RelatedPersonUpdateIn(RelatedPersonFields):
    version: int | None = Field(None, description="The version of the person the change started from.")
    active: bool | None = Field(None, description="false removes the person from the family list (send it alone).")


def _related_data(form: RelatedPersonForm) -> dict:
    if not form.is_valid():
        raise ValidationError.of({None if f == "__all__" else f: list(m) for f, m in form.errors.items()})
    return form.data_for_service()


@router.get(
    "/{patient_id}/related-persons",
    response=RelatedPersonList,
    summary="A patient's family members, caregivers and proxies (proxies first)",
)
def list_related_persons(request, patient_id: uuid.UUID, query: Query[RelatedPersonQuery]):
    _patient, people = related_persons_for(request.auth, patient_id, include_inactive=query.include_inactive)
    return {"results": people}


@router.post(
    "/{patient_id}/related-persons",
    response={201: RelatedPersonOut},
    summary="Add a family member, caregiver, emergency contact or proxy",
)
def add_related_person(request, patient_id: uuid.UUID, body: RelatedPersonFields):
    actor = request.auth
    patient = patient_get(actor, patient_id, audit_event=None)
    require_patient_registrar(actor)
    blank = RelatedPersonForm()
    defaults = {name: blank.get_initial_for_field(field, name) for name, field in blank.fields.items()}
    defaults = {name: value for name, value in defaults.items() if value is not None}
    form = RelatedPersonForm({**defaults, **_given(body)})
    person = services.related_person_add(actor=actor, patient=patient, data=_related_data(form))
    return Status(201, person)


@router.patch(
    "/{patient_id}/related-persons/{person_id}",
    response=RelatedPersonOut,
    summary="Change a family member's details, or remove them from the family list (active: false)",
)
def update_related_person(request, patient_id: uuid.UUID, person_id: uuid.UUID, body: RelatedPersonUpdateIn):
    actor = request.auth
    patient = patient_get(actor, patient_id, audit_event=None)
    person = related_person_get(actor, patient, person_id)
    require_patient_registrar(actor)
    if body.version is None:
        raise ValidationError("Give the version of the person you started from.", field="version")
    given = {name: value for name, value in _given(body).items() if name != "active"}
    if not person.active:
        raise InvalidStateError("This person was removed from the family list; add them again instead.")
    if body.active is False:
        if given:
            raise ValidationError("Remove a person on its own, without other changes.", field="active")
        return services.related_person_deactivate(actor=actor, person=person, expected_version=body.version)
    current = model_to_dict(person, fields=services.RELATED_FIELDS)
    form = RelatedPersonForm({**current, **given}, instance=person)
    return services.related_person_update(
        actor=actor, person=person, data=_related_data(form), expected_version=body.version
    )
