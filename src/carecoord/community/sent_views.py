"""
The referrals the organization sent (/community/referrals/sent/), to close the loop on them: open ones first,
with their status, receiver, days open, answer date and next follow-up, each late one marked. Filtered by
status (open, closed, all) and by who sent them (the user, anyone in the organization). A list naming
patients, so each view of it is an audit entry.
"""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.http import clinical_actor

from . import selectors
from .forms import SentReferralFilterForm

PAGE_SIZE = 50


def with_follow_up(referrals, today: dt.date, tz) -> list:
    """
    Sets on each row: `days_open` (from the day it was sent to today, or to the day it closed), `answer_late`
    (open past its answer date) and `follow_up_late` (open past its next follow-up date).
    """
    for referral in referrals:
        sent = referral.sent_at.astimezone(tz).date()
        until = referral.closed_at.astimezone(tz).date() if referral.closed_at and not referral.is_open else today
        referral.days_open = max((until - sent).days, 0)
        referral.answer_late = referral.is_open and referral.respond_by < today
        follow_up = referral.next_follow_up_on
        referral.follow_up_late = referral.is_open and follow_up is not None and follow_up < today
    return referrals


@login_required
@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    actor = clinical_actor(request)
    form = SentReferralFilterForm(request.GET or None)
    filters = form.filters()
    tz = actor.organization.tz
    today = clock.today_in(tz)
    page = Paginator(selectors.sent_referrals(actor, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_follow_up(list(page.object_list), today, tz)
    audit_record(
        actor=actor,
        event="referral.sent_list",
        action=AuditAction.READ,
        detail={**filters, "page": page.number, "shown": len(page.object_list)},
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "community",
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "today": today,
    }
    return render(request, "community/sent.html", context)
