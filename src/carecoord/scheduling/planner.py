"""Multi-visit planner: picks one candidate slot per visit so that a whole care plan fits together.

Pure module: plain dataclasses in and out, no Django ORM. The caller computes free slots, passes them in as
candidates, and books the chosen slots atomically (all or nothing) in a service.

Map of this module
- Inputs: ``CandidateSlot``, ``VisitRequest``, constraints ``Order`` / ``Deadline`` / ``NotBefore``, ``PlanRequest``.
- Output: ``PlanResult``; ``NoOverlap`` names the implicit "one place at a time" rule when it is part of a conflict.
- ``plan(request)``: validate, drop slots outside the patient's windows, check each visit alone, then CP-SAT in stages;
  when nothing fits, a minimal set of conflicting constraints found with assumptions, said in words.
- ``expand_series(...)``: "N times a week for W weeks" as numbered visits plus Order/NotBefore/Deadline constraints.

Semantics
- Times are timezone-aware datetimes. A ``date`` deadline means "by the end of that day"; a ``date`` NotBefore means
  "from the start of that day", both in ``PlanRequest.time_zone``, which also defines calendar days (trips).
- ``Order(before, after, min_gap, max_gap, unit)``: ``after`` always starts once ``before`` has ended. With
  ``unit="minutes"`` the gap is ``after.start - before.end``; with ``unit="days"`` it is the difference of their
  local calendar days ("PCP at least 2 days after the lab" is ``Order("lab", "pcp", 2, unit="days")``).
- Chosen slots never overlap. Two slots at different locations (both known) need ``min_between_locations_minutes``
  between them; a missing location (e.g. telehealth) needs no travel. Because the buffer is constant, checking every
  pair is the same as checking consecutive visits.
- A slot is allowed only if it lies wholly inside one patient window (``None`` = always available) and starts at or
  after ``PlanRequest.earliest_start``.

Objective, lexicographic, solved in stages (each stage's optimum is fixed as a constraint before the next one):
1. fewest trips = distinct local calendar days with a visit; 2. earliest completion = end of the last visit;
3. least waiting = on each day, (last end - first start) - time in visits, i.e. gaps incl. travel;
4. tie-break: earliest starts overall (sum of start ranks), best effort within a fixed deterministic budget and
   not part of ``optimal``. Stages 1-3 are exact; staging avoids having to prove big weights safe.
Solver: one worker, fixed seed, a shared time limit; if a stage stops at the limit its best value is kept
(``optimal=False``).
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Literal
from zoneinfo import ZoneInfo

from ortools.sat.python import cp_model

from carecoord.core import timefmt

GapUnit = Literal["minutes", "days"]


@dataclass(frozen=True)
class CandidateSlot:
    """A free slot one visit could take (computed by the caller from the scheduling app's slots)."""

    slot_id: str
    start: datetime
    end: datetime
    location_id: str | None = None
    practitioner_id: str | None = None


@dataclass(frozen=True)
class VisitRequest:
    """One visit the plan needs; ``deadline``/``not_before`` are shorthands for Deadline/NotBefore constraints."""

    visit_id: str
    label: str
    candidates: Sequence[CandidateSlot]
    deadline: datetime | date | None = None
    not_before: datetime | date | None = None


@dataclass(frozen=True)
class Order:
    """``after`` starts after ``before`` ends, with a gap between ``min_gap`` and ``max_gap`` (minutes or days)."""

    before: str
    after: str
    min_gap: int = 0
    max_gap: int | None = None
    unit: GapUnit = "minutes"


@dataclass(frozen=True)
class Deadline:
    """``visit`` ends by ``latest_end`` (a date means by the end of that local day)."""

    visit: str
    latest_end: datetime | date


@dataclass(frozen=True)
class NotBefore:
    """``visit`` starts at or after ``earliest_start`` (a date means from the start of that local day)."""

    visit: str
    earliest_start: datetime | date


@dataclass(frozen=True)
class NoOverlap:
    """Implicit rule (never passed in): the patient attends ``first`` and ``second`` at different times."""

    first: str
    second: str


Constraint = Order | Deadline | NotBefore


@dataclass
class PlanRequest:
    """Everything the planner needs; see the module docstring for the meaning of each field."""

    visits: list[VisitRequest]
    constraints: list[Constraint] = field(default_factory=list)
    patient_windows: list[tuple[datetime, datetime]] | None = None
    earliest_start: datetime | None = None
    time_zone: str = "UTC"
    min_between_locations_minutes: int = 0
    transport_needed: bool = False
    time_limit_seconds: float = 10.0


@dataclass
class PlanResult:
    """The best plan found, or why there is none (``explanation`` in words, ``conflicts`` as constraints)."""

    feasible: bool
    chosen: dict[str, CandidateSlot] = field(default_factory=dict)
    trips: int = 0
    trip_days: list[date] = field(default_factory=list)
    transport_days: list[date] = field(default_factory=list)
    completion: datetime | None = None
    waiting_minutes: int = 0
    optimal: bool = False
    explanation: list[str] = field(default_factory=list)
    conflicts: list[Constraint | NoOverlap] = field(default_factory=list)

    @property
    def itinerary(self) -> list[tuple[str, CandidateSlot]]:
        """Returns the chosen (visit_id, slot) pairs in time order."""
        return sorted(self.chosen.items(), key=lambda item: (item[1].start, item[0]))


def expand_series(
    *,
    series_id: str,
    label: str,
    candidates: Sequence[CandidateSlot],
    times_per_week: int,
    weeks: int,
    starting: date | None = None,
    min_gap_days: int | None = None,
    max_gap_days: int | None = None,
) -> tuple[list[VisitRequest], list[Constraint]]:
    """Returns numbered visits ("PT #1".."PT #6") and their constraints for "N times a week for W weeks".

    Consecutive occurrences are chained by ``Order`` with a day gap (default for twice a week: 2-5 days). With
    ``starting``, occurrence k belongs to week k // N, counted in 7-day blocks from ``starting``, and gets a
    NotBefore/Deadline for that week, so "twice a week" really means two in each week.
    """
    if not 1 <= times_per_week <= 7 or weeks < 1:
        raise ValueError("A series needs 1 to 7 visits a week and at least one week.")
    low = max(1, 7 // times_per_week - 1) if min_gap_days is None else min_gap_days
    high = 7 // times_per_week + 2 if max_gap_days is None else max_gap_days
    visits: list[VisitRequest] = []
    constraints: list[Constraint] = []
    for k in range(times_per_week * weeks):
        visit_id = f"{series_id}-{k + 1}"
        visits.append(VisitRequest(visit_id, f"{label} #{k + 1}", list(candidates)))
        if k:
            constraints.append(Order(visits[k - 1].visit_id, visit_id, low, high, unit="days"))
        if starting is not None:
            week_start = starting + timedelta(days=7 * (k // times_per_week))
            constraints.append(NotBefore(visit_id, week_start))
            constraints.append(Deadline(visit_id, week_start + timedelta(days=6)))
    return visits, constraints


def plan(request: PlanRequest) -> PlanResult:
    """Returns the lexicographically best feasible plan, or an explanation of why none exists."""
    problem = _Problem(request)
    if not request.visits:
        return PlanResult(feasible=True, optimal=True)
    alone = problem.check_visits_alone()
    if alone is not None:
        return PlanResult(feasible=False, explanation=alone[0], conflicts=alone[1])
    model = _Model(problem, enforce_all=True)
    stopwatch = _Stopwatch(request.time_limit_seconds)
    picks, optimal, status = model.optimise(stopwatch)
    if picks is None:
        if status == cp_model.INFEASIBLE:
            conflicts = _minimal_conflict(problem, stopwatch)
            return PlanResult(feasible=False, explanation=[problem.describe_conflict(conflicts)], conflicts=conflicts)
        return PlanResult(feasible=False, explanation=["No plan was found within the time limit; try again."])
    return problem.result(picks, optimal)


# --- internals -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cand:
    slot: CandidateSlot
    index: int  # position in the visit's candidate list, for the tie-break
    start: int  # minutes since the problem's epoch
    end: int
    day: int  # local calendar day, counted from the problem's first day


class _Stopwatch:
    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.05, self.until - time.monotonic())


class _Problem:
    """The request, validated and normalised to integer minutes and local day numbers."""

    def __init__(self, request: PlanRequest) -> None:
        self.request = request
        self.tz = ZoneInfo(request.time_zone)
        self.labels = {v.visit_id: v.label for v in request.visits}
        if len(self.labels) != len(request.visits):
            raise ValueError("Visit ids must be unique.")
        self.unary: list[Deadline | NotBefore] = []
        for v in request.visits:
            if v.not_before is not None:
                self.unary.append(NotBefore(v.visit_id, v.not_before))
            if v.deadline is not None:
                self.unary.append(Deadline(v.visit_id, v.deadline))
        self.unary += [c for c in request.constraints if isinstance(c, Deadline | NotBefore)]
        self.orders = [c for c in request.constraints if isinstance(c, Order)]
        unknown = [c for c in request.constraints if not isinstance(c, Order | Deadline | NotBefore)]
        if unknown:
            raise ValueError(f"Unknown constraint: {unknown[0]!r}.")
        self._validate()
        all_slots = [s for v in request.visits for s in v.candidates]
        self.epoch = min((s.start for s in all_slots), default=datetime(2000, 1, 1, tzinfo=self.tz))
        self.day0 = self.epoch.astimezone(self.tz).date()
        self.cands = {v.visit_id: self._allowed(v) for v in request.visits}

    def _validate(self) -> None:
        for v in self.request.visits:
            for s in v.candidates:
                _require_aware(s.start, s.end)
                if s.end <= s.start:
                    raise ValueError(f"Slot {s.slot_id} for '{v.label}' ends before it starts.")
        for c in self.unary:
            self._require_visit(c.visit)
        for o in self.orders:
            self._require_visit(o.before)
            self._require_visit(o.after)
            if o.before == o.after or o.min_gap < 0 or (o.max_gap is not None and o.max_gap < o.min_gap):
                raise ValueError(f"Invalid order constraint: {o}.")
        for window in self.request.patient_windows or []:
            _require_aware(*window)
        if self.request.earliest_start is not None:
            _require_aware(self.request.earliest_start)

    def _require_visit(self, visit_id: str) -> None:
        if visit_id not in self.labels:
            raise ValueError(f"A constraint names an unknown visit: {visit_id!r}.")

    def _allowed(self, visit: VisitRequest) -> list[_Cand]:
        windows, earliest = self.request.patient_windows, self.request.earliest_start
        kept = []
        for index, s in enumerate(visit.candidates):
            if earliest is not None and s.start < earliest:
                continue
            if windows is not None and not any(w0 <= s.start and s.end <= w1 for w0, w1 in windows):
                continue
            start, end = self.minutes(s.start), self.minutes(s.end)
            kept.append(_Cand(s, index, start, end, (self.local_day(s.start) - self.day0).days))
        return kept

    def minutes(self, moment: datetime) -> int:
        return int((moment - self.epoch).total_seconds()) // 60

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def bound(self, value: datetime | date, *, end_of_day: bool) -> datetime:
        """Returns a datetime for a Deadline/NotBefore value (a date is a whole local day)."""
        if isinstance(value, datetime):
            _require_aware(value)
            return value
        return datetime.combine(value + timedelta(days=1 if end_of_day else 0), dtime(), tzinfo=self.tz)

    def allows(self, c: Deadline | NotBefore, cand: _Cand) -> bool:
        if isinstance(c, Deadline):
            return cand.slot.end <= self.bound(c.latest_end, end_of_day=True)
        return cand.slot.start >= self.bound(c.earliest_start, end_of_day=False)

    def check_visits_alone(self) -> tuple[list[str], list[Constraint | NoOverlap]] | None:
        """Returns reasons for every visit that has no usable slot even on its own, or None."""
        lines: list[str] = []
        conflicts: list[Constraint | NoOverlap] = []
        for v in self.request.visits:
            cands = self.cands[v.visit_id]
            if not v.candidates:
                lines.append(f"No free slot was offered for '{v.label}'.")
                continue
            if not cands:
                since = self.request.earliest_start
                when = f" from {self.fmt(since)}" if since is not None else ""
                lines.append(f"No free slot for '{v.label}' while the patient is available{when}.")
                continue
            own = [c for c in self.unary if c.visit == v.visit_id]
            if any(all(self.allows(c, cand) for c in own) for cand in cands):
                continue
            # Deletion-based minimisation: drop each rule that is not needed to rule out every slot.
            for c in list(own):
                rest = [r for r in own if r is not c]
                if not any(all(self.allows(r, cand) for r in rest) for cand in cands):
                    own = rest
            lines.append(f"No free slot for '{v.label}' {self._unary_phrase(own)}.")
            conflicts += own
        return (lines, conflicts) if lines else None

    def _unary_phrase(self, rules: Sequence[Deadline | NotBefore]) -> str:
        after = [f"on or after {self.fmt(c.earliest_start)}" for c in rules if isinstance(c, NotBefore)]
        before = [f"before its deadline {self.fmt(c.latest_end)}" for c in rules if isinstance(c, Deadline)]
        return " and ".join(after + before)

    def fmt(self, value: datetime | date) -> str:
        if isinstance(value, datetime):
            return timefmt.date_time(value, self.tz)
        return timefmt.day(value)

    def describe(self, c: Constraint | NoOverlap) -> str:
        """Returns one constraint as a requirement a coordinator can read."""
        if isinstance(c, Deadline):
            return f"'{self.labels[c.visit]}' must be done by its deadline {self.fmt(c.latest_end)}"
        if isinstance(c, NotBefore):
            return f"'{self.labels[c.visit]}' cannot be before {self.fmt(c.earliest_start)}"
        if isinstance(c, Order):
            return f"'{self.labels[c.after]}' must be {_gap_phrase(c)} '{self.labels[c.before]}'"
        first, second = self.labels[c.first], self.labels[c.second]
        return f"the patient cannot attend both '{first}' and '{second}' at once{self._travel_note()}"

    def _travel_note(self) -> str:
        travel = self.request.min_between_locations_minutes
        return f", allowing {travel} minutes to travel between locations" if travel else ""

    def describe_conflict(self, conflicts: list[Constraint | NoOverlap]) -> str:
        """Returns one sentence naming a minimal set of constraints that cannot all hold."""
        if len(conflicts) == 1 and isinstance(conflicts[0], NoOverlap):
            c = conflicts[0]
            first, second = self.labels[c.first], self.labels[c.second]
            travel = self._travel_note()
            return f"'{first}' and '{second}' only have clashing slots; the patient cannot attend both{travel}."
        if len(conflicts) == 2:
            order = next((c for c in conflicts if isinstance(c, Order)), None)
            other = next((c for c in conflicts if c is not order), None)
            if order and isinstance(other, Deadline) and other.visit == order.after:
                return (
                    f"{_cap(self.describe(order))}, but then it cannot meet its deadline {self.fmt(other.latest_end)}."
                )
            if order and isinstance(other, NotBefore) and other.visit == order.before:
                start = self.fmt(other.earliest_start)
                return f"{_cap(self.describe(order))}, but '{self.labels[order.before]}' cannot be before {start}."
        return "These requirements cannot all be met together: " + "; ".join(map(self.describe, conflicts)) + "."

    def result(self, picks: dict[str, _Cand], optimal: bool) -> PlanResult:
        by_day: dict[date, list[_Cand]] = {}
        for cand in picks.values():
            by_day.setdefault(self.local_day(cand.slot.start), []).append(cand)
        waiting = 0
        for cands in by_day.values():
            cands.sort(key=lambda c: c.start)
            waiting += sum(b.start - a.end for a, b in itertools.pairwise(cands))
        days = sorted(by_day)
        return PlanResult(
            feasible=True,
            chosen={vid: cand.slot for vid, cand in picks.items()},
            trips=len(days),
            trip_days=days,
            transport_days=days if self.request.transport_needed else [],
            completion=max(cand.slot.end for cand in picks.values()),
            waiting_minutes=waiting,
            optimal=optimal,
        )


class _Model:
    """The CP-SAT model: one boolean per (visit, allowed slot), one enforcement literal per constraint."""

    def __init__(self, problem: _Problem, *, enforce_all: bool) -> None:
        self.p = problem
        m = self.m = cp_model.CpModel()
        self.x = {vid: [m.new_bool_var(f"x[{vid},{c.index}]") for c in cands] for vid, cands in problem.cands.items()}
        for xs in self.x.values():
            m.add_exactly_one(xs)
        self.start = {vid: self._sum(vid, "start") for vid in self.x}
        self.end = {vid: self._sum(vid, "end") for vid in self.x}
        self.day = {vid: self._sum(vid, "day") for vid in self.x}
        self.literals: list[tuple[cp_model.IntVar, Constraint | NoOverlap]] = []
        for c in problem.unary:
            self._add_unary(c)
        for o in problem.orders:
            self._add_order(o)
        self._add_no_overlap()
        if enforce_all:
            for lit, _ in self.literals:
                m.add(lit == 1)

    def _sum(self, vid: str, attr: str) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.weighted_sum(self.x[vid], [getattr(c, attr) for c in self.p.cands[vid]])

    def _literal(self, c: Constraint | NoOverlap) -> cp_model.IntVar:
        lit = self.m.new_bool_var(f"lit{len(self.literals)}")
        self.literals.append((lit, c))
        return lit

    def _add_unary(self, c: Deadline | NotBefore) -> None:
        lit = self._literal(c)
        for cand, x in zip(self.p.cands[c.visit], self.x[c.visit], strict=True):
            if not self.p.allows(c, cand):
                self.m.add_bool_or([lit.Not(), x.Not()])

    def _add_order(self, o: Order) -> None:
        lit = self._literal(o)
        gap = self.start[o.after] - self.end[o.before]
        if o.unit == "minutes":
            self.m.add(gap >= o.min_gap).only_enforce_if(lit)
            if o.max_gap is not None:
                self.m.add(gap <= o.max_gap).only_enforce_if(lit)
            return
        days = self.day[o.after] - self.day[o.before]
        self.m.add(gap >= 0).only_enforce_if(lit)
        self.m.add(days >= o.min_gap).only_enforce_if(lit)
        if o.max_gap is not None:
            self.m.add(days <= o.max_gap).only_enforce_if(lit)

    def _add_no_overlap(self) -> None:
        ids = list(self.x)
        for i, first in enumerate(ids):
            for second in ids[i + 1 :]:
                clashes = self._clashing_pairs(first, second)
                if clashes:
                    lit = self._literal(NoOverlap(first, second))
                    for a, b in clashes:
                        self.m.add_bool_or([lit.Not(), self.x[first][a].Not(), self.x[second][b].Not()])

    def _clashing_pairs(self, first: str, second: str) -> list[tuple[int, int]]:
        """Positions (a, b) of the clashing candidates of two visits, in the order of a nested loop over both.

        Sorting the second visit's candidates by start and looking only at those starting near each
        candidate of the first (within the longest candidate and the travel buffer) finds the same pairs as
        comparing every pair, in near-linear time; the model and so the solver's answer stay the same.
        """
        seconds = sorted(range(len(self.p.cands[second])), key=lambda b: self.p.cands[second][b].start)
        starts = [self.p.cands[second][b].start for b in seconds]
        longest = max((c.end - c.start for c in self.p.cands[second]), default=0)
        reach = max(0, self.p.request.min_between_locations_minutes)
        pairs = []
        for a, cand in enumerate(self.p.cands[first]):
            lo = bisect.bisect_right(starts, cand.start - reach - longest)
            hi = bisect.bisect_left(starts, cand.end + reach)
            near = sorted(b for b in seconds[lo:hi] if self._clash(cand, self.p.cands[second][b]))
            pairs += [(a, b) for b in near]
        return pairs

    def _clash(self, a: _Cand, b: _Cand) -> bool:
        gap = max(a.start, b.start) - min(a.end, b.end)  # negative when the slots overlap
        la, lb = a.slot.location_id, b.slot.location_id
        travel = self.p.request.min_between_locations_minutes if la and lb and la != lb else 0
        return gap < 0 or gap < travel

    def _objectives(self) -> list[cp_model.LinearExprT]:
        m, p = self.m, self.p
        all_cands = [(c, x) for vid in self.x for c, x in zip(p.cands[vid], self.x[vid], strict=True)]
        days = sorted({c.day for c, _ in all_cands})
        used = {d: m.new_bool_var(f"day{d}") for d in days}
        lo, hi = min(c.start for c, _ in all_cands), max(c.end for c, _ in all_cands)
        completion = m.new_int_var(lo, hi, "completion")
        # Day-local bounds keep the enforced (big-M) constraints below tight; global bounds made stage 3 slow.
        day_lo = {d: min(c.start for c, _ in all_cands if c.day == d) for d in days}
        day_hi = {d: max(c.end for c, _ in all_cands if c.day == d) for d in days}
        first = {d: m.new_int_var(day_lo[d], day_hi[d], f"first{d}") for d in days}
        last = {d: m.new_int_var(day_lo[d], day_hi[d], f"last{d}") for d in days}
        for c, x in all_cands:
            m.add_implication(x, used[c.day])
            m.add(first[c.day] <= c.start).only_enforce_if(x)
            m.add(last[c.day] >= c.end).only_enforce_if(x)
        for d in days:
            m.add(last[d] >= first[d])
        for vid in self.x:
            m.add(completion >= self.end[vid])
        busy = cp_model.LinearExpr.weighted_sum([x for _, x in all_cands], [c.end - c.start for c, _ in all_cands])
        waiting = sum(last[d] - first[d] for d in days) - busy
        # Small coefficients (ranks, not minutes) keep this last stage quick to prove.
        ranks = {c: r for r, c in enumerate(sorted({c.start for c, _ in all_cands}))}
        tie_break = cp_model.LinearExpr.weighted_sum([x for _, x in all_cands], [ranks[c.start] for c, _ in all_cands])
        return [sum(used.values()), completion, waiting, tie_break]

    def optimise(self, stopwatch: _Stopwatch) -> tuple[dict[str, _Cand] | None, bool, int]:
        """Solves the stages in turn, fixing each optimum; returns the picks, whether all were optimal, the status."""
        picks: dict[str, _Cand] | None = None
        optimal = True
        status = cp_model.UNKNOWN
        *ranked, tie_break = self._objectives()
        for objective in [*ranked, tie_break]:
            self.m.minimize(objective)
            solver = _solver(stopwatch)
            if objective is tie_break:  # best effort, in deterministic time so reruns agree
                solver.parameters.max_deterministic_time = _TIE_BREAK_BUDGET
            status = solver.solve(self.m)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return picks, False, status
            if objective is not tie_break:
                optimal = optimal and status == cp_model.OPTIMAL
            value = round(solver.objective_value)
            self.m.add(objective <= value)
            # A complete hint hands the next stage this solution as its first one (the stages only tighten).
            self.m.clear_hints()
            for index in range(len(self.m.proto.variables)):
                var = self.m.get_int_var_from_proto_index(index)
                self.m.add_hint(var, solver.value(var))
            picks = {
                vid: cand
                for vid, xs in self.x.items()
                for cand, x in zip(self.p.cands[vid], xs, strict=True)
                if solver.boolean_value(x)
            }
        return picks, optimal, status


def _minimal_conflict(problem: _Problem, stopwatch: _Stopwatch) -> list[Constraint | NoOverlap]:
    """Returns a minimal set of constraints that cannot hold together (CP-SAT core, then deletion)."""
    model = _Model(problem, enforce_all=False)
    position = {lit.index: i for i, (lit, _) in enumerate(model.literals)}

    def infeasible_core(assumed: list[int]) -> list[int] | None:
        model.m.clear_assumptions()
        model.m.add_assumptions([model.literals[i][0] for i in assumed])
        solver = _solver(stopwatch)
        if solver.solve(model.m) != cp_model.INFEASIBLE:
            return None
        core = {position[i] for i in solver.sufficient_assumptions_for_infeasibility()}
        return [i for i in assumed if i in core] or assumed

    core = infeasible_core(list(range(len(model.literals)))) or list(range(len(model.literals)))
    i = 0
    while i < len(core):
        smaller = infeasible_core(core[:i] + core[i + 1 :])
        if smaller is None:
            i += 1  # this constraint is needed for the conflict
        else:
            core = smaller  # a subset of a set that made element j < i necessary keeps it necessary
    return [model.literals[i][1] for i in core]


_TIE_BREAK_BUDGET = 1.0  # CP-SAT deterministic seconds for the tie-break stage


def _solver(stopwatch: _Stopwatch) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 7
    solver.parameters.max_time_in_seconds = stopwatch.remaining()
    return solver


def _gap_phrase(o: Order) -> str:
    def amount(n: int) -> str:
        unit = o.unit[:-1] if n == 1 else o.unit
        return f"{n} {unit}"

    if o.max_gap == 0:
        return "right after" if o.unit == "minutes" else "on the same day as, and after,"
    if o.max_gap is not None and o.max_gap == o.min_gap:
        return f"exactly {amount(o.min_gap)} after"
    if o.max_gap is not None:
        return f"between {amount(o.min_gap)} and {amount(o.max_gap)} after"
    return f"at least {amount(o.min_gap)} after" if o.min_gap else "after"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("The planner needs timezone-aware datetimes.")
