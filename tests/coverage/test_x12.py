"""The X12 functions, pure: the LinuxForHealth samples, errors a person can act on, and a 270 that reads back."""

import datetime as dt
import io

import pytest
import pyx12.x12file
from hypothesis import given
from hypothesis import strategies as st

from carecoord.coverage.eligibility import cost_rows, covered_services, parse_271
from carecoord.coverage.x12 import EligibilityInquiry, Person, X12Error, build_270, parse_270, read_interchange

from .factories import x12_sample


def inquiry(**changes) -> EligibilityInquiry:
    values = {
        "sender_id": "lakeside",
        "receiver_id": "60054",
        "control_number": 42,
        "created_at": dt.datetime(2026, 1, 5, 9, 30),
        "trace_number": "CC000000042",
        "trace_originator": "9000000001",
        "payer_name": "Aetna",
        "payer_id": "60054",
        "provider_name": "Lakeside Clinic",
        "provider_npi": "1234567893",
        "subscriber": Person("Okafor", "Adaeze", dt.date(1958, 4, 12)),
        "member_id": "W123456",
        "service_date": dt.date(2026, 1, 5),
        "service_types": ("30", "98"),
    }
    return EligibilityInquiry(**{**values, **changes})


def envelope_errors(text: str) -> list:
    reader = pyx12.x12file.X12Reader(io.StringIO(text))
    list(reader)
    reader.cleanup()
    return reader.pop_errors()


@pytest.mark.parametrize(
    ("sample", "patient", "member", "trace", "copays"),
    [
        ("subscriber-health-benefit-check.271", "JOHN SMITH", "123456789", "93175-012547", 20),
        ("dependent-health-benefit-check.271", "MARY SMITH", "123456789", "93175-012547", 20),
    ],
)
def test_sample_271s_read_into_coverage_facts(sample, patient, member, trace, copays):
    response = parse_271(x12_sample(sample))
    assert response.status == "active"
    assert response.plan_name == "GOLD 123 PLAN"
    assert response.payer_name == "ABC COMPANY"
    assert response.patient_name == patient
    assert response.member_id == member
    assert response.trace_numbers == (trace,)
    assert response.plan_begin == dt.date(2006, 1, 1)
    rows = cost_rows(response.benefits)
    assert len(rows) == copays  # two copays (in and out of network) for each of 10 service types
    office = [r for r in rows if r["service_type"] == "98"]
    assert {(r["network"], r["amount"], r["period"]) for r in office} == {
        ("In network", "10.00", "visit"),
        ("Out of network", "30.00", "visit"),
    }
    assert covered_services(response.benefits)[:3] == ["30", "1", "33"]
    pcp = next(b for b in response.benefits if b.code == "L")
    assert pcp.related_entity == "MARCUS JONES"


def test_the_malformed_271_gives_a_clear_error():
    with pytest.raises(X12Error, match=r"malformed.*transaction set \(ST/SE\).*SE id=4323 does not match ST id=4321"):
        parse_271(x12_sample("subscriber-health-benefit-check-error.271"))


def test_an_aaa_rejection_is_read_when_the_envelope_is_sound():
    fixed = x12_sample("subscriber-health-benefit-check-error.271").replace("SE*8*4323~", "SE*8*4321~")
    response = parse_271(fixed)
    assert response.status == "rejected"
    assert [(r.level, r.code, r.reason, r.follow_up) for r in response.rejections] == [
        ("provider", "50", "Provider ineligible for inquiries", "Resubmission not allowed")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("%PDF-1.7 a scanned card", "not an X12 file"),
        (
            x12_sample("subscriber-health-benefit-check.270"),
            r"eligibility inquiry \(270\), not an eligibility response",
        ),
        (x12_sample("subscriber-health-benefit-check.271").replace("SE*22*", "SE*21*"), "SE count of 21"),
        (
            x12_sample("subscriber-health-benefit-check.271").replace("GE*1*1~", "GE*1*2~"),
            r"functional group \(GS/GE\)",
        ),
        (x12_sample("subscriber-health-benefit-check.271").replace("IEA*1*000000907~", ""), "IEA"),
        (x12_sample("subscriber-health-benefit-check.271").replace("*27*10.00*", "*27*ten*"), "not a number"),
    ],
)
def test_unreadable_files_name_the_problem(text, message):
    with pytest.raises(X12Error, match=message):
        parse_271(text)


def test_a_generated_270_passes_the_envelope_checks_and_reads_back():
    text = build_270(inquiry())
    assert envelope_errors(text) == []
    facts = parse_270(text)
    assert facts.control_number == 42
    assert (facts.payer_name, facts.payer_id, facts.provider_npi) == ("AETNA", "60054", "1234567893")
    assert facts.subscriber == Person("OKAFOR", "ADAEZE", dt.date(1958, 4, 12))
    assert facts.dependent is None
    assert (facts.member_id, facts.trace_number) == ("W123456", "CC000000042")
    assert facts.service_date == dt.date(2026, 1, 5)
    assert facts.service_types == ("30", "98")


def test_the_270_has_the_segments_counts_and_control_numbers_of_005010x279a1():
    lines = build_270(inquiry()).splitlines()
    ids = [line.split("*", 1)[0] for line in lines]
    assert ids == ["ISA", "GS", "ST", "BHT", "HL", "NM1", "HL", "NM1", "HL", "TRN", "NM1", "DMG", "DTP", "EQ", "EQ",
                   "SE", "GE", "IEA"]  # fmt: skip
    isa = lines[0]
    assert len(isa) == 106  # ISA is fixed width: 105 characters and the segment terminator
    assert isa[3] == "*"
    assert isa[-2:] == ":~"
    assert isa.split("*")[11] == "^"
    assert isa.split("*")[13] == "000000042"
    assert lines[-1] == "IEA*1*000000042~"
    assert lines[1].split("*")[6] == "42"
    assert lines[-2] == "GE*1*42~"
    st_to_se = lines[2 : ids.index("SE") + 1]
    assert lines[ids.index("SE")] == f"SE*{len(st_to_se)}*0001~"
    assert "HL*3*2*22*0~" in lines
    assert "TRN*1*CC000000042*9000000001~" in lines


def test_a_dependent_is_asked_about_under_the_subscriber():
    text = build_270(
        inquiry(subscriber=Person("Okafor", "Chidi"), dependent=Person("Okafor", "Ada", dt.date(2015, 2, 1)))
    )
    assert envelope_errors(text) == []
    lines = text.splitlines()
    assert "HL*3*2*22*1~" in lines
    assert "HL*4*3*23*0~" in lines
    assert lines.index("HL*4*3*23*0~") < lines.index("TRN*1*CC000000042*9000000001~")
    facts = parse_270(text)
    assert facts.dependent == Person("OKAFOR", "ADA", dt.date(2015, 2, 1))
    assert facts.subscriber.given_name == "CHIDI"


def test_separators_in_values_cannot_break_the_file():
    text = build_270(inquiry(payer_name="Acme*Health~Plan^", member_id="W1:2"))
    assert envelope_errors(text) == []
    facts = parse_270(text)
    assert facts.payer_name == "ACME HEALTH PLAN"
    assert facts.member_id == "W1 2"


def test_interchange_facts():
    interchange = read_interchange(x12_sample("subscriber-health-benefit-check.271"), expect="271")
    assert (interchange.sender_id, interchange.receiver_id, interchange.control_number) == ("000000005", "12345", 907)
    assert (interchange.repetition_separator, interchange.component_separator, interchange.usage) == ("^", ":", "T")


@pytest.mark.parametrize("bad", [0, 1_000_000_000])
def test_control_numbers_stay_in_range(bad):
    with pytest.raises(ValueError, match="control number"):
        build_270(inquiry(control_number=bad))


names = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30).filter(
    lambda s: s.strip(" ~*:^")
)


@given(family=names, given_name=names, member=st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True),
       control=st.integers(min_value=1, max_value=999_999_999))  # fmt: skip
def test_any_inquiry_reads_back(family, given_name, member, control):
    text = build_270(inquiry(subscriber=Person(family, given_name), member_id=member, control_number=control))
    assert envelope_errors(text) == []
    facts = parse_270(text)
    assert facts.member_id == member
    assert facts.control_number == control
    assert (
        facts.subscriber.family_name
        == " ".join(family.upper().translate(str.maketrans("~*:^", "    ")).split(" ")).strip()[:60]
    )
