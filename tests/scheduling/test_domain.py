"""Appointment status transitions (FHIR R4 AppointmentStatus)."""

import pytest

from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.domain import TRANSITIONS, TransitionError, check_transition

ALLOWED = [(current, new) for current, targets in TRANSITIONS.items() for new in targets] + [
    (current, S.ENTERED_IN_ERROR) for current in S.values if current != S.ENTERED_IN_ERROR
]
REFUSED = [(current, new) for current in S.values for new in S.values if (current, new) not in ALLOWED]


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_allowed(current, new):
    check_transition(current, new)


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_refused(current, new):
    with pytest.raises(TransitionError):
        check_transition(current, new)


def test_the_visit_path():
    for current, new in [(S.BOOKED, S.ARRIVED), (S.ARRIVED, S.CHECKED_IN), (S.CHECKED_IN, S.FULFILLED)]:
        check_transition(current, new)
    with pytest.raises(TransitionError, match="fulfilled cannot be marked cancelled"):
        check_transition(S.FULFILLED, S.CANCELLED)
