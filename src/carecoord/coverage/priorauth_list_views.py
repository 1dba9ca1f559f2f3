"""
The prior authorizations of every patient the user may see, on one page (/insurance/prior-auths/): filtered
by status (awaiting a decision, approved, ending soon, denied, appeal due soon...) and payer, most urgent
first. A list naming patients, so each view of it is an audit entry. The JSON API's twin is in api.py.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.forms import valid_filters
from carecoord.core.http import clinical_actor

from . import domain
from .choices import APPROVED_STATUSES
from .forms import PriorAuthListFilterForm
from .selectors import payers_for, prior_auths_visible_to

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


def with_days_left(auths, today) -> list:
    """Sets `appeal_days_left` (denials not yet appealed) and `end_days_left` (approvals) on each row."""
    for auth in auths:
        auth.appeal_days_left = (auth.appeal_by - today).days if auth.appeal_by else None
        approved = auth.status in APPROVED_STATUSES
        auth.end_days_left = (auth.end_date - today).days if approved and auth.end_date >= today else None
    return auths


@login_required
@require_GET
def priorauth_list(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form, filters = list_filters(actor, request.GET or None)
    today = clock.today_in(actor.organization.tz)
    page = Paginator(prior_auths_visible_to(actor, today=today, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_days_left(list(page.object_list), today)
    audit_list_view(actor, filters, shown=len(page.object_list), page=page.number)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "priorauths",
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "today": today,
        "filtered": bool(filters),
        "alert_days": domain.EXPIRY_ALERT_DAYS,
    }
    return render(request, "coverage/priorauth_list.html", context)
