"""
Communication <- education.Delivery (a material given to a patient or one of their family members); a part
of the Communication type (communication.py).

status: completed. category: communication-category "instruction". language (Resource.language) and
payload.contentAttachment.language: the language it was given in; payload.contentAttachment.title: the
material's title as given. topic: the title as text. medium: HL7 v3 ParticipationMode (in person FACE,
printed handout WRITTEN, email EMAILWRIT; our method's name as text). sent: when; subject: the patient;
recipient: the patient, or the RelatedPerson it was given to; sender: the staff member (logical reference by
our user id). The teach-back result (understood, needs reinforcement, did not understand) is in the extension
urn:carecoord:fhir:teach-back (valueCoding, system urn:carecoord:teach-back), absent until checked; the
delivery note and the teach-back note are notes. Read and search only: materials are given on the chart.
"""

from django.db.models import Q

from carecoord.education.choices import DeliveryMethod, TeachBack
from carecoord.education.models import Delivery
from carecoord.education.selectors import deliveries_visible_to
from carecoord.interop.fhir.base import ResourceMapper, SearchParam
from carecoord.interop.fhir.codes import coding

from ._care import carecoord_system, user_reference
from ._communication import communication, communication_search_params

CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
TEACH_BACK_EXTENSION = "urn:carecoord:fhir:teach-back"
TEACH_BACK_SYSTEM = carecoord_system("teach-back")
MEDIUM = {
    DeliveryMethod.IN_PERSON: ("FACE", "face-to-face"),
    DeliveryMethod.PRINTED: ("WRITTEN", "written"),
    DeliveryMethod.EMAIL: ("EMAILWRIT", "email"),
}


def _category_filter(value: str, modifier: str) -> Q:
    system, _, code = value.rpartition("|")
    return Q() if code == "instruction" and system in ("", CATEGORY) else Q(pk__in=[])


class DeliveryCommunication(ResourceMapper):
    resource_type = "Communication"
    model = Delivery
    source = "education deliveries"
    select_related = ("patient", "related_person", "delivered_by")
    documentation = f"Education deliveries (category instruction); the teach-back result is in {TEACH_BACK_EXTENSION}."
    search_params = {
        **communication_search_params(sent_field="delivered_at", medium=MEDIUM),
        "category": SearchParam("category", "token", _category_filter, "instruction: education deliveries."),
    }
    sort_fields = {"sent": "delivered_at"}

    def queryset(self, actor):
        return deliveries_visible_to(actor)

    def to_fhir(self, obj: Delivery) -> dict:
        teach_back = []
        if obj.teach_back:
            teach_back = [
                {
                    "url": TEACH_BACK_EXTENSION,
                    "valueCoding": coding(TEACH_BACK_SYSTEM, obj.teach_back, TeachBack(obj.teach_back).label),
                }
            ]
        notes = [{"text": obj.note}] if obj.note else []
        if obj.teach_back_note:
            notes.append({"text": f"Teach-back: {obj.teach_back_note}"})
        return communication(
            self,
            obj,
            medium=MEDIUM,
            sent=obj.delivered_at,
            sender=user_reference(obj.delivered_by),
            extension=teach_back,
            payload=[{"contentAttachment": {"language": obj.language, "title": obj.title}}],
            language=obj.language,
            category=[{"coding": [coding(CATEGORY, "instruction", "Instruction")]}],
            topic={"text": obj.title},
            note=notes,
        )
