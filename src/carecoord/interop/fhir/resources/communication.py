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
from carecoord.interop.fhir.base import ResourceMapper
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.composite import CompositeMapper
from carecoord.interop.fhir.registry import register

from ._care import carecoord_system, user_reference
from ._checkins import own_or_home
from ._communication import communication, communication_search_params
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
    search_params = communication_search_params(sent_field="occurred_at", medium=MEDIUM)
    sort_fields = {"sent": "occurred_at"}

    def queryset(self, actor):
        return own_or_home(OutreachAttempt.objects.all(), actor)

    def to_fhir(self, obj: OutreachAttempt) -> dict:
        return communication(
            self,
            obj,
            medium=MEDIUM,
            sent=obj.occurred_at,
            sender=user_reference(obj.by),
            extension=[
                {
                    "url": OUTCOME_EXTENSION,
                    "valueCoding": coding(OUTCOME_SYSTEM, obj.outcome, OutreachOutcome(obj.outcome).label),
                }
            ],
            payload=[{"contentString": obj.note}] if obj.note else [],
        )


@register
class CommunicationMapper(CompositeMapper):
    resource_type = "Communication"
    part_classes = (OutreachCommunication, DeliveryCommunication)
