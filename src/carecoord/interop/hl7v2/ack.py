"""
HL7 v2 acknowledgments (original mode): MSH, MSA (MSA-1 AA accepted / AE error / AR rejected, MSA-2 the
control ID acknowledged, MSA-3 the reason while the version still has that field) and, for AE/AR, an ERR
segment with the table 0357 code and the reason. ERR is laid out for the message's version: ERR-1
(segment^sequence^field^code&text) before 2.5; ERR-2 location, ERR-3 code, ERR-4 severity and ERR-8
user message from 2.5 on.
"""

import datetime as dt
import uuid

from .parse import ERROR_TEXT, SUPPORTED_VERSIONS, Header

ACK_VERSION_FALLBACK = "2.5.1"  # when the message's own version is not one we speak
FIELD_SEPARATOR = "|"
ENCODING_CHARACTERS = "^~\\&"


def escape(text: str) -> str:
    r"""Text made safe for a field: the separators become \F\ \S\ \R\ \T\ and the escape \E\; lines join."""
    text = text.replace("\\", "\\E\\")
    for char, code in (("|", "\\F\\"), ("^", "\\S\\"), ("~", "\\R\\"), ("&", "\\T\\")):
        text = text.replace(char, code)
    return " ".join(text.split())


def _older_than_25(version: str) -> bool:
    return version in ("2.3", "2.3.1", "2.4")


def build_ack(
    *,
    code: str,
    header: Header | None,
    text: str = "",
    error_code: str = "",
    location: str = "",
    now: dt.datetime,
    receiver: str = "CARECOORD",
) -> str:
    """
    The ACK for a message: `code` AA, AE or AR; `header` the message's MSH when it could be read (else the
    ACK acknowledges control ID "" and says why). Segments end with a carriage return.
    """
    version = header.version if header and header.version in SUPPORTED_VERSIONS else ACK_VERSION_FALLBACK
    event = header.event if header else ""
    msh = FIELD_SEPARATOR.join(
        [
            "MSH",
            ENCODING_CHARACTERS,
            escape(header.receiving_application if header and header.receiving_application else receiver),
            escape(header.receiving_facility if header and header.receiving_facility else receiver),
            escape(header.sending_application if header else ""),
            escape(header.facility_name if header else ""),
            now.strftime("%Y%m%d%H%M%S%z"),
            "",
            f"ACK^{event}^ACK" if event else "ACK",
            uuid.uuid4().hex[:20].upper(),
            header.processing_id if header and header.processing_id in ("P", "T", "D") else "P",
            version,
        ]
    )
    msa = ["MSA", code, escape(header.control_id if header else "")]
    if text and version not in ("2.7", "2.7.1", "2.8", "2.8.1", "2.8.2"):  # MSA-3 withdrawn in 2.7
        msa.append(escape(text)[:80])
    segments = [msh, FIELD_SEPARATOR.join(msa)]
    if code != "AA":
        segments.append(_err(version, error_code or "207", text, location))
    return "\r".join(segments) + "\r"


def _err(version: str, error_code: str, text: str, location: str) -> str:
    segment, _, number = location.partition("-")
    code_text = ERROR_TEXT.get(error_code, "Error")
    if _older_than_25(version):
        where = f"{segment}^1^{number}^" if segment else "^^^"
        return f"ERR|{where}{error_code}&{escape(code_text)}&HL70357"
    erl = f"{segment}^1^{number}" if segment else ""
    return FIELD_SEPARATOR.join(
        ["ERR", "", erl, f"{error_code}^{escape(code_text)}^HL70357", "E", "", "", "", escape(text)]
    )
