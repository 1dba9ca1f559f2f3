"""
X12 005010X279A1 eligibility transactions, as pure functions (no database). A map:
- `read_interchange(text, expect=...)`: reads an X12 file with pyx12's `X12Reader`, which finds the separators
  in the ISA segment and checks the envelopes (ISA/IEA, GS/GE and ST/SE counts and control numbers, HL parent
  numbers); any problem becomes an `X12Error` with a message a person can act on. pyx12 4.0.0 ships no map for
  005010X279A1 (only the 4010 270/271 ones), so its full map validation cannot run on these files; the envelope
  checks and the segment reading are what we use of it.
- `EligibilityInquiry` + `build_270(inquiry)`: writes a 270 inquiry (ISA/GS/ST/BHT/HL/NM1/TRN/DMG/DTP/EQ/SE/
  GE/IEA) with the separators below, the segment count in SE01 and matching control numbers;
- `parse_270(text)`: reads an inquiry back into its facts (used to check what we send, and in tests).
The 271 response is read in `eligibility.py`.
"""

import datetime as dt
import io
import re
from dataclasses import dataclass, field

import pyx12.errors
import pyx12.x12file

SEGMENT_TERMINATOR = "~"
ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"
VERSION = "005010X279A1"
# Characters that would end an element early; removed from every value we write.
_RESERVED = re.compile(r"[~*:^\r\n]")
MAX_FILE_CHARS = 2_000_000


class X12Error(ValueError):
    """The file is not a readable X12 eligibility transaction; the message says what is wrong."""


@dataclass(frozen=True)
class Segment:
    """One segment: its id and its elements as written (element 1 is `elements[0]`)."""

    id: str
    elements: tuple[str, ...]

    def get(self, position: int) -> str:
        """Element `position` (1-based, as in EB03), or '' when absent."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else ""


@dataclass(frozen=True)
class Interchange:
    """An X12 interchange read and checked: its envelope facts and its segments in order."""

    sender_id: str
    receiver_id: str
    control_number: int
    usage: str  # P production, T test
    transaction_type: str  # 270 or 271
    version: str
    component_separator: str
    repetition_separator: str
    segments: tuple[Segment, ...]


_LEVELS = {
    "isa": "interchange envelope (ISA/IEA)",
    "gs": "functional group (GS/GE)",
    "st": "transaction set (ST/SE)",
    "seg": "segment",
}


def read_interchange(text: str, *, expect: str) -> Interchange:
    """
    Reads and checks an X12 eligibility file; `expect` is "270" or "271". Raises X12Error naming the first
    problem (not X12, a broken envelope, a count or control number that does not match, the wrong transaction).
    """
    text = (text or "").lstrip("\ufeff \t\r\n")
    if not text:
        raise X12Error("The file is empty.")
    if len(text) > MAX_FILE_CHARS:
        raise X12Error("The file is too large for an eligibility response.")
    if not text.startswith("ISA"):
        raise X12Error("This is not an X12 file: it should begin with an ISA segment.")
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text))
        raw = list(reader)
        reader.cleanup()
    except (pyx12.errors.X12Error, IndexError, ValueError) as exc:
        raise X12Error(f"The X12 file cannot be read: {exc}.") from exc
    errors = reader.pop_errors()
    if errors:
        level, _code, message, *_rest = errors[0]
        raise X12Error(f"The X12 file is malformed: its {_LEVELS.get(level, level)} is wrong ({message}).")
    _seg_term, _ele_term, component, _eol, repetition = reader.get_term()
    segments = tuple(
        Segment(
            s.get_seg_id() or "", tuple(s.get_value(f"{s.get_seg_id()}{i:02d}") or "" for i in range(1, len(s) + 1))
        )
        for s in raw
    )
    return _interchange(segments, expect, component or COMPONENT_SEPARATOR, repetition or REPETITION_SEPARATOR)


def _interchange(segments: tuple[Segment, ...], expect: str, component: str, repetition: str) -> Interchange:
    by_id = {}
    for segment in segments:
        by_id.setdefault(segment.id, segment)
    isa, st = by_id.get("ISA"), by_id.get("ST")
    if isa is None or st is None or "GS" not in by_id:
        raise X12Error("The X12 file has no transaction in it (no GS and ST segments).")
    kind = st.get(1)
    if kind != expect:
        described = {"270": "an eligibility inquiry (270)", "271": "an eligibility response (271)"}
        raise X12Error(
            f"This file is {described.get(kind, f'an X12 {kind} transaction')}, not {described.get(expect, expect)}."
        )
    version = st.get(3) or by_id["GS"].get(8)
    if version != VERSION:
        raise X12Error(f"This file uses the X12 version “{version}”; CareCoord reads {VERSION} only.")
    try:
        control = int(isa.get(13))
    except ValueError as exc:
        raise X12Error("The interchange control number (ISA13) is not a number.") from exc
    return Interchange(
        sender_id=isa.get(6).strip(),
        receiver_id=isa.get(8).strip(),
        control_number=control,
        usage=isa.get(15),
        transaction_type=kind,
        version=version,
        component_separator=component,
        repetition_separator=repetition,
        segments=segments,
    )


# --- the 270 inquiry --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    family_name: str
    given_name: str = ""
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class EligibilityInquiry:
    """What a 270 asks: who asks whom, about which member, for which services on which date."""

    sender_id: str  # ISA06, the submitter's ID as agreed with the payer or clearinghouse
    receiver_id: str  # ISA08
    control_number: int  # ISA13 and GS06, 1..999999999, unique per sender
    created_at: dt.datetime
    trace_number: str  # TRN02, echoed in the 271's TRN
    trace_originator: str  # TRN03, "1" + the submitter's tax ID or another 9-digit ID
    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    subscriber: Person
    member_id: str
    service_date: dt.date
    service_types: tuple[str, ...] = ("30",)
    dependent: Person | None = None  # the patient, when they are not the subscriber
    provider_is_person: bool = False
    usage: str = "P"
    extra: dict = field(default_factory=dict)


def _clean(value: str, limit: int) -> str:
    return _RESERVED.sub(" ", value or "").strip().upper()[:limit]


def _segment(*elements: str) -> str:
    while len(elements) > 1 and elements[-1] == "":
        elements = elements[:-1]  # no trailing empty elements
    return ELEMENT_SEPARATOR.join(elements) + SEGMENT_TERMINATOR


def build_270(inquiry: EligibilityInquiry) -> str:
    """The 270 interchange for `inquiry`, one segment a line (the newline after `~` is allowed and readable)."""
    if not 1 <= inquiry.control_number <= 999_999_999:
        raise ValueError("The interchange control number runs from 1 to 999999999.")
    if not inquiry.service_types:
        raise ValueError("Ask about at least one service type (30 for the plan's coverage).")
    at = inquiry.created_at
    control = f"{inquiry.control_number:09d}"
    group = str(inquiry.control_number)
    isa = _segment(
        "ISA", "00", " " * 10, "00", " " * 10,
        "ZZ", _clean(inquiry.sender_id, 15).ljust(15), "ZZ", _clean(inquiry.receiver_id, 15).ljust(15),
        at.strftime("%y%m%d"), at.strftime("%H%M"), REPETITION_SEPARATOR, "00501", control, "0",
        "T" if inquiry.usage == "T" else "P", COMPONENT_SEPARATOR,
    )  # fmt: skip
    gs = _segment(
        "GS", "HS", _clean(inquiry.sender_id, 15), _clean(inquiry.receiver_id, 15),
        at.strftime("%Y%m%d"), at.strftime("%H%M"), group, "X", VERSION,
    )  # fmt: skip
    body = [
        _segment("ST", "270", "0001", VERSION),
        _segment("BHT", "0022", "13", _clean(inquiry.trace_number, 50), at.strftime("%Y%m%d"), at.strftime("%H%M")),
        _segment("HL", "1", "", "20", "1"),
        _segment("NM1", "PR", "2", _clean(inquiry.payer_name, 60), "", "", "", "", "PI", _clean(inquiry.payer_id, 80)),
        _segment("HL", "2", "1", "21", "1"),
        _provider_name(inquiry),
        _segment("HL", "3", "2", "22", "1" if inquiry.dependent else "0"),
    ]
    subscriber = inquiry.subscriber
    if inquiry.dependent is None:
        body.append(_trace(inquiry))
    body.append(
        _segment(
            "NM1",
            "IL",
            "1",
            _clean(subscriber.family_name, 60),
            _clean(subscriber.given_name, 35),
            "",
            "",
            "",
            "MI",
            _clean(inquiry.member_id, 80),
        )
    )
    if inquiry.dependent is None:
        body += _person_details(subscriber, inquiry)
    else:
        dependent = inquiry.dependent
        if subscriber.birth_date:
            body.append(_segment("DMG", "D8", subscriber.birth_date.strftime("%Y%m%d")))
        body += [
            _segment("HL", "4", "3", "23", "0"),
            _trace(inquiry),
            _segment("NM1", "03", "1", _clean(dependent.family_name, 60), _clean(dependent.given_name, 35)),
            *_person_details(dependent, inquiry),
        ]
    body.append(_segment("SE", str(len(body) + 1), "0001"))
    trailer = [_segment("GE", "1", group), _segment("IEA", "1", control)]
    return "\n".join([isa, gs, *body, *trailer]) + "\n"


def _provider_name(inquiry: EligibilityInquiry) -> str:
    qualifier, ident = ("XX", inquiry.provider_npi) if inquiry.provider_npi else ("", "")
    if inquiry.provider_is_person:
        family, _, given = inquiry.provider_name.partition(",")
        return _segment("NM1", "1P", "1", _clean(family, 60), _clean(given, 35), "", "", "", qualifier, ident)
    return _segment("NM1", "1P", "2", _clean(inquiry.provider_name, 60), "", "", "", "", qualifier, ident)


def _trace(inquiry: EligibilityInquiry) -> str:
    return _segment("TRN", "1", _clean(inquiry.trace_number, 50), _clean(inquiry.trace_originator, 10))


def _person_details(person: Person, inquiry: EligibilityInquiry) -> list[str]:
    lines = []
    if person.birth_date:
        lines.append(_segment("DMG", "D8", person.birth_date.strftime("%Y%m%d")))
    lines.append(_segment("DTP", "291", "D8", inquiry.service_date.strftime("%Y%m%d")))
    lines += [_segment("EQ", _clean(code, 2)) for code in inquiry.service_types]
    return lines


@dataclass(frozen=True)
class InquiryFacts:
    """A 270 read back: the parties, the member, the date and the services asked about."""

    control_number: int
    payer_name: str
    payer_id: str
    provider_npi: str
    member_id: str
    subscriber: Person
    dependent: Person | None
    trace_number: str
    service_date: dt.date | None
    service_types: tuple[str, ...]


def parse_270(text: str) -> InquiryFacts:
    """Reads a 270 inquiry (checked like any X12 file) into its facts."""
    interchange = read_interchange(text, expect="270")
    found: dict = {"payer": ("", ""), "npi": "", "member": "", "trace": "", "date": None, "types": []}
    people: dict[str, Person] = {}
    current = ""
    for segment in interchange.segments:
        if segment.id == "NM1":
            current = segment.get(1)
            if current == "PR":
                found["payer"] = (segment.get(3), segment.get(9))
            elif current == "1P":
                found["npi"] = segment.get(9) if segment.get(8) == "XX" else ""
            elif current in ("IL", "03"):
                people[current] = Person(segment.get(3), segment.get(4))
                if current == "IL":
                    found["member"] = segment.get(9)
        elif segment.id == "DMG" and current in people:
            people[current] = Person(people[current].family_name, people[current].given_name, x12_date(segment.get(2)))
        elif segment.id == "TRN":
            found["trace"] = segment.get(2)
        elif segment.id == "DTP" and segment.get(1) == "291":
            found["date"] = x12_date(segment.get(3))
        elif segment.id == "EQ":
            found["types"] += [code for code in segment.get(1).split(interchange.repetition_separator) if code]
    if "IL" not in people:
        raise X12Error("The inquiry names no subscriber (NM1*IL).")
    return InquiryFacts(
        control_number=interchange.control_number,
        payer_name=found["payer"][0],
        payer_id=found["payer"][1],
        provider_npi=found["npi"],
        member_id=found["member"],
        subscriber=people["IL"],
        dependent=people.get("03"),
        trace_number=found["trace"],
        service_date=found["date"],
        service_types=tuple(found["types"]),
    )


def x12_date(value: str) -> dt.date | None:
    """A CCYYMMDD date, or None when blank or not a real date."""
    try:
        if len(value) < 8 or not value[:8].isdigit():
            return None
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None
