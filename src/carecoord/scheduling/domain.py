"""
Appointment status rules, pure: which FHIR R4 AppointmentStatus may follow which.

proposed/pending/waitlist → booked (or cancelled); booked → arrived → checked-in → fulfilled
(arrived or checked-in may go straight to fulfilled); booked → noshow; anything not yet final → cancelled;
every status → entered-in-error, which is final.
A visit's progress also waits for its time: arrived and checked-in from its day (in the organization's time
zone), fulfilled and no-show from its start.
"""

import datetime as dt

from .choices import AppointmentStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.PENDING, S.BOOKED, S.WAITLIST, S.CANCELLED}),
    S.PENDING: frozenset({S.BOOKED, S.CANCELLED}),
    S.WAITLIST: frozenset({S.PENDING, S.BOOKED, S.CANCELLED}),
    S.BOOKED: frozenset({S.ARRIVED, S.CHECKED_IN, S.NOSHOW, S.CANCELLED}),
    S.ARRIVED: frozenset({S.CHECKED_IN, S.FULFILLED}),
    S.CHECKED_IN: frozenset({S.FULFILLED}),
    S.FULFILLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NOSHOW: frozenset(),
    S.ENTERED_IN_ERROR: frozenset(),
}


class TransitionError(Exception):
    """A status change the rules do not allow; the message is fit for a person."""


def check_transition(current: str, new: str) -> None:
    """Raises TransitionError unless an appointment in `current` may move to `new`."""
    if new == S.ENTERED_IN_ERROR and current != S.ENTERED_IN_ERROR:
        return
    if new not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(
            f"An appointment that is {S(current).label.lower()} cannot be marked {S(new).label.lower()}."
        )


# The visit's progress that may be recorded from the start of its day (the rest waits for its start).
FROM_THE_DAY = frozenset({S.ARRIVED, S.CHECKED_IN})


def timing_error(status: str, start: dt.datetime, now: dt.datetime, tz) -> str | None:
    """Why `status` cannot be recorded yet for a visit starting at `start`, or None when it can."""
    if status in FROM_THE_DAY and now.astimezone(tz).date() < start.astimezone(tz).date():
        return f"An appointment cannot be marked {S(status).label.lower()} before the day of the appointment."
    if status == S.NOSHOW and now < start:
        return "An appointment cannot be a no-show before it starts."
    if status == S.FULFILLED and now < start:
        return "An appointment cannot be marked seen (fulfilled) before it starts."
    return None
