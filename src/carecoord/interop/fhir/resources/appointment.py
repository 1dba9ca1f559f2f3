"""
Appointment <-> scheduling.Appointment (inside visits booked here and outside visits booked elsewhere).

Output: status (FHIR R4 AppointmentStatus, stored verbatim), participant (the patient, and the practitioner and
location when known, each with a participation status: needs-action while the visit is proposed, pending or
on the waitlist, else accepted), start/end (UTC instants) and minutesDuration, appointmentType (HL7 v2-0276,
text = the organization's type name), serviceType and the extension urn:carecoord:fhir:appointment-type (the
organization's type: see _scheduling.py), reasonCode (text), cancelationReason (appointment-cancellation-reason
codes: pat, prov, maint, meds-inc, other, oth-weath; text = the note), comment (notes), created.
An outside visit also carries urn:carecoord:fhir:outside (valueBoolean true), urn:carecoord:fhir:outside-
organization (valueReference Organization/<id>, the practice) and urn:carecoord:fhir:confirmed-with
(valueString, who at the practice confirmed it).

Create books through scheduling.services.appointment_book: status "booked", participants Patient,
Practitioner and Location, start (end and minutesDuration optional, but they must match the type), and the
appointment type, found in this order: the extension urn:carecoord:fhir:appointment-type (valueCoding whose
code is the type's id), a serviceType coding in the organization's appointment-type system, or the
appointmentType v2-0276 code together with the duration (minutesDuration, or end - start) when exactly one
active type of the organization has that code and duration. The database's double-booking guard answers 409.
Outside visits are recorded on the patient's Schedule tab, not created here.

Update (PUT, honouring If-Match) changes what the services allow: a new start, practitioner or location
reschedules (appointment_reschedule); a new status goes through appointment_cancel (cancelled, with a
cancelationReason code) or appointment_status_set; for an outside visit, booked = confirmed (needs the
confirmed-with extension), fulfilled = attended and noshow = missed (outside_services). The patient, the type,
the reason and the notes cannot change. Delete marks the appointment entered-in-error.
"""

import datetime as dt

from django.db.models import Q

from carecoord.core.errors import NotFoundError
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, instant, parse_id, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter, token_filter
from carecoord.scheduling.availability_selectors import appointment_types_for
from carecoord.scheduling.choices import AppointmentStatus, CancellationReason
from carecoord.scheduling.models import Appointment
from carecoord.scheduling.outside_services import outside_appointment_confirm, outside_appointment_outcome
from carecoord.scheduling.selectors import appointments_visible_to, location_get, practitioner_get
from carecoord.scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_status_set,
)

from ._care import bad, extension_value, subject_patient
from ._scheduling import (
    NUCC,
    TYPE_EXTENSION,
    V2_0276,
    appointment_type_concept,
    service_type,
    service_type_filter,
    specialty,
    type_coding,
    type_system,
)

STATUS_SYSTEM = "http://hl7.org/fhir/appointmentstatus"
CANCEL_REASON = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
OUTSIDE = "urn:carecoord:fhir:outside"
OUTSIDE_ORGANIZATION = "urn:carecoord:fhir:outside-organization"
CONFIRMED_WITH = "urn:carecoord:fhir:confirmed-with"
TENTATIVE = (AppointmentStatus.PROPOSED, AppointmentStatus.PENDING, AppointmentStatus.WAITLIST)


def _actor_filter(value: str, modifier: str) -> Q:
    kind, _, ident = value.rpartition("/")
    kind = modifier or kind.rsplit("/", 1)[-1]
    key = parse_id(ident)
    if key is None:
        return Q(pk__in=[])
    fields = {"Patient": "patient", "Practitioner": "practitioner", "Location": "location"}
    if kind:
        return Q(**{f"{fields[kind]}__public_id": key}) if kind in fields else Q(pk__in=[])
    return Q(patient__public_id=key) | Q(practitioner__public_id=key) | Q(location__public_id=key)


@register
class AppointmentMapper(ResourceMapper):
    resource_type = "Appointment"
    model = Appointment
    interactions = ("read", "vread", "search-type", "history-instance", "history-type", "create", "update", "delete")
    select_related = (
        "patient",
        "practitioner",
        "location",
        "appointment_type",
        "organization",
        "external_organization",
    )
    documentation = (
        "Create books an inside visit: participants Patient, Practitioner and Location, status booked, start, and "
        f"the organization's appointment type (extension {TYPE_EXTENSION} valueCoding with the type's id, or the "
        "v2-0276 appointmentType code plus minutesDuration when that matches exactly one type). A double booking "
        "answers 409. Update reschedules, cancels (cancelationReason) or moves the status."
    )
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "practitioner": SearchParam(
            "practitioner",
            "reference",
            reference_filter("practitioner", "Practitioner"),
            target="Practitioner",
            include_attr="practitioner",
        ),
        "location": SearchParam(
            "location",
            "reference",
            reference_filter("location", "Location"),
            target="Location",
            include_attr="location",
        ),
        "actor": SearchParam("actor", "reference", _actor_filter, "Patient, Practitioner or Location."),
        "date": SearchParam("date", "date", date_filter("start"), "The start (prefixes eq, ge, le, gt, lt...)."),
        "status": SearchParam("status", "token", token_filter("status", system=STATUS_SYSTEM)),
        "appointment-type": SearchParam(
            "appointment-type", "token", token_filter("appointment_type__code", system=V2_0276)
        ),
        "service-type": SearchParam(
            "service-type", "token", service_type_filter("appointment_type"), "The organization's appointment type."
        ),
        "specialty": SearchParam("specialty", "token", token_filter("practitioner__specialty_code", system=NUCC)),
    }
    sort_fields = {"date": "start"}

    def queryset(self, actor):
        return appointments_visible_to(actor)

    def is_retired(self, obj: Appointment) -> bool:
        return obj.status == AppointmentStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: Appointment) -> dict:
        party = "needs-action" if obj.status in TENTATIVE else "accepted"
        participants = [{"actor": reference("Patient", obj.patient), "required": "required", "status": "accepted"}]
        if obj.practitioner_id:
            participants.append(
                {
                    "type": [{"coding": [coding(PARTICIPATION_TYPE, "PPRF", "primary performer")]}],
                    "actor": reference("Practitioner", obj.practitioner),
                    "required": "required",
                    "status": party,
                }
            )
        if obj.location_id:
            participants.append({"actor": reference("Location", obj.location), "required": "required", "status": party})
        kind = obj.appointment_type
        extensions = [{"url": TYPE_EXTENSION, "valueCoding": type_coding(kind, obj.organization)}] if kind else []
        if obj.is_outside:
            extensions.append({"url": OUTSIDE, "valueBoolean": True})
            if obj.external_organization_id:
                practice = reference("Organization", obj.external_organization)
                extensions.append({"url": OUTSIDE_ORGANIZATION, "valueReference": practice})
            if obj.confirmed_with:
                extensions.append({"url": CONFIRMED_WITH, "valueString": obj.confirmed_with})
        cancelled = None
        if obj.cancellation_reason:
            label = CancellationReason(obj.cancellation_reason).label
            cancelled = {
                "coding": [coding(CANCEL_REASON, obj.cancellation_reason, label)],
                "text": obj.cancellation_note or label,
            }
        return compact(
            {
                **self.base(obj),
                "extension": extensions,
                "status": obj.status,
                "cancelationReason": cancelled,
                "serviceType": service_type(kind, obj.organization),
                "specialty": specialty(obj.practitioner),
                "appointmentType": appointment_type_concept(kind),
                "reasonCode": [{"text": obj.reason}] if obj.reason else [],
                "description": kind.name if kind else "Outside visit",
                "start": instant(obj.start),
                "end": instant(obj.end),
                "minutesDuration": obj.duration_minutes,
                "created": instant(obj.created_at),
                "comment": obj.notes,
                "participant": participants,
            }
        )

    # --- writes ---
    def create(self, actor, resource: dict) -> Appointment:
        if extension_value(resource, OUTSIDE, "valueBoolean"):
            raise FhirError(
                422,
                "Outside appointments are recorded on the patient's Schedule tab, not through the API.",
                code="not-supported",
            )
        if resource.get("status") != AppointmentStatus.BOOKED:
            raise bad("Appointment.status", "a new appointment is booked: send status “booked”.")
        patient = subject_patient(actor, _participant(resource, "Patient"), "Appointment.participant")
        practitioner = _directory(actor, resource, "Practitioner", practitioner_get)
        location = _directory(actor, resource, "Location", location_get)
        if practitioner is None or location is None:
            raise bad("Appointment.participant", "name the Practitioner and the Location as participants.")
        start, minutes = _times(resource)
        kind = self._type(actor, resource, minutes)
        if minutes is not None and minutes != kind.duration_minutes:
            raise bad("Appointment.end", f"a {kind.name} lasts {kind.duration_minutes} minutes, not {minutes}.")
        return appointment_book(
            actor=actor,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=kind,
            start=start,
            notes=str(resource.get("comment") or ""),
            reason=_reason(resource),
        )

    def update(self, actor, obj: Appointment, resource: dict) -> Appointment:
        patient = subject_patient(actor, _participant(resource, "Patient"), "Appointment.participant")
        if patient.pk != obj.patient_id:
            raise bad("Appointment.participant", "the patient of an appointment cannot change.")
        if _reason(resource) != obj.reason or str(resource.get("comment") or "") != obj.notes:
            raise bad("Appointment.reasonCode", "the reason and comment cannot change after booking.")
        status = resource.get("status")
        if status not in AppointmentStatus.values:
            raise bad("Appointment.status", f"“{status}” is not an appointment status.")
        start, _ = _times(resource)
        current = obj
        if obj.is_outside:
            if start != obj.start:
                raise bad("Appointment.start", "an outside appointment is moved on the patient's Schedule tab.")
        else:
            kind = self._type(actor, resource, None, required=False)
            if kind is not None and kind.pk != obj.appointment_type_id:
                raise bad("Appointment.appointmentType", "the type cannot change: cancel and book a new visit.")
            practitioner = _directory(actor, resource, "Practitioner", practitioner_get) or obj.practitioner
            location = _directory(actor, resource, "Location", location_get) or obj.location
            if start != obj.start or practitioner.pk != obj.practitioner_id or location.pk != obj.location_id:
                current = appointment_reschedule(
                    actor=actor,
                    appointment=current,
                    start=start,
                    expected_version=current.version,
                    practitioner=practitioner,
                    location=location,
                )
        if status != current.status:
            current = self._set_status(actor, current, status, resource)
        return current

    def _set_status(self, actor, current: Appointment, status: str, resource: dict) -> Appointment:
        if status == AppointmentStatus.CANCELLED:
            concept = resource.get("cancelationReason") or {}
            reason = next((c.get("code") for c in concept.get("coding") or [] if c.get("code")), "")
            if reason not in CancellationReason.values:
                raise bad(
                    "Appointment.cancelationReason",
                    f"say why with one of the codes {', '.join(CancellationReason.values)} ({CANCEL_REASON}).",
                )
            note = str(concept.get("text") or "")
            note = "" if note == CancellationReason(reason).label else note
            return appointment_cancel(
                actor=actor, appointment=current, reason=reason, note=note, expected_version=current.version
            )
        if current.is_outside and status == AppointmentStatus.BOOKED:
            return outside_appointment_confirm(
                actor=actor,
                appointment=current,
                confirmed_with=str(extension_value(resource, CONFIRMED_WITH, "valueString") or ""),
                expected_version=current.version,
            )
        if current.is_outside and status in (AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW):
            outcome = "attended" if status == AppointmentStatus.FULFILLED else "missed"
            return outside_appointment_outcome(
                actor=actor, appointment=current, outcome=outcome, expected_version=current.version
            )
        return appointment_status_set(actor=actor, appointment=current, status=status, expected_version=current.version)

    def delete(self, actor, obj: Appointment) -> None:
        appointment_status_set(
            actor=actor, appointment=obj, status=AppointmentStatus.ENTERED_IN_ERROR, expected_version=obj.version
        )

    def find_existing(self, actor, resource: dict):
        patient_key = parse_id(_ref_id(_participant(resource, "Patient")))
        try:
            start, _ = _times(resource)
        except (FhirError, ValueError):
            return None
        if patient_key is None:
            return None
        return self.queryset(actor).filter(patient__public_id=patient_key, start=start).first()

    def _type(self, actor, resource: dict, minutes: int | None, *, required: bool = True):
        types = appointment_types_for(actor, active_only=True)
        system = type_system(actor.organization)
        named = extension_value(resource, TYPE_EXTENSION, "valueCoding") or next(
            (
                c
                for concept in resource.get("serviceType") or []
                for c in concept.get("coding") or []
                if c.get("system") == system
            ),
            None,
        )
        if named:
            key = parse_id(str(named.get("code", "")))
            found = types.filter(public_id=key).first() if key else None
            if found is None:
                raise bad(
                    f"Appointment.extension('{TYPE_EXTENSION}')",
                    f"no active appointment type has the id “{named.get('code')}”.",
                )
            return found
        code = next(
            (
                c.get("code")
                for c in (resource.get("appointmentType") or {}).get("coding") or []
                if c.get("system") == V2_0276
            ),
            None,
        )
        if not code:
            if not required:
                return None
            raise bad(
                "Appointment.appointmentType",
                f"name the appointment type (extension {TYPE_EXTENSION}, or the v2-0276 code and minutesDuration).",
            )
        matches = types.filter(code=code)
        if minutes is not None:
            matches = matches.filter(duration_minutes=minutes)
        found = list(matches[:2])
        if len(found) == 1:
            return found[0]
        lasting = f" lasting {minutes} minutes" if minutes is not None else ""
        if not found:
            raise bad("Appointment.appointmentType", f"no active appointment type has the code {code}{lasting}.")
        raise bad(
            "Appointment.appointmentType",
            f"several appointment types have the code {code}{lasting}: name one in the extension {TYPE_EXTENSION}.",
        )


def _participant(resource: dict, kind: str) -> dict | None:
    for participant in resource.get("participant") or []:
        ref = participant.get("actor") or {}
        if str(ref.get("reference", "")).rpartition("/")[0].rsplit("/", 1)[-1] == kind:
            return ref
    return None


def _ref_id(ref: dict | None) -> str:
    return str((ref or {}).get("reference", "")).rpartition("/")[2]


def _directory(actor, resource: dict, kind: str, getter):
    ref = _participant(resource, kind)
    if ref is None:
        return None
    try:
        return getter(actor, _ref_id(ref))
    except NotFoundError as exc:
        raise bad("Appointment.participant", f"{kind}/{_ref_id(ref)} is not known here.") from exc


def _times(resource: dict) -> tuple[dt.datetime, int | None]:
    """The start (aware, UTC) and the duration the resource gives (minutesDuration, or end - start), if any."""
    text = resource.get("start")
    if not text:
        raise bad("Appointment.start", "the start time is required.")
    start = _instant(text, "Appointment.start")
    minutes = resource.get("minutesDuration")
    if resource.get("end"):
        span = int((_instant(resource["end"], "Appointment.end") - start).total_seconds() // 60)
        if minutes is not None and minutes != span:
            raise bad("Appointment.minutesDuration", "does not match start and end.")
        minutes = span
    return start, minutes


def _instant(text: str, path: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad(path, f"“{text}” is not an instant.") from exc
    if value.tzinfo is None:
        raise bad(path, "give the time zone (an instant such as 2026-11-30T15:00:00Z).")
    return value.astimezone(dt.UTC)


def _reason(resource: dict) -> str:
    texts = []
    for concept in resource.get("reasonCode") or []:
        text = concept.get("text") or next(
            (c.get("display") for c in concept.get("coding") or [] if c.get("display")), ""
        )
        if text:
            texts.append(str(text))
    return "; ".join(texts)[:300]
