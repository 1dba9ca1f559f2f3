"""
Task <- community.Referral: the status of a closed-loop referral, after the SDOH Clinical Care IG's Task For
Referral Management (without claiming the profile); a part of the Task type (task.py). Its id is the
referral's id, the same as its ServiceRequest's (ids are unique per type).

status: the referral's status as FHIR task-status, one to one - sent "requested", received "received",
accepted "accepted", declined "rejected", completed "completed", cancelled "cancelled". intent "order"; code:
task-code "fulfill"; focus: the ServiceRequest (the referral itself, resources/servicerequest.py); for: the
patient; authoredOn: when it was sent; lastModified: its last change; requester: the referring organization
(display); owner: the receiving organization when it uses CareCoord (logical reference, system
urn:carecoord:organization), else the community service's agency or the practitioner (display / reference);
restriction.period.end: the answer date; executionPeriod.end: when it was closed; output: the outcome (coded,
urn:carecoord:referral-outcome) and its note; note: the reason. Read and search only: referrals are answered
in CareCoord's referral inbox. Visible to the referring side (patients the caller may see) and to the
receiving organization (as in its inbox).
"""

from django.db.models import Case, CharField, Q, Value, When

from carecoord.community.choices import ReferralOutcome, ReferralStatus
from carecoord.community.models import Referral
from carecoord.community.selectors import referrals_sent_or_received
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, choice_label, compact, instant, parse_id, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.outcome import FhirError
from carecoord.interop.fhir.search import date_filter, reference_filter

from ._care import carecoord_system

TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
STATUS = "http://hl7.org/fhir/task-status"
ORGANIZATION_SYSTEM = carecoord_system("organization")
OUTCOME_SYSTEM = carecoord_system("referral-outcome")
OUTCOME = "Outcome"
TASK_STATUS = {
    ReferralStatus.SENT: "requested",
    ReferralStatus.RECEIVED: "received",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "rejected",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.CANCELLED: "cancelled",
}
OUR_STATUS = {theirs: ours for ours, theirs in TASK_STATUS.items()}


def _status_filter(value: str, modifier: str) -> Q:
    if modifier not in ("", "not"):
        raise FhirError(400, f"The modifier :{modifier} is not supported on status.")
    system, _, code = value.rpartition("|")
    known = code in OUR_STATUS and system in ("", STATUS)
    query = Q(status=OUR_STATUS[code]) if known else Q(pk__in=[])
    return ~query if modifier == "not" else query


def _focus_filter(value: str, modifier: str) -> Q:
    kind, _, ident = value.rpartition("/")
    key = parse_id(ident)
    if key is None or (modifier or kind.rsplit("/", 1)[-1]) not in ("", "ServiceRequest"):
        return Q(pk__in=[])
    return Q(public_id=key)


def _owner_filter(value: str, modifier: str) -> Q:
    if modifier not in ("", "not"):
        raise FhirError(400, f"The modifier :{modifier} is not supported on owner.")
    system, _, code = value.rpartition("|")
    key = parse_id(code)
    if key is None or system not in ("", ORGANIZATION_SYSTEM):
        query = Q(pk__in=[])
    else:
        query = Q(receiving_organization__public_id=key)
    return ~query if modifier == "not" else query


def _status_order():
    """The FHIR status as a column, so _sort=status orders referral Tasks as care-plan Tasks are ordered."""
    return Case(
        *(When(status=ours, then=Value(theirs)) for ours, theirs in TASK_STATUS.items()), output_field=CharField()
    )


class ReferralTask(ResourceMapper):
    resource_type = "Task"
    model = Referral
    source = "community referrals"
    select_related = ("patient", "organization", "receiving_organization", "service__agency", "practitioner")
    documentation = "Community referrals' status (focus: the referral's ServiceRequest; owner: the receiver)."
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "owner": SearchParam(
            "owner", "token", _owner_filter, f"The receiving organization ({ORGANIZATION_SYSTEM}|<id>)."
        ),
        "status": SearchParam("status", "token", _status_filter),
        "focus": SearchParam("focus", "reference", _focus_filter, "The referral's ServiceRequest.", "ServiceRequest"),
        "period": SearchParam("period", "date", date_filter("respond_by", is_date=True), "The answer date."),
        "authored-on": SearchParam("authored-on", "date", date_filter("sent_at")),
        "modified": SearchParam("modified", "date", date_filter("updated_at")),
    }
    sort_fields = {"period": "respond_by", "authored-on": "sent_at", "modified": "updated_at", "status": "fhir_status"}

    def queryset(self, actor):
        return referrals_sent_or_received(actor).annotate(fhir_status=_status_order())

    def to_fhir(self, obj: Referral) -> dict:
        if obj.receiving_organization_id:
            organization = obj.receiving_organization
            owner = {
                "identifier": {"system": ORGANIZATION_SYSTEM, "value": str(organization.public_id)},
                "display": organization.name,
            }
        elif obj.service_id:
            owner = {"display": f"{obj.service.agency.name}: {obj.service.name}"}
        else:
            owner = reference("Practitioner", obj.practitioner)
        output = []
        if obj.outcome:
            label = ReferralOutcome(obj.outcome).label
            output.append(
                {
                    "type": {"text": OUTCOME},
                    "valueCodeableConcept": {"coding": [coding(OUTCOME_SYSTEM, obj.outcome, label)], "text": label},
                }
            )
        if obj.outcome_note:
            output.append({"type": {"text": f"{OUTCOME} note"}, "valueString": obj.outcome_note})
        return compact(
            {
                **self.base(obj),
                "status": TASK_STATUS[obj.status],
                "businessStatus": {"text": f"Referral {choice_label(obj, 'status').lower()}"},
                "intent": "order",
                "code": {"coding": [coding(TASK_CODE, "fulfill", "Fulfill the focal request")]},
                "description": str(obj),
                "focus": {"reference": f"ServiceRequest/{obj.public_id}"},
                "for": {"reference": f"Patient/{obj.patient.public_id}"},
                "executionPeriod": {"end": instant(obj.closed_at)} if obj.closed_at else None,
                "authoredOn": instant(obj.sent_at),
                "lastModified": instant(obj.updated_at),
                "requester": {"display": obj.organization.name},
                "owner": owner,
                "restriction": {"period": {"end": obj.respond_by.isoformat()}},
                "note": [{"text": obj.reason}] if obj.reason else [],
                "output": output,
            }
        )
