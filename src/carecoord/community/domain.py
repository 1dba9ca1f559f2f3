"""
Pure rules of the community app (no database): the benefits pre-screen, distances for the resource directory
(with the centre of a US ZIP code from the `zipcodes` package's embedded table), and a service's age eligibility.

Benefits pre-screen. From household size, annual income, state, age, disability and insurance status it lists
the programs a patient may qualify for, each with the rule and the figure that decided it. It is a pre-screen
(income tests only; no asset tests, deductions or immigration rules), so every result says "may qualify".

Why our own small rules table and not `policyengine-us`: PolicyEngine's model is installable from PyPI
(2.68.0 was offered here), but it is licensed AGPL-3.0 (linking it would put AGPL obligations on CareCoord), it
is not in constraints.txt, and it is heavy for this need (a 19.6 MB wheel, 54 MB and ~19,800 files unpacked,
pulling numpy, pandas 3, PyTables, h5py, plotly, ipython...; ../shared/STANDARDS.md section 6.4). A coordinator's
pre-screen needs a dozen income thresholds that an organization must be able to read and correct, so they live
here as data with their sources, and each organization can override the state figures in its own table
(models.BenefitThreshold). PolicyEngine's parameter files remain a good human-readable source for updates.

Figures and sources (../shared/STANDARDS.md section 6):
- HHS poverty guidelines 2025 and 2026 (48 states + DC, Alaska, Hawaii): 91 FR 1797 (15 Jan 2026) and
  PolicyEngine `parameters/gov/hhs/fpg.yaml`. Programs use the guidelines of the screening year, except the ACA
  premium tax credit, which for coverage year N uses year N-1's.
- Medicaid expansion adults 19-64: 138% FPL (133% + 5% MAGI disregard) in expansion states; the list of states
  that have not expanded is marked verify (KFF tracker; 40 states + DC expanded).
- Children: Medicaid to at least 138% FPL (federal minimum 133% + 5% disregard); CHIP up to a state limit
  (AL 317%, CO 265%, CT 323%, IL 318% from PolicyEngine's table; other states default to 200% until the
  organization enters its state's figure).
- Medicaid for older or disabled adults: 100% FPL default (state limits vary, often near SSI at ~74%-100%).
- Medicare Savings Programs: QMB <= 100%, SLMB 100-120%, QI 120-135% FPL, after the $20 a month general income
  disregard.
- Extra Help (Part D LIS): <= 150% FPL after the same disregard (2026: $23,940 single, $32,460 couple).
- ACA premium tax credit: 100%-400% FPL (26 USC 36B; the enhanced no-cap subsidies ended with 2025 unless
  extended - verify current law) for people without Medicare, Medicaid or employer coverage.
- SNAP: gross income <= 130% FPL (7 CFR 273.9; states with broad-based categorical eligibility raise it - enter
  the state's figure); households with a member 60+ or disabled take only the net income test (100%).
- LIHEAP: <= 150% FPL (or 60% of state median income, whichever is higher - 42 USC 8624(b)(2)).
- Hospital charity care (IRC 501(r)): set by each hospital's Financial Assistance Policy; defaults free care
  <= 200% FPL and discounted care <= 400% FPL, a common pattern rather than a rule.
"""

import functools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import zipcodes

from carecoord.coverage.choices import FundingProgram

from .choices import BenefitProgram, InsuranceStatus, ReferralOutcome

# (first person, each additional person), annual dollars.
POVERTY_GUIDELINES: dict[int, dict[str, tuple[int, int]]] = {
    2025: {"48": (15_650, 5_500), "AK": (19_550, 6_880), "HI": (17_990, 6_330)},
    2026: {"48": (15_960, 5_680), "AK": (19_950, 7_100), "HI": (18_360, 6_530)},
}
FPL_SOURCE = {
    2025: "HHS poverty guidelines 2025 (Federal Register, January 2025; PolicyEngine fpg.yaml)",
    2026: "HHS poverty guidelines 2026 (91 FR 1797)",
}

# States that had not expanded Medicaid to adults (verify against the KFF tracker before relying on it).
MEDICARE_STATUSES = frozenset({InsuranceStatus.MEDICARE, InsuranceStatus.MEDICARE_ADVANTAGE})
NON_EXPANSION_STATES = frozenset({"AL", "FL", "GA", "KS", "MS", "SC", "TN", "TX", "WI", "WY"})

MSP_DISREGARD_ANNUAL = 240  # $20 a month general income exclusion (SSA POMS SI 00810.420)

# Percent of FPL per program; "" is the national default, a state code a state's own figure.
DEFAULT_THRESHOLDS: dict[str, dict[str, int]] = {
    BenefitProgram.MEDICAID_ADULT: {"": 138},
    BenefitProgram.MEDICAID_CHILD: {"": 138},
    BenefitProgram.CHIP: {"": 200, "AL": 317, "CO": 265, "CT": 323, "IL": 318},
    BenefitProgram.MEDICAID_AGED_DISABLED: {"": 100},
    BenefitProgram.MSP_QMB: {"": 100},
    BenefitProgram.MSP_SLMB: {"": 120},
    BenefitProgram.MSP_QI: {"": 135},
    BenefitProgram.EXTRA_HELP: {"": 150},
    BenefitProgram.ACA_PTC: {"": 400},
    BenefitProgram.SNAP: {"": 130},
    BenefitProgram.LIHEAP: {"": 150},
    BenefitProgram.CHARITY_FREE: {"": 200},
    BenefitProgram.CHARITY_DISCOUNT: {"": 400},
}
SOURCES: dict[str, str] = {
    BenefitProgram.MEDICAID_ADULT: "42 USC 1396a(a)(10)(A)(i)(VIII); 42 CFR 435.603 (5% disregard)",
    BenefitProgram.MEDICAID_CHILD: "42 USC 1396a(l)(2); 42 CFR 435.118",
    BenefitProgram.CHIP: "State CHIP limit (PolicyEngine gov/hhs/chip parameters, KFF)",
    BenefitProgram.MEDICAID_AGED_DISABLED: "42 USC 1396a(a)(10)(A)(ii)(X); state option, limits vary",
    BenefitProgram.MSP_QMB: "42 USC 1396d(p); SSA POMS HI 00815.023",
    BenefitProgram.MSP_SLMB: "42 USC 1396a(a)(10)(E)(iii)",
    BenefitProgram.MSP_QI: "42 USC 1396a(a)(10)(E)(iv)",
    BenefitProgram.EXTRA_HELP: "42 USC 1395w-114(a); IRA section 11404 (full subsidy to 150%)",
    BenefitProgram.ACA_PTC: "26 USC 36B(c)(1)",
    BenefitProgram.SNAP: "7 USC 2014(c); 7 CFR 273.9(a)",
    BenefitProgram.LIHEAP: "42 USC 8624(b)(2)(B)",
    BenefitProgram.CHARITY_FREE: "IRC 501(r)(4); the hospital's Financial Assistance Policy",
    BenefitProgram.CHARITY_DISCOUNT: "IRC 501(r)(4)-(5); the hospital's Financial Assistance Policy",
}

# The program an application is tracked for (coverage's FundingProgram) for each program the pre-screen knows:
# what "Start application" preselects. Every BenefitProgram has one (a test keeps the map complete).
APPLICATION_PROGRAMS: dict[str, str] = {
    BenefitProgram.MEDICAID_ADULT: FundingProgram.MEDICAID,
    BenefitProgram.MEDICAID_CHILD: FundingProgram.MEDICAID,
    BenefitProgram.CHIP: FundingProgram.CHIP,
    BenefitProgram.MEDICAID_AGED_DISABLED: FundingProgram.MEDICAID,
    BenefitProgram.MSP_QMB: FundingProgram.MSP,
    BenefitProgram.MSP_SLMB: FundingProgram.MSP,
    BenefitProgram.MSP_QI: FundingProgram.MSP,
    BenefitProgram.EXTRA_HELP: FundingProgram.EXTRA_HELP,
    BenefitProgram.ACA_PTC: FundingProgram.MARKETPLACE,
    BenefitProgram.SNAP: FundingProgram.SNAP,
    BenefitProgram.LIHEAP: FundingProgram.LIHEAP,
    BenefitProgram.CHARITY_FREE: FundingProgram.CHARITY_CARE,
    BenefitProgram.CHARITY_DISCOUNT: FundingProgram.CHARITY_CARE,
}


@dataclass(frozen=True)
class Household:
    size: int
    annual_income: int
    state: str
    age: int
    disabled: bool = False
    insurance: str = InsuranceStatus.UNINSURED
    year: int = 2026


@dataclass(frozen=True)
class ProgramResult:
    program: str
    eligible: bool
    rule: str
    figure: str
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        return BenefitProgram(self.program).label

    @property
    def application_program(self) -> str:
        """The program to track an application for (a coverage FundingProgram value)."""
        return APPLICATION_PROGRAMS[self.program]


# A coverage on file (coverage.choices.ProductType values) as the pre-screen's coverage answer; VA is not listed
# as it fits no answer.
INSURANCE_BY_PRODUCT_TYPE = {
    "medicare": InsuranceStatus.MEDICARE,
    "medicare_advantage": InsuranceStatus.MEDICARE_ADVANTAGE,
    "medicaid": InsuranceStatus.MEDICAID,
    "chip": InsuranceStatus.MEDICAID,
    "commercial": InsuranceStatus.EMPLOYER,
    "marketplace": InsuranceStatus.MARKETPLACE,
    "self_pay": InsuranceStatus.UNINSURED,
}


def insurance_from_coverages(product_types: list[str]) -> str | None:
    """The answer for the first coverage (primary first) that maps to one, or None without one."""
    for product_type in product_types:
        if product_type in INSURANCE_BY_PRODUCT_TYPE:
            return INSURANCE_BY_PRODUCT_TYPE[product_type]
    return None


def guideline_year(year: int) -> int:
    """The latest guideline year on file not after `year` (the earliest when `year` is before them all)."""
    known = sorted(POVERTY_GUIDELINES)
    eligible = [y for y in known if y <= year]
    return eligible[-1] if eligible else known[0]


def poverty_line(year: int, state: str, size: int) -> int:
    """100% of the HHS poverty guideline for a household of `size` in `state` (Alaska and Hawaii have their own)."""
    if size < 1:
        raise ValueError("A household has at least one person.")
    area = state if state in ("AK", "HI") else "48"
    first, each = POVERTY_GUIDELINES[guideline_year(year)][area]
    return first + each * (size - 1)


def percent_of_poverty(income: int, year: int, state: str, size: int) -> Decimal:
    """Income as a percent of the poverty line, to one decimal (rounded half up)."""
    value = Decimal(income) * 100 / Decimal(poverty_line(year, state, size))
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def threshold(program: str, state: str, overrides: dict[tuple[str, str], int] | None = None) -> int:
    """A program's percent-of-FPL limit: the organization's state figure, its all-states figure, then ours."""
    overrides = overrides or {}
    for key in ((program, state), (program, "")):
        if key in overrides:
            return overrides[key]
    table = DEFAULT_THRESHOLDS[program]
    return table.get(state, table[""])


def limit_dollars(percent: int, year: int, state: str, size: int) -> int:
    return poverty_line(year, state, size) * percent // 100


def _money(value: int) -> str:
    return f"${value:,}"


def _why_not(pct: Decimal, percent: int, below: str) -> str:
    """Why a program does not match by income: above its limit, or under its band (`below` says what then)."""
    if pct > percent:
        return f"Income is above the {percent}% limit."
    return below or "Not likely by these answers."


def _with_reason(eligible: bool, pct: Decimal, percent: int, below: str, note: str) -> str:
    return note if eligible else f"{_why_not(pct, percent, below)} {note}"


def _result(
    program, eligible, h: Household, percent, pct, year, *, income=None, rule="", note="", below=""
) -> ProgramResult:
    income = h.annual_income if income is None else income
    if not eligible and not note:
        note = _why_not(pct, percent, below)
    limit = limit_dollars(percent, year, h.state, h.size)
    shown = pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    figure = (
        f"Income {_money(income)} is {shown}% of the {year} poverty line for {h.size} "
        f"({_money(poverty_line(year, h.state, h.size))}); the limit is {percent}% = {_money(limit)}."
    )
    return ProgramResult(
        program, eligible, rule, figure, f"{SOURCES[program]}; {FPL_SOURCE[guideline_year(year)]}", note
    )


def benefits_screen(h: Household, overrides: dict[tuple[str, str], int] | None = None) -> list[ProgramResult]:
    """Every program the pre-screen knows, each with whether the household may qualify and why."""
    if h.size < 1 or h.annual_income < 0 or h.age < 0:
        raise ValueError("Household size must be at least 1, and income and age cannot be negative.")
    results: list[ProgramResult] = []
    results += _medicaid_chip(h, overrides)
    results += _medicare_programs(h, overrides)
    results.append(_aca(h, overrides))
    results += _household_programs(h, overrides)
    return results


def _pct(h: Household, year: int, income: int | None = None) -> Decimal:
    """The exact percent (compared with limits); figures show it rounded to one decimal."""
    value = h.annual_income if income is None else income
    return Decimal(value) * 100 / Decimal(poverty_line(year, h.state, h.size))


def _medicaid_chip(h: Household, overrides) -> list[ProgramResult]:
    year, pct = h.year, _pct(h, h.year)
    out = []
    if h.age < 19:
        medicaid = threshold(BenefitProgram.MEDICAID_CHILD, h.state, overrides)
        chip = threshold(BenefitProgram.CHIP, h.state, overrides)
        rule = f"Children under 19: Medicaid to {medicaid}% FPL in {h.state}."
        out.append(_result(BenefitProgram.MEDICAID_CHILD, pct <= medicaid, h, medicaid, pct, year, rule=rule))
        rule = f"Children under 19 above the Medicaid limit: CHIP to {chip}% FPL in {h.state}."
        below = "Income is within the Medicaid limit for children: Medicaid, not CHIP."
        out.append(_result(BenefitProgram.CHIP, medicaid < pct <= chip, h, chip, pct, year, rule=rule, below=below))
    elif h.age <= 64 and h.insurance not in MEDICARE_STATUSES:
        limit = threshold(BenefitProgram.MEDICAID_ADULT, h.state, overrides)
        if h.state in NON_EXPANSION_STATES:
            rule = f"{h.state} has not expanded Medicaid: adults without children rarely qualify by income alone."
            note = "Parents, pregnant people and people with disabilities may still qualify: check the state's rules."
            out.append(_result(BenefitProgram.MEDICAID_ADULT, False, h, limit, pct, year, rule=rule, note=note))
        else:
            rule = f"Adults 19-64 in an expansion state: Medicaid to {limit}% FPL."
            out.append(_result(BenefitProgram.MEDICAID_ADULT, pct <= limit, h, limit, pct, year, rule=rule))
    if h.age >= 65 or h.disabled:
        limit = threshold(BenefitProgram.MEDICAID_AGED_DISABLED, h.state, overrides)
        rule = f"Age 65+ or disabled: Medicaid to {limit}% FPL (state limits vary; asset limits apply)."
        out.append(_result(BenefitProgram.MEDICAID_AGED_DISABLED, pct <= limit, h, limit, pct, year, rule=rule))
    return out


def _medicare_programs(h: Household, overrides) -> list[ProgramResult]:
    if h.insurance not in MEDICARE_STATUSES:
        return []
    year = h.year
    countable = max(h.annual_income - MSP_DISREGARD_ANNUAL, 0)
    pct = _pct(h, year, countable)
    qmb = threshold(BenefitProgram.MSP_QMB, h.state, overrides)
    slmb = threshold(BenefitProgram.MSP_SLMB, h.state, overrides)
    qi = threshold(BenefitProgram.MSP_QI, h.state, overrides)
    extra = threshold(BenefitProgram.EXTRA_HELP, h.state, overrides)
    note = "Countable income after the $20 a month disregard; resource limits apply (2026: $9,950 / $14,910)."
    bands = (
        (BenefitProgram.MSP_QMB, pct <= qmb, qmb, f"People with Medicare: QMB to {qmb}% FPL.", ""),
        (BenefitProgram.MSP_SLMB, qmb < pct <= slmb, slmb, f"People with Medicare: SLMB above {qmb}% to {slmb}% FPL.",
         "Income is within the QMB limit: QMB, which covers more, instead."),
        (BenefitProgram.MSP_QI, slmb < pct <= qi, qi, f"People with Medicare: QI above {slmb}% to {qi}% FPL.",
         "Income is within the QMB or SLMB limit: that program instead."),
        (BenefitProgram.EXTRA_HELP, pct <= extra, extra, f"People with Medicare: Extra Help to {extra}% FPL.", ""),
    )  # fmt: skip
    return [
        _result(
            program,
            ok,
            h,
            limit,
            pct,
            year,
            income=countable,
            rule=rule,
            note=_with_reason(ok, pct, limit, below, note),
        )
        for program, ok, limit, rule, below in bands
    ]


def _aca(h: Household, overrides) -> ProgramResult:
    year = h.year - 1  # coverage year N uses the year N-1 guidelines
    pct = _pct(h, year)
    cap = threshold(BenefitProgram.ACA_PTC, h.state, overrides)
    rule = f"Coverage year {h.year} uses the {year} guidelines: premium tax credit from 100% to {cap}% FPL."
    covered = h.insurance in (*MEDICARE_STATUSES, InsuranceStatus.MEDICAID, InsuranceStatus.EMPLOYER)
    if covered or h.age >= 65:
        note = "Not for people with Medicare, Medicaid or an affordable employer plan."
        return _result(BenefitProgram.ACA_PTC, False, h, cap, pct, year, rule=rule, note=note)
    medicaid_limit = threshold(BenefitProgram.MEDICAID_ADULT, h.state, overrides)
    if h.state not in NON_EXPANSION_STATES and h.age >= 19 and _pct(h, h.year) <= medicaid_limit:
        note = "Income is within the state's Medicaid limit: Medicaid, not a tax credit."
        return _result(BenefitProgram.ACA_PTC, False, h, cap, pct, year, rule=rule, note=note)
    below = "Income is below 100% FPL: no tax credit."
    if h.state in NON_EXPANSION_STATES:
        below += f" {h.state} has not expanded Medicaid (the coverage gap): check the state's Medicaid rules."
    return _result(BenefitProgram.ACA_PTC, 100 <= pct <= cap, h, cap, pct, year, rule=rule, below=below)


def _household_programs(h: Household, overrides) -> list[ProgramResult]:
    year, pct = h.year, _pct(h, h.year)
    out = []
    snap = threshold(BenefitProgram.SNAP, h.state, overrides)
    note = ""
    if (h.age >= 60 or h.disabled) and pct > snap:
        note = (
            "A member 60+ or disabled: only the net income test (100% FPL after deductions such as medical and "
            "shelter costs) applies, so apply if those costs are high."
        )
    rule = f"SNAP gross income test: {snap}% FPL in {h.state}."
    out.append(_result(BenefitProgram.SNAP, pct <= snap, h, snap, pct, year, rule=rule, note=note))
    liheap = threshold(BenefitProgram.LIHEAP, h.state, overrides)
    rule = f"LIHEAP: to {liheap}% FPL (or 60% of state median income)."
    out.append(_result(BenefitProgram.LIHEAP, pct <= liheap, h, liheap, pct, year, rule=rule))
    if h.insurance in (InsuranceStatus.UNINSURED, InsuranceStatus.UNDERINSURED):
        free = threshold(BenefitProgram.CHARITY_FREE, h.state, overrides)
        discount = threshold(BenefitProgram.CHARITY_DISCOUNT, h.state, overrides)
        rule = f"Hospital financial assistance: free care to {free}% FPL (per the hospital's policy)."
        out.append(_result(BenefitProgram.CHARITY_FREE, pct <= free, h, free, pct, year, rule=rule))
        rule = f"Hospital financial assistance: discounted care above {free}% to {discount}% FPL."
        below = "Income is within the free-care limit: free care instead."
        out.append(
            _result(
                BenefitProgram.CHARITY_DISCOUNT, free < pct <= discount, h, discount, pct, year, rule=rule, below=below
            )
        )
    return out


# --- the resource directory ---------------------------------------------------------------------------------


def age_range_words(minimum: int | None, maximum: int | None) -> str:
    """A service's ages in words ("60 and over", "up to 17", "18 to 64"); "" for every age."""
    minimum = minimum or None  # a minimum of 0 is no minimum
    if minimum is None and maximum is None:
        return ""
    if maximum is None:
        return f"{minimum} and over"
    if minimum is None:
        return f"up to {maximum}"
    return f"{minimum} to {maximum}"


EARTH_RADIUS_MILES = 3958.8


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def centroid(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The mean of the points (good enough within one ZIP code), or None without points."""
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def valid_coordinates(lat, lon) -> bool:
    return lat is not None and lon is not None and -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180


@functools.lru_cache(maxsize=4096)
def zip_code_center(postal_code: str) -> tuple[float, float] | None:
    """
    The centre of a US ZIP code from the `zipcodes` package (MIT; its table embedded in the wheel, no network:
    coordinates from GeoNames, CC BY 4.0, ZIP codes from USPS and unitedstateszipcodes.org), or None when the
    table does not know the ZIP code (newer than the table, or not a ZIP code) or has no place for it (military
    ZIP codes read 0, 0).
    """
    zip5 = (postal_code or "").strip()[:5]
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    for row in zipcodes.matching(zip5):
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (KeyError, TypeError, ValueError):
            continue
        if (lat, lon) != (0.0, 0.0) and valid_coordinates(lat, lon):
            return lat, lon
    return None


def age_fits(minimum: int | None, maximum: int | None, age: int | None) -> bool:
    """True when a service's age range admits `age` (no range, or no age given, admits everyone)."""
    if age is None:
        return True
    return (minimum is None or age >= minimum) and (maximum is None or age <= maximum)


# --- referrals ----------------------------------------------------------------------------------------------

SENDER, RECEIVER = "sender", "receiver"

# to-status -> the statuses it may follow. Declined, completed and cancelled close a referral for good.
REFERRAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("sent",),
    "accepted": ("sent", "received"),
    "declined": ("sent", "received"),
    "completed": ("accepted",),
    "cancelled": ("sent", "received", "accepted"),
}
RECEIVER_STATUSES = frozenset({"received", "accepted", "declined", "completed"})

# to-status -> the outcomes it may carry. The SDOHCC referral Task closes as completed, rejected (our declined)
# or cancelled (../shared/STANDARDS.md section 2.2), so the outcome must say the same thing as the status: a
# service given only on completed, the receiver's reasons for refusing only on declined, the patient's side
# (unreachable, not interested) on declined or cancelled. Open statuses carry no outcome.
REFERRAL_OUTCOMES: dict[str, tuple[str, ...]] = {
    "completed": ("service-provided", "partly-provided", "other"),
    "declined": ("not-eligible", "no-capacity", "unable-to-contact", "patient-declined", "other"),
    "cancelled": ("unable-to-contact", "patient-declined", "other"),
}


def referral_transition_error(from_status: str, to_status: str, *, party: str, receiver_uses_carecoord: bool) -> str:
    """
    Why `party` may not move a referral from `from_status` to `to_status` ("" when it may). The receiving
    organization answers its referrals (received, accepted, declined, completed); the sender may cancel, and
    records the receiver's answers itself when the receiver does not use CareCoord.
    """
    if from_status not in REFERRAL_TRANSITIONS.get(to_status, ()):
        return f"A referral that is {from_status} cannot become {to_status}."
    if party == RECEIVER and to_status not in RECEIVER_STATUSES:
        return "Only the referring organization can cancel a referral."
    if party == SENDER and to_status in RECEIVER_STATUSES and receiver_uses_carecoord:
        return "The receiving organization answers this referral in CareCoord; it will update the status."
    return ""


def referral_next_statuses(from_status: str, *, party: str, receiver_uses_carecoord: bool) -> list[str]:
    """The statuses `party` may move a referral to from `from_status`, in lifecycle order."""
    return [
        to_status
        for to_status in REFERRAL_TRANSITIONS
        if not referral_transition_error(
            from_status, to_status, party=party, receiver_uses_carecoord=receiver_uses_carecoord
        )
    ]


def referral_outcome_error(status: str, outcome: str) -> str:
    """Why `outcome` does not fit a referral that becomes `status` ("" when it does, or when there is none)."""
    if not outcome:
        return ""
    allowed = REFERRAL_OUTCOMES.get(status, ())
    if outcome in allowed:
        return ""
    label = ReferralOutcome(outcome).label if outcome in ReferralOutcome.values else outcome
    if not allowed:
        return f"A referral that becomes {status} has no outcome yet: leave “{label}” out."
    fits = ", ".join(ReferralOutcome(o).label.lower() for o in allowed)
    return f"“{label}” is not an outcome of a {status} referral; choose one of: {fits}."
