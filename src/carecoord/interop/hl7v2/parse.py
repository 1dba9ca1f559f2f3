"""
HL7 v2 ADT messages (versions 2.3 to 2.8) into plain dataclasses. hl7apy checks the structure with
validation off (tolerant: interface engines send every shape); fields are then read by position
(v2.5.1 numbering, the same positions in every version we accept) and unescaped here.

Errors are `Hl7Error`s carrying what the ACK needs: the acknowledgment code (AR: the message is refused as
a whole, resending it unchanged will not help; AE: it was understood but something in it is wrong), the
HL7 table 0357 error code and the field at fault. ../shared/STANDARDS.md section 3.3 lists the fields.
"""

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message

# Versions accepted (the issue asks for 2.3 to 2.8); hl7apy has no 2.7.1 library, so that one parses as 2.7.
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2")
PARSE_AS = {"2.7.1": "2.7"}
# The ADT events CareCoord acts on; any other well-formed ADT event (A05, A28...) is acknowledged and ignored.
HANDLED_EVENTS = ("A01", "A02", "A03", "A04", "A08", "A11", "A13")
ADT_EVENT = re.compile(r"^A(0[1-9]|[1-5][0-9]|6[0-2])$")  # A01-A62, the events HL7 v2.8 defines
PROCESSING_IDS = ("P", "T", "D")

# HL7 table 0357, message error condition codes.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT_CODE = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION_ID = "203"
APPLICATION_ERROR = "207"
ERROR_TEXT = {
    SEGMENT_SEQUENCE_ERROR: "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT_CODE: "Unsupported event code",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNSUPPORTED_VERSION_ID: "Unsupported version id",
    APPLICATION_ERROR: "Application internal error",
}


class Hl7Error(Exception):
    """A message CareCoord cannot take, with what the ACK says about it."""

    def __init__(self, message: str, *, code: str, ack_code: str = "AE", location: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.ack_code = ack_code
        self.location = location  # e.g. "PV1-44"


# --- text and segments -------------------------------------------------------------------------------------


def normalize(raw: bytes | str) -> str:
    """
    The message as text with segments ended by carriage returns: a UTF-8 byte-order mark (some interface
    engines send one) and surrounding blank lines removed, LF and CRLF line ends accepted.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")  # HL7 v2's traditional default character set
    else:
        text = raw.removeprefix("\ufeff")
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    segments = [segment for segment in text.split("\r") if segment.strip()]
    return "\r".join(segment.rstrip() if segment.startswith("MSH") else segment for segment in segments)


@dataclass(frozen=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


class Segment:
    """One segment, read by position: `field(3)` is PID-3 of a PID segment (MSH-1 is the separator itself)."""

    def __init__(self, text: str, encoding: Encoding):
        self.text = text
        self.encoding = encoding
        self.name = text[:3]
        parts = text.split(encoding.field)
        # MSH-1 is the field separator, so MSH-2 is parts[1]; elsewhere SEG-n is parts[n].
        self._fields = [self.name, encoding.field, *parts[1:]] if self.name == "MSH" else parts

    def field(self, number: int) -> str:
        """The field's first repetition, still escaped."""
        return self.repetitions(number)[0] if self.repetitions(number) else ""

    def repetitions(self, number: int) -> list[str]:
        raw = self._fields[number] if number < len(self._fields) else ""
        if self.name == "MSH" and number <= 2:
            return [raw]
        return [rep for rep in raw.split(self.encoding.repetition)] if raw else []

    def component(self, number: int, component: int = 1, subcomponent: int = 1, *, value: str | None = None) -> str:
        """The unescaped component (1-based) of the field's first repetition (or of `value`)."""
        text = self.field(number) if value is None else value
        components = text.split(self.encoding.component)
        if component > len(components):
            return ""
        subs = components[component - 1].split(self.encoding.subcomponent)
        return unescape(subs[subcomponent - 1], self.encoding).strip() if subcomponent <= len(subs) else ""

    def text_of(self, number: int) -> str:
        """The whole field, unescaped, separators kept."""
        return unescape(self.field(number), self.encoding).strip()


_ESCAPES = {"F": "field", "S": "component", "T": "subcomponent", "R": "repetition", "E": "escape"}


def unescape(text: str, encoding: Encoding) -> str:
    r"""HL7 escape sequences: \F\ \S\ \T\ \R\ \E\, \.br\ (line break) and \Xhh..\ (hex); others dropped."""
    if encoding.escape not in text:
        return text
    esc = re.escape(encoding.escape)
    pattern = re.compile(f"{esc}([^{esc}]*){esc}")

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if code in _ESCAPES:
            return getattr(encoding, _ESCAPES[code])
        if code == ".br":
            return "\n"
        if code.startswith("X") and re.fullmatch(r"X([0-9A-Fa-f]{2})+", code):
            return bytes.fromhex(code[1:]).decode("latin-1")
        return ""

    return pattern.sub(replace, text)


# --- the header, readable even when the rest is broken ------------------------------------------------------


@dataclass(frozen=True)
class Header:
    sending_application: str
    sending_facility: str  # MSH-4 as sent (all components), the key messages are deduplicated on
    facility_name: str  # what the directory calls the hospital
    receiving_application: str
    receiving_facility: str
    message_type: str  # MSH-9.1, e.g. ADT
    event: str  # MSH-9.2, e.g. A03
    control_id: str
    processing_id: str
    version: str
    sent_at: str

    @property
    def type_label(self) -> str:
        return f"{self.message_type}^{self.event}" if self.event else self.message_type


def encoding_of(msh_text: str) -> Encoding:
    if len(msh_text) < 8:
        raise Hl7Error("The MSH segment is too short to hold its encoding characters.",
                       code=SEGMENT_SEQUENCE_ERROR, ack_code="AR", location="MSH-2")  # fmt: skip
    chars = msh_text[4:8]
    return Encoding(field=msh_text[3], component=chars[0], repetition=chars[1], escape=chars[2],
                    subcomponent=chars[3] if len(msh_text) > 8 and msh_text[8] != msh_text[3] else "&")  # fmt: skip


def read_header(text: str) -> Header:
    """The MSH of a normalized message; raises Hl7Error (AR) when there is none to read."""
    if not text.startswith("MSH"):
        raise Hl7Error("The message does not begin with an MSH segment.", code=SEGMENT_SEQUENCE_ERROR,
                       ack_code="AR", location="MSH")  # fmt: skip
    msh_text = text.split("\r", 1)[0]
    msh = Segment(msh_text, encoding_of(msh_text))
    facility = unescape(msh.field(4), msh.encoding).strip()
    return Header(
        sending_application=msh.component(3),
        sending_facility=facility,
        facility_name=msh.component(4) or msh.component(4, 2),
        receiving_application=msh.component(5),
        receiving_facility=msh.component(6),
        message_type=msh.component(9).upper(),
        event=msh.component(9, 2).upper(),
        control_id=msh.text_of(10),
        processing_id=msh.component(11).upper(),
        version=msh.component(12),
        sent_at=msh.component(7),
    )


def check_header(header: Header) -> None:
    """Refuses (AR) what CareCoord does not take at all: version, message type, event, processing id."""
    if not header.control_id:
        raise Hl7Error("MSH-10 (message control ID) is empty.", code=REQUIRED_FIELD_MISSING, location="MSH-10")
    if not header.sending_facility:
        raise Hl7Error("MSH-4 (sending facility) is empty.", code=REQUIRED_FIELD_MISSING, location="MSH-4")
    if header.version not in SUPPORTED_VERSIONS:
        raise Hl7Error(f"HL7 version “{header.version}” is not supported (2.3 to 2.8 are).",
                       code=UNSUPPORTED_VERSION_ID, ack_code="AR", location="MSH-12")  # fmt: skip
    if header.message_type != "ADT":
        raise Hl7Error(f"Message type “{header.message_type}” is not accepted here (only ADT).",
                       code=UNSUPPORTED_MESSAGE_TYPE, ack_code="AR", location="MSH-9")  # fmt: skip
    if not ADT_EVENT.match(header.event):
        raise Hl7Error(f"“{header.event}” is not an ADT trigger event.", code=UNSUPPORTED_EVENT_CODE,
                       ack_code="AR", location="MSH-9")  # fmt: skip
    if header.processing_id not in PROCESSING_IDS:
        raise Hl7Error(f"Processing ID “{header.processing_id}” is not P, T or D.", code=UNSUPPORTED_PROCESSING_ID,
                       ack_code="AR", location="MSH-11")  # fmt: skip


# --- timestamps ---------------------------------------------------------------------------------------------

_DTM = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$")


def parse_timestamp(value: str, tz: zoneinfo.ZoneInfo, *, location: str) -> dt.datetime | None:
    """
    An HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]) as an aware datetime; without an offset it is read in
    `tz` (the organization's zone). Empty -> None; anything else that is not a real instant -> Hl7Error.
    """
    value = (value or "").strip()
    if not value:
        return None
    match = _DTM.match(value)
    if not match:
        raise Hl7Error(f"{location} “{value}” is not an HL7 date/time.", code=DATA_TYPE_ERROR, location=location)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        zone: dt.tzinfo = tz
        if offset:
            sign = 1 if offset[0] == "+" else -1
            zone = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return dt.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]), tzinfo=zone,
        )  # fmt: skip
    except ValueError as exc:
        raise Hl7Error(f"{location} “{value}” is not a real date/time ({exc}).", code=DATA_TYPE_ERROR,
                       location=location) from exc  # fmt: skip


def parse_date(value: str, *, location: str) -> dt.date | None:
    """The calendar date of a DT/DTM (a birth date): its local digits, whatever offset follows."""
    value = (value or "").strip()
    if not value:
        return None
    stamp = parse_timestamp(value, zoneinfo.ZoneInfo("UTC"), location=location)
    if len(value) < 8 or not value[:8].isdigit():
        raise Hl7Error(f"{location} “{value}” is not a full date (YYYYMMDD).", code=DATA_TYPE_ERROR,
                       location=location)  # fmt: skip
    return stamp.date() if stamp else None


# --- the parsed message -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    value: str
    authority: str  # CX-4 assigning authority (its namespace id, else its universal id)
    type: str  # CX-5, e.g. MR


@dataclass(frozen=True)
class PatientData:
    identifiers: tuple[Identifier, ...]
    family_name: str
    given_name: str
    middle_name: str
    birth_date: dt.date | None
    sex: str  # PID-8 as sent: F, M, O, U, A, N
    address_line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""

    def as_json(self) -> dict:
        return {
            "identifiers": [{"value": i.value, "authority": i.authority, "type": i.type} for i in self.identifiers],
            "family_name": self.family_name,
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "address_line1": self.address_line1,
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class Diagnosis:
    system: str  # FHIR system URI when known, else what DG1-3.3 said
    code: str
    display: str
    type: str  # DG1-6: A admitting, W working, F final

    def as_json(self) -> dict:
        return {"system": self.system, "code": self.code, "display": self.display, "type": self.type}


@dataclass(frozen=True)
class VisitData:
    patient_class: str  # PV1-2
    location: str  # PV1-3, readable
    admission_type: str  # PV1-4
    attending: str  # PV1-7, readable
    hospital_service: str  # PV1-10
    admit_source: str  # PV1-14
    visit_number: str  # PV1-19
    discharge_disposition: str  # PV1-36.1 as sent
    discharged_to: str  # PV1-37, readable
    admitted_at: dt.datetime | None  # PV1-44
    discharged_at: dt.datetime | None  # PV1-45
    reason: str  # PV2-3 admit reason


@dataclass(frozen=True)
class AdtMessage:
    header: Header
    event_occurred_at: dt.datetime | None  # EVN-6, else EVN-2, else MSH-7
    patient: PatientData
    visit: VisitData | None
    diagnoses: tuple[Diagnosis, ...] = field(default_factory=tuple)

    @property
    def event(self) -> str:
        return self.header.event


CODING_SYSTEMS = {
    "I10": "http://hl7.org/fhir/sid/icd-10-cm", "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10": "http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "SCT": "http://snomed.info/sct", "SNM": "http://snomed.info/sct", "SNOMED": "http://snomed.info/sct",
    "SNOMEDCT": "http://snomed.info/sct",
    "I9": "http://hl7.org/fhir/sid/icd-9-cm", "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
}  # fmt: skip


def structure_check(text: str, header: Header) -> None:
    """hl7apy, validation off: segment names and the basic shape. Raises Hl7Error (AR) when it refuses."""
    version = PARSE_AS.get(header.version, header.version)
    if version != header.version:
        text = text.replace(f"|{header.version}", f"|{version}", 1)
    try:
        parse_message(text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    except HL7apyException as exc:
        raise Hl7Error(f"The message is not well-formed HL7 v2: {exc}", code=SEGMENT_SEQUENCE_ERROR,
                       ack_code="AR") from exc  # fmt: skip


def parse_adt(text: str, tz: zoneinfo.ZoneInfo) -> AdtMessage:
    """A normalized ADT message into plain data; Hl7Error names the first field that is wrong."""
    header = read_header(text)
    check_header(header)
    structure_check(text, header)
    encoding = encoding_of(text.split("\r", 1)[0])
    segments = [Segment(line, encoding) for line in text.split("\r")]
    by_name: dict[str, list[Segment]] = {}
    for segment in segments:
        by_name.setdefault(segment.name, []).append(segment)
    pid = _one(by_name, "PID")
    if pid is None:
        raise Hl7Error("The message has no PID segment.", code=SEGMENT_SEQUENCE_ERROR, location="PID")
    evn = _one(by_name, "EVN")
    msh = segments[0]
    occurred = (
        (parse_timestamp(evn.field(6), tz, location="EVN-6") if evn else None)
        or (parse_timestamp(evn.field(2), tz, location="EVN-2") if evn else None)
        or parse_timestamp(msh.component(7), tz, location="MSH-7")
    )
    pv1 = _one(by_name, "PV1")
    return AdtMessage(
        header=header,
        event_occurred_at=occurred,
        patient=_patient(pid),
        visit=_visit(pv1, _one(by_name, "PV2"), tz) if pv1 else None,
        diagnoses=tuple(d for d in (_diagnosis(s) for s in by_name.get("DG1", [])) if d),
    )


def _one(by_name: dict[str, list[Segment]], name: str) -> Segment | None:
    found = by_name.get(name)
    return found[0] if found else None


def _patient(pid: Segment) -> PatientData:
    identifiers = []
    for rep in pid.repetitions(3) + pid.repetitions(2):  # PID-2 (external id) is withdrawn but still sent
        value = pid.component(3, 1, value=rep)
        if value:
            authority = pid.component(3, 4, 1, value=rep) or pid.component(3, 4, 2, value=rep)
            identifiers.append(Identifier(value=value, authority=authority, type=pid.component(3, 5, value=rep)))
    family = pid.component(5, 1)
    given = pid.component(5, 2)
    if not family and not identifiers:
        raise Hl7Error("PID names neither the patient nor an identifier.", code=REQUIRED_FIELD_MISSING,
                       location="PID-5")  # fmt: skip
    return PatientData(
        identifiers=tuple(identifiers),
        family_name=family,
        given_name=given,
        middle_name=pid.component(5, 3),
        birth_date=parse_date(pid.component(7), location="PID-7"),
        sex=pid.component(8).upper()[:1],
        address_line1=pid.component(11, 1),
        city=pid.component(11, 3),
        state=pid.component(11, 4).upper(),
        postal_code=pid.component(11, 5),
        phone=pid.component(13, 1) or pid.component(13, 12),
    )


def _readable(segment: Segment, number: int, parts: tuple[int, ...]) -> str:
    return " ".join(p for p in (segment.component(number, c) for c in parts) if p)


def _visit(pv1: Segment, pv2: Segment | None, tz: zoneinfo.ZoneInfo) -> VisitData:
    admitted = parse_timestamp(pv1.component(44), tz, location="PV1-44")
    discharged = parse_timestamp(pv1.component(45), tz, location="PV1-45")
    if admitted and discharged and discharged < admitted:
        raise Hl7Error("PV1-45 (discharge) is before PV1-44 (admission).", code=DATA_TYPE_ERROR, location="PV1-45")
    location = _readable(pv1, 3, (4, 1, 2, 3))  # facility, point of care, room, bed
    attending = " ".join(p for p in (pv1.component(7, 6), pv1.component(7, 3), pv1.component(7, 2)) if p)
    return VisitData(
        patient_class=pv1.component(2).upper(),
        location=location[:200],
        admission_type=pv1.component(4).upper()[:2],
        attending=attending[:200],
        hospital_service=pv1.component(10),
        admit_source=pv1.component(14),
        visit_number=pv1.component(19)[:60],
        discharge_disposition=pv1.component(36),
        discharged_to=(pv1.component(37) or pv1.component(37, 2))[:200],
        admitted_at=admitted,
        discharged_at=discharged,
        reason=(pv2.component(3, 2) or pv2.component(3, 1))[:300] if pv2 else "",
    )


def _diagnosis(dg1: Segment) -> Diagnosis | None:
    code = dg1.component(3, 1)
    if not code:
        return None
    system = dg1.component(3, 3) or dg1.component(2)
    return Diagnosis(
        system=CODING_SYSTEMS.get(system.upper().replace(" ", ""), system),
        code=code,
        display=dg1.component(3, 2) or dg1.component(4),
        type=dg1.component(6).upper()[:1],
    )
