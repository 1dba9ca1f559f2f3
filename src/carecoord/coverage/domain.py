"""
Pure rules of insurance work (no database): the order of a patient's coverages, CPT/HCPCS and ICD-10-CM code
shapes, units left on an authorization, when expiry and renewal reminders fall due, appeal filing deadlines,
and what kind of file an upload really is (from its first bytes).
"""

import datetime as dt
import hashlib
import re

# Days ahead of an authorization's end that its expiry reaches the worklist, and of a program's renewal date.
EXPIRY_ALERT_DAYS = 14
RENEWAL_ALERT_DAYS = 60
# Appeals: payers set their own deadline; 60 days from the denial is the common default (configurable per payer
# in Payer.appeal_deadline_days and copied onto each authorization, where it can be changed).
DEFAULT_APPEAL_DAYS = 60
# Days ahead of an appeal's filing deadline that the prior authorization list calls it "due soon".
APPEAL_SOON_DAYS = 14
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

CPT = re.compile(r"^\d{4}[0-9FTU]$")  # Category I (5 digits), II (####F), III (####T), PLA (####U)
HCPCS = re.compile(r"^[A-V]\d{4}$")  # HCPCS Level II: a letter and four digits
ICD10CM = re.compile(r"^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")


def reorder(active_ids: list, moved, position: int) -> dict:
    """
    The orders (1, 2, 3...) of a patient's active coverages after `moved` is put at `position`; the others
    keep their relative order and the orders stay contiguous. `active_ids` is the current order (primary first)
    and may or may not contain `moved`; a position past the end puts it last.
    """
    others = [key for key in active_ids if key != moved]
    index = min(max(position, 1), len(others) + 1) - 1
    ordered = [*others[:index], moved, *others[index:]]
    return {key: number for number, key in enumerate(ordered, start=1)}


def close_gaps(active_ids: list) -> dict:
    """Contiguous orders 1..n for the coverages still active, keeping their order."""
    return {key: number for number, key in enumerate(active_ids, start=1)}


def parse_codes(text: str, *, kind: str) -> list[str]:
    """
    The codes in `text` (separated by commas, spaces or new lines), upper-cased, without duplicates.
    `kind` is "procedure" (CPT or HCPCS Level II) or "diagnosis" (ICD-10-CM). ValueError names a bad code.
    """
    found: list[str] = []
    for raw in re.split(r"[\s,;]+", text or ""):
        code = raw.strip().upper()
        if not code:
            continue
        if kind == "diagnosis" and len(code) > 3 and "." not in code:
            code = f"{code[:3]}.{code[3:]}"  # E119 is written E11.9
        valid = ICD10CM.match(code) if kind == "diagnosis" else CPT.match(code) or HCPCS.match(code)
        if not valid:
            what = "an ICD-10-CM code" if kind == "diagnosis" else "a CPT or HCPCS code"
            raise ValueError(f"“{raw.strip()}” is not {what}.")
        if code not in found:
            found.append(code)
    return found


def units_left(approved: int | None, used: int) -> int | None:
    """Units still available on an authorization (never below zero), or None before a decision."""
    if approved is None:
        return None
    return max(approved - used, 0)


def alert_date(end: dt.date, days_before: int) -> dt.date:
    return end - dt.timedelta(days=days_before)


# Days from submitting an application to checking for the program's decision (FundingProgram values): the
# deadline the program has to decide where a rule sets one. Medicaid, CHIP and the Medicare Savings Programs
# (run by state Medicaid) decide within 45 days, 90 when the application rests on a disability (42 CFR
# 435.912(c)(3), 457.340(d)); SNAP within 30 days of filing (7 CFR 273.2(g)(1)); WIC within 20 days at most
# (7 CFR 246.7(f)(2); verify). Others have no federal deadline (LIHEAP, TANF, charity care: set by the state,
# agency or hospital), so 30 days is a follow-up habit, not a rule.
DECISION_CHECK_DAYS = {"medicaid": 45, "chip": 45, "msp": 45, "snap": 30, "wic": 20}
DEFAULT_DECISION_CHECK_DAYS = 30


def decision_check_date(program: str, submitted_on: dt.date) -> dt.date:
    """When to check for the decision on an application to `program` submitted on `submitted_on`."""
    return submitted_on + dt.timedelta(days=DECISION_CHECK_DAYS.get(program, DEFAULT_DECISION_CHECK_DAYS))


def alert_due(end: dt.date | None, today: dt.date, days_before: int) -> bool:
    """True from `days_before` days ahead of `end` until `end` itself."""
    return end is not None and alert_date(end, days_before) <= today <= end


def appeal_deadline(denied_on: dt.date, days: int) -> dt.date:
    """The last day to file an appeal: `days` calendar days after the denial."""
    if days < 1:
        raise ValueError("An appeal deadline is at least one day after the denial.")
    return denied_on + dt.timedelta(days=days)


def document_type(head: bytes) -> str | None:
    """The content type of a PDF, PNG or JPEG from its first bytes (names can lie); None for anything else."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def document_key(name: str) -> str:
    """A short stable key for a missing document's name (for the task's dedupe key)."""
    normal = " ".join((name or "").lower().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def clean_document_names(names) -> list[str]:
    """Document names trimmed, blank ones dropped, duplicates (ignoring case and spacing) removed."""
    seen, kept = set(), []
    for name in names or []:
        text = " ".join(str(name).split())[:120]
        if text and text.lower() not in seen:
            seen.add(text.lower())
            kept.append(text)
    return kept
