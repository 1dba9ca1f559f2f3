"""
The care plan printed for the patient and family, in plain words (about a grade 6-8 reading level).

  careplan_print_context(actor, careplan) -> dict   what the page says: goals, next steps, team, who to call
  careplan_print_html(actor, careplan) -> str        the HTML, from an autoescaped template (tests read this)
  html_to_pdf(html) -> bytes                         WeasyPrint, offline: every outside resource is refused
  careplan_pdf(actor, careplan) -> bytes             both together

English only for now; the footer names the language and the day it was printed.
"""

import datetime as dt
import re

from django.db.models import F
from django.template.loader import render_to_string

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.directory.selectors import locations_for
from carecoord.patients.domain import format_phone

from .builtin_content import BODY_WEIGHT, DIASTOLIC_BP, HBA1C, PHQ9_TOTAL, SYSTOLIC_BP
from .choices import (
    OPEN_TASK_STATUSES,
    CarePlanStatus,
    GoalAchievementStatus,
    GoalLifecycleStatus,
    TargetComparator,
    TaskKind,
)
from .models import CarePlan, Goal, Task

LANGUAGE = "English"
UPCOMING_LIMIT = 12

# What is measured, said the way a patient would say it (by LOINC code).
MEASURES = {
    HBA1C: "Your A1C (your average blood sugar over about 3 months)",
    SYSTOLIC_BP: "The top number of your blood pressure",
    DIASTOLIC_BP: "The bottom number of your blood pressure",
    BODY_WEIGHT: "Your weight",
    PHQ9_TOTAL: "Your mood score (PHQ-9)",
}
COMPARATORS = {
    TargetComparator.BELOW: "below",
    TargetComparator.AT_MOST: "at or below",
    TargetComparator.ABOVE: "above",
    TargetComparator.AT_LEAST: "at or above",
}
UNITS = {"mm[Hg]": "mmHg", "[lb_av]": "pounds", "kg": "kg", "%": "%", "s": "seconds", "m/s": "meters per second"}

PROGRESS = {
    GoalAchievementStatus.IN_PROGRESS: "We are working on this.",
    GoalAchievementStatus.IMPROVING: "It is getting better.",
    GoalAchievementStatus.WORSENING: "It is getting harder. We will talk about it.",
    GoalAchievementStatus.NO_CHANGE: "No change yet.",
    GoalAchievementStatus.ACHIEVED: "Done! You reached this goal.",
    GoalAchievementStatus.SUSTAINING: "You reached it. Keep it up!",
    GoalAchievementStatus.NOT_ACHIEVED: "Not reached yet.",
    GoalAchievementStatus.NO_PROGRESS: "No progress yet.",
    GoalAchievementStatus.NOT_ATTAINABLE: "We will set a new goal together.",
}
HIDDEN_GOALS = {GoalLifecycleStatus.CANCELLED, GoalLifecycleStatus.ENTERED_IN_ERROR, GoalLifecycleStatus.REJECTED}

NEXT_STEPS = {
    TaskKind.CALL: "We will call you",
    TaskKind.VISIT: "You have a visit",
    TaskKind.EDUCATION: "We will teach you more about your health",
    TaskKind.REFERRAL: "We will send a referral for you",
    TaskKind.SCHEDULE: "We will help you set up an appointment",
    TaskKind.MEDICATION_REVIEW: "We will go over your medicines with you",
    TaskKind.PAPERWORK: "We will help you with forms",
    TaskKind.CHECK_IN: "We will check in with you",
    TaskKind.OTHER: "Next step",
}
PLAN_STATUS = {
    CarePlanStatus.DRAFT: "This plan is a draft. Your doctor or nurse practitioner has not approved it yet.",
    CarePlanStatus.ON_HOLD: "This plan is on hold for now.",
    CarePlanStatus.COMPLETED: "This plan is finished.",
    CarePlanStatus.REVOKED: "This plan was stopped.",
}
EVERY = {"daily": ("day", "days"), "weekly": ("week", "weeks"), "monthly": ("month", "months")}


def day_text(day: dt.date | None) -> str:
    """'January 12, 2026' (no leading zero)."""
    return f"{day:%B} {day.day}, {day.year}" if day else ""


def weekday_text(day: dt.date | None) -> str:
    """'Monday, January 12, 2026'."""
    return f"{day:%A}, {day_text(day)}" if day else ""


def _number(value) -> str:
    """7.00 → '7', 7.50 → '7.5' (stored decimals keep their trailing zeros)."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def target_text(goal: Goal, measure: str) -> str:
    """'<measure> below 130 mmHg': numbers without trailing zeros, UCUM units as people write them."""
    if not goal.target_comparator or goal.target_value is None:
        return ""
    unit = UNITS.get(goal.target_unit, re.sub(r"[\[\]{}]", "", goal.target_unit or ""))
    if goal.target_comparator == TargetComparator.BETWEEN:
        amount = f"between {_number(goal.target_value)} and {_number(goal.target_value_high)}"
    else:
        amount = f"{COMPARATORS.get(goal.target_comparator, goal.target_comparator)} {_number(goal.target_value)}"
    return f"{measure} {amount} {unit}".strip()


def plain_target(goal: Goal) -> str:
    """The goal's target in everyday words, e.g. 'The top number of your blood pressure below 130 mmHg'."""
    return target_text(goal, MEASURES.get(goal.measure_code) or goal.measure_display or "The result")


def plain_repeat(recurrence: dict) -> str:
    """'This repeats every 2 weeks, 6 times in all.'"""
    if not recurrence:
        return ""
    one, many = EVERY.get(recurrence.get("frequency", ""), ("time", "times"))
    interval = recurrence.get("interval", 1)
    every = f"every {one}" if interval == 1 else f"every {interval} {many}"
    count = recurrence.get("count")
    return f"This repeats {every}" + (f", {count} times in all." if count else ".")


def next_step(task: Task, today: dt.date) -> dict:
    """One upcoming task in words; a task already due says "Soon" rather than a date in the past."""
    due = task.due_date if task.due_date and task.due_date >= today else None
    return {
        "when": weekday_text(due) or "Soon",
        "what": NEXT_STEPS.get(task.kind, NEXT_STEPS[TaskKind.OTHER]),
        "about": task.title,
        "repeat": plain_repeat(task.recurrence),
    }


def _organization_phone(actor: Actor) -> str:
    site = locations_for(actor).filter(external_organization__isnull=True).exclude(phone="").first()
    return format_phone(site.phone) if site else ""


def _care_team(careplan: CarePlan, today: dt.date) -> list[dict]:
    members = careplan.patient.care_team.select_related("user", "practitioner", "related_person")
    return [
        {"name": m.member_name, "role": m.get_role_display(), "coordinator": m.role == "coordinator"}
        for m in members.order_by("role", "start_date")
        if m.is_current(today)
    ]


def careplan_print_context(actor: Actor, careplan: CarePlan) -> dict:
    today = clock.today_in(actor.organization.tz)
    patient = careplan.patient
    goals = careplan.goals.exclude(lifecycle_status__in=HIDDEN_GOALS).order_by(F("due_date").asc(nulls_last=True), "id")
    upcoming = (
        careplan.tasks.filter(status__in=OPEN_TASK_STATUSES)
        .exclude(kind=TaskKind.ESCALATION)
        .order_by("due_date", "id")[:UPCOMING_LIMIT]
    )
    team = _care_team(careplan, today)
    coordinator = next((m for m in team if m["coordinator"]), None)
    return {
        "careplan": careplan,
        "patient_name": " ".join(n for n in (patient.preferred_name or patient.given_name, patient.family_name) if n),
        "birth_date": day_text(patient.birth_date),
        "status_note": PLAN_STATUS.get(careplan.status, ""),
        "start_date": day_text(careplan.start_date),
        "goals": [
            {
                "text": g.description,
                "target": plain_target(g),
                "by": day_text(g.due_date),
                "progress": PROGRESS.get(g.achievement_status, ""),
            }
            for g in goals
        ],
        "next_steps": [next_step(t, today) for t in upcoming],
        "team": team,
        "coordinator": coordinator,
        "organization": actor.organization.name,
        "phone": _organization_phone(actor),
        "printed_on": day_text(today),
        "language": LANGUAGE,
    }


def careplan_print_html(actor: Actor, careplan: CarePlan) -> str:
    return render_to_string("careplans/careplan_print.html", careplan_print_context(actor, careplan))


def html_to_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango and fonts, which most requests never need.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        """The document is self-contained: nothing is fetched, neither from the network nor from files."""

        def fetch(self, url, headers=None):
            raise ValueError(f"External resources are not loaded ({url[:40]})")

    return HTML(string=html, base_url=None, url_fetcher=OfflineFetcher()).write_pdf()


def careplan_pdf(actor: Actor, careplan: CarePlan) -> bytes:
    return html_to_pdf(careplan_print_html(actor, careplan))
