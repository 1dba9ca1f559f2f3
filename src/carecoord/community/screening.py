"""
The Accountable Health Communities Health-Related Social Needs (AHC HRSN) screening tool's ten core questions
with their published scoring, pure (no database), and the coded need each positive domain puts on the chart.

Source: CMS Center for Medicare & Medicaid Innovation, "The Accountable Health Communities Health-Related Social
Needs Screening Tool" (public domain, U.S. government work; https://www.cms.gov/priorities/innovation/files/
worksheets/ahcm-screeningtool.pdf). Item texts, answer lists and LOINC codes as published there and in LOINC
panel 96777-8 (../shared/STANDARDS.md section 7). Scoring:
- living situation: question 1 answered "worried about losing it" (housing instability) or "do not have a steady
  place to live" (homelessness); question 2 any problem chosen (inadequate housing);
- food (the Hunger Vital Sign, Hager et al., Pediatrics 2010;126:e26-32): "Often true" or "Sometimes true" on
  either question;
- transportation: "Yes"; utilities: "Yes" or "Already shut off";
- interpersonal safety (HITS, Sherin et al., Fam Med 1998;30:508-512): four items scored Never 1 ... Frequently 5;
  a total of 11 or more (> 10) is positive.

Coded needs (NEED_CODES): SNOMED CT concepts the Gravity Project's SDOH Clinical Care IG value sets use. Food
insecurity 733423003, housing instability 1156191002, homelessness 32911000 and lack of access to
transportation 713458007 appear in the IG's examples and value sets. The rest are marked `verified=False`
("verify" before relying on them): inadequate housing 105531004 (Housing unsatisfactory), interpersonal safety
706893006 (Victim of intimate partner abuse) and utilities, for which we use the ICD-10-CM code Z59.12
(Inadequate housing utilities, FY2023) because we are not sure of a SNOMED CT concept.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .choices import Need

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


@dataclass(frozen=True)
class Question:
    link_id: str
    loinc: str
    domain: str
    text: str
    answers: tuple[tuple[str, str], ...]  # (LOINC answer code or score, label)
    multiple: bool = False


@dataclass(frozen=True)
class NeedCode:
    system: str
    code: str
    display: str
    verified: bool


YES, NO = ("LA33-6", "Yes"), ("LA32-8", "No")
FOOD_ANSWERS = (("LA28397-0", "Often true"), ("LA6729-3", "Sometimes true"), ("LA28398-8", "Never true"))
SAFETY_ANSWERS = (("1", "Never"), ("2", "Rarely"), ("3", "Sometimes"), ("4", "Fairly often"), ("5", "Frequently"))
HOUSING_PROBLEMS = (
    ("LA31996-4", "Pests such as bugs, ants, or mice"),
    ("LA28580-1", "Mold"),
    ("LA31997-2", "Lead paint or pipes"),
    ("LA31998-0", "Lack of heat"),
    ("LA31999-8", "Oven or stove not working"),
    ("LA32000-4", "Smoke detectors missing or not working"),
    ("LA32001-2", "Water leaks"),
    ("LA9-3", "None of the above"),
)
NONE_OF_THE_ABOVE = "LA9-3"
STEADY, WORRIED, NOT_STEADY = "LA31993-1", "LA31994-9", "LA31995-6"
SAFETY_POSITIVE_ABOVE = 10

QUESTIONS: tuple[Question, ...] = (
    Question(
        "living-1",
        "71802-3",
        "Living situation",
        "What is your living situation today?",
        (
            (STEADY, "I have a steady place to live"),
            (WORRIED, "I have a place to live today, but I am worried about losing it in the future"),
            (
                NOT_STEADY,
                "I do not have a steady place to live (I am temporarily staying with others, in a hotel, in a "
                "shelter, living outside on the street, on a beach, in a car, abandoned building, bus or train "
                "station, or in a park)",
            ),
        ),
    ),
    Question(
        "living-2",
        "96778-6",
        "Living situation",
        "Think about the place you live. Do you have problems with any of the following? (Choose all that apply)",
        HOUSING_PROBLEMS,
        multiple=True,
    ),
    Question(
        "food-1",
        "88122-7",
        "Food",
        "Within the past 12 months, you worried that your food would run out before you got money to buy more.",
        FOOD_ANSWERS,
    ),
    Question(
        "food-2",
        "88123-5",
        "Food",
        "Within the past 12 months, the food you bought just didn't last and you didn't have money to get more.",
        FOOD_ANSWERS,
    ),
    Question(
        "transportation",
        "93030-5",
        "Transportation",
        "In the past 12 months, has lack of reliable transportation kept you from medical appointments, meetings, "
        "work or from getting things needed for daily living?",
        (YES, NO),
    ),
    Question(
        "utilities",
        "96779-4",
        "Utilities",
        "In the past 12 months has the electric, gas, oil, or water company threatened to shut off services in "
        "your home?",
        (YES, NO, ("LA32002-0", "Already shut off")),
    ),
    Question(
        "safety-1",
        "95618-5",
        "Safety",
        "How often does anyone, including family and friends, physically hurt you?",
        SAFETY_ANSWERS,
    ),
    Question(
        "safety-2",
        "95617-7",
        "Safety",
        "How often does anyone, including family and friends, insult or talk down to you?",
        SAFETY_ANSWERS,
    ),
    Question(
        "safety-3",
        "95616-9",
        "Safety",
        "How often does anyone, including family and friends, threaten you with harm?",
        SAFETY_ANSWERS,
    ),
    Question(
        "safety-4",
        "95615-1",
        "Safety",
        "How often does anyone, including family and friends, scream or curse at you?",
        SAFETY_ANSWERS,
    ),
)
QUESTION_BY_ID = {q.link_id: q for q in QUESTIONS}
SAFETY_ITEMS = ("safety-1", "safety-2", "safety-3", "safety-4")
PANEL_LOINC = "96777-8"
SAFETY_TOTAL_LOINC = "95614-4"
TITLE = "AHC Health-Related Social Needs screening (core questions)"

NEED_CODES: dict[str, NeedCode] = {
    Need.FOOD_INSECURITY: NeedCode(SNOMED, "733423003", "Food insecurity (finding)", verified=True),
    Need.HOUSING_INSTABILITY: NeedCode(SNOMED, "1156191002", "Housing instability (finding)", verified=True),
    Need.HOMELESSNESS: NeedCode(SNOMED, "32911000", "Homeless (finding)", verified=True),
    Need.TRANSPORTATION_INSECURITY: NeedCode(
        SNOMED, "713458007", "Lack of access to transportation (finding)", verified=True
    ),
    Need.INADEQUATE_HOUSING: NeedCode(SNOMED, "105531004", "Housing unsatisfactory (finding)", verified=False),
    Need.UTILITY_INSECURITY: NeedCode(ICD10CM, "Z59.12", "Inadequate housing utilities", verified=False),
    Need.INTERPERSONAL_SAFETY: NeedCode(
        SNOMED, "706893006", "Victim of intimate partner abuse (finding)", verified=False
    ),
}


class IncompleteAnswers(ValueError):
    """Answers missing or not among the listed choices; the message names the questions, fit for a person."""


@dataclass(frozen=True)
class HrsnResult:
    answers: Mapping[str, object]
    needs: tuple[str, ...]  # Need values, in question order
    safety_total: int

    @property
    def positive(self) -> bool:
        return bool(self.needs)

    @property
    def unsafe(self) -> bool:
        return Need.INTERPERSONAL_SAFETY in self.needs


def _clean(answers: Mapping[str, object]) -> dict[str, object]:
    missing = [q.text for q in QUESTIONS if q.link_id not in answers or answers[q.link_id] in (None, "", [], ())]
    if missing:
        raise IncompleteAnswers(f"Answer every question; missing: {'; '.join(missing)}")
    clean: dict[str, object] = {}
    invalid = []
    for q in QUESTIONS:
        allowed = {code for code, _ in q.answers}
        value = answers[q.link_id]
        if q.multiple:
            chosen = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
            if not chosen or any(c not in allowed for c in chosen) or (NONE_OF_THE_ABOVE in chosen and len(chosen) > 1):
                invalid.append(q.text)
            clean[q.link_id] = sorted(set(chosen))
        else:
            if str(value) not in allowed:
                invalid.append(q.text)
            clean[q.link_id] = str(value)
    if invalid:
        raise IncompleteAnswers(f"Choose one of the listed answers for: {'; '.join(invalid)}")
    return clean


def score(answers: Mapping[str, object]) -> HrsnResult:
    """Scores a complete AHC HRSN core screen; a partial one is refused, so a result always means the same."""
    clean = _clean(answers)
    needs: list[str] = []
    if clean["living-1"] == WORRIED:
        needs.append(Need.HOUSING_INSTABILITY)
    if clean["living-1"] == NOT_STEADY:
        needs.append(Need.HOMELESSNESS)
    if clean["living-2"] != [NONE_OF_THE_ABOVE]:
        needs.append(Need.INADEQUATE_HOUSING)
    if any(clean[key] in ("LA28397-0", "LA6729-3") for key in ("food-1", "food-2")):
        needs.append(Need.FOOD_INSECURITY)
    if clean["transportation"] == "LA33-6":
        needs.append(Need.TRANSPORTATION_INSECURITY)
    if clean["utilities"] in ("LA33-6", "LA32002-0"):
        needs.append(Need.UTILITY_INSECURITY)
    safety_total = sum(int(clean[key]) for key in SAFETY_ITEMS)  # type: ignore[call-overload]
    if safety_total > SAFETY_POSITIVE_ABOVE:
        needs.append(Need.INTERPERSONAL_SAFETY)
    return HrsnResult(answers=clean, needs=tuple(needs), safety_total=safety_total)


def answer_label(link_id: str, value) -> str:
    """The answer text(s) of a stored answer, for display."""
    labels = dict(QUESTION_BY_ID[link_id].answers)
    if isinstance(value, list):
        return "; ".join(labels.get(v, v) for v in value)
    return labels.get(str(value), str(value))
