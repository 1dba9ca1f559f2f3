"""What the Communication parts share (outreach attempts, education deliveries): both models have `patient`,
an optional `related_person` recipient and a `method`, so their search parameters and the resource's shape are
built here once."""

from django.db.models import Q

from carecoord.interop.fhir.base import (
    ResourceMapper,
    SearchParam,
    choice_label,
    compact,
    instant,
    parse_id,
    reference,
)
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.search import date_filter, reference_filter

PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"


def medium_filter(medium: dict[str, tuple[str, str]]):
    """A `medium` token search over `method`, given our method -> (ParticipationMode code, display)."""

    def build(value: str, modifier: str) -> Q:
        system, code = value.split("|", 1) if "|" in value else (PARTICIPATION_MODE, value)
        if system not in (PARTICIPATION_MODE, ""):
            return Q(pk__in=[])
        return Q(method__in=[method for method, (mode, _) in medium.items() if mode == code])

    return build


def recipient_filter(value: str, modifier: str) -> Q:
    kind, _, ident = value.rpartition("/")
    kind = modifier or kind.rsplit("/", 1)[-1]
    key = parse_id(ident)
    if key is None:
        return Q(pk__in=[])
    to_patient = Q(patient__public_id=key, related_person__isnull=True)
    to_related = Q(related_person__public_id=key)
    return {"Patient": to_patient, "RelatedPerson": to_related, "": to_patient | to_related}.get(kind, Q(pk__in=[]))


def completed_filter(value: str, modifier: str) -> Q:
    return Q() if value.split("|", 1)[-1] == "completed" else Q(pk__in=[])


def communication_search_params(*, sent_field: str, medium: dict[str, tuple[str, str]]) -> dict[str, SearchParam]:
    """The search parameters both parts answer: patient/subject, recipient, sent, medium and status."""
    return {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "recipient": SearchParam("recipient", "reference", recipient_filter, "The Patient or a RelatedPerson."),
        "sent": SearchParam("sent", "date", date_filter(sent_field)),
        "medium": SearchParam("medium", "token", medium_filter(medium)),
        "status": SearchParam("status", "token", completed_filter, "Always completed."),
    }


def communication(
    mapper: ResourceMapper,
    obj,
    *,
    medium: dict[str, tuple[str, str]],
    sent,
    sender,
    extension: list,
    payload: list,
    language: str | None = None,
    category: list | None = None,
    topic: dict | None = None,
    note: list | None = None,
) -> dict:
    """
    A completed Communication about `obj.patient`, sent by `sender` to the RelatedPerson of the record (or the
    patient), through the medium of `obj.method`. Elements a part does not have stay out (compact).
    """
    mode, display = medium.get(obj.method, ("WRITTEN", "written"))
    recipient = reference("RelatedPerson", obj.related_person) if obj.related_person_id else None
    return compact(
        {
            **mapper.base(obj),
            "language": language,
            "extension": extension,
            "status": "completed",
            "category": category,
            "medium": [{"coding": [coding(PARTICIPATION_MODE, mode, display)], "text": choice_label(obj, "method")}],
            "subject": reference("Patient", obj.patient),
            "topic": topic,
            "sent": instant(sent),
            "recipient": [recipient or reference("Patient", obj.patient)],
            "sender": sender,
            "payload": payload,
            "note": note,
        }
    )
