"""
What the QuestionnaireResponse parts share (PHQ/GAD assessments, AHC HRSN screenings): the search parameters,
the resource's shape (a completed response about the patient, authored by a staff member, items with LOINC
link ids), answers carrying their score in the ordinalValue extension, and the total-score item.
"""

from collections.abc import Callable

from django.db.models import Q

from carecoord.interop.fhir.base import ResourceMapper, SearchParam, compact, instant, reference
from carecoord.interop.fhir.codes import coding
from carecoord.interop.fhir.search import date_filter, reference_filter

LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def _status_filter(value: str, modifier: str) -> Q:
    return Q() if value.split("|", 1)[-1] == "completed" else Q(pk__in=[])


def questionnaire_search_params(questionnaire_filter: Callable[[str, str], Q]) -> dict[str, SearchParam]:
    return {
        "patient": SearchParam(
            "patient", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "subject": SearchParam(
            "subject", "reference", reference_filter("patient", "Patient"), target="Patient", include_attr="patient"
        ),
        "questionnaire": SearchParam(
            "questionnaire", "reference", questionnaire_filter, "http://loinc.org/q/<panel>, or the panel code."
        ),
        "authored": SearchParam("authored", "date", date_filter("occurred_at")),
        "status": SearchParam("status", "token", _status_filter, "Always completed."),
    }


def scored_answer(score, system: str, code: str, display: str) -> dict:
    """An answer coding that carries its score in the ordinalValue extension."""
    return {"valueCoding": {"extension": [{"url": ORDINAL, "valueDecimal": score}], **coding(system, code, display)}}


def total_item(link_id: str, text: str, total) -> dict:
    return {"linkId": link_id, "text": text, "answer": [{"valueInteger": total}]}


def questionnaire_response(
    mapper: ResourceMapper, obj, *, questionnaire: str, author: dict | None, items: list[dict]
) -> dict:
    return compact(
        {
            **mapper.base(obj),
            "questionnaire": questionnaire,
            "status": "completed",
            "subject": reference("Patient", obj.patient),
            "authored": instant(obj.occurred_at),
            "author": author,
            "item": items,
        }
    )
