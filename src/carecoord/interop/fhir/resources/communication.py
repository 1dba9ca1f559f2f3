"""
Communication, from two sources (a CompositeMapper, composite.py): checkins.OutreachAttempt here, and
education.Delivery (a material given to a patient or family member; _education.py).

Outreach attempts (one try at reaching a patient or their family):

status: completed (the attempt was made; whether it reached anyone is the outcome). medium: HL7 v3
ParticipationMode (phone PHONE, email EMAILWRIT, letter MAILWRIT, portal ONLINEWRIT, home visit FACE, text
message WRITTEN, with the method's name as text). sent: when. subject: the patient. recipient: the patient,
or the RelatedPerson reached instead. sender: the staff member (a logical reference by our user id). payload:
the note, as a string. The outcome (reached, voicemail, no answer, wrong number, declined) is in the extension
urn:carecoord:fhir:outreach-outcome (valueCoding, system urn:carecoord:outreach-outcome). Read and search only.
"""

from carecoord.checkins.choices import OutreachMethod, OutreachOutcome
from carecoord.checkins.models import OutreachAttempt
from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, instant, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.composite import CompositeMapper
from carecoord.interop.fhir.registry import register
from carecoord.interop.fhir.search import date_filter, reference_filter

from ._care import carecoord_system, user_reference
from ._checkins import own_or_home
from ._communication import PARTICIPATION_MODE, completed_filter, medium_filter, recipient_filter
from ._education import DeliveryCommunication

OUTCOME_EXTENSION = "urn:carecoord:fhir:outreach-outcome"
OUTCOME_SYSTEM = carecoord_system("outreach-outcome")
MEDIUM = {
    OutreachMethod.PHONE: ("PHONE", "telephone"),
    OutreachMethod.EMAIL: ("EMAILWRIT", "email"),
    OutreachMethod.LETTER: ("MAILWRIT", "mail"),
    OutreachMethod.PORTAL: ("ONLINEWRIT", "online written"),
    OutreachMethod.HOME_VISIT: ("FACE", "face-to-face"),
    OutreachMethod.SMS: ("WRITTEN", "written"),
}


class OutreachCommunication(ResourceMapper):
    resource_type = "Communication"
    model = OutreachAttempt
    source = "outreach attempts"
    select_related = ("patient", "related_person", "by")
    documentation = f"Outreach attempts to patients and their families; the outcome is in {OUTCOME_EXTENSION}."
    search_params = {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "recipient": SearchParam("recipient", "reference", recipient_filter, "The Patient or a RelatedPerson."),
        "sent": SearchParam("sent", "date", date_filter("occurred_at")),
        "medium": SearchParam("medium", "token", medium_filter(MEDIUM)),
        "status": SearchParam("status", "token", completed_filter, "Always completed."),
    }
    sort_fields = {"sent": "occurred_at"}

    def queryset(self, actor):
        return own_or_home(OutreachAttempt.objects.all(), actor)

    def to_fhir(self, obj: OutreachAttempt) -> dict:
        mode, display = MEDIUM.get(obj.method, ("WRITTEN", "written"))
        recipient = reference("RelatedPerson", obj.related_person) if obj.related_person else None
        return compact(
            {
                **self.base(obj),
                "extension": [
                    {
                        "url": OUTCOME_EXTENSION,
                        "valueCoding": coding(OUTCOME_SYSTEM, obj.outcome, OutreachOutcome(obj.outcome).label),
                    }
                ],
                "status": "completed",
                "medium": [{"coding": [coding(PARTICIPATION_MODE, mode, display)], "text": obj.get_method_display()}],
                "subject": reference("Patient", obj.patient),
                "sent": instant(obj.occurred_at),
                "recipient": [recipient or reference("Patient", obj.patient)],
                "sender": user_reference(obj.by),
                "payload": [{"contentString": obj.note}] if obj.note else [],
            }
        )


@register
class CommunicationMapper(CompositeMapper):
    resource_type = "Communication"
    part_classes = (OutreachCommunication, DeliveryCommunication)
