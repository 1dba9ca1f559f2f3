"""
The planner's "one place at a time" clauses: found by sorting and looking only near each candidate, they must be
exactly the pairs (and in the order) the every-pair comparison gave, so the CP-SAT model, and the plan, do not
change. Randomised candidates: overlapping and back-to-back times, several locations and none (telehealth),
mixed lengths, travel buffers, unsorted candidate lists.
"""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from carecoord.scheduling.planner import CandidateSlot, Order, PlanRequest, VisitRequest, _Model, _Problem, plan

T0 = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)


@st.composite
def candidates(draw, prefix: str):
    slots = []
    for n in range(draw(st.integers(0, 25))):
        start = T0 + dt.timedelta(minutes=5 * draw(st.integers(0, 3 * 24 * 12)))
        length = dt.timedelta(minutes=draw(st.sampled_from([5, 15, 20, 45, 90])))
        location = draw(st.sampled_from([None, "loop", "pilsen", "uptown"]))
        slots.append(CandidateSlot(f"{prefix}{n}", start, start + length, location))
    return slots


@st.composite
def requests(draw):
    visits = [
        VisitRequest(
            f"v{k}",
            f"Visit {k}",
            draw(candidates(f"v{k}-")) or [CandidateSlot(f"v{k}-x", T0, T0 + dt.timedelta(minutes=20))],
        )
        for k in range(draw(st.integers(2, 4)))
    ]
    travel = draw(st.sampled_from([0, 15, 30, 60]))
    return PlanRequest(visits=visits, min_between_locations_minutes=travel, time_zone="America/Chicago")


def every_pair(model: _Model, first: str, second: str) -> list[tuple[int, int]]:
    """The reference: the nested loop over both visits' candidates that the planner used before."""
    return [
        (a, b)
        for a, ca in enumerate(model.p.cands[first])
        for b, cb in enumerate(model.p.cands[second])
        if model._clash(ca, cb)
    ]


@settings(max_examples=300)
@given(requests())
def test_clashing_pairs_are_the_every_pair_comparison_in_the_same_order(request):
    model = _Model(_Problem(request), enforce_all=True)
    ids = list(model.x)
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            assert model._clashing_pairs(first, second) == every_pair(model, first, second)


def test_a_plan_never_puts_two_visits_too_close_at_different_locations():
    """Through `plan`: with 30 minutes of travel, the second visit at another place waits for it."""
    lab = [CandidateSlot("lab", T0, T0 + dt.timedelta(minutes=15), "loop")]
    follow_up = [
        CandidateSlot(f"fu{n}", T0 + dt.timedelta(minutes=15 * n), T0 + dt.timedelta(minutes=15 * n + 20), "uptown")
        for n in range(6)
    ]
    request = PlanRequest(
        visits=[VisitRequest("lab", "Lab draw", lab), VisitRequest("fu", "Follow-up", follow_up)],
        constraints=[Order("lab", "fu", 0)],
        min_between_locations_minutes=30,
    )
    result = plan(request)
    assert result.optimal
    assert result.chosen["fu"].slot_id == "fu3"  # 14:45: the lab ends 14:15, plus 30 minutes to get there
