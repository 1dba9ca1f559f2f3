"""Parsing, timestamps, escapes, framing and ACKs: pure rules, table tests and properties."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.interop.hl7v2.ack import build_ack, escape
from carecoord.interop.hl7v2.mllp import FrameReader, FrameTooLarge, frame
from carecoord.interop.hl7v2.parse import (
    Encoding,
    Hl7Error,
    normalize,
    parse_adt,
    parse_timestamp,
    read_header,
    unescape,
)

from .messages import DATA, adt, sample

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("20260302", dt.datetime(2026, 3, 2, tzinfo=CHICAGO)),
     ("202603021430", dt.datetime(2026, 3, 2, 14, 30, tzinfo=CHICAGO)),
     ("20260302143005.25", dt.datetime(2026, 3, 2, 14, 30, 5, 250000, tzinfo=CHICAGO)),
     ("20260302143005+0000", dt.datetime(2026, 3, 2, 14, 30, 5, tzinfo=dt.UTC)),
     ("198908181126+0215", dt.datetime(1989, 8, 18, 9, 11, tzinfo=dt.UTC)),
     ("", None)],
)  # fmt: skip
def test_timestamps_carry_their_offset_or_the_organizations_zone(value, expected):
    assert parse_timestamp(value, CHICAGO, location="PV1-44") == expected


@pytest.mark.parametrize("value", ["2026-03-02", "20261302", "20260230", "202603021460", "yesterday", "2026030"])
def test_bad_timestamps_name_their_field(value):
    with pytest.raises(Hl7Error) as caught:
        parse_timestamp(value, CHICAGO, location="PV1-45")
    assert (caught.value.code, caught.value.ack_code, caught.value.location) == ("102", "AE", "PV1-45")


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_a_formatted_local_time_reads_back(moment):
    moment = moment.replace(microsecond=0)
    assert parse_timestamp(moment.strftime("%Y%m%d%H%M%S"), CHICAGO, location="X") == moment.replace(tzinfo=CHICAGO)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60))
def test_escape_then_unescape_gives_the_text_back(text):
    assert unescape(escape(text), Encoding()) == " ".join(text.split())


def test_unescape_knows_line_breaks_and_hex():
    assert unescape(r"Ward 4\.br\Bed\X41\ \F\ ok", Encoding()) == "Ward 4\nBedA | ok"


def test_normalize_takes_boms_and_any_line_end():
    raw = b"\xef\xbb\xbfMSH|^~\\&|A|F|||20260302||ADT^A01|1|P|2.5\r\nEVN|A01\nPID|1\n\n"
    assert normalize(raw) == "MSH|^~\\&|A|F|||20260302||ADT^A01|1|P|2.5\rEVN|A01\rPID|1"


@pytest.mark.parametrize("name", ["ADT01-23.hl7", "ADT04-23.hl7"])
def test_samples_with_a_byte_order_mark_parse(name):
    message = parse_adt(normalize(sample(name)), CHICAGO)
    assert message.header.version == "2.3"
    assert message.patient.identifiers[0].type == "MR"


def test_the_discharge_sample_reads_by_position():
    message = parse_adt(normalize(sample("ADT-A03-01.hl7")), CHICAGO)
    assert (message.header.facility_name, message.header.control_id, message.event) == ("GHHSFacility", "MSG00001",
                                                                                         "A03")  # fmt: skip
    assert (message.patient.family_name, message.patient.given_name) == ("EVERYMAN", "ADAM")
    assert message.patient.birth_date == dt.date(1988, 8, 18)
    assert message.visit.visit_number == "40007716"
    assert message.visit.discharged_at == dt.datetime(
        2015, 2, 9, 11, 34, 19, tzinfo=dt.timezone(dt.timedelta(minutes=70))
    )
    assert message.diagnoses[0].system == "http://snomed.info/sct"


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8"])
def test_every_version_from_23_to_28_parses(version):
    message = parse_adt(adt("A03", control_id="V", version=version, discharged="20260302100000"), CHICAGO)
    assert message.visit.discharged_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=CHICAGO)


def test_malformed_files():
    codes = {}
    for path in sorted((DATA / "malformed").glob("*.hl7")):
        try:
            parse_adt(normalize(path.read_bytes()), CHICAGO)
        except Hl7Error as exc:
            codes[path.name] = (exc.ack_code, exc.code)
    assert codes == {"bad-dates.hl7": ("AE", "102"), "no-msh.hl7": ("AR", "100"),
                     "unknown-event.hl7": ("AR", "201"), "wrong-version.hl7": ("AR", "203")}  # fmt: skip


def test_an_ack_answers_in_the_messages_version_and_escapes_the_reason():
    header = read_header(normalize(adt("A01", control_id="C-1", version="2.4")))
    ack = build_ack(code="AE", header=header, text="bad | value", error_code="102", location="PV1-44", now=NOW)
    msh, msa, err = ack.rstrip("\r").split("\r")
    assert msh.endswith("|ACK^A01^ACK|" + msh.split("|")[9] + "|P|2.4")
    assert msa == "MSA|AE|C-1|bad \\F\\ value"
    assert err == "ERR|PV1^1^44^102&Data type error&HL70357"


def test_frames_are_read_whole_and_in_order():
    reader = FrameReader(max_bytes=100)
    data = frame("one") + b"junk" + frame("two")
    assert reader.feed(data[:5]) == []
    assert reader.feed(data[5:]) == [b"one", b"two"]
    with pytest.raises(FrameTooLarge):
        FrameReader(max_bytes=10).feed(b"\x0b" + b"x" * 20)
