"""
Pure rules of check-ins: what a month of care-management minutes supports under the CMS care-management
codes, and how a goal's achievement status follows from its measurements.

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
