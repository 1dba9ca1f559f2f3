"""JSON endpoints of the patient registry: search and read, through the same selectors as the pages."""

import datetime as dt
import uuid

from ninja import Field, Query, Router, Schema

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction

from .selectors import patient_get, patient_search

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


@router.get("/{patient_id}", response=PatientOut)
def get_patient(request, patient_id: uuid.UUID):
    return patient_get(request.auth, patient_id)
