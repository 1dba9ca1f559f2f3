"""
The 271 eligibility response read into coverage facts (pure, no database): `parse_271(text)` gives an
`EligibilityResponse` with the payer, the member, active/inactive/rejected, the plan and its dates, every
benefit (EB segment) as a `Benefit`, and the payer's AAA rejections. `cost_rows(benefits)` lays the copays,
deductibles, coinsurance and out-of-pocket amounts out by service type and network for a page.
Code tables: X12 005010X279A1 (STANDARDS.md §5.7), element by element.
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from .x12 import Interchange, Segment, X12Error, read_interchange, x12_date

# EB01 eligibility or benefit information codes.
BENEFIT_CODES = {
    "1": "Active coverage",
    "2": "Active - full risk capitation",
    "3": "Active - services capitated",
    "4": "Active - services capitated to primary care physician",
    "5": "Active - pending investigation",
    "6": "Inactive",
    "7": "Inactive - pending eligibility update",
    "8": "Inactive - pending investigation",
    "A": "Co-insurance",
    "B": "Co-payment",
    "C": "Deductible",
    "CB": "Coverage basis",
    "D": "Benefit description",
    "E": "Exclusions",
    "F": "Limitations",
    "G": "Out of pocket (stop loss)",
    "H": "Unlimited",
    "I": "Non-covered",
    "J": "Cost containment",
    "L": "Primary care provider",
    "MC": "Managed care coordinator",
    "N": "Services restricted to following provider",
    "P": "Benefit disclaimer",
    "R": "Other or additional payer",
    "U": "Contact following entity for eligibility or benefit information",
    "V": "Cannot process",
    "Y": "Spend down",
}
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
# The cost-sharing kinds a coordinator compares, by EB01.
COST_KINDS = {"B": "copay", "C": "deductible", "A": "coinsurance", "G": "out_of_pocket"}

# EB03 service type codes (the ones payers answer most; others show as their code).
SERVICE_TYPES = {
    "1": "Medical care",
    "2": "Surgical",
    "4": "Diagnostic X-ray",
    "5": "Diagnostic lab",
    "12": "Durable medical equipment purchase",
    "30": "Health benefit plan coverage",
    "33": "Chiropractic",
    "35": "Dental care",
    "42": "Home health care",
    "45": "Hospice",
    "47": "Hospital",
    "48": "Hospital - inpatient",
    "50": "Hospital - outpatient",
    "86": "Emergency services",
    "88": "Pharmacy",
    "98": "Professional (physician) visit - office",
    "AG": "Skilled nursing care",
    "AL": "Vision (optometry)",
    "MH": "Mental health",
    "PT": "Physical therapy",
    "UC": "Urgent care",
}

# EB06 time period qualifiers.
TIME_PERIODS = {
    "6": "hour",
    "7": "day",
    "13": "24 hours",
    "21": "years",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "29": "remaining",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "month",
    "35": "week",
    "36": "admission",
}

# EB02 coverage levels.
COVERAGE_LEVELS = {
    "CHD": "Children only",
    "DEP": "Dependents only",
    "ECH": "Employee and children",
    "EMP": "Employee only",
    "ESP": "Employee and spouse",
    "FAM": "Family",
    "IND": "Individual",
    "SPC": "Spouse and children",
    "SPO": "Spouse only",
}

# AAA03 reject reasons (the common ones) and AAA04 follow-up actions.
REJECT_REASONS = {
    "15": "Required application data missing",
    "41": "Authorization/access restrictions",
    "42": "Unable to respond at current time",
    "43": "Invalid/missing provider identification",
    "44": "Invalid/missing provider name",
    "50": "Provider ineligible for inquiries",
    "51": "Provider not on file",
    "57": "Invalid/missing date(s) of service",
    "58": "Invalid/missing date of birth",
    "62": "Date of service not within allowable inquiry period",
    "63": "Date of service in future",
    "64": "Invalid/missing patient ID",
    "65": "Invalid/missing patient name",
    "67": "Patient not found",
    "71": "Patient birth date does not match that for the patient on the database",
    "72": "Invalid/missing subscriber/insured ID",
    "73": "Invalid/missing subscriber/insured name",
    "75": "Subscriber/insured not found",
    "76": "Duplicate subscriber/insured ID number",
    "79": "Invalid participant identification",
}
FOLLOW_UP = {
    "C": "Please correct and resubmit",
    "N": "Resubmission not allowed",
    "P": "Please resubmit original transaction",
    "R": "Resubmission allowed",
    "S": "Do not resubmit; inquiry initiated to a third party",
    "W": "Please wait 30 days and resubmit",
    "X": "Please wait 10 days and resubmit",
    "Y": "Do not resubmit; we will hand deliver",
}
HL_LEVELS = {"20": "payer", "21": "provider", "22": "subscriber", "23": "dependent"}


@dataclass(frozen=True)
class Benefit:
    """One EB segment: what it says (code), for whom, for which services, how much, in or out of network."""

    code: str
    label: str
    coverage_level: str = ""
    service_types: tuple[str, ...] = ()
    insurance_type: str = ""
    plan: str = ""
    period: str = ""
    amount: str = ""  # EB07 dollars, as a decimal string
    percent: str = ""  # EB08 as a percentage (the 271 sends a fraction: .2 is 20%)
    quantity: str = ""
    authorization_required: bool | None = None
    in_network: bool | None = None  # EB12: Y in network, N out of network, blank or W: not applicable
    procedure: str = ""
    messages: tuple[str, ...] = ()
    related_entity: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["service_types"] = list(self.service_types)
        data["messages"] = list(self.messages)
        return data


@dataclass(frozen=True)
class Rejection:
    level: str
    code: str
    reason: str
    follow_up: str


@dataclass(frozen=True)
class EligibilityResponse:
    control_number: int
    trace_numbers: tuple[str, ...]
    payer_name: str
    payer_id: str
    member_id: str
    subscriber_name: str
    patient_name: str
    status: str  # active | inactive | rejected | unknown
    plan_name: str
    plan_begin: object = None
    plan_end: object = None
    benefits: tuple[Benefit, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    extra: dict = field(default_factory=dict)


def parse_271(text: str) -> EligibilityResponse:
    """Reads a 271 (checked like any X12 file) into coverage facts; X12Error when it cannot be read."""
    interchange = read_interchange(text, expect="271")
    return _interpret(interchange)


def _interpret(interchange: Interchange) -> EligibilityResponse:
    state = _State(interchange.repetition_separator, interchange.component_separator)
    for segment in interchange.segments:
        state.take(segment)
    benefits = tuple(state.benefits)
    return EligibilityResponse(
        control_number=interchange.control_number,
        trace_numbers=tuple(state.traces),
        payer_name=state.payer[0],
        payer_id=state.payer[1],
        member_id=state.member_id,
        subscriber_name=state.names.get("IL", ""),
        patient_name=state.names.get("03") or state.names.get("IL", ""),
        status=_status(benefits, state.rejections),
        plan_name=next((b.plan for b in benefits if b.plan and b.code in ACTIVE_CODES), "")
        or next((b.plan for b in benefits if b.plan), ""),
        plan_begin=state.dates.get("346") or state.dates.get("356"),
        plan_end=state.dates.get("347") or state.dates.get("357"),
        benefits=benefits,
        rejections=tuple(state.rejections),
    )


def _status(benefits: tuple[Benefit, ...], rejections: list[Rejection]) -> str:
    codes = {b.code for b in benefits}
    if codes & ACTIVE_CODES:
        return "active"
    if codes & INACTIVE_CODES:
        return "inactive"
    if rejections:
        return "rejected"
    return "unknown"


class _State:
    """Walks the segments keeping the loop it is in (HL level, NM1 entity, LS/LE related-entity loop)."""

    def __init__(self, repetition: str, component: str):
        self.repetition, self.component = repetition, component
        self.level = ""
        self.entity = ""
        self.in_related = False
        self.payer = ("", "")
        self.member_id = ""
        self.names: dict[str, str] = {}
        self.traces: list[str] = []
        self.dates: dict[str, object] = {}
        self.benefits: list[Benefit] = []
        self.rejections: list[Rejection] = []

    def take(self, s: Segment) -> None:
        handler = getattr(self, f"_on_{s.id.lower()}", None)
        if handler is not None:
            handler(s)

    def _on_hl(self, s: Segment) -> None:
        self.level, self.entity, self.in_related = HL_LEVELS.get(s.get(3), s.get(3)), "", False

    def _on_nm1(self, s: Segment) -> None:
        if self.in_related:
            self._attach(related_entity=_name(s))
            return
        self.entity = s.get(1)
        if self.entity == "PR":
            self.payer = (s.get(3), s.get(9))
        elif self.entity in ("IL", "03"):
            self.names[self.entity] = _name(s)
            if self.entity == "IL" and s.get(8) == "MI":
                self.member_id = s.get(9)

    def _on_trn(self, s: Segment) -> None:
        if s.get(2) and s.get(2) not in self.traces:
            self.traces.append(s.get(2))

    def _on_dtp(self, s: Segment) -> None:
        if not self.benefits and s.get(2) == "D8":
            self.dates[s.get(1)] = x12_date(s.get(3))

    def _on_ls(self, s: Segment) -> None:
        self.in_related = True

    def _on_le(self, s: Segment) -> None:
        self.in_related = False

    def _on_msg(self, s: Segment) -> None:
        if self.benefits and s.get(1):
            self._attach(messages=(*self.benefits[-1].messages, s.get(1)))

    def _on_aaa(self, s: Segment) -> None:
        code = s.get(3)
        self.rejections.append(
            Rejection(
                level=self.level or "request",
                code=code,
                reason=REJECT_REASONS.get(code, f"Reason code {code}"),
                follow_up=FOLLOW_UP.get(s.get(4), s.get(4)),
            )
        )

    def _on_eb(self, s: Segment) -> None:
        code = s.get(1)
        self.benefits.append(
            Benefit(
                code=code,
                label=BENEFIT_CODES.get(code, f"Benefit code {code}"),
                coverage_level=s.get(2),
                service_types=tuple(c for c in s.get(3).split(self.repetition) if c),
                insurance_type=s.get(4),
                plan=s.get(5),
                period=TIME_PERIODS.get(s.get(6), s.get(6)),
                amount=_decimal(s.get(7), "EB07"),
                percent=_percent(s.get(8)),
                quantity=s.get(10),
                authorization_required=_yes_no(s.get(11)),
                in_network=_yes_no(s.get(12)),
                procedure=s.get(13).replace(self.component, " "),
            )
        )

    def _attach(self, **changes) -> None:
        if self.benefits:
            last = self.benefits[-1]
            self.benefits[-1] = Benefit(**{**last.__dict__, **changes})


def _name(s: Segment) -> str:
    family, given = s.get(3), s.get(4)
    return f"{given} {family}".strip() if s.get(2) == "1" else family


def _decimal(value: str, where: str) -> str:
    if not value:
        return ""
    try:
        return str(Decimal(value).quantize(Decimal("0.01")))
    except InvalidOperation as exc:
        raise X12Error(f"The amount “{value}” in {where} is not a number.") from exc


def _percent(value: str) -> str:
    if not value:
        return ""
    try:
        return str((Decimal(value) * 100).normalize())
    except InvalidOperation as exc:
        raise X12Error(f"The percent “{value}” in EB08 is not a number.") from exc


def _yes_no(value: str) -> bool | None:
    return {"Y": True, "N": False}.get(value)


def service_label(code: str) -> str:
    return SERVICE_TYPES.get(code, f"Service type {code}")


def cost_rows(benefits) -> list[dict]:
    """
    Copays, deductibles, coinsurance and out-of-pocket amounts, one row per (kind, service type, network,
    period), in the order the payer sent them. `benefits` are `Benefit`s or their stored dicts.
    """
    rows = []
    for b in benefits:
        data = b.as_dict() if isinstance(b, Benefit) else b
        kind = COST_KINDS.get(data.get("code", ""))
        if kind is None:
            continue
        network = {True: "In network", False: "Out of network"}.get(data.get("in_network"), "Any network")
        for code in data.get("service_types") or ["30"]:
            rows.append(
                {
                    "kind": kind,
                    "label": data.get("label", ""),
                    "service_type": code,
                    "service": service_label(code),
                    "network": network,
                    "amount": data.get("amount", ""),
                    "percent": data.get("percent", ""),
                    "period": data.get("period", ""),
                    "coverage_level": COVERAGE_LEVELS.get(data.get("coverage_level", ""), ""),
                }
            )
    return rows


def covered_services(benefits) -> list[str]:
    """The service types the payer says are actively covered."""
    found: list[str] = []
    for b in benefits:
        data = b.as_dict() if isinstance(b, Benefit) else b
        if data.get("code") in ACTIVE_CODES:
            found += [c for c in data.get("service_types") or [] if c not in found]
    return found


__all__ = ["Benefit", "EligibilityResponse", "Rejection", "X12Error", "cost_rows", "covered_services", "parse_271"]
