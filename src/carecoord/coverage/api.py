"""
JSON endpoints of insurance work:
- /api/v1/coverage/prior-auths: the prior authorizations of every patient the caller may see, with the filters
  and order of the page /insurance/prior-auths/ (same selector, same filter form, same audit entry); a filter
  that is not valid answers 400 with every problem in "errors";
- /api/v1/patients/{id}/coverages (list, add at a position) and /api/v1/coverages/{id}/end: a patient's
  insurance, through the Insurance tab's forms and services (registration data: the front desk too). The
  member ID shows only to the roles that may see it (selectors.may_see_member_id); a stale version answers 412;
- /api/v1/coverage/prior-auths/{id}/decision (edit details), .../decision/correct and .../follow-ups: the
  prior authorization page's forms and services (patient-record editors only); a stale version answers 412.
"""

import datetime as dt
import uuid

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from carecoord.core import clock
from carecoord.core.access import require_patient_registrar
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ValidationError
from carecoord.patients.selectors import patient_get

from . import priorauth_services, services
from .choices import MAX_ORDER
from .forms import (
    CoverageEndForm,
    CoverageForm,
    DecisionCorrectForm,
    DecisionDetailsForm,
    FollowUpForm,
    decision_fields,
)
from .priorauth_list_views import audit_list_view, list_filters, with_days_left
from .selectors import (
    APPEAL_FOLLOW_UP_DAYS,
    coverage_get,
    coverages_for_patient,
    may_see_member_id,
    payers_for,
    prior_auth_get,
    prior_auths_visible_to,
)

router = Router(tags=["coverage"])
patient_coverages_router = Router(tags=["coverage"])
coverages_router = Router(tags=["coverage"])

MAX_LIMIT = 200


class Ref(Schema):
    id: uuid.UUID
    name: str


class AppealRef(Schema):
    id: uuid.UUID
    level: int
    level_display: str
    status: str = Field(description="preparing, filed, upheld, overturned, partially_overturned or withdrawn.")
    status_display: str
    filing_deadline: dt.date
    filed_on: dt.date | None
    decision_due: dt.date | None = Field(
        description="The date the payer must decide by, from its acknowledgement letter (null: not recorded)."
    )
    outcome_on: dt.date | None
    follow_up_on: dt.date | None = Field(
        description="A filed appeal: when its decision is expected, `decision_due` when recorded, else an estimate "
        f"({APPEAL_FOLLOW_UP_DAYS} days after filing)."
    )
    follow_up_days_left: int | None = Field(description="Days from today to `follow_up_on` (negative once passed).")


class PriorAuthRow(Schema):
    id: uuid.UUID
    patient: Ref
    service: str
    payer: Ref | None
    status: str
    status_display: str
    reference_number: str
    units_requested: int
    units_approved: int | None
    units_used: int
    start_date: dt.date
    end_date: dt.date
    submitted_on: dt.date | None
    decided_on: dt.date | None
    appeal_by: dt.date | None = Field(
        description="A denial with an appeal still to file (none yet, one being prepared, or the next level "
        "after an upheld one): the last day to file it."
    )
    appeal_days_left: int | None = Field(description="Days from today to `appeal_by` (negative once passed).")
    appeal: AppealRef | None = Field(description="The latest appeal level of this authorization, if any.")
    end_days_left: int | None = Field(description="An approval: days from today to its end date.")
    needed_days_left: int | None = Field(
        description="A draft or a request awaiting a decision: days from today to its start (negative once passed)."
    )
    follow_up_on: dt.date | None = Field(
        None, description="A request awaiting a decision: when to follow up with the payer next (from a follow-up)."
    )
    version: int = Field(description="Send it back with a change (decision details, correction): 412 if stale.")


class PriorAuthList(Schema):
    results: list[PriorAuthRow]
    next_offset: int | None


class PriorAuthQuery(Schema):
    status: str | None = Field(
        None,
        max_length=40,
        description="draft, pending, approved, ending, denied, appeal_due, appeal_pending or expired.",
    )
    payer: str | None = Field(None, max_length=100, description="A payer of your directory, by its id.")
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


def _row(auth) -> dict:
    payer = auth.coverage.payer
    return {
        "id": auth.public_id,
        "patient": {"id": auth.patient.public_id, "name": auth.patient.display_name},
        "service": auth.service,
        "payer": {"id": payer.public_id, "name": payer.name} if payer else None,
        "status": auth.status,
        "status_display": auth.get_status_display(),
        "reference_number": auth.reference_number,
        "units_requested": auth.units_requested,
        "units_approved": auth.units_approved,
        "units_used": auth.units_used,
        "start_date": auth.start_date,
        "end_date": auth.end_date,
        "submitted_on": auth.submitted_on,
        "decided_on": auth.decided_on,
        "appeal_by": auth.appeal_by,
        "appeal_days_left": auth.appeal_days_left,
        "appeal": _appeal(auth),
        "end_days_left": auth.end_days_left,
        "needed_days_left": auth.needed_days_left,
        "follow_up_on": auth.follow_up_on,
        "version": auth.version,
    }


def _appeal(auth) -> dict | None:
    """The latest appeal, from the selector's annotations (no query)."""
    if auth.appeal_status is None:
        return None
    return {
        "id": auth.appeal_public_id,
        "level": auth.appeal_level,
        "level_display": auth.appeal_level_display,
        "status": auth.appeal_status,
        "status_display": auth.appeal_status_display,
        "filing_deadline": auth.appeal_filing_deadline,
        "filed_on": auth.appeal_filed_on,
        "decision_due": auth.appeal_decision_due,
        "outcome_on": auth.appeal_outcome_on,
        "follow_up_on": auth.appeal_follow_up_on,
        "follow_up_days_left": auth.follow_up_days_left,
    }


@router.get("/prior-auths", response=PriorAuthList, summary="Prior authorizations across patients, most urgent first")
def list_prior_auths(request, query: Query[PriorAuthQuery]):
    actor = request.auth
    given = {name: value for name, value in (("status", query.status), ("payer", query.payer)) if value}
    form, filters = list_filters(actor, given or None)
    if form.errors:
        raise ValidationError.of(form.errors)
    today = clock.today_in(actor.organization.tz)
    found = prior_auths_visible_to(actor, today=today, **filters)
    rows = with_days_left(list(found[query.offset : query.offset + query.limit + 1]), today)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    audit_list_view(actor, filters, shown=len(rows), offset=query.offset, api=True)
    return {"results": [_row(auth) for auth in rows], "next_offset": query.offset + query.limit if more else None}


# A patient's coverages -------------------------------------------------------------------------------------


class CoverageOut(Schema):
    id: uuid.UUID
    order: int | None = Field(description="1 primary, 2 secondary...; null once ended.")
    order_name: str
    status: str = Field(description="active, cancelled (ended) or entered-in-error.")
    status_display: str
    product_type: str
    product_type_display: str
    payer: Ref | None
    plan_name: str
    member_id: str | None = Field(description="Null when your role may not see member IDs (see member_id_hidden).")
    member_id_hidden: bool
    group_id: str
    group_name: str
    relationship: str
    subscriber_given_name: str
    subscriber_family_name: str
    subscriber_birth_date: dt.date | None
    start_date: dt.date | None
    end_date: dt.date | None
    note: str
    version: int


class CoverageList(Schema):
    results: list[CoverageOut]


class CoverageQuery(Schema):
    include_ended: bool = True


class CoverageIn(Schema):
    """The Insurance tab's coverage form; dates as YYYY-MM-DD."""

    position: int | None = Field(
        None, ge=1, le=MAX_ORDER, description="1 primary, 2 secondary...; after the others when not given."
    )
    product_type: str | None = Field(None, max_length=40)
    payer: str | None = Field(None, max_length=100, description="A payer of your directory, by its id.")
    plan_name: str | None = Field(None, max_length=200)
    member_id: str | None = Field(None, max_length=80)
    group_id: str | None = Field(None, max_length=80)
    relationship: str | None = Field(None, max_length=20, description="The patient is the subscriber's: self...")
    subscriber_given_name: str | None = Field(None, max_length=100)
    subscriber_family_name: str | None = Field(None, max_length=100)
    subscriber_birth_date: str | None = Field(None, max_length=40)
    start_date: str | None = Field(None, max_length=40)
    end_date: str | None = Field(None, max_length=40)


class CoverageEndIn(Schema):
    end_date: str | None = Field(None, max_length=40, description="YYYY-MM-DD; today when not given.")
    in_error: bool = Field(False, description="Entered in error, rather than ended.")
    version: int | None = Field(None, description="The version of the coverage the change started from.")


def _coverage_out(coverage, *, member_id_shown: bool) -> dict:
    payer = coverage.payer
    hidden = bool(coverage.member_id) and not member_id_shown
    return {
        "id": coverage.public_id,
        "order": coverage.order,
        "order_name": coverage.order_name,
        "status": coverage.status,
        "status_display": coverage.get_status_display(),
        "product_type": coverage.product_type,
        "product_type_display": coverage.get_product_type_display(),
        "payer": {"id": payer.public_id, "name": payer.name} if payer else None,
        **{name: getattr(coverage, name) for name in ("plan_name", "group_id", "group_name", "relationship")},
        "member_id": None if hidden else coverage.member_id,
        "member_id_hidden": hidden,
        "subscriber_given_name": coverage.subscriber_given_name,
        "subscriber_family_name": coverage.subscriber_family_name,
        "subscriber_birth_date": coverage.subscriber_birth_date,
        "start_date": coverage.start_date,
        "end_date": coverage.end_date,
        "note": coverage.note,
        "version": coverage.version,
    }


def _form_errors(form) -> ValidationError:
    return ValidationError.of({None if f == "__all__" else f: list(m) for f, m in form.errors.items()})


@patient_coverages_router.get(
    "/{patient_id}/coverages", response=CoverageList, summary="A patient's coverages, primary first, then ended ones"
)
def list_patient_coverages(request, patient_id: uuid.UUID, query: Query[CoverageQuery]):
    actor = request.auth
    patient = patient_get(actor, patient_id, audit_event=None)
    rows = list(coverages_for_patient(actor, patient, include_ended=query.include_ended))
    audit_record(
        actor=actor,
        event="insurance.view",
        action=AuditAction.READ,
        target=patient,
        patient=patient,
        detail={"api": True, "shown": len(rows)},
    )
    shown = may_see_member_id(actor)
    return {"results": [_coverage_out(row, member_id_shown=shown) for row in rows]}


@patient_coverages_router.post(
    "/{patient_id}/coverages", response={201: CoverageOut}, summary="Add a coverage at a position (others move down)"
)
def add_patient_coverage(request, patient_id: uuid.UUID, body: CoverageIn):
    actor = request.auth
    patient = patient_get(actor, patient_id, audit_event=None)
    require_patient_registrar(actor)
    given = {name: value for name, value in body.dict(exclude={"position"}).items() if value is not None}
    # The form's own position choices are the page's (1, 2, 3, last); the API takes any position up to MAX_ORDER.
    form = CoverageForm({"relationship": "self", **given, "position": "9"}, payers=payers_for(actor))
    if not form.is_valid():
        raise _form_errors(form)
    coverage = services.coverage_add(actor=actor, patient=patient, data=form.service_data(), position=body.position)
    return Status(201, _coverage_out(coverage, member_id_shown=may_see_member_id(actor)))


@coverages_router.post("/{coverage_id}/end", response=CoverageOut, summary="End a coverage (the ones after move up)")
def end_coverage(request, coverage_id: uuid.UUID, body: CoverageEndIn):
    actor = request.auth
    coverage = coverage_get(actor, coverage_id)
    require_patient_registrar(actor)
    form = CoverageEndForm({name: value for name, value in body.dict().items() if value is not None})
    if not form.is_valid():
        raise _form_errors(form)
    ended = services.coverage_end(
        actor=actor,
        coverage=coverage,
        end_date=form.cleaned_data["end_date"],
        in_error=form.cleaned_data["in_error"],
        expected_version=form.cleaned_data["version"],
    )
    return _coverage_out(ended, member_id_shown=may_see_member_id(actor))


# A prior authorization's decision and follow-ups -------------------------------------------------------------


class PriorAuthOut(Schema):
    id: uuid.UUID
    status: str
    status_display: str
    reference_number: str = Field(description="The payer's authorization number (empty: not recorded yet).")
    units_requested: int
    units_approved: int | None
    start_date: dt.date
    end_date: dt.date
    submitted_on: dt.date | None
    decided_on: dt.date | None
    denial_reason: str
    follow_up_on: dt.date | None
    version: int


class DecisionDetailsIn(Schema):
    """What changes; a field not sent keeps its value. Dates as YYYY-MM-DD."""

    reference_number: str | None = Field(None, max_length=80, description="The payer's authorization number.")
    units_approved: int | None = Field(None, ge=1, le=100_000, description="A partial approval's units.")
    start_date: str | None = Field(None, max_length=40)
    end_date: str | None = Field(None, max_length=40)
    denial_reason: str | None = Field(None, max_length=500, description="A denial's reason.")
    note: str | None = Field(None, max_length=500, description="Why, kept in the request's history.")
    version: int = Field(description="The version of the authorization the change started from.")


class DecisionCorrectIn(Schema):
    # Required, but checked by the form after the request is found: another organization's id answers 404.
    status: str | None = Field(
        None, max_length=40, description="Required: submitted, pended, or another decision than the current one."
    )
    reason: str | None = Field(None, max_length=2000, description="Required: what was recorded in error.")
    on: str | None = Field(None, max_length=40, description="A decision's date; blank: as recorded before.")
    units_approved: int | None = Field(None, ge=1, le=100_000, description="For partially_approved.")
    reference_number: str | None = Field(None, max_length=80)
    denial_reason: str | None = Field(None, max_length=500, description="For denied.")
    version: int = Field(description="The version of the authorization the change started from.")


class FollowUpIn(Schema):
    note: str = Field(max_length=2000, description="What was done or learned with the payer.")
    payer_reference: str | None = Field(None, max_length=80, description="The payer's call reference.")
    contact_name: str | None = Field(None, max_length=120, description="Who was reached.")
    follow_up_on: str | None = Field(
        None, max_length=40, description="YYYY-MM-DD: the next follow-up (moves the worklist task)."
    )
    version: int | None = Field(None, description="Optional: the version read; 412 if the request changed since.")


class FollowUpOut(Schema):
    id: uuid.UUID
    at: dt.datetime
    note: str
    payer_reference: str
    contact_name: str
    follow_up_on: dt.date | None
    prior_auth: PriorAuthOut


AUTH_OUT_FIELDS = (
    "status", "reference_number", "units_requested", "units_approved", "start_date", "end_date", "submitted_on",
    "decided_on", "denial_reason", "follow_up_on", "version",
)  # fmt: skip


def _auth_out(auth) -> dict:
    fields = {name: getattr(auth, name) for name in AUTH_OUT_FIELDS}
    return {"id": auth.public_id, "status_display": auth.get_status_display(), **fields}


def _given(body, *, exclude=()) -> dict:
    return {name: value for name, value in body.dict(exclude=set(exclude)).items() if value is not None}


@router.post("/prior-auths/{auth_id}/decision", response=PriorAuthOut, summary="Add or correct a decision's details")
def edit_prior_auth_decision(request, auth_id: uuid.UUID, body: DecisionDetailsIn):
    actor = request.auth
    auth = prior_auth_get(actor, auth_id)
    given = _given(body)
    # The form needs the dates; the ones not sent are the current ones, which leaves them unchanged.
    form = DecisionDetailsForm.for_auth(
        auth, {"start_date": auth.start_date, "end_date": auth.end_date, **given}, prefix=None
    )
    if not form.is_valid():
        raise _form_errors(form)
    cleaned = form.cleaned_data
    data = {name: cleaned[name] for name in given if name in cleaned and name not in ("version", "note")}
    if "units_approved" in given and "units_approved" not in cleaned:
        data["units_approved"] = given["units_approved"]  # a full approval's units: the service says why not
    edited = priorauth_services.prior_auth_decision_edit(
        actor=actor, auth=auth, data=data, expected_version=cleaned["version"], note=cleaned.get("note") or ""
    )
    return _auth_out(edited)


@router.post(
    "/prior-auths/{auth_id}/decision/correct", response=PriorAuthOut, summary="Correct a decision recorded in error"
)
def correct_prior_auth_decision(request, auth_id: uuid.UUID, body: DecisionCorrectIn):
    actor = request.auth
    auth = prior_auth_get(actor, auth_id)
    form = DecisionCorrectForm(_given(body))
    form.limit_statuses(priorauth_services.CORRECTIONS.get(auth.status, set()) or {body.status})
    if not form.is_valid():
        raise _form_errors(form)
    data = form.cleaned_data
    corrected = priorauth_services.prior_auth_decision_correct(
        actor=actor,
        auth=auth,
        status=data["status"],
        reason=data["reason"],
        expected_version=data["version"],
        **decision_fields(data),
    )
    return _auth_out(corrected)


@router.post("/prior-auths/{auth_id}/follow-ups", response={201: FollowUpOut}, summary="Log a follow-up with the payer")
def log_prior_auth_follow_up(request, auth_id: uuid.UUID, body: FollowUpIn):
    actor = request.auth
    auth = prior_auth_get(actor, auth_id)
    form = FollowUpForm(_given(body, exclude=("version",)))
    if not form.is_valid():
        raise _form_errors(form)
    event = priorauth_services.prior_auth_follow_up_log(
        actor=actor, auth=auth, expected_version=body.version, **form.cleaned_data
    )
    auth.refresh_from_db()
    return Status(
        201,
        {
            "id": event.public_id,
            "at": event.at,
            "note": event.note,
            "payer_reference": event.payer_reference,
            "contact_name": event.contact_name,
            "follow_up_on": event.follow_up_on,
            "prior_auth": _auth_out(auth),
        },
    )
