"""
Pure rules of check-ins: what a month of care-management minutes supports under the CMS care-management
codes, and how a goal's achievement status follows from its measurements; calendar-month bounds and timer
minutes; therapy plan-of-care rules (recertification, progress reports, visits left).

Billing thresholds (../shared/STANDARDS.md sections 5.2 and 5.3, from CMS's Medicare Physician Fee Schedule
and the NGS Medicare care-management articles linked there):
- CCM, clinical staff: 99490 needs the first 20 full minutes in the calendar month; 99439 each further full
  20 minutes, Medicare paying at most 2 units (60 minutes in all).
- Complex CCM, clinical staff: 99487 the first 60 minutes; 99489 each further full 30 minutes.
- CCM, personally by the physician or other qualified professional: 99491 the first 30 minutes; 99437 each
  further full 30 minutes.
- PCM: 99426 the first 30 minutes of clinical staff time, 99427 each further 30; 99424 the first 30
  minutes of physician/QHP time, 99425 each further 30.
Care-management codes are timed codes reported only when the full time is met (no mid-point rounding),
minutes are counted per calendar month, and PCM and CCM are not billed by the same practitioner in the
same month, so a patient is counted under one program.
"""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Program(StrEnum):
    CCM = "ccm"
    COMPLEX_CCM = "complex_ccm"
    PCM = "pcm"


@dataclass(frozen=True)
class TimedCode:
    """A base code needing `first` minutes, then an add-on per further `each` minutes, up to `max_addons`."""

    base: str
    first: int
    addon: str
    each: int
    max_addons: int | None = None


# (program, who) -> the timed code family
CODE_FAMILIES: dict[tuple[Program, str], TimedCode] = {
    (Program.CCM, "staff"): TimedCode("99490", 20, "99439", 20, max_addons=2),
    (Program.CCM, "physician"): TimedCode("99491", 30, "99437", 30),
    (Program.COMPLEX_CCM, "staff"): TimedCode("99487", 60, "99489", 30),
    (Program.PCM, "staff"): TimedCode("99426", 30, "99427", 30),
    (Program.PCM, "physician"): TimedCode("99424", 30, "99425", 30),
}

# Within this many minutes of the next threshold a patient is "close" on the billing-readiness report.
CLOSE_MINUTES = 5
MAXIMUM_REACHED = "Maximum for the month reached"


@dataclass(frozen=True)
class BillingLine:
    code: str
    units: int


@dataclass(frozen=True)
class Readiness:
    """What a month's minutes support for one kind of time, and how far the next unit is."""

    who: str
    minutes: int
    lines: tuple[BillingLine, ...]
    next_code: str | None
    minutes_to_next: int | None

    @property
    def close(self) -> bool:
        return self.minutes_to_next is not None and self.minutes_to_next <= CLOSE_MINUTES

    @property
    def maximum_reached(self) -> bool:
        """Codes are supported and the family allows no further unit this month."""
        return bool(self.lines) and self.next_code is None

    @property
    def next_step(self) -> str:
        """What the report says comes next for this kind of time ("" when nothing applies)."""
        if self.next_code:
            return f"{self.minutes_to_next} min to {self.next_code}"
        return MAXIMUM_REACHED if self.maximum_reached else ""

    @property
    def codes(self) -> str:
        return ", ".join(f"{line.code} x{line.units}" if line.units > 1 else line.code for line in self.lines)


def timed_code_lines(family: TimedCode, minutes: int) -> Readiness:
    """The codes `minutes` of one kind of time support under `family`, and what the next unit needs."""
    if minutes < 0:
        raise ValueError("Minutes cannot be negative.")
    if minutes < family.first:
        return Readiness("", minutes, (), family.base, family.first - minutes)
    addons = (minutes - family.first) // family.each
    capped = addons if family.max_addons is None else min(addons, family.max_addons)
    lines = [BillingLine(family.base, 1)]
    if capped:
        lines.append(BillingLine(family.addon, capped))
    if family.max_addons is not None and capped >= family.max_addons:
        return Readiness("", minutes, tuple(lines), None, None)
    next_at = family.first + (capped + 1) * family.each
    return Readiness("", minutes, tuple(lines), family.addon, next_at - minutes)


def month_readiness(program: Program, *, staff_minutes: int, physician_minutes: int) -> list[Readiness]:
    """Per kind of time (clinical staff, physician/QHP) what the month supports under `program`."""
    results = []
    for who, minutes in (("staff", staff_minutes), ("physician", physician_minutes)):
        family = CODE_FAMILIES.get((program, who))
        if family is None or (who == "physician" and minutes == 0):
            continue
        readiness = timed_code_lines(family, minutes)
        results.append(
            Readiness(who, readiness.minutes, readiness.lines, readiness.next_code, readiness.minutes_to_next)
        )
    return results


# --- Who may bill care management -------------------------------------------------------------------------
# ../shared/STANDARDS.md sections 5.2 and 5.3: CCM and PCM have one billing practitioner per month, a
# "physician/QHP" under whom clinical staff time counts. For these codes CMS counts as QHPs the non-physician
# practitioners NPs, PAs, clinical nurse specialists and certified nurse midwives (CMS "Chronic Care
# Management Services" booklet, MLN909188; not spelled out in STANDARDS.md, verify). RNs, pharmacists, social
# workers and CHWs are clinical staff: their time counts, they do not bill. Read from the practitioner's NUCC
# taxonomy code (directory.Practitioner.specialty_code), not the free-text credentials.
PHYSICIAN_TAXONOMY_PREFIX = "20"  # NUCC "Allopathic & Osteopathic Physicians" (202...-209...)
CARE_MANAGEMENT_NPP_TAXONOMY_PREFIXES = (
    "363L",  # Nurse Practitioner
    "363A",  # Physician Assistant
    "364S",  # Clinical Nurse Specialist
    "367A",  # Advanced Practice Midwife (certified nurse midwife)
)
CARE_MANAGEMENT_BILLER_PREFIXES = (PHYSICIAN_TAXONOMY_PREFIX, *CARE_MANAGEMENT_NPP_TAXONOMY_PREFIXES)
NOT_A_BILLING_PRACTITIONER = (
    "Choose a physician, nurse practitioner, physician assistant, clinical nurse specialist or certified nurse "
    "midwife of your organization as the billing practitioner."
)


# --- Goals and their measurements ---------------------------------------------------------------------------


def target_met(value: Decimal, comparator: str, target: Decimal, target_high: Decimal | None = None) -> bool:
    """Whether one measurement meets a goal's target (comparators as careplans.choices.TargetComparator)."""
    if comparator == "<":
        return value < target
    if comparator == "<=":
        return value <= target
    if comparator == ">":
        return value > target
    if comparator == ">=":
        return value >= target
    if comparator == "between":
        return target_high is not None and target <= value <= target_high
    raise ValueError(f"Unknown target comparator {comparator!r}.")


def _distance(value: Decimal, comparator: str, target: Decimal, target_high: Decimal | None) -> Decimal:
    """How far a value is from meeting the target (0 when met), to tell improving from worsening."""
    if target_met(value, comparator, target, target_high):
        return Decimal(0)
    if comparator == "between" and target_high is not None and value > target_high:
        return value - target_high
    return abs(value - target)


def achievement_from(
    values: list[Decimal], comparator: str, target: Decimal, target_high: Decimal | None = None
) -> str | None:
    """
    The FHIR Goal.achievementStatus the measurements (oldest first) support, or None with none: achieved
    when the latest meets the target for the first time, sustaining when it has met it twice running,
    otherwise improving / worsening / no-change by the distance to the target of the last two values.
    """
    if not values:
        return None
    latest = values[-1]
    if target_met(latest, comparator, target, target_high):
        if len(values) > 1 and target_met(values[-2], comparator, target, target_high):
            return "sustaining"
        return "achieved"
    if len(values) == 1:
        return "in-progress"
    before = _distance(values[-2], comparator, target, target_high)
    now = _distance(latest, comparator, target, target_high)
    if now < before:
        return "improving"
    if now > before:
        return "worsening"
    return "no-change"


# --- Care-management months and timers ----------------------------------------------------------------------

# A timer entry holds at most this many minutes (the TimeEntry minutes range); longer runs are entered by hand.
MAX_ENTRY_MINUTES = 600


def time_day_problem(on_date: dt.date, today: dt.date) -> str | None:
    """Why minutes cannot be entered by hand for `on_date` (`today` is the organization's), or None."""
    if on_date > today:
        return "Time cannot be entered for a day still to come."
    return None


def month_bounds(year: int, month: int, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where a calendar month begins and the next begins, in the time zone `tz`."""
    first = dt.datetime(year, month, 1, tzinfo=tz)
    following = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def month_days(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and the last day of a calendar month."""
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), following - dt.timedelta(days=1)


def timer_minutes(started_at: dt.datetime, stopped_at: dt.datetime) -> int:
    """
    The full minutes a timer ran. A started minute is not counted: care-management codes are billed on time
    actually spent, so a timer never claims more than ran (a few seconds count as nothing).
    """
    seconds = (stopped_at - started_at).total_seconds()
    if seconds < 0:
        raise ValueError("A timer cannot stop before it started.")
    return math.floor(seconds / 60)


# --- Therapy plans of care ----------------------------------------------------------------------------------
# Medicare outpatient therapy (PT/OT/SLP) documentation rules, as commonly summarised from the Medicare
# Benefit Policy Manual (Pub. 100-02) chapter 15 section 220.1: the plan of care is recertified at least every
# 90 calendar days, and a progress report is written at least once every 10 treatment days. These are not in
# ../shared/STANDARDS.md: verify against the current manual before relying on them.

RECERTIFICATION_LEAD_DAYS = 14  # the recertification task falls due this long before the period ends
MAX_CERTIFICATION_DAYS = 90  # verify (see above)
MAX_VISITS_BETWEEN_REPORTS = 10  # verify (see above)
VISITS_LEFT_WARNING = 2


def recertification_due_on(certification_end: dt.date) -> dt.date:
    """The day the recertification of a plan of care falls due (two weeks before its period ends)."""
    return certification_end - dt.timedelta(days=RECERTIFICATION_LEAD_DAYS)


def certification_days(start: dt.date, end: dt.date) -> int:
    """Calendar days in a certification period, both ends included."""
    return (end - start).days + 1


def last_progress_report_visit(visits_used: int, every: int) -> int | None:
    """The latest visit number at which a progress report fell due (every `every` visits), or None yet."""
    if every < 1:
        raise ValueError("Reports fall due every one visit or more.")
    reached = (visits_used // every) * every
    return reached or None


def next_progress_report_visit(visits_used: int, every: int) -> int:
    """The visit number at which the next progress report falls due."""
    if every < 1:
        raise ValueError("Reports fall due every one visit or more.")
    return (visits_used // every + 1) * every


def visits_left(visits_planned: int, visits_used: int) -> int:
    return max(visits_planned - visits_used, 0)


def visits_nearly_used_up(visits_planned: int, visits_used: int) -> bool:
    """Whether at most VISITS_LEFT_WARNING visits of the plan remain (so a new plan or authorization is needed)."""
    return visits_planned > 0 and visits_left(visits_planned, visits_used) <= VISITS_LEFT_WARNING


@dataclass(frozen=True)
class Change:
    """The first and latest of a series of values and the change between them."""

    first: Decimal
    latest: Decimal
    change: Decimal
    count: int


def change_over(values: list[Decimal]) -> Change | None:
    """First, latest and change of values (oldest first), or None with none."""
    if not values:
        return None
    return Change(values[0], values[-1], values[-1] - values[0], len(values))
