"""
The care-management billing-readiness report (`/reports/care-management/?month=YYYY-MM`): every patient the
organization may see with time or an enrollment in the month, their program, minutes by kind, the CMS codes
the minutes support and who is close to the next one; sortable, and exportable as CSV (cells neutralised
against spreadsheet formulas, the export audited). For supervisors, organization admins and coordinators.
"""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.csvsafe import csv_response
from carecoord.core.errors import NotFoundError
from carecoord.core.http import clinical_actor

from .domain import CLOSE_MINUTES
from .progress_forms import MonthForm
from .progress_selectors import BillingRow, billing_rows

CSV_COLUMNS = [
    "month",
    "patient",
    "mrn",
    "birth_date",
    "program",
    "billing_practitioner",
    "staff_minutes",
    "physician_minutes",
    "codes_supported",
    "next_code",
    "minutes_to_next",
    "close",
    "next_steps",
]


def _report_actor(request: HttpRequest) -> Actor:
    actor = clinical_actor(request)
    if not actor.can_see_reports:
        raise NotFoundError()
    return actor


def _month(request: HttpRequest, actor: Actor) -> tuple[MonthForm, int, int, str]:
    form = MonthForm(request.GET or None)
    year, month = form.year_month(clock.today_in(actor.organization.tz))
    return form, year, month, form.sort_key()


def _next_steps(row: BillingRow) -> str:
    """
    Every next code with the minutes it still needs, or that the month's maximum is reached, as the page lists
    them (staff time, then physician).
    """
    return "; ".join(r.next_step for r in row.summary.readiness if r.next_step)


def _next_step(row: BillingRow) -> tuple[str, str]:
    """The nearest next code and the minutes it still needs, over both kinds of time."""
    waits = [r for r in row.summary.readiness if r.minutes_to_next is not None]
    if not waits:
        return "", ""
    nearest = min(waits, key=lambda r: r.minutes_to_next)
    return nearest.next_code or "", str(nearest.minutes_to_next)


@login_required
@require_GET
def billing_report(request: HttpRequest) -> HttpResponse:
    actor = _report_actor(request)
    form, year, month, sort = _month(request, actor)
    rows = billing_rows(actor, year, month, sort=sort)
    audit_record(
        actor=actor,
        event="billing.report",
        action=AuditAction.READ,
        detail={"month": f"{year:04d}-{month:02d}", "patients": len(rows)},
    )
    context = {
        "nav": "reports",
        "form": form,
        "rows": rows,
        "month_value": f"{year:04d}-{month:02d}",
        "month_label": dt.date(year, month, 1).strftime("%B %Y"),
        "sort": sort,
        "close_minutes": CLOSE_MINUTES,
        "sorts": form.fields["sort"].choices,
        "totals": {
            "staff": sum(r.summary.staff_minutes for r in rows),
            "physician": sum(r.summary.physician_minutes for r in rows),
            "billable": sum(1 for r in rows if r.summary.codes),
            "close": sum(1 for r in rows if r.summary.close),
        },
    }
    return render(request, "checkins/billing_report.html", context)


def _csv_rows(rows: list[BillingRow], month_value: str):
    yield CSV_COLUMNS
    for row in rows:
        patient, summary = row.patient, row.summary
        practitioner = summary.enrollment.billing_practitioner if summary.enrollment else None
        next_code, to_next = _next_step(row)
        values = [
            month_value,
            f"{patient.family_name}, {patient.given_name}",
            patient.mrn,
            patient.birth_date.isoformat() if patient.birth_date else "",
            summary.program_label,
            practitioner.display_name if practitioner else "",
            summary.staff_minutes,
            summary.physician_minutes,
            summary.codes,
            next_code,
            to_next,
            "yes" if summary.close else "",
            _next_steps(row),
        ]
        yield values


@login_required
@require_GET
def billing_report_csv(request: HttpRequest) -> HttpResponse:
    actor = _report_actor(request)
    _form, year, month, sort = _month(request, actor)
    rows = billing_rows(actor, year, month, sort=sort)
    month_value = f"{year:04d}-{month:02d}"
    audit_record(
        actor=actor,
        event="billing.export",
        action=AuditAction.EXECUTE,
        detail={"month": month_value, "patients": len(rows), "format": "csv"},
    )
    return csv_response(_csv_rows(rows, month_value), f"care-management-{month_value}.csv")
