"""
Encounter <- transitions.Encounter (US Core Encounter 6.1.0 where the data allows; read-only: stays come from
the hospitals' ADT feeds). identifier: the visit number (PV1-19) as the facility numbers it; status, class:
FHIR R4 codes verbatim (class in v3 ActCode); type: the kind of stay as text (US Core needs one; ADT gives no
coded type); priority: from PV1-4 (v3 ActPriority); period: admission to discharge; reasonCode: the DG1
diagnoses (ICD-10-CM as sent) with the admitting reason as text; participant: the attending (ATND), by name;
hospitalization.dischargeDisposition: the NUBC patient status code (what PV1-36 carries), destination: where
the patient went (PV1-37), reAdmission: set when this stay flagged an earlier discharge's episode; location:
the unit, room and bed; serviceProvider: the facility (an Organization here).

Search: patient/subject, date (a day within the stay, with the prefixes eq, ne, gt, lt, ge, le, sa, eb: the
stay's period compared with the range the value covers), status, class, identifier (the visit number).
"""

import datetime as dt

from django.db.models import Q

from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, reference
from carecoord.interop.fhir.codes import coding, local_system
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import parse_date_range, reference_filter, split_prefix, token_filter
from carecoord.transitions.choices import DischargeDisposition, EncounterClass, EncounterStatus
from carecoord.transitions.models import Encounter
from carecoord.transitions.selectors import encounters_for

PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
NUBC = "http://www.nubc.org/patient-discharge"
READMISSION = "http://terminology.hl7.org/CodeSystem/v2-0092"
# PV1-4 admission type -> v3 ActPriority
PRIORITY = {"E": ("EM", "emergency"), "U": ("UR", "urgent"), "R": ("R", "routine"), "C": ("EL", "elective")}
TYPE_TEXT = {
    EncounterClass.INPATIENT: "Hospital inpatient stay",
    EncounterClass.EMERGENCY: "Emergency department visit",
    EncounterClass.OBSERVATION: "Observation stay",
    EncounterClass.AMBULATORY: "Outpatient visit",
    EncounterClass.PREADMISSION: "Pre-admission",
}


def _date_filter(value: str, modifier: str, *, tz: dt.tzinfo = dt.UTC) -> Q:
    """
    A date search against the stay's period [admitted, discharged) (an open stay runs on): eq the period
    overlaps the range, ne it does not, gt/sa it goes on after the range (sa: starts after), lt/eb it began
    before the range (eb: ended before), ge/le the period overlaps or is after / before the range.
    """
    prefix, text = split_prefix(value)
    span = parse_date_range(text, tz)
    starts_before_end = Q(admitted_at__lt=span.end)
    ends_after_start = Q(discharged_at__gte=span.start) | Q(discharged_at__isnull=True)
    overlaps = starts_before_end & ends_after_start
    ongoing_after = Q(discharged_at__gte=span.end) | Q(discharged_at__isnull=True)
    queries = {
        "eq": overlaps,
        "ne": ~overlaps,
        "gt": ongoing_after,
        "sa": Q(admitted_at__gte=span.end),
        "lt": Q(admitted_at__lt=span.start),
        "eb": Q(discharged_at__lt=span.start),
        "ge": overlaps | ongoing_after,
        "le": starts_before_end,
    }
    return queries[prefix] & Q(admitted_at__isnull=False)


_date_filter.needs_tz = True  # type: ignore[attr-defined]  # parse_search passes the organization's zone


def _identifier_filter(value: str, modifier: str) -> Q:
    _, _, number = value.rpartition("|")
    return Q(visit_number=number) if number else Q(pk__in=[])


@register
class EncounterMapper(ResourceMapper):
    resource_type = "Encounter"
    model = Encounter
    profile = PROFILE
    select_related = ("patient", "facility", "organization")
    prefetch_related = ("readmission_of",)
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "date": SearchParam("date", "date", _date_filter, "A date within the stay (admission to discharge)."),
        "status": SearchParam("status", "token", token_filter("status", system="http://hl7.org/fhir/encounter-status")),
        "class": SearchParam("class", "token", token_filter("encounter_class", system=ACT_CODE)),
        "identifier": SearchParam("identifier", "token", _identifier_filter, "The facility's visit number."),
    }
    sort_fields = {"date": "admitted_at", "status": "status"}

    def queryset(self, actor):
        return encounters_for(actor)

    def is_retired(self, obj: Encounter) -> bool:
        return obj.status == EncounterStatus.ENTERED_IN_ERROR

    def to_fhir(self, obj: Encounter) -> dict:
        priority = PRIORITY.get(obj.admission_type)
        return compact(
            {
                **self.base(obj),
                "identifier": [{"use": "usual", "system": local_system(obj.organization, "visit-number"),
                                "value": obj.visit_number,
                                "assigner": {"display": obj.facility.name} if obj.facility_id else None}]
                if obj.visit_number
                else None,
                "status": obj.status,
                "class": coding(ACT_CODE, obj.encounter_class, choice_label(obj, "encounter_class")),
                "type": [{"text": TYPE_TEXT.get(obj.encounter_class, "Hospital encounter")}],
                "priority": {"coding": [coding(ACT_PRIORITY, *priority)]} if priority else None,
                "subject": reference("Patient", obj.patient),
                "participant": [{"type": [{"coding": [coding(PARTICIPATION, "ATND", "attender")]}],
                                 "individual": {"display": obj.attending}}]
                if obj.attending
                else None,
                "period": {
                    "start": instant(obj.admitted_at) if obj.admitted_at else None,
                    "end": instant(obj.discharged_at) if obj.discharged_at else None,
                },
                "reasonCode": self._reasons(obj),
                "hospitalization": self._hospitalization(obj),
                "location": [{"location": {"display": obj.location},
                              "status": "completed" if obj.status == EncounterStatus.FINISHED else "active"}]
                if obj.location
                else None,
                "serviceProvider": reference("Organization", obj.facility),
            }
        )  # fmt: skip

    def _reasons(self, obj: Encounter) -> list[dict] | None:
        reasons = [
            {"coding": [coding(d.get("system", ""), d["code"], d.get("display", ""))], "text": d.get("display") or None}
            for d in obj.diagnoses or []
            if d.get("code") and d.get("system", "").startswith(("http", "urn"))
        ]
        if obj.reason and not any(r.get("text") == obj.reason for r in reasons):
            reasons.insert(0, {"text": obj.reason})
        return reasons or None

    def _hospitalization(self, obj: Encounter) -> dict:
        disposition = obj.discharge_disposition
        return {
            "reAdmission": {"coding": [coding(READMISSION, "R", "Re-admission")]} if obj.readmission_of.all() else None,
            "destination": {"display": obj.discharged_to} if obj.discharged_to else None,
            "dischargeDisposition": {
                "coding": [coding(NUBC, disposition, DischargeDisposition(disposition).label)],
                "text": DischargeDisposition(disposition).label,
            }
            if disposition
            else None,
        }
