"""Organization A's inbound HL7 v2 message and its open patient-match review, for the tenant-isolation matrix."""

import datetime as dt

from carecoord.interop.hl7v2.models import InboundMessage, PatientMatchReview

NAMESPACE = "hl7v2"
TARGETS = {"review": "review", "message": "message"}
SECRETS = ["ALPHASECRETFAMILY", "ALPHA-CTRL-77", "Alpha Feed General"]
MODELS = [InboundMessage, PatientMatchReview]

RAW = (
    "MSH|^~\\&|ADT|Alpha Feed General|CARECOORD|ALPHA|20260106150000||ADT^A03^ADT_A03|ALPHA-CTRL-77|P|2.5.1\r"
    "EVN|A03|20260106150000\r"
    "PID|1||A-1^^^AFG^MR||ALPHASECRETFAMILY^ZEBULON||19510203|M\r"
    "PV1|1|I|4W^401^A^Alpha Feed General\r"
)


def build(world) -> dict:
    org, patient = world["a"].organization, world["patient"]
    at = dt.datetime(2026, 1, 6, 15, tzinfo=dt.UTC)
    message = InboundMessage.objects.create(
        organization=org, raw=RAW, sending_application="ADT", sending_facility="Alpha Feed General",
        control_id="ALPHA-CTRL-77", message_type="ADT^A03", version="2.5.1", received_at=at, processed_at=at,
        status="review", ack_code="AA", error="Name and birth date are close to a patient's but not certain.",
    )  # fmt: skip
    review = PatientMatchReview.objects.create(
        organization=org, message=message,
        demographics={"family_name": "ALPHASECRETFAMILY", "given_name": "ZEBULON", "birth_date": "1951-02-03",
                      "identifiers": [{"value": "A-1", "authority": "AFG", "type": "MR"}], "reason": "close"},
        candidates=[{"patient": str(patient.public_id), "name": patient.display_name, "score": 88.0,
                     "reasons": ["name 88/100"]}],
    )  # fmt: skip
    return {"message": message, "review": review}
