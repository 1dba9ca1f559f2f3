"""
Social Security numbers out of an HL7 v2 message before it is stored (CareCoord never stores nor uses them).

What is removed, by HL7 v2.5.1 definition (the same positions in 2.3 to 2.8.2; hl7apy's field tables):
- the fields that are an SSN: PID-19 (SSN number - patient), NK1-37 (contact person SSN), GT1-12
  (guarantor SSN), IN2-2 (insured's Social Security number);
- in every field of a person-identifier type (CX: PID-2/3/4/21, MRG-1..., NK1-33, GT1-2, IN2-1...; XCN/PPN:
  clinicians, e.g. PV1-7), the ID of each repetition that is an SSN: identifier type code SS (HL7 table
  0203; CX-5, XCN-13; or SSN), or assigned by the US Social Security Administration (table 0363 USSSA, the
  shorthand SSA, or the SSN OID 2.16.840.1.113883.4.1 in the HD), with its check digit;
- then the same nine digits wherever else the message repeats them (an old Medicare HICN in IN2-8 is the
  SSN plus a letter; free text).

A value is removed by blanking it: separators stay, so every field keeps its position, the message parses
as before and all other bytes are unchanged. Blank rather than a fixed mask: HL7 reads an empty component
as "not sent", which is now true; the parser drops an identifier whose ID is empty, so a removed SSN can
never become an identifier that every patient shares; and no mask can collide with a sender's separators.
The SS type code and authority stay, so the raw message still shows where an SSN was.
"""

import functools
import re
from dataclasses import dataclass

import hl7apy

from .parse import PARSE_AS, SUPPORTED_VERSIONS, Encoding, Hl7Error, encoding_of, unescape

SSN_FIELDS = frozenset({("PID", 19), ("NK1", 37), ("GT1", 12), ("IN2", 2)})
# HL7 table 0203 "SS", and the "SSN" some feeds send; table 0363 "USSSA", and the shorthand "SSA".
SSN_TYPES = frozenset({"SS", "SSN"})
SSN_AUTHORITIES = frozenset({"USSSA", "SSA"})
SSN_OID = "2.16.840.1.113883.4.1"
HL7_NULL = '""'  # "delete the value": not an SSN, kept
_SSN_DIGITS = re.compile(r"(?<!\d)(\d{3})[- ]?(\d{2})[- ]?(\d{4})(?!\d)")
_LINE_END = re.compile(r"(\r\n|\r|\n)")


@dataclass(frozen=True)
class _Shape:
    """Where a person-identifier data type keeps its parts (1-based component numbers)."""

    id: int
    check_digit: int
    authority: int
    type: int


CX = _Shape(id=1, check_digit=2, authority=4, type=5)
XCN = _Shape(id=1, check_digit=11, authority=9, type=13)  # PPN has the same first 13 components
_SHAPES = {"CX": CX, "XCN": XCN, "PPN": XCN}


@functools.cache
def identifier_fields() -> dict[tuple[str, int], tuple[_Shape, ...]]:
    """(segment, field number) -> the identifier shapes that field has in any HL7 version CareCoord takes."""
    found: dict[tuple[str, int], set[_Shape]] = {}
    for version in SUPPORTED_VERSIONS:
        for name, spec in hl7apy.load_library(PARSE_AS.get(version, version)).FIELDS.items():
            segment, _, number = name.partition("_")
            if len(segment) == 3 and number.isdigit() and spec[2] in _SHAPES:
                found.setdefault((segment, int(number)), set()).add(_SHAPES[spec[2]])
    return {key: tuple(shapes) for key, shapes in found.items()}


def redact_ssns(text: str) -> str:
    """The message with every SSN blanked; a message without one comes back unchanged."""
    parts = _LINE_END.split(text)  # segments at even indexes, their line ends (kept as they were) between
    encoding = _encoding(parts[0])
    removed: set[str] = set()
    for index in range(0, len(parts), 2):
        parts[index] = _redact_segment(parts[index], encoding, removed)
    if removed:
        for index in range(0, len(parts), 2):
            if not parts[index].startswith("MSH"):
                parts[index] = _SSN_DIGITS.sub(lambda m: "" if "".join(m.groups()) in removed else m[0], parts[index])
    return "".join(parts)


def _encoding(first: str) -> Encoding:
    try:
        return encoding_of(first) if first.startswith("MSH") else Encoding()
    except Hl7Error:
        return Encoding()  # an MSH too short to say: the standard separators


def _redact_segment(segment: str, encoding: Encoding, removed: set[str]) -> str:
    fields = segment.split(encoding.field)
    name = fields[0]
    if name == "MSH":  # its field numbers are shifted by MSH-1, and it carries no SSN
        return segment
    shapes = identifier_fields()
    changed = False
    for number in range(1, len(fields)):
        value = fields[number]
        if not value or value == HL7_NULL:
            continue
        if (name, number) in SSN_FIELDS:
            _remember(value, removed)
            fields[number] = ""
        elif (name, number) in shapes:
            fields[number] = _redact_identifiers(value, shapes[(name, number)], encoding, removed)
        changed = changed or fields[number] != value
    return encoding.field.join(fields) if changed else segment


def _redact_identifiers(value: str, shapes: tuple[_Shape, ...], encoding: Encoding, removed: set[str]) -> str:
    repetitions = value.split(encoding.repetition)
    for index, repetition in enumerate(repetitions):
        components = repetition.split(encoding.component)
        for shape in shapes:
            if _is_ssn(components, shape, encoding):
                for number in (shape.id, shape.check_digit):
                    if number <= len(components) and components[number - 1] != HL7_NULL:
                        _remember(components[number - 1], removed)
                        components[number - 1] = ""
        repetitions[index] = encoding.component.join(components)
    return encoding.repetition.join(repetitions)


def _is_ssn(components: list[str], shape: _Shape, encoding: Encoding) -> bool:
    def part(number: int) -> str:
        return components[number - 1] if number <= len(components) else ""

    authority = [unescape(s, encoding).strip() for s in part(shape.authority).split(encoding.subcomponent)]
    return is_ssn_identifier(unescape(part(shape.type), encoding), authority[0], authority[1:2])


def is_ssn_identifier(type_code: str, namespace: str, universal_ids=()) -> bool:
    """Whether an identifier with this type code and assigning authority is a Social Security number."""
    return (
        type_code.strip().upper() in SSN_TYPES
        or namespace.strip().upper() in SSN_AUTHORITIES
        or any(uid.strip() == SSN_OID for uid in universal_ids)
    )


def _remember(value: str, removed: set[str]) -> None:
    """The nine digits of an SSN just removed, to find them wherever else the message repeats them."""
    for match in _SSN_DIGITS.finditer(value):
        removed.add("".join(match.groups()))
