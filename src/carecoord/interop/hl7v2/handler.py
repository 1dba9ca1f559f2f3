"""
One inbound ADT message, start to finish: store it raw (its Social Security numbers blanked, see `redact`)
-> deduplicate (organization + sending facility + control ID) -> parse -> match the patient -> call the
transitions services -> answer with an ACK. What is stored is also what is parsed, so a review decided
later re-reads exactly what the message did on arrival.

All of a message's effects happen in one savepoint inside the transaction that stores it: when anything
fails, none of its changes remain, while the raw message stays stored as rejected with the reason (AE or
AR) for someone to look at; a resend with the same control ID is processed again. A message already
processed (or waiting in the review queue) is acknowledged AA again and changes nothing.

ACK codes: AA stored (processed, waiting for a patient match, or an ADT event CareCoord does not act on);
AR refused as a whole (no MSH, unsupported version, message type or event, malformed structure);
AE understood but wrong (bad dates, missing fields, a change the records do not allow).
"""

import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from carecoord.careplans.services import _system_actor
from carecoord.core import clock
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.errors import ApplicationError
from carecoord.core.models import Organization
from carecoord.directory.models import ExternalOrganization, ExternalOrganizationKind
from carecoord.directory.services import external_organization_create
from carecoord.patients.models import Patient
from carecoord.transitions import services as transitions
from carecoord.transitions.choices import PATIENT_CLASS_TO_ENCOUNTER, DischargeDisposition, EncounterClass

from .ack import build_ack
from .matching import match_patient
from .models import InboundMessage, MessageStatus, PatientMatchReview
from .parse import (
    APPLICATION_ERROR,
    HANDLED_EVENTS,
    AdtMessage,
    Header,
    Hl7Error,
    normalize,
    parse_adt,
    read_header,
)
from .redact import is_ssn_identifier, redact_ssns

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "CareCoord could not process the message; send it again later."
CREATING_EVENTS = frozenset({"A01", "A02", "A03", "A04"})  # the events that may introduce a new patient


@dataclass(frozen=True)
class Outcome:
    ack: str
    code: str  # AA, AE, AR
    message: InboundMessage | None
    duplicate: bool = False
    error: str = ""


def handle_message(
    raw: bytes | str, *, organization: Organization, peer: str = "", create_unknown: bool = True
) -> Outcome:
    """
    Takes one message for `organization` and returns the ACK to send back. Never raises: when even storing
    fails (the database is down), the sender gets AE and should send the message again.
    """
    text = normalize(raw)
    try:
        return _handle(text, organization, peer, create_unknown)
    except Exception:
        logger.exception("hl7v2.store_failed")
        try:
            header = read_header(text)
        except Hl7Error:
            header = None
        return Outcome(_ack("AE", header, INTERNAL_ERROR, clock.now(), APPLICATION_ERROR), "AE", None,
                       error=INTERNAL_ERROR)  # fmt: skip


def _handle(text: str, organization: Organization, peer: str, create_unknown: bool) -> Outcome:
    now = clock.now()
    try:
        header = read_header(text)
    except Hl7Error as exc:
        return _refuse_unreadable(organization, text, exc, peer)
    text = redact_ssns(text)  # the MSH (and so the deduplication key) is left as it was
    try:
        with transaction.atomic():
            message, fresh = _claim(organization, header, text, peer)
            if not fresh:
                note = "Already received; nothing changed."
                return Outcome(_ack(message.ack_code or "AA", header, note, now), message.ack_code or "AA",
                               message, duplicate=True)  # fmt: skip
            return _process(message, header, text, organization, create_unknown, now)
    except IntegrityError:
        # The same message arrived twice at once and the other delivery stored it first.
        message = InboundMessage.objects.filter(
            organization=organization, sending_facility=header.sending_facility[:180],
            control_id=header.control_id[:199],
        ).first()  # fmt: skip
        code = message.ack_code if message and message.ack_code else "AA"
        return Outcome(_ack(code, header, "Already received; nothing changed.", now), code, message, duplicate=True)


def _ack(code: str, header: Header | None, text: str, now, error_code: str = "", location: str = "") -> str:
    return build_ack(code=code, header=header, text=text if code != "AA" else "", error_code=error_code,
                     location=location, now=now)  # fmt: skip


def _refuse_unreadable(organization: Organization, text: str, exc: Hl7Error, peer: str) -> Outcome:
    """A message without a readable MSH: stored (once per distinct content) as rejected, answered AR."""
    now = clock.now()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]  # of the text as sent: deduplication as before
    message, _ = InboundMessage.objects.get_or_create(
        organization=organization, sending_facility="", control_id=f"unreadable:{digest}",
        defaults={"raw": redact_ssns(text), "message_type": "", "version": "", "received_at": now, "processed_at": now,
                  "status": MessageStatus.REJECTED, "ack_code": "AR", "error": exc.message, "peer": peer[:100]},
    )  # fmt: skip
    audit_record(organization=organization, event="hl7v2.message", action=AuditAction.CREATE, target=message,
                 detail={"ack": "AR", "error": exc.message})  # fmt: skip
    return Outcome(_ack("AR", None, exc.message, now, exc.code, exc.location), "AR", message, error=exc.message)


def _claim(organization: Organization, header: Header, text: str, peer: str) -> tuple[InboundMessage, bool]:
    """The stored message and whether to process it: new, or a resend of one that was rejected."""
    key = {"organization": organization, "sending_facility": header.sending_facility[:180],
           "control_id": header.control_id[:199]}  # fmt: skip
    existing = InboundMessage.objects.select_for_update().filter(**key).first()
    values = {
        "raw": text, "sending_application": header.sending_application[:180], "message_type": header.type_label[:20],
        "version": header.version[:10], "received_at": clock.now(), "peer": peer[:100],
        "status": MessageStatus.RECEIVED, "ack_code": "", "error": "", "processed_at": None,
    }  # fmt: skip
    if existing is None:
        with transaction.atomic():
            return InboundMessage.objects.create(**key, **values), True
    if existing.status != MessageStatus.REJECTED:
        return existing, False
    for name, value in values.items():
        setattr(existing, name, value)
    existing.save()
    return existing, True


def _process(
    message: InboundMessage, header: Header, text: str, organization: Organization, create_unknown: bool, now
) -> Outcome:
    error_code = location = ""
    patient = None
    try:
        with transaction.atomic():  # the message's changes: all or none
            adt = parse_adt(text, organization.tz)
            status, patient, note = dispatch(message, adt, organization, create_unknown=create_unknown)
        code, error = "AA", ""
    except Hl7Error as exc:
        status, code, error, error_code, location = (
            MessageStatus.REJECTED,
            exc.ack_code,
            exc.message,
            exc.code,
            exc.location,
        )
        note = ""
    except ApplicationError as exc:
        status, code, error, error_code = MessageStatus.REJECTED, "AE", exc.message, APPLICATION_ERROR
        note = ""
    except Exception:
        logger.exception("hl7v2.processing_failed", extra={"control_id": header.control_id})
        status, code, error, error_code = MessageStatus.REJECTED, "AE", INTERNAL_ERROR, APPLICATION_ERROR
        note = ""
    message.status, message.ack_code, message.processed_at = status, code, clock.now()
    message.error = error or note
    message.patient = patient if status != MessageStatus.REJECTED else None
    message.save()
    audit_record(
        organization=organization, event="hl7v2.message", action=AuditAction.CREATE, target=message,
        patient=message.patient, detail={"type": header.type_label, "ack": code, "status": status},
    )  # fmt: skip
    return Outcome(_ack(code, header, error, now, error_code, location), code, message, error=error)


# --- what a message does --------------------------------------------------------------------------------------


def facility_for(organization: Organization, header: Header) -> ExternalOrganization:
    """The sending facility (MSH-4) in the organization's directory: found by name, else added as a hospital."""
    name = (header.facility_name or header.sending_facility)[:200]
    existing = ExternalOrganization.objects.filter(organization=organization, name__iexact=name)
    found = existing.filter(kind=ExternalOrganizationKind.HOSPITAL).first() or existing.first()
    if found is not None:
        return found
    return external_organization_create(
        actor=_system_actor(organization), data={"name": name, "kind": ExternalOrganizationKind.HOSPITAL}
    )


def encounter_data(adt: AdtMessage) -> dict:
    """The stay's fields as the message gives them; empty fields are left out (HL7: empty = not sent)."""
    visit = adt.visit
    data: dict = {}
    if visit is not None:
        data = {
            "visit_number": visit.visit_number,
            "encounter_class": PATIENT_CLASS_TO_ENCOUNTER.get(visit.patient_class, ""),
            "admission_type": visit.admission_type,
            "admitted_at": visit.admitted_at,
            "discharged_at": visit.discharged_at,
            "location": visit.location,
            "attending": visit.attending,
            "reason": visit.reason,
            "discharge_disposition": _disposition(visit.discharge_disposition),
            "discharged_to": visit.discharged_to,
        }
    diagnoses = [d.as_json() for d in adt.diagnoses]
    if diagnoses:
        data["diagnoses"] = diagnoses
        if not data.get("reason"):
            admitting = next((d for d in adt.diagnoses if d.type == "A"), adt.diagnoses[0])
            data["reason"] = admitting.display[:300]
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def _disposition(value: str) -> str:
    """PV1-36 as a NUBC patient status code ("1" -> "01"); anything else is not a disposition we know."""
    code = value.strip().zfill(2) if value.strip().isdigit() else value.strip()
    return code if code in DischargeDisposition.values else ""


def dispatch(
    message: InboundMessage, adt: AdtMessage, organization: Organization, *, create_unknown: bool = True,
    patient: Patient | None = None,
) -> tuple[str, Patient | None, str]:  # fmt: skip
    """Acts on a parsed message (with `patient` already decided, e.g. by a review); returns (status, patient, note)."""
    if adt.event not in HANDLED_EVENTS:
        return MessageStatus.IGNORED, None, f"ADT^{adt.event} is stored but not acted on."
    if patient is None:
        match = match_patient(organization, adt.patient, create_unknown=create_unknown and adt.event in CREATING_EVENTS)
        if match.patient is None:
            if match.candidates or adt.event in CREATING_EVENTS:
                _open_review(message, adt, organization, match.reason, match.candidates)
                return MessageStatus.REVIEW, None, match.reason
            return MessageStatus.IGNORED, None, "No patient matches; there is nothing to change."
        patient = match.patient
    facility = facility_for(organization, adt.header)
    source = {"event": adt.event, "control_id": adt.header.control_id, "message": str(message.public_id),
              "facility": facility.name}  # fmt: skip
    data = encounter_data(adt)
    common = {"organization": organization, "patient": patient, "facility": facility, "source": source}
    note = _act(adt, data, common)
    return MessageStatus.PROCESSED, patient, note


def _act(adt: AdtMessage, data: dict, common: dict) -> str:
    event = adt.event
    if event == "A01":
        if data.get("encounter_class") in (None, EncounterClass.PREADMISSION):
            data["encounter_class"] = EncounterClass.INPATIENT
        data.setdefault("admitted_at", adt.event_occurred_at)
        transitions.encounter_admit(**common, data=data)
    elif event == "A02":
        transitions.encounter_transfer(**common, data=data)
    elif event == "A03":
        data.setdefault("discharged_at", adt.event_occurred_at)
        transitions.encounter_discharge(**common, data=data)
    elif event == "A04":
        data.setdefault("admitted_at", adt.event_occurred_at)
        transitions.encounter_register(**common, data=data)
    elif event == "A08":
        reported = adt.patient.as_json()
        if transitions.encounter_update(**common, data=data, reported_demographics=reported) is None:
            return "No stay of this patient at this facility to update."
    elif event == "A11":
        cancelled = transitions.encounter_cancel_admit(**common, visit_number=data.get("visit_number", ""))
        return "" if cancelled else "No admission of this patient at this facility to cancel."
    elif event == "A13":
        cancelled = transitions.encounter_cancel_discharge(**common, visit_number=data.get("visit_number", ""))
        return "" if cancelled else "No discharge of this patient at this facility to cancel."
    return ""


def _storable(patient) -> dict:
    """What PID says, without the identifiers CareCoord never stores (Social Security numbers)."""
    found = patient.as_json()
    found["identifiers"] = [
        i for i in found["identifiers"] if not is_ssn_identifier(str(i["type"]), str(i.get("authority") or ""))
    ]
    return found


def _open_review(message: InboundMessage, adt: AdtMessage, organization: Organization, reason: str, candidates):
    review, _ = PatientMatchReview.objects.update_or_create(
        message=message,
        defaults={"organization": organization, "demographics": {**_storable(adt.patient), "reason": reason},
                  "candidates": candidates, "status": "open"},
    )  # fmt: skip
    audit_record(organization=organization, event="hl7v2.review.open", action=AuditAction.CREATE, target=review,
                 detail={"candidates": len(candidates)})  # fmt: skip
    return review
