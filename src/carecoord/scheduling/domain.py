"""
Appointment status rules, pure: which FHIR R4 AppointmentStatus may follow which.

proposed/pending/waitlist → booked (or cancelled); booked → arrived → checked-in → fulfilled
(arrived or checked-in may go straight to fulfilled); booked → noshow; anything not yet final → cancelled;
every status → entered-in-error, which is final.
"""

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
