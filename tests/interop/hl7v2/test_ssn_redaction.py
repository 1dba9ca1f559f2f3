"""
Social Security numbers never reach the database: an inbound message is stored (and parsed) with every SSN
blanked, everything else byte for byte as sent; messages stored before are blanked by migration 0002.
The SSNs below are from the 987-65-4320..4329 range the SSA reserves for advertising (never issued).
"""

import dataclasses
import datetime as dt
import importlib

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.interop.hl7v2 import services
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.mllp import exchange
from carecoord.interop.hl7v2.models import InboundMessage, MessageStatus, PatientMatchReview, ReviewStatus
from carecoord.interop.hl7v2.parse import normalize, parse_adt
from carecoord.interop.hl7v2.redact import redact_ssns
from carecoord.patients.models import Patient, PatientIdentifier
from carecoord.transitions.models import Encounter

from ...factories import PatientFactory, make_actor
from ...migration_steps import migrate_forward, migrated_back_to
from .messages import adt, connect, msa, sample, with_control_id

MIGRATION = importlib.import_module("carecoord.interop.hl7v2.migrations.0002_blank_stored_ssns")

SSNS = {
    "pid3": "987654321",  # PID-3 repetition typed SS (CX-5), assigning authority USSSA
    "pid19": "987-65-4320",  # PID-19 SSN number - patient
    "nk1_33": "987-65-4322",  # NK1-33 next of kin identifiers, typed SS
    "nk1_37": "987-65-4323",  # NK1-37 contact person SSN
    "pv1_7": "987654324",  # PV1-7 attending doctor (XCN) whose identifier type (XCN-13) is SS
    "gt1_12": "987-65-4325",  # GT1-12 guarantor SSN
    "in2_2": "987654326",  # IN2-2 insured's Social Security number
    "in1_49": "987-65-4327",  # IN1-49 insured's ID number, assigned by the SSA's OID
}
DIGITS = {name: value.replace("-", "") for name, value in SSNS.items()}


def segment(name: str, values: dict[int, str]) -> str:
    fields = [name] + [""] * max(values)
    for number, value in values.items():
        fields[number] = value
    return "|".join(fields)


def story(event: str, control_id: str, ssn: dict[str, str]) -> str:
    """A v2.5.1 ADT^A04/A08 with an SSN in every place HL7 keeps one; `ssn` fills (or blanks) them."""
    return "\r".join([
        f"MSH|^~\\&|ADT|LAKESIDE GENERAL|CARECOORD|LAKESIDE|20260226080000||ADT^{event}^ADT_A01|{control_id}|P|2.5.1",
        f"EVN|{event}|20260226080000",
        segment("PID", {1: "1", 3: f"H7001^^^LGH^MR~{ssn['pid3']}^^^USSSA^SS", 5: "ROE^RICHARD^Q", 7: "19510412",
                        8: "M", 11: "8 Oak Ave^^Springfield^IL^62704", 13: "^PRN^PH^^^217^5550188",
                        19: ssn["pid19"], 20: "IL-D55-1234"}),
        segment("NK1", {1: "1", 2: "ROE^ANN", 3: "SPO^Spouse^HL70063",
                        33: f"{ssn['nk1_33']}^^^USSSA^SS~NK-77^^^LGH^PI", 37: ssn["nk1_37"]}),
        segment("PV1", {1: "1", 2: "O", 3: "CLINIC^^^LAKESIDE GENERAL", 4: "R",
                        7: f"{ssn['pv1_7']}^SMITH^ANNA^^^DR^^^^^^^SS~1234^SMITH^ANNA^^^DR^^^LGH", 10: "MED",
                        19: "V7001", 44: "20260226080000"}),
        "DG1|1||I10^Essential hypertension^I10||20260226080000|A",
        segment("GT1", {1: "1", 2: "G-1^^^LGH", 3: "ROE^RICHARD^Q", 12: ssn["gt1_12"]}),
        segment("IN1", {1: "1", 2: "MCR^Medicare", 3: "CMS", 4: "Medicare",
                        49: f"{ssn['in1_49']}^^^&2.16.840.1.113883.4.1&ISO"}),
        # IN2-8: an old Medicare card number was the SSN (here PID-19's) and a letter
        segment("IN2", {1: "E-9^^^ACME^EI", 2: ssn["in2_2"], 8: f"{ssn['pid19'].replace('-', '')}A"}),
    ]) + "\r"  # fmt: skip


def sent(event: str = "A04", control_id: str = "SSN-1") -> str:
    return story(event, control_id, SSNS)


def expected(event: str = "A04", control_id: str = "SSN-1") -> str:
    """The same message with only the SSNs gone (normalized as stored: no final carriage return)."""
    return normalize(story(event, control_id, dict.fromkeys(SSNS, "")))


def assert_no_ssn(text: str) -> None:
    bare = text.replace("-", "")
    for name, digits in DIGITS.items():
        assert digits not in bare, name


# --- over MLLP ----------------------------------------------------------------------------------------------


def test_ssns_sent_over_mllp_are_not_stored_and_the_rest_is_byte_identical(listener, feed_org):
    with connect(listener) as sock:
        assert msa(exchange(sock, sent("A04", "SSN-1"))) == ("AA", "SSN-1")
        assert msa(exchange(sock, sent("A08", "SSN-2"))) == ("AA", "SSN-2")
        assert msa(exchange(sock, sent("A08", "SSN-2"))) == ("AA", "SSN-2")  # a duplicate, as before
    registered, updated = InboundMessage.objects.order_by("received_at", "id")
    assert InboundMessage.objects.count() == 2
    assert registered.raw == expected("A04", "SSN-1")
    assert updated.raw == expected("A08", "SSN-2")
    assert_no_ssn(registered.raw + updated.raw)
    assert (registered.status, updated.status) == (MessageStatus.PROCESSED, MessageStatus.PROCESSED)
    # registered from PID by the A04, then found again by its LGH identifier for the A08
    patient = Patient.objects.get()
    assert registered.patient == updated.patient == patient
    assert (patient.family_name, patient.birth_date) == ("Roe", dt.date(1951, 4, 12))
    assert Encounter.objects.get(patient=patient).visit_number == "V7001"
    values = list(PatientIdentifier.objects.values_list("value", flat=True))
    assert "H7001" in values
    assert_no_ssn(" ".join(values))


def test_what_the_parser_reads_is_the_same_without_the_ssns(feed_org):
    before = parse_adt(normalize(sent()), feed_org.tz)
    after = parse_adt(expected(), feed_org.tz)
    without_ss = tuple(i for i in before.patient.identifiers if i.type != "SS")
    assert len(without_ss) == len(before.patient.identifiers) - 1
    assert after.patient == dataclasses.replace(before.patient, identifiers=without_ss)
    assert (after.visit, after.diagnoses, after.header) == (before.visit, before.diagnoses, before.header)


def test_the_public_sample_over_mllp_keeps_all_but_its_ssn_fields(listener):
    original = with_control_id(sample("ADT-A04-01.hl7"), "GHH-A04")
    with connect(listener) as sock:
        assert msa(exchange(sock, original)) == ("AA", "GHH-A04")
    message = InboundMessage.objects.get()
    assert message.status == MessageStatus.PROCESSED
    assert message.patient is not None
    before, after = normalize(original).split("\r"), message.raw.split("\r")
    assert len(before) == len(after)
    changed = {}
    for old, new in zip(before, after, strict=True):
        old_fields, new_fields = old.split("|"), new.split("|")
        assert len(old_fields) == len(new_fields)
        for number, (a, b) in enumerate(zip(old_fields, new_fields, strict=True)):
            if a != b:
                changed[f"{old_fields[0]}-{number}"] = (a, b)
    pid3 = before[3].split("|")[3]
    assert changed == {
        "PID-3": (pid3, pid3.replace("~123456789^^^USSSA^SS", "~^^^USSSA^SS")),
        "PID-19": ("PSSN123121234", ""),
        "NK1-37": ("Security no-23", ""),
        "GT1-12": ("G-SSN-12", ""),
        "IN2-2": ("425-57-9745", ""),
    }


# --- any message, any separators ------------------------------------------------------------------------------


def test_a_message_without_an_ssn_is_stored_unchanged(org):
    for raw in (sample("ADT04-23.hl7"), adt("A01", control_id="NO-SSN").replace("~123-45-6789^^^USSSA^SS", "")):
        text = normalize(raw)
        assert redact_ssns(text) == text
        outcome = handle_message(raw, organization=org)
        assert outcome.code == "AA", outcome.error
        assert outcome.message.raw == text


def test_shorthand_ssn_labels_are_recognised_and_never_kept(listener):
    """Feeds write "SSA" for the assigning authority or "SSN" for the type as often as HL7's own codes."""
    message = story("A04", "SSN-SHORT", SSNS).replace("^^^USSSA^SS", "^^^SSA").replace("^^^LGH^PI", "^^^LGH^SSN")
    with connect(listener) as sock:
        assert msa(exchange(sock, message)) == ("AA", "SSN-SHORT")
    stored = InboundMessage.objects.get().raw
    assert_no_ssn(stored)
    assert "^^^SSA" in stored  # where the SSN was stays visible
    assert "NK-77" not in stored  # typed SSN: blanked like SS
    assert_no_ssn(" ".join(PatientIdentifier.objects.values_list("value", flat=True)))


def test_the_messages_own_separators_are_used():
    raw = ("MSH#$%*!#ADT#LGH#CC#LAKE#20260226080000##ADT$A04#SEP-1#P#2.5.1\r"
           "PID#1##H1$$$LGH$MR%987654321$$$USSSA$SS##ROE$ANN##19510412#F###########987-65-4320|x^y~z\r"
           "NK1#1#ROE$BO" + "#" * 35 + "987-65-4323")  # fmt: skip
    assert redact_ssns(raw) == raw.replace("987654321", "").replace("987-65-4320|x^y~z", "").replace("987-65-4323", "")


def test_hl7_nulls_and_other_identifier_types_stay():
    raw = ('MSH|^~\\&|ADT|LGH|CC|LAKE|20260226080000||ADT^A08|N-1|P|2.5.1\r'
           'PID|1||H1^^^LGH^MR~""^^^USSSA^SS~555^^^LGH^PI||ROE^ANN||19510412|F|||||||||||""')  # fmt: skip
    assert redact_ssns(raw) == raw


def test_a_message_without_a_readable_header_is_stored_without_its_ssn(org):
    raw = "PID|1||H1^^^LGH^MR~987654321^^^USSSA^SS||ROE^ANN||19510412|F|||||||||||987-65-4320\r"
    outcome = handle_message(raw, organization=org)
    assert outcome.code == "AR"
    assert outcome.message.raw == "PID|1||H1^^^LGH^MR~^^^USSSA^SS||ROE^ANN||19510412|F|||||||||||"
    assert handle_message(raw, organization=org).message == outcome.message  # deduplicated as before


# --- the admin's page and the review decisions ---------------------------------------------------------------


def test_the_admins_message_page_shows_no_ssn(org, client_for):
    message = handle_message(sent(), organization=org).message
    admin = client_for(make_actor(org, Role.COORDINATOR, Role.ORG_ADMIN))
    response = admin.get(reverse("hl7v2:message_detail", args=[message.public_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "H7001^^^LGH^MR~^^^USSSA^SS" in html
    assert "IN2|E-9^^^ACME^EI|||||||A" in html
    assert_no_ssn(html)


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def twins(org):
    born = dt.date(1948, 3, 7)
    return [PatientFactory(organization=org, given_name="Jane", family_name="Doe", birth_date=born, mrn=f"T-{n}")
            for n in (1, 2)]  # fmt: skip


@pytest.mark.parametrize("decision", ["match", "create"])
def test_review_decisions_work_on_the_blanked_message(org, twins, decision, frozen):
    message = adt("A03", control_id=f"REV-{decision}", discharged="20260302100000", disposition="01")
    assert "123-45-6789" in message
    stored = handle_message(message, organization=org).message
    assert stored.status == MessageStatus.REVIEW
    assert "123-45-6789" not in stored.raw
    actor = make_actor(org, Role.COORDINATOR)
    review = PatientMatchReview.objects.get(message=stored)
    if decision == "match":
        review = services.review_match(actor=actor, review=review, patient=twins[1])
        assert review.status == ReviewStatus.MATCHED
    else:
        review = services.review_create_patient(actor=actor, review=review)
        assert review.status == ReviewStatus.CREATED
    stored.refresh_from_db()
    assert stored.status == MessageStatus.PROCESSED
    assert stored.patient == review.resolved_patient
    assert not PatientIdentifier.objects.filter(value__in=["123-45-6789", "123456789"]).exists()


# --- messages stored before: migration 0002 --------------------------------------------------------------------


def stored(organization, control_id: str, raw: str) -> InboundMessage:
    at = dt.datetime(2026, 1, 6, 15, tzinfo=dt.UTC)
    return InboundMessage.objects.create(
        organization=organization, raw=raw, sending_application="ADT", sending_facility="LAKESIDE GENERAL",
        control_id=control_id, message_type="ADT^A04", version="2.5.1", received_at=at, status="processed",
    )  # fmt: skip


def test_the_migration_blanks_messages_already_stored(feed_org):
    with_ssn = [stored(feed_org, f"OLD-{n}", normalize(sent("A04", f"OLD-{n}"))) for n in range(3)]
    clean = stored(feed_org, "OLD-CLEAN", expected("A04", "OLD-CLEAN"))
    with migrated_back_to("hl7v2", "0001_initial") as executor:
        migrate_forward(executor, "hl7v2", "0002_blank_stored_ssns")
    for message in with_ssn:
        message.refresh_from_db()
        assert message.raw == expected("A04", message.control_id)
    clean.refresh_from_db()
    assert clean.raw == expected("A04", "OLD-CLEAN")


def test_the_migration_works_in_batches(org):
    messages = [stored(org, f"B-{n}", normalize(sent("A04", f"B-{n}"))) for n in range(5)]
    stored(org, "B-CLEAN", expected("A04", "B-CLEAN"))
    assert MIGRATION.blank_ssns(InboundMessage, "default", batch=2) == 5
    assert MIGRATION.blank_ssns(InboundMessage, "default", batch=2) == 0  # done: a second run changes nothing
    for message in messages:
        message.refresh_from_db()
        assert message.raw == expected("A04", message.control_id)
