"""
JSON endpoints of insurance work at /api/v1/coverage/: the prior authorizations of every patient the caller may
see, with the filters and order of the page /insurance/prior-auths/ (same selector, same filter form, same
audit entry). A filter that is not valid answers 400 with every problem in "errors".
"""

import datetime as dt
import uuid

from ninja import Field, Query, Router, Schema

from carecoord.core import clock
from carecoord.core.errors import ValidationError

from .priorauth_list_views import audit_list_view, list_filters, with_days_left
from .selectors import APPEAL_FOLLOW_UP_DAYS, prior_auths_visible_to

router = Router(tags=["coverage"])

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
