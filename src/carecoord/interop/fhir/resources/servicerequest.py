"""
ServiceRequest <- community.Referral (read and search; after the SDOHCC ServiceRequest profile of the SDOH
Clinical Care IG, without claiming it).

status: the referral's status mapped to FHIR request-status - sent, received and accepted are "active";
completed is "completed"; declined and cancelled are "revoked" (the referral's own status is kept as a
coding in `orderDetail`, system urn:carecoord:referral-status, so nothing is lost); intent "order";
category: US Core "sdoh" plus the SDOHCC domain of the need; code: the service (or practitioner) referred
to, as text; subject: the patient; authoredOn: when it was sent;
requester: the referring organization (display); performer: the receiving service's agency or the practitioner
(display; a Practitioner reference for a practitioner); reasonReference: the health concern (Condition);
occurrencePeriod.end: the answer date; note: the reason and the outcome. Read-only: referrals are made on the
chart's Social needs tab, where consent is recorded. Visible to the referring side only (patients the caller
may see); a receiving organization answers its referrals in CareCoord's inbox.
"""

from django.db.models import Q

from carecoord.community.choices import ReferralStatus
from carecoord.community.models import Referral
from carecoord.community.selectors import referrals_visible_to
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter

SDOHCC_CODES = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
REFERRAL_STATUS_SYSTEM = "urn:carecoord:referral-status"
REQUEST_STATUS = "http://hl7.org/fhir/request-status"

# Our referral status -> FHIR R4 request-status (lossless with the orderDetail coding beside it).
FHIR_STATUS = {
    ReferralStatus.SENT: "active",
    ReferralStatus.RECEIVED: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.CANCELLED: "revoked",
}
OUR_STATUSES: dict[str, list[str]] = {}
for _ours, _theirs in FHIR_STATUS.items():
    OUR_STATUSES.setdefault(_theirs, []).append(_ours)


def _status_filter(value: str, modifier: str) -> Q:
    if modifier not in ("", "not"):
        raise FhirError(400, f"The modifier :{modifier} is not supported on status.")
    system, _, code = value.rpartition("|")
    query = Q(pk__in=[]) if system and system != REQUEST_STATUS else Q(status__in=OUR_STATUSES.get(code, []))
    return ~query if modifier == "not" else query


def _category_filter(value: str, modifier: str) -> Q:
    system, _, code = value.rpartition("|")
    if system == US_CORE_CATEGORY or (not system and code == "sdoh"):
        return Q() if code == "sdoh" else Q(pk__in=[])
    if system and system != SDOHCC_CODES:
        return Q(pk__in=[])
    return Q(need=code)


@register
class ServiceRequestMapper(ResourceMapper):
    resource_type = "ServiceRequest"
    model = Referral
    select_related = ("patient", "organization", "service__agency", "practitioner", "condition")
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "status": SearchParam("status", "token", _status_filter, "FHIR request-status (active, completed, revoked)."),
        "category": SearchParam("category", "token", _category_filter, "sdoh, or the SDOHCC domain of the need."),
        "authored": SearchParam("authored", "date", date_filter("sent_at")),
    }
    sort_fields = {"authored": "sent_at", "status": "status"}

    def queryset(self, actor):
        return referrals_visible_to(actor)

    def to_fhir(self, obj: Referral) -> dict:
        if obj.service_id:
            performer = {"display": f"{obj.service.agency.name}: {obj.service.name}"}
        else:
            performer = reference("Practitioner", obj.practitioner)
        notes = [{"text": obj.reason}] if obj.reason else []
        if obj.outcome:
            outcome = f"Outcome: {choice_label(obj, 'outcome')}" + (
                f" - {obj.outcome_note}" if obj.outcome_note else ""
            )
            notes.append({"text": outcome})
        elif obj.outcome_note:
            notes.append({"text": obj.outcome_note})
        return compact(
            {
                **self.base(obj),
                "status": FHIR_STATUS[obj.status],
                "intent": "order",
                "category": [
                    {"coding": [coding(US_CORE_CATEGORY, "sdoh", "SDOH")]},
                    {"coding": [coding(SDOHCC_CODES, obj.need, choice_label(obj, "need"))]},
                ],
                "code": {"text": obj.service.name if obj.service_id else f"Referral to {obj.practitioner}"},
                "orderDetail": [
                    {
                        "coding": [coding(REFERRAL_STATUS_SYSTEM, obj.status, choice_label(obj, "status"))],
                        "text": f"Referral {choice_label(obj, 'status').lower()}",
                    }
                ],
                "subject": reference("Patient", obj.patient),
                "occurrencePeriod": {"end": obj.respond_by.isoformat()},
                "authoredOn": instant(obj.sent_at),
                "requester": {"display": obj.organization.name},
                "performer": [performer],
                "reasonReference": [reference("Condition", obj.condition)],
                "note": notes,
            }
        )
