"""Tests for the multi-visit planner (pure: no database).

The brute-force section enumerates every combination of candidate slots for small random instances, computes the
lexicographic optimum (trips, completion, waiting) independently of the planner, and checks the planner agrees; for
infeasible instances it checks the reported conflicts are themselves infeasible and minimal.
"""

import itertools
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from carecoord.scheduling.planner import (
    CandidateSlot,
    Deadline,
    NoOverlap,
    NotBefore,
    Order,
    PlanRequest,
    VisitRequest,
    expand_series,
    plan,
)

TZ_NAME = "America/New_York"
TZ = ZoneInfo(TZ_NAME)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def slot(slot_id: str, day: int, hour: int, minute: int = 0, *, minutes: int = 60, loc: str | None = "main"):
    start = at(day, hour, minute)
    return CandidateSlot(slot_id, start, start + timedelta(minutes=minutes), loc, "dr-1")


def visit(visit_id: str, label: str, *slots: CandidateSlot, **kwargs) -> VisitRequest:
    return VisitRequest(visit_id, label, list(slots), **kwargs)


def request(visits, constraints=(), **kwargs) -> PlanRequest:
    return PlanRequest(list(visits), list(constraints), time_zone=TZ_NAME, **kwargs)


def chosen_ids(result) -> dict[str, str]:
    return {vid: s.slot_id for vid, s in result.chosen.items()}


# --- feasible plans and each objective level -------------------------------------------------------------------


def test_lab_then_primary_care_two_days_later():
    lab = visit("lab", "Lab draw", slot("lab-1", 1, 9), slot("lab-2", 2, 9))
    pcp = visit("pcp", "Primary care follow-up", slot("pcp-1", 2, 10), slot("pcp-2", 3, 10), slot("pcp-3", 4, 10))
    result = plan(request([lab, pcp], [Order("lab", "pcp", 2, unit="days")]))

    assert result.feasible
    assert result.optimal
    assert chosen_ids(result) == {"lab": "lab-1", "pcp": "pcp-2"}
    assert result.trips == 2
    assert result.trip_days == [date(2026, 12, 1), date(2026, 12, 3)]
    assert result.completion == at(3, 11)
    assert result.waiting_minutes == 0
    assert result.explanation == []
    assert [vid for vid, _ in result.itinerary] == ["lab", "pcp"]


def test_fewer_trips_beats_earlier_completion():
    # Lab on day 1 finishes the plan earliest (day 2, 10:00) but needs two trips; both on day 2 is one trip.
    lab = visit("lab", "Lab draw", slot("lab-d1", 1, 9), slot("lab-d2", 2, 11))
    cardio = visit("cardio", "Cardiology", slot("cardio-d2", 2, 9))
    result = plan(request([lab, cardio]))

    assert chosen_ids(result) == {"lab": "lab-d2", "cardio": "cardio-d2"}
    assert result.trips == 1
    assert result.completion == at(2, 12)


def test_equal_trips_earlier_completion_wins():
    # Candidates listed latest first: the completion stage, not the candidate order, picks day 1.
    a = visit("a", "Lab draw", slot("a-d2", 2, 9), slot("a-d1", 1, 9))
    b = visit("b", "Imaging", slot("b-d2", 2, 10), slot("b-d1", 1, 10))
    result = plan(request([a, b]))

    assert chosen_ids(result) == {"a": "a-d1", "b": "b-d1"}
    assert result.trips == 1
    assert result.completion == at(1, 11)


def test_least_waiting_on_the_same_day():
    # Same trips and completion either way; 9:00 would leave two hours of waiting before 12:00.
    a = visit("a", "Lab draw", slot("a-9", 1, 9), slot("a-11", 1, 11))
    b = visit("b", "Primary care", slot("b-12", 1, 12))
    result = plan(request([a, b]))

    assert chosen_ids(result) == {"a": "a-11", "b": "b-12"}
    assert result.waiting_minutes == 0


def test_waiting_is_reported_when_unavoidable():
    a = visit("a", "Lab draw", slot("a-9", 1, 9))
    b = visit("b", "Primary care", slot("b-11", 1, 11, minutes=30), slot("b-13", 1, 13))
    result = plan(request([a, b]))

    assert chosen_ids(result) == {"a": "a-9", "b": "b-11"}
    assert result.waiting_minutes == 60


def test_trips_count_local_calendar_days():
    # 23:00 in New York is the next day in UTC: one trip locally, two in UTC.
    a = visit("a", "Lab draw", slot("a", 1, 9))
    b = visit("b", "Sleep study", slot("b", 1, 23, minutes=30))
    assert plan(request([a, b])).trips == 1
    assert plan(PlanRequest([a, b], time_zone="UTC")).trips == 2


def test_transport_days_reported_when_needed():
    a = visit("a", "Lab draw", slot("a", 1, 9))
    b = visit("b", "Cardiology", slot("b", 4, 9))
    result = plan(request([a, b], transport_needed=True))
    assert result.transport_days == [date(2026, 12, 1), date(2026, 12, 4)]
    assert plan(request([a, b])).transport_days == []


def test_patient_windows_and_earliest_start_filter_slots():
    a = visit("a", "Lab draw", slot("a-early", 1, 7), slot("a-d1", 1, 9), slot("a-d2", 2, 9))
    windows = [(at(1, 8), at(1, 12)), (at(2, 8), at(2, 12))]
    assert chosen_ids(plan(request([a], patient_windows=windows))) == {"a": "a-d1"}
    assert chosen_ids(plan(request([a], patient_windows=windows, earliest_start=at(1, 12)))) == {"a": "a-d2"}


def test_max_gap_in_minutes():
    lab = visit("lab", "Lab draw", slot("lab", 1, 9))
    xray = visit("xray", "X-ray", slot("x-late", 1, 13), slot("x-soon", 1, 10, 30))
    result = plan(request([lab, xray], [Order("lab", "xray", 15, 60)]))
    assert chosen_ids(result) == {"lab": "lab", "xray": "x-soon"}


def test_visit_deadline_and_not_before_shorthands():
    a = visit("a", "Cardiology", slot("d1", 1, 9), slot("d3", 3, 9), slot("d5", 5, 9), not_before=date(2026, 12, 2))
    b = visit("b", "Echo", slot("e1", 1, 9), slot("e6", 6, 9), deadline=date(2026, 12, 5))
    result = plan(request([a, b]))
    assert chosen_ids(result) == {"a": "d3", "b": "e1"}


def test_deterministic():
    visits = [visit(f"v{i}", f"Visit {i}", *[slot(f"v{i}-{d}", d, 9 + i) for d in range(1, 5)]) for i in range(3)]
    first = plan(request(visits))
    assert all(plan(request(visits)) == first for _ in range(3))


# --- travel buffer ----------------------------------------------------------------------------------------------


def test_travel_buffer_between_locations():
    a = visit("a", "Lab draw", slot("a", 1, 9, loc="north"))
    b = visit("b", "Cardiology", slot("b-10", 1, 10, loc="south"), slot("b-1030", 1, 10, 30, loc="south"))
    assert chosen_ids(plan(request([a, b]))) == {"a": "a", "b": "b-10"}
    result = plan(request([a, b], min_between_locations_minutes=30))
    assert chosen_ids(result) == {"a": "a", "b": "b-1030"}
    assert result.waiting_minutes == 30


def test_no_travel_buffer_at_the_same_location():
    a = visit("a", "Lab draw", slot("a", 1, 9, loc="north"))
    b = visit("b", "Cardiology", slot("b-10", 1, 10, loc="north"), slot("b-1030", 1, 10, 30, loc="south"))
    assert chosen_ids(plan(request([a, b], min_between_locations_minutes=30))) == {"a": "a", "b": "b-10"}


def test_travel_buffer_conflict_is_explained():
    a = visit("a", "Lab draw", slot("a", 1, 9, loc="north"))
    b = visit("b", "Cardiology", slot("b", 1, 10, loc="south"))
    result = plan(request([a, b], min_between_locations_minutes=30))
    assert not result.feasible
    assert result.conflicts == [NoOverlap("a", "b")]
    assert "30 minutes to travel" in result.explanation[0]


# --- infeasible plans and their explanations --------------------------------------------------------------------


def test_no_candidate_before_deadline():
    lab = visit("lab", "Lab draw", slot("lab", 1, 9))
    cardio = visit("cardio", "Cardiology", slot("c-11", 11, 9), slot("c-12", 12, 9))
    result = plan(request([lab, cardio], [Deadline("cardio", date(2026, 12, 10))]))

    assert not result.feasible
    assert result.explanation == ["No free slot for 'Cardiology' before its deadline 12/10/2026."]
    assert result.conflicts == [Deadline("cardio", date(2026, 12, 10))]


def test_every_visit_without_a_slot_is_reported():
    a = visit("a", "Lab draw")
    b = visit("b", "Cardiology", slot("b", 1, 7))
    c = visit("c", "Echo", slot("c", 3, 9), not_before=date(2026, 12, 4))
    result = plan(request([a, b, c], patient_windows=[(at(1, 8), at(9, 18))]))
    assert result.explanation == [
        "No free slot was offered for 'Lab draw'.",
        "No free slot for 'Cardiology' while the patient is available.",
        "No free slot for 'Echo' on or after 12/04/2026.",
    ]


def test_order_gap_and_deadline_conflict():
    lab = visit("lab", "Lab draw", slot("lab", 1, 9))
    pcp = visit("pcp", "Primary care follow-up", slot("pcp-2", 2, 9), slot("pcp-4", 4, 9))
    # An unrelated constraint that must not appear in the explanation.
    echo = visit("echo", "Echo", slot("echo", 1, 11))
    constraints = [Order("lab", "echo"), Order("lab", "pcp", 2, unit="days"), Deadline("pcp", date(2026, 12, 3))]
    result = plan(request([lab, pcp, echo], constraints))

    assert not result.feasible
    assert set(result.conflicts) == {Order("lab", "pcp", 2, unit="days"), Deadline("pcp", date(2026, 12, 3))}
    assert result.explanation == [
        "'Primary care follow-up' must be at least 2 days after 'Lab draw', but then it cannot meet its deadline "
        "12/03/2026."
    ]


def test_two_visits_with_only_the_same_slot():
    a = visit("a", "Lab draw", slot("s1", 1, 9))
    b = visit("b", "Flu shot", slot("s1", 1, 9))
    c = visit("c", "Echo", slot("c", 2, 9))
    result = plan(request([a, b, c]))

    assert not result.feasible
    assert result.conflicts == [NoOverlap("a", "b")]
    assert "'Lab draw' and 'Flu shot'" in result.explanation[0]


def test_chain_conflict_names_all_links():
    a = visit("a", "Lab draw", slot("a", 1, 9))
    b = visit("b", "Imaging", slot("b1", 1, 11), slot("b2", 2, 9))
    c = visit("c", "Primary care", slot("c3", 3, 9), slot("c4", 4, 9))
    constraints = [Order("a", "b", 1, unit="days"), Order("b", "c", 2, unit="days"), Deadline("c", date(2026, 12, 3))]
    result = plan(request([a, b, c], constraints))
    assert set(result.conflicts) == set(constraints)
    assert result.explanation[0].startswith("These requirements cannot all be met together:")
    assert "'Primary care' must be done by its deadline 12/03/2026" in result.explanation[0]


def test_invalid_input_raises():
    a = visit("a", "Lab draw", slot("a", 1, 9))
    with pytest.raises(ValueError, match="unknown visit"):
        plan(request([a], [Order("a", "nope")]))
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(request([visit("b", "B", CandidateSlot("s", datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)))]))
    with pytest.raises(ValueError, match="unique"):
        plan(request([a, a]))


# --- expand_series ----------------------------------------------------------------------------------------------


def test_expand_series_twice_a_week_for_three_weeks():
    monday = date(2026, 11, 30)
    days = [monday + timedelta(days=i) for i in range(21)]
    starts = [datetime.combine(d, time(14), tzinfo=TZ) for d in days if d.weekday() < 5]
    weekday_slots = [CandidateSlot(f"pt-{s:%m%d}", s, s + timedelta(hours=1), "rehab") for s in starts]
    visits, constraints = expand_series(
        series_id="pt", label="Physical therapy", candidates=weekday_slots, times_per_week=2, weeks=3, starting=monday
    )
    assert [v.label for v in visits] == [f"Physical therapy #{k}" for k in range(1, 7)]
    orders = [c for c in constraints if isinstance(c, Order)]
    assert orders == [Order(f"pt-{k}", f"pt-{k + 1}", 2, 5, unit="days") for k in range(1, 6)]
    assert NotBefore("pt-3", date(2026, 12, 7)) in constraints
    assert Deadline("pt-3", date(2026, 12, 13)) in constraints

    result = plan(request(visits, constraints))
    assert result.feasible
    days = [s.start.date() for _, s in result.itinerary]
    assert [(d - monday).days // 7 for d in days] == [0, 0, 1, 1, 2, 2]
    assert all(2 <= (later - earlier).days <= 5 for earlier, later in itertools.pairwise(days))
    assert result.trips == 6


def test_expand_series_rejects_nonsense():
    with pytest.raises(ValueError, match="1 to 7"):
        expand_series(series_id="pt", label="PT", candidates=[], times_per_week=8, weeks=1)


# --- brute force ------------------------------------------------------------------------------------------------


def _bound(value, *, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=int(end_of_day)), time(), tzinfo=TZ)


def _holds(rule, assign: dict, buffer: int) -> bool:
    if isinstance(rule, Deadline):
        return assign[rule.visit].end <= _bound(rule.latest_end, end_of_day=True)
    if isinstance(rule, NotBefore):
        return assign[rule.visit].start >= _bound(rule.earliest_start, end_of_day=False)
    if isinstance(rule, Order):
        first, then = assign[rule.before], assign[rule.after]
        if rule.unit == "minutes":
            gap = (then.start - first.end) / timedelta(minutes=1)
        else:
            if then.start < first.end:
                return False
            gap = (then.start.astimezone(TZ).date() - first.start.astimezone(TZ).date()).days
        return gap >= rule.min_gap and (rule.max_gap is None or gap <= rule.max_gap)
    a, b = sorted([assign[rule.first], assign[rule.second]], key=lambda s: s.start)
    needed = buffer if a.location_id and b.location_id and a.location_id != b.location_id else 0
    return (b.start - a.end) >= timedelta(minutes=needed)


def _all_rules(req: PlanRequest) -> list:
    rules = list(req.constraints)
    for v in req.visits:
        rules += [NotBefore(v.visit_id, v.not_before)] if v.not_before else []
        rules += [Deadline(v.visit_id, v.deadline)] if v.deadline else []
    ids = [v.visit_id for v in req.visits]
    return rules + [NoOverlap(a, b) for a, b in itertools.combinations(ids, 2)]


def _allowed(req: PlanRequest, v: VisitRequest) -> list[CandidateSlot]:
    return [
        s
        for s in v.candidates
        if (req.earliest_start is None or s.start >= req.earliest_start)
        and (req.patient_windows is None or any(w0 <= s.start and s.end <= w1 for w0, w1 in req.patient_windows))
    ]


def _assignments(req: PlanRequest, rules: list):
    ids = [v.visit_id for v in req.visits]
    for combo in itertools.product(*(_allowed(req, v) for v in req.visits)):
        assign = dict(zip(ids, combo, strict=True))
        if all(_holds(rule, assign, req.min_between_locations_minutes) for rule in rules):
            yield assign


def _score(assign: dict) -> tuple[int, datetime, int]:
    by_day: dict[date, list[CandidateSlot]] = {}
    for s in assign.values():
        by_day.setdefault(s.start.astimezone(TZ).date(), []).append(s)
    waiting = 0
    for slots in by_day.values():
        slots.sort(key=lambda s: s.start)
        waiting += sum((b.start - a.end) // timedelta(minutes=1) for a, b in itertools.pairwise(slots))
    return len(by_day), max(s.end for s in assign.values()), waiting


def _random_request(rng: random.Random) -> PlanRequest:
    visits = []
    for i in range(rng.randint(3, 4)):
        slots = []
        for j in range(rng.randint(2, 4)):
            start = at(1 + rng.randint(0, 4), rng.randint(8, 15), rng.choice([0, 30]))
            end = start + timedelta(minutes=rng.choice([30, 60, 90]))
            slots.append(CandidateSlot(f"s{i}-{j}", start, end, rng.choice(["north", "south", None]), "dr"))
        deadline = date(2026, 12, rng.randint(2, 5)) if rng.random() < 0.2 else None
        visits.append(VisitRequest(f"v{i}", f"Visit {i}", slots, deadline=deadline))
    ids = [v.visit_id for v in visits]
    constraints = []
    for a, b in itertools.combinations(rng.sample(ids, len(ids)), 2):
        if rng.random() < 0.35:
            unit = rng.choice(["minutes", "days"])
            low = rng.choice([0, 30, 120] if unit == "minutes" else [0, 1, 2])
            high = rng.choice([None, low + (240 if unit == "minutes" else 2)])
            constraints.append(Order(a, b, low, high, unit=unit))
    for v in ids:
        if rng.random() < 0.15:
            constraints.append(Deadline(v, at(rng.randint(2, 5), rng.randint(9, 17))))
        if rng.random() < 0.1:
            constraints.append(NotBefore(v, date(2026, 12, rng.randint(1, 3))))
    windows = None
    if rng.random() < 0.3:
        windows = [(at(d, 8), at(d, 14)) for d in range(1, 6) if rng.random() < 0.7]
    return PlanRequest(
        visits,
        constraints,
        patient_windows=windows,
        time_zone=TZ_NAME,
        min_between_locations_minutes=rng.choice([0, 0, 30, 60]),
    )


@pytest.mark.parametrize("seed", range(200))
def test_matches_brute_force(seed):
    req = _random_request(random.Random(seed))
    rules = _all_rules(req)
    best = min((_score(a) for a in _assignments(req, rules)), default=None)
    result = plan(req)

    assert result.feasible == (best is not None), result.explanation
    if best is not None:
        assert result.optimal
        assert (result.trips, result.completion, result.waiting_minutes) == best
        assert all(_holds(rule, result.chosen, req.min_between_locations_minutes) for rule in rules)
        return
    assert result.explanation
    unreachable = [v for v in req.visits if not _allowed(req, v)]  # no slot inside the patient's windows at all
    if unreachable:
        assert all(any(f"'{v.label}'" in line for line in result.explanation) for v in unreachable)
        return
    conflicts = result.conflicts
    assert next(_assignments(req, conflicts), None) is None, "the reported conflicts must not fit together"
    if all(isinstance(c, Deadline | NotBefore) for c in conflicts):  # per-visit check: minimal for each visit
        groups = [[c for c in conflicts if c.visit == v.visit_id] for v in req.visits]
    else:
        groups = [conflicts]
    for group in filter(None, groups):
        for c in group:
            rest = [r for r in group if r is not c]
            assert next(_assignments(req, rest), None) is not None, f"{c} is not needed for the conflict"


def test_brute_force_instances_cover_both_outcomes():
    outcomes = [plan(_random_request(random.Random(seed))).feasible for seed in range(200)]
    assert 50 <= sum(outcomes) <= 150
