"""
The handler, message by message (the listener test sends the same over a socket): store raw, deduplicate,
parse, match, act, acknowledge; all of a message's changes or none.
"""

import datetime as dt

import pytest
import time_machine
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from carecoord.careplans.models import Task
from carecoord.core.models import AuditEvent
from carecoord.directory.models import ExternalOrganization
from carecoord.interop.hl7v2.ack import escape
from carecoord.interop.hl7v2.handler import handle_message
from carecoord.interop.hl7v2.models import InboundMessage, MessageStatus, PatientMatchReview
from carecoord.patients.models import Patient, PatientIdentifier
from carecoord.transitions.models import Encounter, TransitionEpisode

from ...factories import PatientFactory
from .messages import DATA, adt, sample, with_control_id

NOW = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def msa(ack: str) -> tuple[str, str]:
    """(MSA-1, MSA-2) of an ACK, read with hl7apy (so the ACK is well-formed HL7)."""
    message = parse_message(ack, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    return message.msa.msa_1.to_er7(), message.msa.msa_2.to_er7()


def counts():
    return (Patient.objects.count(), Encounter.objects.count(), TransitionEpisode.objects.count(),
            Task.objects.count())  # fmt: skip


@pytest.mark.parametrize("name", ["ADT-A01-01.hl7", "ADT-A03-01.hl7", "ADT-A04-01.hl7", "ADT01-23.hl7",
                                  "ADT04-23.hl7"])  # fmt: skip
def test_public_samples_are_accepted(org, name):
    outcome = handle_message(sample(name), organization=org)
    assert outcome.code == "AA", outcome.error
    assert msa(outcome.ack)[1] == outcome.message.control_id
    assert outcome.message.status == MessageStatus.PROCESSED
    assert outcome.message.raw.startswith("MSH|")  # stored raw, the byte-order mark gone
    assert outcome.message.patient is not None


def test_the_bom_samples_create_their_patients_and_stays(org):
    handle_message(sample("ADT01-23.hl7"), organization=org)
    handle_message(sample("ADT04-23.hl7"), organization=org)
    duck = Patient.objects.get(family_name="Duck")
    assert duck.birth_date == dt.date(1924, 10, 10)
    assert duck.encounters.get().encounter_class == "IMP"
    mario = Patient.objects.get(family_name="Bros")
    assert mario.encounters.get().encounter_class == "AMB"  # outpatient registration: no ED follow-up task
    assert not Task.objects.filter(patient=mario).exists()


def test_the_sending_facility_becomes_a_hospital_in_the_directory_once(org):
    handle_message(adt("A01", control_id="1"), organization=org)
    handle_message(adt("A03", control_id="2", discharged="20260302100000", disposition="01"), organization=org)
    hospital = ExternalOrganization.objects.get(organization=org)
    assert (hospital.name, hospital.kind) == ("LAKESIDE GENERAL", "hospital")
    assert Encounter.objects.get().facility == hospital


def test_an_existing_directory_entry_is_reused_by_name(org):
    existing = ExternalOrganization.objects.create(organization=org, name="Lakeside General", kind="hospital")
    handle_message(adt("A01", control_id="1"), organization=org)
    assert ExternalOrganization.objects.filter(organization=org).count() == 1
    assert Encounter.objects.get().facility == existing


def test_the_same_message_twice_creates_nothing_new(org):
    message = adt("A03", control_id="D-1", discharged="20260302100000", disposition="01")
    first = handle_message(message, organization=org)
    before = counts()
    audit_before = AuditEvent.objects.count()
    second = handle_message(message, organization=org)
    assert (first.code, second.code) == ("AA", "AA")
    assert second.duplicate
    assert counts() == before
    assert InboundMessage.objects.count() == 1
    assert AuditEvent.objects.count() == audit_before


def test_same_control_id_from_another_facility_is_another_message(org):
    handle_message(adt("A01", control_id="X-1"), organization=org)
    outcome = handle_message(adt("A01", control_id="X-1", facility="RIVERSIDE MEDICAL", visit="R9"), organization=org)
    assert not outcome.duplicate
    assert InboundMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "code", "error_code"),
    [("no-msh.hl7", "AR", "100"), ("wrong-version.hl7", "AR", "203"), ("unknown-event.hl7", "AR", "201"),
     ("bad-dates.hl7", "AE", "102")],
)  # fmt: skip
def test_malformed_messages_are_stored_and_answered_with_the_reason(org, name, code, error_code):
    outcome = handle_message((DATA / "malformed" / name).read_bytes(), organization=org)
    assert outcome.code == code
    parsed = parse_message(outcome.ack, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    assert parsed.msa.msa_1.to_er7() == code
    assert error_code in parsed.err.to_er7()
    assert escape(outcome.error) in outcome.ack  # the reason, in ERR-8
    stored = outcome.message
    assert stored.status == MessageStatus.REJECTED
    assert stored.ack_code == code
    assert stored.error == outcome.error
    assert counts() == (0, 0, 0, 0)


def test_bad_dates_name_the_field(org):
    outcome = handle_message((DATA / "malformed" / "bad-dates.hl7").read_bytes(), organization=org)
    assert "PID-7" in outcome.error
    assert "ERR||PID^1^7|102^Data type error^HL70357|E" in outcome.ack


def test_old_versions_get_the_old_err_layout(org):
    message = adt("A01", control_id="OLD-1", version="2.3", admitted="20261301000000", event_time="20260302")
    outcome = handle_message(message, organization=org)
    assert outcome.code == "AE"
    assert "ERR|PV1^1^44^102&Data type error&HL70357" in outcome.ack
    assert "MSH|^~\\&|CARECOORD|LAKESIDE|ADT|LAKESIDE GENERAL|" in outcome.ack


def test_a_failing_message_leaves_no_half_change(org):
    """A discharge before its admission fails after the patient, the hospital and the stay were made: none remain."""
    message = adt("A03", control_id="BAD-1", admitted="20260302100000", discharged="20260301100000")
    outcome = handle_message(message, organization=org)
    assert outcome.code == "AE"
    assert counts() == (0, 0, 0, 0)
    assert not ExternalOrganization.objects.exists()
    assert InboundMessage.objects.get().status == MessageStatus.REJECTED


def test_a_rejected_message_sent_again_after_a_fix_is_processed(org):
    bad = adt("A01", control_id="FIX-1", admitted="20261301000000")
    assert handle_message(bad, organization=org).code == "AE"
    good = adt("A01", control_id="FIX-1")
    outcome = handle_message(good, organization=org)
    assert outcome.code == "AA"
    assert InboundMessage.objects.get().status == MessageStatus.PROCESSED
    assert Encounter.objects.count() == 1


def test_events_not_acted_on_are_stored_and_acknowledged(org):
    a28 = with_control_id(sample("ADT-A01-01.hl7"), "A28-1").replace("ADT^A01^ADT_A01", "ADT^A28^ADT_A05")
    outcome = handle_message(a28, organization=org)
    assert outcome.code == "AA"
    assert outcome.message.status == MessageStatus.IGNORED
    assert counts() == (0, 0, 0, 0)


def test_other_message_types_are_refused(org):
    message = adt("A01", control_id="SIU-1").replace("ADT^A01^ADT_A01", "SIU^S12^SIU_S12")
    outcome = handle_message(message, organization=org)
    assert outcome.code == "AR"
    assert "200" in outcome.ack


def test_an_uncertain_match_waits_for_review_and_acts_once_decided(org, actor):
    from carecoord.interop.hl7v2.services import review_match

    PatientFactory(organization=org, given_name="Jane", family_name="Doe", birth_date=dt.date(1948, 3, 7),
                   gender="female")  # fmt: skip
    jean = PatientFactory(organization=org, given_name="Jean", family_name="Doe", birth_date=dt.date(1948, 3, 7),
                          gender="female")  # fmt: skip
    outcome = handle_message(adt("A01", control_id="R-1", given="JEAN"), organization=org)
    assert outcome.code == "AA"
    assert outcome.message.status == MessageStatus.REVIEW
    review = PatientMatchReview.objects.get()
    assert len(review.candidates) == 2
    assert "123-45-6789" not in str(review.demographics)  # what PID said, without the Social Security number
    assert [i["type"] for i in review.demographics["identifiers"]] == ["MR"]
    assert not Encounter.objects.exists()
    # The discharge of the same stay also waits: nothing is guessed.
    handle_message(adt("A03", control_id="R-2", given="JEAN", discharged="20260302100000", disposition="01"),
                   organization=org)  # fmt: skip
    assert PatientMatchReview.objects.filter(status="open").count() == 2

    review_match(actor=actor, review=review, patient=jean)

    assert PatientIdentifier.objects.get(patient=jean).value == "H5001"  # no SSN stored
    # The second review matched by the identifier now on Jean's record and was acted on as well.
    assert not PatientMatchReview.objects.filter(status="open").exists()
    encounter = Encounter.objects.get()
    assert encounter.patient == jean
    assert encounter.status == "finished"
    assert TransitionEpisode.objects.get().patient == jean
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.PROCESSED}


def test_a_review_can_register_a_new_patient_or_be_dismissed(org, actor):
    from carecoord.interop.hl7v2.selectors import reviews_open_for
    from carecoord.interop.hl7v2.services import review_create_patient, review_dismiss

    handle_message(adt("A01", control_id="N-1"), organization=org, create_unknown=False)
    handle_message(adt("A04", control_id="N-2", family="ROE", mrn="H7", patient_class="E"), organization=org,
                   create_unknown=False)  # fmt: skip
    first, second = reviews_open_for(actor)
    review_create_patient(actor=actor, review=first)
    patient = Patient.objects.get()
    assert patient.family_name == "Doe"
    assert Encounter.objects.get().patient == patient
    review_dismiss(actor=actor, review=second, reason="Not our patient")
    assert InboundMessage.objects.get(control_id="N-2").status == MessageStatus.IGNORED
    assert not reviews_open_for(actor).exists()
    assert AuditEvent.objects.filter(event="hl7v2.review.dismiss", user=actor.user).exists()
