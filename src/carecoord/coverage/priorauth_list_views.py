"""
The prior authorizations of every patient the user may see, on one page (/insurance/prior-auths/): filtered
by status (awaiting a decision, approved, ending soon, denied, appeal due soon...), payer and whose (our
organization's own requests by default, or all the user may read), most urgent first. Another organization's
request (the patient's home organization's, or a partner's) says whose it is and that it is read only here, and
its dates are not flagged as ours to act on. A list naming patients, so each view of it is an audit entry. The
JSON API's twin is in api.py.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.forms import valid_filters
from carecoord.core.http import clinical_actor

from . import domain
from .choices import APPROVED_STATUSES, AppealLevel, AppealStatus, PriorAuthStatus
from .forms import PriorAuthListFilterForm
from .selectors import (
    ALL_SCOPE,
    AWAITING_DECISION,
    OWN_SCOPE,
    payers_for,
    prior_auths_in_scope,
    prior_auths_of_others_count,
)

PAGE_SIZE = 25


def list_filters(actor, data) -> tuple[PriorAuthListFilterForm, dict]:
    """The filter form over `data` (None for none) and the filters of it that are valid."""
    form = PriorAuthListFilterForm(data, payers=payers_for(actor, active_only=False))
    return form, valid_filters(form)


def audit_list_view(actor, filters: dict, *, shown: int, **detail) -> None:
    """The filters as plain text (the payer by its id) and how many rows were shown."""
    plain = {name: str(getattr(value, "public_id", value)) for name, value in filters.items()}
    audit_record(actor=actor, event="priorauth.list", action=AuditAction.READ,
                 detail={"filters": plain, "shown": shown, **detail})  # fmt: skip


def _days(day, today) -> int | None:
    return (day - today).days if day else None


def needed_label(days_left: int | None) -> str:
    """The cue of a request still awaiting a decision that is needed today, tomorrow or already (else "")."""
    if days_left is None or days_left > 1:
        return ""
    if days_left == 1:
        return "Needed tomorrow"
    if days_left == 0:
        return "Needed today"
    return f"Overdue by {-days_left} day{pluralize(-days_left)}"


def follow_up_label(days_left: int | None) -> str:
    """The cue of a filed appeal whose decision is expected today or is overdue (else "")."""
    if days_left is None or days_left > 0:
        return ""
    return "Decision due today" if days_left == 0 else f"Decision overdue by {-days_left} day{pluralize(-days_left)}"


def with_days_left(auths, today) -> list:
    """
    Sets on each row: `appeal_days_left` (an appeal still to file) and `appeal_soon` (within APPEAL_SOON_DAYS),
    `follow_up_days_left` and `follow_up_label` (a filed appeal), `end_days_left` (approvals),
    `needed_days_left` and `needed_label` (drafts and requests awaiting a decision: days to their start),
    and `appeal_level_display` and `appeal_status_display` of the latest appeal.
    """
    for auth in auths:
        auth.appeal_days_left = _days(auth.appeal_by, today)
        auth.appeal_soon = auth.appeal_days_left is not None and 0 <= auth.appeal_days_left <= domain.APPEAL_SOON_DAYS
        auth.follow_up_days_left = _days(auth.appeal_follow_up_on, today)
        auth.follow_up_label = follow_up_label(auth.follow_up_days_left)
        approved = auth.status in APPROVED_STATUSES
        auth.end_days_left = _days(auth.end_date, today) if approved and auth.end_date >= today else None
        awaiting = auth.status in (PriorAuthStatus.DRAFT, *AWAITING_DECISION)
        auth.needed_days_left = _days(auth.start_date, today) if awaiting else None
        auth.needed_label = needed_label(auth.needed_days_left)
        auth.appeal_level_display = AppealLevel(auth.appeal_level).label if auth.appeal_level else ""
        auth.appeal_status_display = AppealStatus(auth.appeal_status).label if auth.appeal_status else ""
    return auths


@login_required
@require_GET
def priorauth_list(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form, filters = list_filters(actor, request.GET or None)
    scope = filters.pop("scope", OWN_SCOPE)
    today = clock.today_in(actor.organization.tz)
    found = prior_auths_in_scope(actor, scope=scope, today=today, **filters)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_days_left(list(page.object_list), today)
    for auth in page.object_list:
        auth.read_only = auth.organization_id != actor.organization.pk
    audit_list_view(actor, filters, shown=len(page.object_list), page=page.number, scope=scope)
    query = request.GET.copy()
    query.pop("page", None)
    all_query = query.copy()
    all_query["scope"] = ALL_SCOPE
    context = {
        "nav": "priorauths",
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "today": today,
        "filtered": bool(filters),
        "alert_days": domain.EXPIRY_ALERT_DAYS,
        "scope": scope,
        # Our own list: how many requests of other organizations it leaves out (they can be shown).
        "others": prior_auths_of_others_count(actor, today=today, **filters) if scope == OWN_SCOPE else 0,
        "all_query": all_query.urlencode(),
    }
    return render(request, "coverage/priorauth_list.html", context)
