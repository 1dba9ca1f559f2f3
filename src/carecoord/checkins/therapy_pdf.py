"""
The therapy progress report for the referring provider, as a PDF (WeasyPrint, offline, like careplans/pdf.py).

  progress_report_context(actor, plan) -> dict   patient, plan, visits, functional measures, goals
  progress_report_html(actor, plan) -> str        the HTML from an autoescaped template (tests read this)
  progress_report_pdf(actor, plan) -> bytes       both, through careplans.pdf.html_to_pdf

Functional measures over the certification period (to today): gait speed, Timed Up and Go, pain; each with the
first and latest value and the change, and whether the change is for the better.
"""

import datetime as dt

from django.template.loader import render_to_string

from carecoord.careplans.pdf import day_text, html_to_pdf
from carecoord.core import clock
from carecoord.core.access import Actor

from .domain import change_over, next_progress_report_visit, visits_left
from .measures import MEASURES
from .models import TherapyPlan
from .progress_selectors import measurements_for_patient, open_goals_for_patient

FUNCTIONAL_KINDS = ("gait_speed", "tug", "pain")


def _number(value) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _period_span(actor: Actor, plan: TherapyPlan, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = actor.organization.tz
    last = min(today, plan.certification_end) + dt.timedelta(days=1)
    return (
        dt.datetime.combine(plan.certification_start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last, dt.time.min, tzinfo=tz),
    )


def functional_measures(actor: Actor, plan: TherapyPlan, today: dt.date) -> list[dict]:
    """First, latest and change of each functional measure taken in the period."""
    start, end = _period_span(actor, plan, today)
    rows = (
        measurements_for_patient(actor, plan.patient)
        .filter(kind__in=FUNCTIONAL_KINDS, entered_in_error=False, occurred_at__gte=start, occurred_at__lt=end)
        .order_by("occurred_at", "id")
    )
    by_kind: dict[str, list] = {kind: [] for kind in FUNCTIONAL_KINDS}
    for m in rows:
        by_kind[m.kind].append(m)
    result = []
    tz = actor.organization.tz
    for kind, items in by_kind.items():
        change = change_over([m.value for m in items])
        if change is None:
            continue
        measure = MEASURES[kind]
        better = change.change > 0 if not measure.lower_is_better else change.change < 0
        result.append(
            {
                "display": measure.display,
                "unit": measure.unit.strip("{}"),
                "first": _number(change.first),
                "first_on": items[0].occurred_at.astimezone(tz).date(),
                "latest": _number(change.latest),
                "latest_on": items[-1].occurred_at.astimezone(tz).date(),
                "change": ("+" if change.change > 0 else "") + _number(change.change),
                "direction": "no change" if change.change == 0 else ("better" if better else "worse"),
                "count": change.count,
            }
        )
    return result


def _goals(actor: Actor, plan: TherapyPlan):
    if plan.careplan_id:
        return list(plan.careplan.goals.exclude(lifecycle_status__in=("cancelled", "entered-in-error", "rejected")))
    return list(open_goals_for_patient(actor, plan.patient))


def progress_report_context(actor: Actor, plan: TherapyPlan) -> dict:
    today = clock.today_in(actor.organization.tz)
    patient = plan.patient
    return {
        "plan": plan,
        "patient": patient,
        "patient_name": f"{patient.given_name} {patient.family_name}",
        "birth_date": day_text(patient.birth_date),
        "period": f"{day_text(plan.certification_start)} to {day_text(plan.certification_end)}",
        "visits_left": visits_left(plan.visits_planned, plan.visits_used),
        "next_report_at": next_progress_report_visit(plan.visits_used, plan.progress_report_every),
        "measures": functional_measures(actor, plan, today),
        "goals": _goals(actor, plan),
        "organization": actor.organization.name,
        "prepared_by": actor.user.full_name,
        "printed_on": day_text(today),
    }


def progress_report_html(actor: Actor, plan: TherapyPlan) -> str:
    return render_to_string("checkins/therapy_progress_report.html", progress_report_context(actor, plan))


def progress_report_pdf(actor: Actor, plan: TherapyPlan) -> bytes:
    return html_to_pdf(progress_report_html(actor, plan))
