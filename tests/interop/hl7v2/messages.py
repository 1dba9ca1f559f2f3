"""
ADT messages for tests: the public samples in tests/data/hl7v2 and a builder for clean v2.5.1 stories; talking
to the listener (conftest.listener) and reading its ACKs.
"""

import socket
from pathlib import Path

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

DATA = Path(__file__).resolve().parents[2] / "data" / "hl7v2"
MAX_BYTES = 64 * 1024  # the test listener's limit (conftest.listener): a message beyond it is refused


def sample(name: str) -> bytes:
    """A public sample as its bytes (two of them begin with a UTF-8 byte-order mark)."""
    return (DATA / name).read_bytes()


def with_control_id(raw: bytes | str, control_id: str) -> str:
    """The same message under another MSH-10 (the public samples all share MSG00001)."""
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    lines = text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
    fields = lines[0].split("|")
    fields[9] = control_id
    lines[0] = "|".join(fields)
    return "\r".join(lines)


def adt(
    event: str,
    *,
    control_id: str,
    facility: str = "LAKESIDE GENERAL",
    version: str = "2.5.1",
    mrn: str = "H5001",
    authority: str = "LGH",
    family: str = "DOE",
    given: str = "JANE",
    birth_date: str = "19480307",
    sex: str = "F",
    patient_class: str = "I",
    admission_type: str = "E",
    visit: str = "V5001",
    admitted: str = "20260226080000",
    discharged: str = "",
    disposition: str = "",
    discharged_to: str = "",
    location: str = "4W^401^A",
    diagnoses: tuple[tuple[str, str, str], ...] = (("I50.9", "Heart failure, unspecified", "I10"),),
    event_time: str = "",
) -> str:
    """A clean ADT message (segments MSH, EVN, PID, PV1, DG1...) for the story a test tells."""
    sent = event_time or admitted
    msh = f"MSH|^~\\&|ADT|{facility}|CARECOORD|LAKESIDE|{sent}||ADT^{event}^ADT_{event}|{control_id}|P|{version}"
    evn = f"EVN|{event}|{event_time or discharged or admitted}"
    identifiers = f"{mrn}^^^{authority}^MR~123-45-6789^^^USSSA^SS"
    pid = f"PID|1||{identifiers}||{family}^{given}^M||{birth_date}|{sex}|||12 Elm St^^Springfield^IL^62701"
    pv1 = ["PV1", "1", patient_class, f"{location}^{facility}", admission_type] + [""] * 41
    pv1[7] = "1234^SMITH^ANNA^^^DR"
    pv1[10] = "MED"
    pv1[14] = "7"
    pv1[19] = visit
    pv1[36] = disposition
    pv1[37] = discharged_to
    pv1[44] = admitted
    pv1[45] = discharged
    segments = [msh, evn, pid, "|".join(pv1).rstrip("|")]
    for number, (code, text, system) in enumerate(diagnoses, start=1):
        segments.append(f"DG1|{number}||{code}^{text}^{system}||{admitted}|A")
    return "\r".join(segments) + "\r"


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def msa(ack: str) -> tuple[str, str]:
    """An ACK's acknowledgment code and the control ID it answers (MSA-1, MSA-2)."""
    message = parse_message(ack, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    return message.msa.msa_1.to_er7(), message.msa.msa_2.to_er7()
