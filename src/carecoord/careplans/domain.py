"""
Pure rules of care plans and tasks: status transitions (FHIR R4 Task and RequestStatus state machines as
we apply them), recurrence, worklist buckets and escalation timing. No database here.
"""

import calendar
import datetime as dt

from .choices import CarePlanStatus as P
from .choices import RecurrenceFrequency
from .choices import TaskStatus as T

# FHIR R4 Task: "requested/received/accepted" are the request stages, "ready/in-progress/on-hold" the work,
# and "rejected/cancelled/failed/completed" are final; anything may be marked entered-in-error.
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    T.DRAFT: frozenset({T.REQUESTED, T.CANCELLED}),
    T.REQUESTED: frozenset(
        {T.RECEIVED, T.ACCEPTED, T.REJECTED, T.READY, T.IN_PROGRESS, T.ON_HOLD, T.CANCELLED, T.FAILED, T.COMPLETED}
    ),
    T.RECEIVED: frozenset(
        {T.ACCEPTED, T.REJECTED, T.READY, T.IN_PROGRESS, T.ON_HOLD, T.CANCELLED, T.FAILED, T.COMPLETED}
    ),
    T.ACCEPTED: frozenset({T.READY, T.IN_PROGRESS, T.ON_HOLD, T.CANCELLED, T.FAILED, T.COMPLETED}),
    T.READY: frozenset({T.IN_PROGRESS, T.ON_HOLD, T.CANCELLED, T.FAILED, T.COMPLETED}),
    T.IN_PROGRESS: frozenset({T.ON_HOLD, T.CANCELLED, T.FAILED, T.COMPLETED}),
    T.ON_HOLD: frozenset({T.READY, T.IN_PROGRESS, T.CANCELLED, T.FAILED, T.COMPLETED}),
    T.REJECTED: frozenset(),
    T.CANCELLED: frozenset(),
    T.FAILED: frozenset(),
    T.COMPLETED: frozenset(),
    T.ENTERED_IN_ERROR: frozenset(),
}

PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.ACTIVE, P.REVOKED}),
    P.ACTIVE: frozenset({P.ON_HOLD, P.COMPLETED, P.REVOKED}),
    P.ON_HOLD: frozenset({P.ACTIVE, P.COMPLETED, P.REVOKED}),
    P.COMPLETED: frozenset({P.ACTIVE}),
    P.REVOKED: frozenset(),
    P.UNKNOWN: frozenset({P.DRAFT, P.ACTIVE, P.REVOKED}),
    P.ENTERED_IN_ERROR: frozenset(),
}

EDITABLE_PLAN_STATUSES = frozenset({P.DRAFT, P.ACTIVE, P.ON_HOLD})


class TransitionError(ValueError):
    pass


def _label(status: str) -> str:
    return status.replace("-", " ")


def check_task_transition(current: str, new: str) -> None:
    """Raises TransitionError unless a task may move from `current` to `new`."""
    if new == T.ENTERED_IN_ERROR and current != T.ENTERED_IN_ERROR:
        return
    if new not in TASK_TRANSITIONS.get(current, frozenset()):
        raise TransitionError(f"A task that is {_label(current)} cannot become {_label(new)}.")


def check_plan_transition(current: str, new: str) -> None:
    if new == P.ENTERED_IN_ERROR and current != P.ENTERED_IN_ERROR:
        return
    if new not in PLAN_TRANSITIONS.get(current, frozenset()):
        raise TransitionError(f"A care plan that is {_label(current)} cannot become {_label(new)}.")


def validate_recurrence(recurrence: dict) -> dict:
    """Returns a clean recurrence rule or raises ValueError: frequency, interval 1-52, count 2-366 or an end date."""
    if not recurrence:
        return {}
    frequency = recurrence.get("frequency")
    if frequency not in RecurrenceFrequency.values:
        raise ValueError("Choose how often the task repeats: daily, weekly or monthly.")
    # An interval of 0 is an error, not "every time": only a missing interval means 1.
    interval = _whole_number(recurrence.get("interval"), default=1)
    if interval is None or not 1 <= interval <= 52:
        raise ValueError("The repeat interval must be between 1 and 52.")
    count = recurrence.get("count")
    until = recurrence.get("until")
    if count in (None, "") and not until:
        raise ValueError("Say how many times the task repeats, or until when.")
    clean = {"frequency": frequency, "interval": interval}
    if count not in (None, ""):
        count = _whole_number(count)
        if count is None or not 2 <= count <= 366:
            raise ValueError("A repeating task repeats between 2 and 366 times.")
        clean["count"] = count
    if until:
        try:
            clean["until"] = dt.date.fromisoformat(str(until)).isoformat()
        except ValueError as exc:
            raise ValueError("Give the end date as a date (YYYY-MM-DD).") from exc
    return clean


def _whole_number(value, default: int | None = None) -> int | None:
    """`value` as an int; `default` when it is missing; None when it is not a whole number."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def occurrence_due_date(first_due: dt.date, recurrence: dict, occurrence: int) -> dt.date:
    """The due date of the n-th occurrence (1-based) of a series starting on `first_due`."""
    steps = (occurrence - 1) * recurrence.get("interval", 1)
    frequency = recurrence["frequency"]
    if frequency == RecurrenceFrequency.DAILY:
        return first_due + dt.timedelta(days=steps)
    if frequency == RecurrenceFrequency.WEEKLY:
        return first_due + dt.timedelta(weeks=steps)
    return add_months(first_due, steps)


def next_occurrence(first_due: dt.date, recurrence: dict, occurrence: int) -> tuple[int, dt.date] | None:
    """The occurrence after `occurrence` and its due date, or None when the series is over."""
    if not recurrence:
        return None
    following = occurrence + 1
    if "count" in recurrence and following > recurrence["count"]:
        return None
    due = occurrence_due_date(first_due, recurrence, following)
    if "until" in recurrence and due > dt.date.fromisoformat(recurrence["until"]):
        return None
    return following, due


OVERDUE, TODAY, UPCOMING, SNOOZED = "overdue", "today", "upcoming", "snoozed"
BUCKET_NAMES = {0: OVERDUE, 1: TODAY, 2: UPCOMING, 3: SNOOZED}  # the worklist's sort order
BUCKET_CODES = {name: code for code, name in BUCKET_NAMES.items()}


def worklist_bucket(due_date: dt.date | None, today: dt.date, snoozed_until: dt.date | None = None) -> str:
    if snoozed_until and snoozed_until > today:
        return SNOOZED
    if due_date is None or due_date > today:
        return UPCOMING
    return TODAY if due_date == today else OVERDUE


def escalation_due(*, due_date: dt.date, now: dt.datetime, tz, threshold_hours: int) -> bool:
    """True when a task due on `due_date` (end of that day, local time) is overdue by more than the threshold."""
    end_of_due_day = dt.datetime.combine(due_date + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # In UTC: two datetimes of the same zone subtract by wall clock, which is an hour off across a DST change.
    return now.astimezone(dt.UTC) - end_of_due_day.astimezone(dt.UTC) > dt.timedelta(hours=threshold_hours)
