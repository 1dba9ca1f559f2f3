"""
The scheduling scenarios, in-process (their pages are still being built): slot search, the multi-visit
planner, and booking under concurrent clients with the double-booking race. Run by bench/run.py after the
page scenarios; the data comes from bench/scheduling_data.py.

- slot_search: `selectors.slots_available` for one appointment type (Follow-up visit, 20 min) over 30 days
  and 50 practitioners, every slot (`limit=None`), timed interleaved with its floor, then by `concurrency`
  threads for throughput; then the find page's capped search alone (`page` in the results).
  The floor (`slot_inputs_floor`) is one SQL query fetching the same inputs the selector reads — the 50
  practitioners' weekly hours offering the type, their blocking appointments and time away overlapping the
  window, and the organization's closed dates — and no arithmetic: it is what the database must do at least;
  the rest of the selector's time is building slots in Python. Each distinct input is checked once: slots
  computed (untimed) by `slots.free_slots` from the floor's rows must equal the selector's.
- planner: six visits (lab draw; PCP follow-up 2-10 days after the lab; cardiology new-patient visit within
  14 days; physical therapy three times, 2-5 days apart, after the cardiology visit) for one patient, each
  visit's candidates from `slots_available` (its practitioner, 28 days), then `planner.plan`: the time to
  the first optimal answer, separately from gathering the candidates.
- booking: `services.appointment_book` by `concurrency` threads on distinct free slots (distinct patients),
  bookings per second; then the race: RACE_THREADS threads book one slot at once, exactly one must win, the
  others get ConflictError. Everything booked here is deleted afterwards (the audit entries stay).
"""

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .stats import Samples

SLOT_WINDOW_DAYS = 30
SLOT_INPUTS = 10  # windows starting 1..10 days ahead
SLOT_REQUESTS = 30  # per way; each call builds every free slot of the window (~18,000-20,000)
SLOT_PAGE_REQUESTS = 30  # the find page's search: whole days, at most DAY_LIMIT a day, until RESULT_LIMIT
SLOT_CONCURRENT_CALLS = 16
PLANNER_RUNS = 5
PLANNER_WINDOW_DAYS = 28
BOOKINGS = 200
RACE_THREADS = 8
RACE_ROUNDS = 5
BOOKING_HORIZON = (31, 45)  # days ahead: beyond the generated appointments


@dataclass
class SchedulingContext:
    """The generated scheduling data the scenarios use."""

    base: Any  # scenarios.Context
    types: dict[str, Any]
    fifty: list  # practitioners offering follow-up visits (the first 50 by id)
    lab: Any
    pcp: Any
    cardiologist: Any
    therapist: Any
    tomorrow: dt.date
    notes: list[str] = field(default_factory=list)


def build(ctx) -> SchedulingContext | None:
    """The scheduling context, or None when the dataset has no scheduling data."""
    from carecoord.directory.models import Practitioner
    from carecoord.scheduling.models import AppointmentType

    from . import names
    from .scheduling_data import CARDIOLOGY, FOLLOW_UP, LAB_CODES, PHYSICAL_THERAPIST, SCHEDULED_PRACTITIONERS

    types = {t.name: t for t in AppointmentType.objects.filter(organization=ctx.organization)}
    if FOLLOW_UP not in types:
        return None
    offering = (
        Practitioner.objects.filter(
            organization=ctx.organization, active=True, schedules__appointment_types=types[FOLLOW_UP]
        )
        .distinct()
        .order_by("id")
    )
    fifty = list(offering[:SCHEDULED_PRACTITIONERS])

    def first(codes):
        return next(p for p in offering if p.specialty_code in codes)

    pcp_codes = names.PRIMARY_CARE_CODES - LAB_CODES
    return SchedulingContext(
        base=ctx,
        types=types,
        fifty=fifty,
        lab=first(LAB_CODES),
        pcp=first(pcp_codes),
        cardiologist=first({CARDIOLOGY}),
        therapist=first({PHYSICAL_THERAPIST}),
        tomorrow=ctx.today + dt.timedelta(days=1),
    )


def run_all(ctx, args, console, only: set[str]) -> dict:
    """Runs the chosen scheduling scenarios; returns their results by name."""
    chosen = [name for name in ("slot_search", "planner", "booking") if not only or name in only]
    if not chosen:
        return {}
    sctx = build(ctx)
    if sctx is None:
        return {name: {"status": "no scheduling data: run `python -m bench.generate` (it adds it)"} for name in chosen}
    runners = {"slot_search": slot_search, "planner": planner, "booking": booking}
    results = {}
    for name in chosen:
        console.print(f"• {name.replace('_', ' ')} (in-process)")
        started = time.monotonic()
        results[name] = runners[name](sctx, args)
        results[name]["seconds"] = round(time.monotonic() - started, 1)
    return results


# -- slot search ---------------------------------------------------------------------------------------------
def _slot_window(sctx: SchedulingContext, k: int) -> tuple[dt.date, dt.date]:
    first = sctx.tomorrow + dt.timedelta(days=k % SLOT_INPUTS)
    return first, first + dt.timedelta(days=SLOT_WINDOW_DAYS - 1)


def slot_selector(sctx: SchedulingContext, window) -> list[tuple]:
    from carecoord.scheduling.selectors import slots_available

    first, last = window
    found = slots_available(
        sctx.base.actor,
        appointment_type=sctx.types["Follow-up visit"],
        first_day=first,
        last_day=last,
        practitioners=sctx.fifty,
        limit=None,
    )
    return [(s.start, s.practitioner.pk, s.location.pk) for s in found]


def slot_page(sctx: SchedulingContext, window) -> int:
    """The find page's search (not its rendering): `slots_available` capped as the page caps it."""
    from carecoord.scheduling.selectors import slots_available
    from carecoord.scheduling.slot_search import DAY_LIMIT, RESULT_LIMIT

    first, last = window
    found = slots_available(
        sctx.base.actor, appointment_type=sctx.types["Follow-up visit"], first_day=first, last_day=last,
        practitioners=sctx.fifty, limit=RESULT_LIMIT, per_day=DAY_LIMIT,
    )  # fmt: skip
    return len(found)


def slot_inputs_floor(sctx: SchedulingContext, cursor, window) -> list[tuple]:
    """One query: the hours (offering the type), bookings, time away and closed dates the selector reads."""
    from django.db import connection

    from carecoord.scheduling.choices import BLOCKING_STATUSES
    from carecoord.scheduling.selectors import _utc_span

    first, last = window
    span = _utc_span(first, last, sctx.base.organization.tz)
    ids = {f"p{i}": p.pk for i, p in enumerate(sctx.fifty)}
    statuses = {f"s{i}": str(s) for i, s in enumerate(BLOCKING_STATUSES)}
    people = ", ".join(f"%({k})s" for k in ids)
    blocking = ", ".join(f"%({k})s" for k in statuses)
    t, d, ts = "CAST(NULL AS time)", "CAST(NULL AS date)", "CAST(NULL AS timestamp)"
    if connection.vendor == "postgresql":
        ts = "CAST(NULL AS timestamptz)"
    sql = f"""
        SELECT 'hours', s.practitioner_id, s.location_id, s.weekday, s.start_time, s.end_time,
               s.effective_from, s.effective_until, {ts}, {ts}
        FROM scheduling_practitionerschedule s
        JOIN scheduling_practitionerschedule_appointment_types st
          ON st.practitionerschedule_id = s.id AND st.appointmenttype_id = %(type)s
        JOIN directory_practitioner p ON p.id = s.practitioner_id AND p.active = %(yes)s
        JOIN directory_location l ON l.id = s.location_id AND l.active = %(yes)s
        WHERE s.organization_id = %(org)s AND s.active = %(yes)s AND s.practitioner_id IN ({people})
          AND (s.effective_from IS NULL OR s.effective_from <= %(last)s)
          AND (s.effective_until IS NULL OR s.effective_until >= %(first)s)
        UNION ALL
        SELECT 'busy', a.practitioner_id, NULL, NULL, {t}, {t}, {d}, {d}, a."start", a."end"
        FROM scheduling_appointment a
        WHERE a.practitioner_id IN ({people}) AND a.status IN ({blocking})
          AND a."start" < %(span_end)s AND a."end" > %(span_start)s
        UNION ALL
        SELECT 'busy', u.practitioner_id, NULL, NULL, {t}, {t}, {d}, {d}, u."start", u."end"
        FROM scheduling_practitionerunavailability u
        WHERE u.practitioner_id IN ({people}) AND u."start" < %(span_end)s AND u."end" > %(span_start)s
        UNION ALL
        SELECT 'closed', NULL, NULL, NULL, {t}, {t}, c.date, {d}, {ts}, {ts}
        FROM scheduling_closeddate c
        WHERE c.organization_id = %(org)s AND c.date BETWEEN %(first)s AND %(last)s
    """
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "type": sctx.types["Follow-up visit"].pk,
        "org": sctx.base.organization.pk,
        "yes": True,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "span_start": adapt(span.start),
        "span_end": adapt(span.end),
        **ids,
        **statuses,
    }
    cursor.execute(sql, params)
    return cursor.fetchall()


def slots_from_floor(sctx: SchedulingContext, rows: list[tuple], window) -> list[tuple]:
    """The slots the floor's rows imply (pure slot arithmetic, untimed): the check that both read the same."""
    from collections import defaultdict

    from carecoord.core import clock
    from carecoord.scheduling import slots as slot_math

    first, last = window
    org = sctx.base.organization
    hours, busy, closed = defaultdict(list), defaultdict(list), set()
    for kind, practitioner_id, location_id, weekday, start_time, end_time, e_from, e_until, start, end in rows:
        if kind == "hours":
            block = slot_math.WeeklyHours(weekday, _time(start_time), _time(end_time), _date(e_from), _date(e_until))
            hours[(practitioner_id, location_id)].append(block)
        elif kind == "busy":
            busy[practitioner_id].append(slot_math.Interval(_moment(start), _moment(end)))
        else:
            closed.add(_date(e_from))
    public = clock.business_holidays(org.state, range(first.year, last.year + 1))
    closed |= {day for day in public if first <= day <= last}
    lists = [
        slot_math.free_slots(
            tz=org.tz, first_day=first, last_day=last, hours=blocks,
            duration=dt.timedelta(minutes=sctx.types["Follow-up visit"].duration_minutes),
            busy=busy[key[0]], closed_days=closed, not_before=clock.now(), key=key,
        )
        for key, blocks in hours.items()
    ]  # fmt: skip
    return [(s.start, s.key[0], s.key[1]) for s in slot_math.merge_slots(*lists)]


def _time(value):
    return dt.time.fromisoformat(value) if isinstance(value, str) else value


def _date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _moment(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite: naive UTC text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def slot_search(sctx: SchedulingContext, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    windows = [_slot_window(sctx, k) for k in range(SLOT_INPUTS)]
    samples = {"floor": Samples(), "selector": Samples()}

    def floor(window):
        with connection.cursor() as cursor:
            return slot_inputs_floor(sctx, cursor, window)

    run = {"floor": floor, "selector": lambda w: slot_selector(sctx, w)}
    for window in windows[:2]:
        run["floor"](window)
        run["selector"](window)
    with CaptureQueriesContext(connection) as captured:
        slot_selector(sctx, windows[0])
    requests = min(args.requests, SLOT_REQUESTS)
    mismatches, counts, floor_rows = 0, [], []
    for i in range(requests):
        window = windows[i % len(windows)]
        order = ["floor", "selector"] if i % 2 == 0 else ["selector", "floor"]
        got = {way: samples[way].time(run[way], window) for way in order}
        if i < len(windows):  # each distinct window checked once (the check costs as much as the selector)
            counts.append(len(got["selector"]))
            floor_rows.append(len(got["floor"]))
            if slots_from_floor(sctx, got["floor"], window) != got["selector"]:
                mismatches += 1
    page = Samples()
    for i in range(SLOT_PAGE_REQUESTS):
        page.time(slot_page, sctx, windows[i % len(windows)])
    return {
        "label": f"Slot search: {len(sctx.fifty)} practitioners x {SLOT_WINDOW_DAYS} days, one type",
        "page": page.summary(),
        "practitioners": len(sctx.fifty),
        "selector": samples["selector"].summary(),
        "floor": samples["floor"].summary(),
        "floor_ratio": _ratio(samples["selector"], samples["floor"]),
        "queries": len(captured.captured_queries),
        "slots_per_search": _span(counts),
        "floor_rows": _span(floor_rows),
        "rows_match": mismatches == 0,
        "mismatches": mismatches,
        "concurrent": _threads(
            args.concurrency, SLOT_CONCURRENT_CALLS, lambda i: slot_selector(sctx, windows[i % len(windows)])
        ),
    }


def _ratio(ours: Samples, floor: Samples) -> float | None:
    a, b = ours.summary().get("p95_ms"), floor.summary().get("p95_ms")
    return round(a / b, 1) if a and b else None


def _span(values: list[int]) -> str:
    return f"{min(values)}-{max(values)}" if values else "—"


def _threads(concurrency: int, total: int, call) -> dict:
    """`concurrency` threads sharing `total` calls (each thread has its own database connection)."""
    from django.db import connections

    samples, errors, lock = Samples(), [], threading.Lock()
    counter = iter(range(total))

    def worker():
        local = Samples()
        try:
            for i in iter(lambda: next(counter, None), None):
                try:
                    local.time(call, i)
                except Exception as exc:  # counted and reported, not hidden
                    errors.append(repr(exc)[:200])
        finally:
            connections.close_all()
            with lock:
                samples.seconds.extend(local.seconds)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = samples.summary(wall_seconds=time.perf_counter() - started)
    return {"threads": concurrency, "errors": len(errors), "error_example": errors[0] if errors else None, **summary}


# -- the planner ---------------------------------------------------------------------------------------------
def _plan_request(sctx: SchedulingContext, patient, first: dt.date):
    """Six visits for one patient, candidates from slots_available for each visit's practitioner."""
    from carecoord.scheduling import planner as p
    from carecoord.scheduling.selectors import slots_available

    last = first + dt.timedelta(days=PLANNER_WINDOW_DAYS - 1)

    def candidates(type_name: str, practitioner) -> list:
        found = slots_available(
            sctx.base.actor, appointment_type=sctx.types[type_name], first_day=first, last_day=last,
            practitioners=[practitioner], patient=patient, limit=None,
        )  # fmt: skip
        return [
            p.CandidateSlot(f"{type_name}-{n}", s.start, s.end, str(s.location.pk), str(s.practitioner.pk))
            for n, s in enumerate(found)
        ]

    therapy = candidates("Physical therapy", sctx.therapist)
    visits = [
        p.VisitRequest("lab", "Lab draw", candidates("Lab draw", sctx.lab)),
        p.VisitRequest("pcp", "PCP follow-up", candidates("Follow-up visit", sctx.pcp)),
        p.VisitRequest(
            "cardio", "Cardiology visit", candidates("New patient visit", sctx.cardiologist),
            deadline=first + dt.timedelta(days=13),
        ),
        *[p.VisitRequest(f"pt{k}", f"Physical therapy #{k}", therapy) for k in (1, 2, 3)],
    ]  # fmt: skip
    constraints = [
        p.Order("lab", "pcp", 2, 10, unit="days"),
        p.Order("cardio", "pt1", 0, unit="days"),
        p.Order("pt1", "pt2", 2, 5, unit="days"),
        p.Order("pt2", "pt3", 2, 5, unit="days"),
    ]
    return p.PlanRequest(
        visits=visits, constraints=constraints, time_zone=sctx.base.organization.timezone,
        min_between_locations_minutes=30, time_limit_seconds=60,
    )  # fmt: skip


def planner(sctx: SchedulingContext, _args) -> dict:
    from carecoord.scheduling.planner import plan

    gather, solve = Samples(), Samples()
    outcomes = []
    for run in range(PLANNER_RUNS):
        patient = sctx.base.patients[run % len(sctx.base.patients)]
        request = gather.time(_plan_request, sctx, patient, sctx.tomorrow + dt.timedelta(days=run))
        result = solve.time(plan, request)
        outcomes.append(
            {
                "candidates": sum(len(v.candidates) for v in request.visits),
                "feasible": result.feasible,
                "optimal": result.optimal,
                "trips": result.trips,
                "waiting_minutes": result.waiting_minutes,
                "explanation": result.explanation[:1],
            }
        )
    return {
        "label": "Multi-visit plan: 6 visits, CP-SAT",
        "runs": PLANNER_RUNS,
        "candidates": gather.summary(),
        "plan": solve.summary(),
        "candidate_slots": _span([o["candidates"] for o in outcomes]),
        "optimal": sum(o["optimal"] for o in outcomes),
        "feasible": sum(o["feasible"] for o in outcomes),
        "trips": _span([o["trips"] for o in outcomes if o["feasible"]]),
        "outcomes": outcomes,
    }


# -- booking -------------------------------------------------------------------------------------------------
def _free_slots(sctx: SchedulingContext, count: int) -> list:
    """`count` free follow-up slots that do not overlap each other (per practitioner), beyond the bookings."""
    from carecoord.scheduling.selectors import slots_available

    first = sctx.base.today + dt.timedelta(days=BOOKING_HORIZON[0])
    last = sctx.base.today + dt.timedelta(days=BOOKING_HORIZON[1])
    found = slots_available(
        sctx.base.actor, appointment_type=sctx.types["Follow-up visit"], first_day=first, last_day=last,
        practitioners=sctx.fifty, limit=None,
    )  # fmt: skip
    taken: dict[int, dt.datetime] = {}
    chosen = []
    for slot in found:
        if slot.start >= taken.get(slot.practitioner.pk, slot.start):
            chosen.append(slot)
            taken[slot.practitioner.pk] = slot.end
            if len(chosen) == count:
                break
    return chosen


def _book(sctx: SchedulingContext, patient, slot):
    from carecoord.scheduling.services import appointment_book

    return appointment_book(
        actor=sctx.base.actor, patient=patient, practitioner=slot.practitioner, location=slot.location,
        appointment_type=sctx.types["Follow-up visit"], start=slot.start,
    )  # fmt: skip


def booking(sctx: SchedulingContext, args) -> dict:
    from carecoord.careplans.selectors import caseload_for
    from carecoord.scheduling.models import Appointment

    caseload = list(caseload_for(sctx.base.actor).order_by("id")[: BOOKINGS + RACE_THREADS])
    patients, racers = caseload[:-RACE_THREADS], caseload[-RACE_THREADS:]
    slots = _free_slots(sctx, len(patients) + RACE_ROUNDS)
    pairs = list(zip(patients, slots[: len(patients)], strict=False))
    booked_ids: list[int] = []
    lock = threading.Lock()

    def book(i: int) -> None:
        appointment = _book(sctx, *pairs[i])
        with lock:
            booked_ids.append(appointment.pk)

    try:
        concurrent = _threads(args.concurrency, len(pairs), book)
        race = _race(sctx, racers, slots[len(pairs) :], lock)
    finally:
        Appointment.objects.filter(pk__in=booked_ids).delete()
    return {
        "label": f"Booking: {len(pairs)} bookings by {args.concurrency} threads, then the race",
        "bookings": len(pairs),
        "booked": concurrent["n"] - concurrent["errors"],
        "concurrent": concurrent,
        "race": race,
    }


def _race(sctx: SchedulingContext, patients, slots, lock) -> dict:
    """
    RACE_THREADS threads book the same slot at once (distinct patients): exactly one must succeed. Each
    round's booking is deleted before the next, so the racers are free again.
    """
    from django.db import connections

    from carecoord.core.errors import ConflictError
    from carecoord.scheduling.models import Appointment

    rounds = []
    for slot in slots[:RACE_ROUNDS]:
        barrier = threading.Barrier(RACE_THREADS)
        outcome = {"booked": 0, "conflict": 0, "other": [], "ids": []}

        def contender(patient, slot=slot, barrier=barrier, outcome=outcome):
            try:
                barrier.wait()
                appointment = _book(sctx, patient, slot)
                with lock:
                    outcome["booked"] += 1
                    outcome["ids"].append(appointment.pk)
            except ConflictError:
                with lock:
                    outcome["conflict"] += 1
            except Exception as exc:  # reported: anything but a clean conflict is a finding
                with lock:
                    outcome["other"].append(repr(exc)[:200])
            finally:
                connections.close_all()

        threads = [threading.Thread(target=contender, args=(p,)) for p in patients[:RACE_THREADS]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        Appointment.objects.filter(pk__in=outcome["ids"]).delete()
        rounds.append(outcome)
    exact = sum(1 for r in rounds if r["booked"] == 1 and r["conflict"] == RACE_THREADS - 1)
    return {
        "threads": RACE_THREADS,
        "rounds": len(rounds),
        "exactly_one_booked": exact,
        "booked_per_round": [r["booked"] for r in rounds],
        "other_errors": [e for r in rounds for e in r["other"]][:3],
    }
