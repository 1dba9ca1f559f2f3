"""
Pieces the scheduling mappers (Appointment, Schedule, Slot) share: how an appointment type travels in FHIR.

An organization's AppointmentType has no FHIR resource. It travels as
- `appointmentType`: its HL7 v2-0276 code (CHECKUP, EMERGENCY, FOLLOWUP, ROUTINE, WALKIN), text = its name;
- `serviceType`: one coding in the organization's own system urn:carecoord:<org slug>:appointment-type whose
  code is the type's id and display its name (Slot search takes `service-type=<that system>|<id>`);
- on an Appointment, also the extension urn:carecoord:fhir:appointment-type (valueCoding, the same coding).
"""

import uuid

from django.db.models import Q

from carecoord.interop.fhir.codes import coding, local_system
from carecoord.scheduling.choices import AppointmentTypeCode
from carecoord.scheduling.models import AppointmentType

V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"
TYPE_EXTENSION = "urn:carecoord:fhir:appointment-type"
NUCC = "http://nucc.org/provider-taxonomy"


def type_system(organization) -> str:
    return local_system(organization, "appointment-type")


def type_coding(kind: AppointmentType, organization=None) -> dict:
    return coding(type_system(organization or kind.organization), str(kind.public_id), kind.name)


def appointment_type_concept(kind: AppointmentType | None) -> dict | None:
    if kind is None:
        return None
    return {"coding": [coding(V2_0276, kind.code, AppointmentTypeCode(kind.code).label)], "text": kind.name}


def service_type(kind: AppointmentType | None, organization=None) -> list[dict]:
    return [{"coding": [type_coding(kind, organization)], "text": kind.name}] if kind is not None else []


def specialty(practitioner) -> list[dict]:
    if practitioner is None or not practitioner.specialty_code:
        return []
    return [{"coding": [coding(NUCC, practitioner.specialty_code, practitioner.specialty_display)]}]


def service_type_filter(field: str):
    """A token search on the appointment type: `<org system>|<type id>`, the bare id, or a v2-0276 code."""

    def build(value: str, modifier: str) -> Q:
        system, code = value.split("|", 1) if "|" in value else (None, value)
        if system == V2_0276:
            return Q(**{f"{field}__code": code})
        if system is not None and not system.endswith(":appointment-type"):
            return Q(pk__in=[])
        found = Q(**{f"{field}__organization__slug": system.rsplit(":", 2)[-2]}) if system is not None else Q()
        try:
            return found & Q(**{f"{field}__public_id": uuid.UUID(code)})
        except ValueError:
            return found & (Q(**{f"{field}__code": code}) if system is None else Q(pk__in=[]))

    return build
