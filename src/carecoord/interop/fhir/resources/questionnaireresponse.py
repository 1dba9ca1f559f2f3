"""
QuestionnaireResponse, from two sources (a CompositeMapper, composite.py): checkins.Assessment here, and
community.SocialScreening (the AHC HRSN social-needs screen, LOINC 96777-8; _hrsn.py).

Assessments (PHQ-2, PHQ-9, GAD-7; checkins.instruments):

questionnaire: the LOINC form's canonical, http://loinc.org/q/<panel code> (PHQ-2 55757-9, PHQ-9 44249-1,
GAD-7 69737-5). status: completed (an assessment is only stored complete). One item per question, linkId =
the question's LOINC code, with text and one answer, a valueCoding from the LOINC answer list LL358-3
(LA6568-5 Not at all, LA6569-3 Several days, LA6570-1 More than half the days, LA6571-9 Nearly every day)
carrying its score in the ordinalValue extension; then the total score as an item (linkId = the total's LOINC
code: 55758-7, 44261-6, 70274-6) with valueInteger. authored: when it was given; author: the staff member
(a logical reference by our user id). Read and search only; questionnaires are given on the chart.
"""

from django.db.models import Q

from carecoord.checkins.instruments import INSTRUMENTS
from carecoord.checkins.models import Assessment
from carecoord.interop.fhir.base import ResourceMapper
from carecoord.interop.fhir.composite import CompositeMapper
from carecoord.interop.fhir.registry import register

from ._care import user_reference
from ._checkins import own_or_home
from ._hrsn import ScreeningQuestionnaireResponse
from ._questionnaire import LOINC, questionnaire_response, questionnaire_search_params, scored_answer, total_item

CANONICAL = "http://loinc.org/q/"
# LOINC answer list LL358-3: score -> answer code.
ANSWER_CODES = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}


def canonical(instrument) -> str:
    return f"{CANONICAL}{instrument.panel_loinc}"


def _questionnaire_filter(value: str, modifier: str) -> Q:
    wanted = value.split("|", 1)[0].rstrip("/")
    keys = [
        key
        for key, instrument in INSTRUMENTS.items()
        if wanted in (canonical(instrument), instrument.panel_loinc, f"Questionnaire/{instrument.panel_loinc}")
    ]
    return Q(instrument__in=keys)


class AssessmentQuestionnaireResponse(ResourceMapper):
    resource_type = "QuestionnaireResponse"
    model = Assessment
    source = "PHQ/GAD assessments"
    select_related = ("patient", "by")
    documentation = "PHQ-2, PHQ-9 and GAD-7 answers with LOINC codes (answer list LL358-3) and the total score."
    search_params = questionnaire_search_params(_questionnaire_filter)
    sort_fields = {"authored": "occurred_at"}

    def queryset(self, actor):
        return own_or_home(Assessment.objects.filter(instrument__in=list(INSTRUMENTS)), actor)

    def to_fhir(self, obj: Assessment) -> dict:
        instrument = INSTRUMENTS[obj.instrument]
        labels = dict(instrument.answers)
        items = []
        for item in instrument.items:
            score = obj.answers.get(item.link_id)
            answer = None
            if score is not None:
                answer = [scored_answer(score, LOINC, ANSWER_CODES[score], labels[score])]
            items.append({"linkId": item.loinc, "text": item.text, "answer": answer})
        items.append(total_item(instrument.total_loinc, f"{instrument.title} total score", obj.total))
        return questionnaire_response(
            self, obj, questionnaire=canonical(instrument), author=user_reference(obj.by), items=items
        )


@register
class QuestionnaireResponseMapper(CompositeMapper):
    resource_type = "QuestionnaireResponse"
    part_classes = (AssessmentQuestionnaireResponse, ScreeningQuestionnaireResponse)
