"""
QuestionnaireResponse <- community.SocialScreening (the AHC HRSN core screen, community/screening.py); a part
of the QuestionnaireResponse type (questionnaireresponse.py).

questionnaire: http://loinc.org/q/96777-8 (LOINC panel 96777-8, ../shared/STANDARDS.md section 7). status:
completed (a screen is only stored complete and scored). One item per question, linkId = the question's LOINC
code (71802-3, 96778-6, 88122-7, 88123-5, 93030-5, 96779-4, 95618-5, 95617-7, 95616-9, 95615-1), with its
text and answers: valueCoding from LOINC answer codes as the screening stores them (LA...), one answer per
problem chosen for 96778-6. The four interpersonal-safety items are scored Never 1 ... Frequently 5 (HITS);
their answers carry the score as code in urn:carecoord:ahc-hrsn-frequency with the ordinalValue extension,
because we have not verified LOINC answer codes for them. Then the safety total (95614-4) as valueInteger.
authored: when it was given; author: the staff member (logical reference by our user id). The positive
domains are Conditions (health concerns) on the chart. Read and search only.
"""

from django.db.models import Q

from carecoord.community import screening as hrsn
from carecoord.community.models import SocialScreening
from carecoord.community.selectors import screenings_visible_to
from carecoord.interop.fhir.base import ResourceMapper
from carecoord.interop.fhir.codes import coding

from ._care import carecoord_system, user_reference
from ._questionnaire import LOINC, questionnaire_response, questionnaire_search_params, scored_answer, total_item

CANONICAL = f"http://loinc.org/q/{hrsn.PANEL_LOINC}"
FREQUENCY_SYSTEM = carecoord_system("ahc-hrsn-frequency")


def _questionnaire_filter(value: str, modifier: str) -> Q:
    wanted = value.split("|", 1)[0].rstrip("/")
    names = (CANONICAL, hrsn.PANEL_LOINC, f"Questionnaire/{hrsn.PANEL_LOINC}")
    return Q() if wanted in names else Q(pk__in=[])


def _answers(question: hrsn.Question, stored) -> list[dict]:
    labels = dict(question.answers)
    values = stored if isinstance(stored, list) else [stored]
    answers = []
    for value in values:
        if value in (None, ""):
            continue
        if question.link_id in hrsn.SAFETY_ITEMS:
            score = int(value)
            answers.append(scored_answer(score, FREQUENCY_SYSTEM, str(score), labels.get(str(score), str(score))))
        else:
            answers.append({"valueCoding": coding(LOINC, str(value), labels.get(str(value), str(value)))})
    return answers


class ScreeningQuestionnaireResponse(ResourceMapper):
    resource_type = "QuestionnaireResponse"
    model = SocialScreening
    source = "AHC HRSN social-needs screenings"
    select_related = ("patient", "recorded_by")
    documentation = f"AHC HRSN social-needs screenings ({CANONICAL}) with LOINC item and answer codes."
    search_params = questionnaire_search_params(_questionnaire_filter)
    sort_fields = {"authored": "occurred_at"}

    def queryset(self, actor):
        return screenings_visible_to(actor)

    def to_fhir(self, obj: SocialScreening) -> dict:
        items = [
            {"linkId": q.loinc, "text": q.text, "answer": _answers(q, obj.answers.get(q.link_id))}
            for q in hrsn.QUESTIONS
        ]
        items.append(total_item(hrsn.SAFETY_TOTAL_LOINC, "Interpersonal safety total score", obj.safety_total))
        return questionnaire_response(
            self, obj, questionnaire=CANONICAL, author=user_reference(obj.recorded_by), items=items
        )
