"""The pure rules of care plans and tasks: transitions, recurrence, worklist buckets, escalation timing."""

import calendar
import datetime as dt
import itertools
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.careplans.choices import CarePlanStatus as P
from carecoord.careplans.choices import TaskStatus as T
from carecoord.careplans.domain import (
    OVERDUE,
    SNOOZED,
    TODAY,
    UPCOMING,
    TransitionError,
    add_months,
    check_plan_transition,
    check_task_transition,
    escalation_due,
    next_occurrence,
    occurrence_due_date,
    validate_recurrence,
    worklist_bucket,
)

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")

# The task state machine as we apply FHIR R4 Task, written out here independently of domain.TASK_TRANSITIONS
# (entered-in-error is reachable from everything but itself and is checked separately).
WORK = {T.READY, T.IN_PROGRESS, T.ON_HOLD}
ENDINGS = {T.CANCELLED, T.FAILED, T.COMPLETED}
EXPECTED_TASK_MOVES = {
    T.DRAFT: {T.REQUESTED, T.CANCELLED},
    T.REQUESTED: {T.RECEIVED, T.ACCEPTED, T.REJECTED} | WORK | ENDINGS,
    T.RECEIVED: {T.ACCEPTED, T.REJECTED} | WORK | ENDINGS,
    T.ACCEPTED: WORK | ENDINGS,
    T.READY: WORK - {T.READY} | ENDINGS,
    T.IN_PROGRESS: {T.ON_HOLD} | ENDINGS,
    T.ON_HOLD: {T.READY, T.IN_PROGRESS} | ENDINGS,
    T.REJECTED: set(),
    T.CANCELLED: set(),
    T.FAILED: set(),
    T.COMPLETED: set(),
    T.ENTERED_IN_ERROR: set(),
}
FINAL_TASK_STATES = [T.REJECTED, T.CANCELLED, T.FAILED, T.COMPLETED]

EXPECTED_PLAN_MOVES = {
    P.DRAFT: {P.ACTIVE, P.REVOKED},
    P.ACTIVE: {P.ON_HOLD, P.COMPLETED, P.REVOKED},
    P.ON_HOLD: {P.ACTIVE, P.COMPLETED, P.REVOKED},
    P.COMPLETED: {P.ACTIVE},
    P.REVOKED: set(),
    P.UNKNOWN: {P.DRAFT, P.ACTIVE, P.REVOKED},
    P.ENTERED_IN_ERROR: set(),
}


def _allowed(check, current, new) -> bool:
    try:
        check(current, new)
    except TransitionError:
        return False
    return True


def test_the_task_table_covers_the_twelve_fhir_codes():
    assert set(EXPECTED_TASK_MOVES) == set(T.values)
    assert len(T.values) == 12


@pytest.mark.parametrize(("current", "new"), list(itertools.product(T.values, T.values)))
def test_task_transition(current, new):
    expected = new in EXPECTED_TASK_MOVES[current] or (new == T.ENTERED_IN_ERROR and current != T.ENTERED_IN_ERROR)
    assert _allowed(check_task_transition, current, new) is expected


@pytest.mark.parametrize("final", FINAL_TASK_STATES)
def test_a_final_task_state_leads_only_to_entered_in_error(final):
    exits = {new for new in T.values if _allowed(check_task_transition, final, new)}
    assert exits == {T.ENTERED_IN_ERROR}


def test_nothing_leaves_entered_in_error():
    assert not [new for new in T.values if _allowed(check_task_transition, T.ENTERED_IN_ERROR, new)]


def test_a_forbidden_task_transition_says_which():
    with pytest.raises(TransitionError, match="A task that is completed cannot become in progress"):
        check_task_transition(T.COMPLETED, T.IN_PROGRESS)


def test_an_unknown_task_status_is_refused():
    with pytest.raises(TransitionError):
        check_task_transition(T.REQUESTED, "done")


@pytest.mark.parametrize(("current", "new"), list(itertools.product(P.values, P.values)))
def test_plan_transition(current, new):
    expected = new in EXPECTED_PLAN_MOVES[current] or (new == P.ENTERED_IN_ERROR and current != P.ENTERED_IN_ERROR)
    assert _allowed(check_plan_transition, current, new) is expected


def test_a_forbidden_plan_transition_says_which():
    with pytest.raises(TransitionError, match="A care plan that is revoked cannot become active"):
        check_plan_transition(P.REVOKED, P.ACTIVE)


# Recurrence -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"frequency": "hourly", "count": 3}, "how often"),
        ({"frequency": "", "count": 3}, "how often"),
        ({"count": 3}, "how often"),
        ({"frequency": "weekly", "interval": 0, "count": 3}, "between 1 and 52"),
        ({"frequency": "weekly", "interval": "0", "count": 3}, "between 1 and 52"),
        ({"frequency": "weekly", "interval": 53, "count": 3}, "between 1 and 52"),
        ({"frequency": "weekly", "interval": -1, "count": 3}, "between 1 and 52"),
        ({"frequency": "weekly", "interval": "often", "count": 3}, "between 1 and 52"),
        ({"frequency": "daily", "count": 1}, "between 2 and 366"),
        ({"frequency": "daily", "count": 367}, "between 2 and 366"),
        ({"frequency": "daily", "count": 0}, "between 2 and 366"),
        ({"frequency": "daily", "count": "a few"}, "between 2 and 366"),
        ({"frequency": "monthly"}, "how many times"),
        ({"frequency": "monthly", "count": None, "until": ""}, "how many times"),
        ({"frequency": "monthly", "count": "", "until": ""}, "how many times"),
        ({"frequency": "monthly", "until": "next spring"}, "end date"),
    ],
)
def test_validate_recurrence_refuses(rule, message):
    with pytest.raises(ValueError, match=message):
        validate_recurrence(rule)


@pytest.mark.parametrize(
    ("rule", "clean"),
    [
        ({}, {}),
        ({"frequency": "weekly", "count": 12}, {"frequency": "weekly", "interval": 1, "count": 12}),
        ({"frequency": "weekly", "interval": None, "count": 2}, {"frequency": "weekly", "interval": 1, "count": 2}),
        (
            {"frequency": "daily", "interval": "52", "count": "366"},
            {"frequency": "daily", "interval": 52, "count": 366},
        ),
        (
            {"frequency": "monthly", "interval": 3, "until": dt.date(2027, 1, 31), "note": "dropped"},
            {"frequency": "monthly", "interval": 3, "until": "2027-01-31"},
        ),
        (
            {"frequency": "monthly", "count": 4, "until": "2027-01-31"},
            {"frequency": "monthly", "interval": 1, "count": 4, "until": "2027-01-31"},
        ),
    ],
)
def test_validate_recurrence_cleans(rule, clean):
    assert validate_recurrence(rule) == clean


@pytest.mark.parametrize(
    ("first", "rule", "occurrence", "due"),
    [
        (dt.date(2026, 3, 2), {"frequency": "weekly", "interval": 1}, 1, dt.date(2026, 3, 2)),
        (dt.date(2026, 3, 2), {"frequency": "weekly", "interval": 1}, 2, dt.date(2026, 3, 9)),
        (dt.date(2026, 3, 2), {"frequency": "weekly", "interval": 2}, 3, dt.date(2026, 3, 30)),
        (dt.date(2026, 12, 28), {"frequency": "weekly", "interval": 1}, 2, dt.date(2027, 1, 4)),
        (dt.date(2026, 3, 2), {"frequency": "daily", "interval": 1}, 2, dt.date(2026, 3, 3)),
        (dt.date(2026, 2, 27), {"frequency": "daily", "interval": 3}, 2, dt.date(2026, 3, 2)),
        (dt.date(2026, 1, 31), {"frequency": "monthly", "interval": 1}, 2, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), {"frequency": "monthly", "interval": 1}, 2, dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 31), {"frequency": "monthly", "interval": 1}, 3, dt.date(2026, 3, 31)),
        (dt.date(2026, 1, 31), {"frequency": "monthly", "interval": 1}, 4, dt.date(2026, 4, 30)),
        (dt.date(2026, 8, 31), {"frequency": "monthly", "interval": 6}, 2, dt.date(2027, 2, 28)),
        (dt.date(2026, 11, 15), {"frequency": "monthly", "interval": 2}, 2, dt.date(2027, 1, 15)),
    ],
)
def test_occurrence_due_date(first, rule, occurrence, due):
    assert occurrence_due_date(first, rule, occurrence) == due


def test_add_months_clamps_and_goes_backwards():
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 15)
    assert add_months(dt.date(2026, 12, 31), 14) == dt.date(2028, 2, 29)


def test_next_occurrence_stops_after_count():
    rule = {"frequency": "weekly", "interval": 1, "count": 3}
    first = dt.date(2026, 3, 2)
    assert next_occurrence(first, rule, 1) == (2, dt.date(2026, 3, 9))
    assert next_occurrence(first, rule, 2) == (3, dt.date(2026, 3, 16))
    assert next_occurrence(first, rule, 3) is None


def test_next_occurrence_stops_after_until():
    rule = {"frequency": "daily", "interval": 2, "until": "2026-03-06"}
    first = dt.date(2026, 3, 2)
    assert next_occurrence(first, rule, 1) == (2, dt.date(2026, 3, 4))
    assert next_occurrence(first, rule, 2) == (3, dt.date(2026, 3, 6))  # the end date itself still counts
    assert next_occurrence(first, rule, 3) is None


def test_next_occurrence_of_a_task_that_does_not_repeat():
    assert next_occurrence(dt.date(2026, 3, 2), {}, 1) is None


rules = st.builds(
    lambda frequency, interval: {"frequency": frequency, "interval": interval},
    st.sampled_from(["daily", "weekly", "monthly"]),
    st.integers(min_value=1, max_value=52),
)
first_days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))


@given(first=first_days, rule=rules, n=st.integers(min_value=1, max_value=60))
def test_each_occurrence_is_after_the_one_before(first, rule, n):
    assert occurrence_due_date(first, rule, n + 1) > occurrence_due_date(first, rule, n)
    assert next_occurrence(first, rule, n) == (n + 1, occurrence_due_date(first, rule, n + 1))


@given(first=first_days, interval=st.integers(min_value=1, max_value=52), n=st.integers(min_value=1, max_value=60))
def test_weekly_occurrences_are_seven_times_interval_days_apart(first, interval, n):
    rule = {"frequency": "weekly", "interval": interval}
    gap = occurrence_due_date(first, rule, n + 1) - occurrence_due_date(first, rule, n)
    assert gap == dt.timedelta(days=7 * interval)
    assert occurrence_due_date(first, rule, n + 1).weekday() == first.weekday()


@given(first=first_days, interval=st.integers(min_value=1, max_value=12), n=st.integers(min_value=1, max_value=40))
def test_monthly_occurrences_never_drift(first, interval, n):
    """Each occurrence is counted from the first, so a clamped Feb 28 does not pull later months to the 28th."""
    due = occurrence_due_date(first, {"frequency": "monthly", "interval": interval}, n)
    assert due.day == min(first.day, calendar.monthrange(due.year, due.month)[1])
    assert (due.year - first.year) * 12 + due.month - first.month == (n - 1) * interval


@given(
    first=first_days,
    rule=rules,
    count=st.integers(min_value=2, max_value=30),
)
def test_a_counted_series_has_exactly_count_occurrences(first, rule, count):
    rule = {**rule, "count": count}
    occurrence, seen = 1, 1
    while (following := next_occurrence(first, rule, occurrence)) is not None:
        occurrence, seen = following[0], seen + 1
    assert seen == count


# Worklist buckets -------------------------------------------------------------------------------------------

DAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("due", "snoozed_until", "bucket"),
    [
        (DAY - dt.timedelta(days=1), None, OVERDUE),
        (DAY - dt.timedelta(days=400), None, OVERDUE),
        (DAY, None, TODAY),
        (DAY + dt.timedelta(days=1), None, UPCOMING),
        (None, None, UPCOMING),
        (DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=1), SNOOZED),
        (None, DAY + dt.timedelta(days=5), SNOOZED),
        (DAY - dt.timedelta(days=3), DAY, OVERDUE),  # a snooze ending today is over
        (DAY, DAY - dt.timedelta(days=1), TODAY),
    ],
)
def test_worklist_bucket(due, snoozed_until, bucket):
    assert worklist_bucket(due, DAY, snoozed_until) == bucket


# Escalation timing ------------------------------------------------------------------------------------------


def _local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_local(2026, 11, 26, 9, 0), False),  # due yesterday: overdue 9 h
        (_local(2026, 11, 26, 23, 59), False),
        (_local(2026, 11, 27, 0, 0), False),  # exactly 24 h after the end of the due day
        (_local(2026, 11, 27, 0, 1), True),
        (_local(2026, 11, 28, 12, 0), True),
        (_local(2026, 11, 25, 12, 0), False),  # still the due day
    ],
)
def test_escalation_due_counts_from_the_end_of_the_due_day(now, expected):
    assert escalation_due(due_date=dt.date(2026, 11, 25), now=now, tz=CHICAGO, threshold_hours=24) is expected


def test_escalation_due_uses_the_organizations_time_zone():
    # 2026-11-27 05:30 UTC is 23:30 on the 26th in Chicago: 23.5 h after the end of the 25th there, but
    # 29.5 h after the end of the 25th in UTC.
    now = dt.datetime(2026, 11, 27, 5, 30, tzinfo=dt.UTC)
    assert escalation_due(due_date=dt.date(2026, 11, 25), now=now, tz=CHICAGO, threshold_hours=24) is False
    assert escalation_due(due_date=dt.date(2026, 11, 25), now=now, tz=dt.UTC, threshold_hours=24) is True


@pytest.mark.parametrize("as_utc", [False, True])
def test_escalation_due_across_the_spring_forward_day(as_utc):
    # Due Saturday 2026-03-07; the day ends at 00:00 CST (06:00 UTC) on the 8th, when clocks spring forward at
    # 02:00. 24 real hours later is 01:00 CDT on the 9th, not midnight.
    before, after = _local(2026, 3, 9, 0, 30), _local(2026, 3, 9, 1, 30)
    if as_utc:
        before, after = before.astimezone(dt.UTC), after.astimezone(dt.UTC)
    assert escalation_due(due_date=dt.date(2026, 3, 7), now=before, tz=CHICAGO, threshold_hours=24) is False
    assert escalation_due(due_date=dt.date(2026, 3, 7), now=after, tz=CHICAGO, threshold_hours=24) is True


@pytest.mark.parametrize("as_utc", [False, True])
def test_escalation_due_across_the_fall_back_day(as_utc):
    # Due Saturday 2026-10-31; the 1st of November has 25 hours, so 24 h later is 23:00 CST on the 1st.
    before, after = _local(2026, 11, 1, 22, 30), _local(2026, 11, 1, 23, 30)
    if as_utc:
        before, after = before.astimezone(dt.UTC), after.astimezone(dt.UTC)
    assert escalation_due(due_date=dt.date(2026, 10, 31), now=before, tz=CHICAGO, threshold_hours=24) is False
    assert escalation_due(due_date=dt.date(2026, 10, 31), now=after, tz=CHICAGO, threshold_hours=24) is True


@pytest.mark.parametrize(("hours", "expected"), [(0, True), (8, True), (9, False), (48, False)])
def test_escalation_due_threshold(hours, expected):
    now = _local(2026, 11, 26, 8, 30)  # 8.5 h after the end of the 25th
    assert escalation_due(due_date=dt.date(2026, 11, 25), now=now, tz=CHICAGO, threshold_hours=hours) is expected
