"""
Pure rules of transitions of care: the deadlines a discharge starts, the LACE readmission index with the
Charlson comorbidity score behind it, and whether what was documented supports the TCM codes.

Deadlines and TCM (../shared/STANDARDS.md section 5.1, CMS/Noridian TCM rules):
- interactive contact within 2 business days after discharge (Monday-Friday, the state's holidays excluded);
- face-to-face visit within 7 calendar days (high complexity, 99496) or 14 (moderate, 99495);
- medication reconciliation no later than the face-to-face visit;
- a 30-day service period beginning on the discharge date.

LACE (van Walraven et al., CMAJ 2010;182(6):551-557; STANDARDS.md section 5.6): L length of stay in days,
A acute (emergent) admission, C Charlson comorbidity index, E emergency visits in the 6 months before;
total 0-19, 0-4 low, 5-9 moderate, 10 or more high. The original LACE, not the "modified" variant.

Charlson conditions from ICD-10 codes follow Quan et al., "Coding algorithms for defining comorbidities in
ICD-9-CM and ICD-10 administrative data", Med Care 2005;43:1130-1139 (the Charlson ICD-10 column), with the
original Charlson weights (Charlson et al., J Chronic Dis 1987;40:373-383). A few common SNOMED CT concepts
map to the same conditions for records coded that way (e.g. Synthea's).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .choices import Complexity

CONTACT_BUSINESS_DAYS = 2
VISIT_DAYS = {Complexity.HIGH: 7, Complexity.MODERATE: 14}
SERVICE_PERIOD_DAYS = 30


@dataclass(frozen=True)
class Deadlines:
    contact_due: dt.date
    visit_due: dt.date
    med_rec_due: dt.date
    window_end: dt.date


def transition_deadlines(
    discharge_day: dt.date, complexity: str, add_business_days: Callable[[dt.date, int], dt.date]
) -> Deadlines:
    """The deadlines a discharge on `discharge_day` starts; `add_business_days` knows the state's holidays."""
    visit_due = discharge_day + dt.timedelta(days=VISIT_DAYS[Complexity(complexity)])
    return Deadlines(
        contact_due=add_business_days(discharge_day, CONTACT_BUSINESS_DAYS),
        visit_due=visit_due,
        med_rec_due=visit_due,  # no later than the face-to-face visit
        window_end=discharge_day + dt.timedelta(days=SERVICE_PERIOD_DAYS - 1),
    )


# --- LACE ------------------------------------------------------------------------------------------------

LACE_BANDS = ((0, 4, "low"), (5, 9, "moderate"), (10, 19, "high"))


def length_of_stay_points(days: int) -> int:
    if days < 1:
        return 0
    if days <= 3:
        return days
    if days <= 6:
        return 4
    if days <= 13:
        return 5
    return 7


def comorbidity_points(charlson: int) -> int:
    return 5 if charlson >= 4 else max(charlson, 0)


def emergency_visit_points(visits: int) -> int:
    return min(max(visits, 0), 4)


@dataclass(frozen=True)
class Lace:
    length_of_stay: int
    acute: bool
    charlson: int
    emergency_visits: int
    l_points: int
    a_points: int
    c_points: int
    e_points: int

    @property
    def score(self) -> int:
        return self.l_points + self.a_points + self.c_points + self.e_points

    @property
    def risk(self) -> str:
        return next(label for low, high, label in LACE_BANDS if low <= self.score <= high)


def lace(*, length_of_stay: int, acute: bool, charlson: int, emergency_visits: int) -> Lace:
    return Lace(
        length_of_stay=length_of_stay,
        acute=acute,
        charlson=charlson,
        emergency_visits=emergency_visits,
        l_points=length_of_stay_points(length_of_stay),
        a_points=3 if acute else 0,
        c_points=comorbidity_points(charlson),
        e_points=emergency_visit_points(emergency_visits),
    )


def length_of_stay_days(admitted: dt.date, discharged: dt.date) -> int:
    """Days in hospital as LACE counts them: discharge day minus admission day (same day = 0)."""
    return max((discharged - admitted).days, 0)


# --- Charlson ------------------------------------------------------------------------------------------------


def _codes(letter: str, *ranges: tuple[int, int]) -> tuple[str, ...]:
    """Three-character ICD-10 categories over inclusive numeric ranges (C00-C26 -> "C00".."C26")."""
    return tuple(f"{letter}{n:02d}" for low, high in ranges for n in range(low, high + 1))


# condition -> (weight, ICD-10 code prefixes) after Quan et al. 2005.
CHARLSON_ICD10: dict[str, tuple[int, tuple[str, ...]]] = {
    "myocardial_infarction": (1, ("I21", "I22", "I252")),
    "heart_failure": (1, ("I099", "I110", "I130", "I132", "I255", "I420", "I425", "I426", "I427", "I428", "I429",
                          "I43", "I50", "P290")),
    "peripheral_vascular": (1, ("I70", "I71", "I731", "I738", "I739", "I771", "I790", "I792", "K551", "K558",
                                "K559", "Z958", "Z959")),
    "cerebrovascular": (1, ("G45", "G46", "H340", "I60", "I61", "I62", "I63", "I64", "I65", "I66", "I67", "I68",
                            "I69")),
    "dementia": (1, ("F00", "F01", "F02", "F03", "F051", "G30", "G311")),
    "chronic_pulmonary": (1, ("I278", "I279", "J40", "J41", "J42", "J43", "J44", "J45", "J46", "J47", "J60", "J61",
                              "J62", "J63", "J64", "J65", "J66", "J67", "J684", "J701", "J703")),
    "rheumatic": (1, ("M05", "M06", "M315", "M32", "M33", "M34", "M351", "M353", "M360")),
    "peptic_ulcer": (1, ("K25", "K26", "K27", "K28")),
    "mild_liver": (1, ("B18", "K700", "K701", "K702", "K703", "K709", "K713", "K714", "K715", "K717", "K73", "K74",
                       "K760", "K762", "K763", "K764", "K768", "K769", "Z944")),
    "diabetes_uncomplicated": (1, ("E100", "E101", "E106", "E108", "E109", "E110", "E111", "E116", "E118", "E119",
                                   "E120", "E121", "E126", "E128", "E129", "E130", "E131", "E136", "E138", "E139",
                                   "E140", "E141", "E146", "E148", "E149")),
    "diabetes_complicated": (2, ("E102", "E103", "E104", "E105", "E107", "E112", "E113", "E114", "E115", "E117",
                                 "E122", "E123", "E124", "E125", "E127", "E132", "E133", "E134", "E135", "E137",
                                 "E142", "E143", "E144", "E145", "E147")),
    "hemiplegia": (2, ("G041", "G114", "G801", "G802", "G81", "G82", "G830", "G831", "G832", "G833", "G834",
                       "G839")),
    "renal": (2, ("I120", "I131", "N032", "N033", "N034", "N035", "N036", "N037", "N052", "N053", "N054", "N055",
                  "N056", "N057", "N18", "N19", "N250", "Z490", "Z491", "Z492", "Z940", "Z992")),
    "malignancy": (2, _codes("C", (0, 26), (30, 34), (37, 41), (43, 43), (45, 58), (60, 76), (81, 85), (88, 88),
                             (90, 97))),
    "severe_liver": (3, ("I850", "I859", "I864", "I982", "K704", "K711", "K721", "K729", "K765", "K766", "K767")),
    "metastatic": (6, ("C77", "C78", "C79", "C80")),
    "hiv_aids": (6, ("B20", "B21", "B22", "B24")),
}  # fmt: skip

# What each condition is called where people read it (Charlson et al. 1987, Quan et al. 2005).
CHARLSON_NAMES: dict[str, str] = {
    "myocardial_infarction": "Myocardial infarction",
    "heart_failure": "Congestive heart failure",
    "peripheral_vascular": "Peripheral vascular disease",
    "cerebrovascular": "Cerebrovascular disease",
    "dementia": "Dementia",
    "chronic_pulmonary": "Chronic pulmonary disease",
    "rheumatic": "Rheumatic disease",
    "peptic_ulcer": "Peptic ulcer disease",
    "mild_liver": "Mild liver disease",
    "diabetes_uncomplicated": "Diabetes without chronic complications",
    "diabetes_complicated": "Diabetes with chronic complications",
    "hemiplegia": "Hemiplegia or paraplegia",
    "renal": "Renal disease",
    "malignancy": "Malignancy, including leukemia and lymphoma",
    "severe_liver": "Moderate or severe liver disease",
    "metastatic": "Metastatic solid tumor",
    "hiv_aids": "AIDS/HIV",
}


def charlson_names(keys: Iterable[str]) -> list[str]:
    """The stored condition keys (LACE detail) by name, in their order; a key not known here reads as words."""
    return [CHARLSON_NAMES.get(key) or key.replace("_", " ").capitalize() for key in keys]


# A milder and a more severe form of one disease count once, at the higher weight (Charlson's convention).
HIERARCHY = (
    ("diabetes_uncomplicated", "diabetes_complicated"),
    ("mild_liver", "severe_liver"),
    ("malignancy", "metastatic"),
)

# Common SNOMED CT concepts (as in Synthea records) for the same conditions.
CHARLSON_SNOMED: dict[str, str] = {
    "22298006": "myocardial_infarction", "401303003": "myocardial_infarction", "401314000": "myocardial_infarction",
    "84114007": "heart_failure", "88805009": "heart_failure", "42343007": "heart_failure",
    "230690007": "cerebrovascular", "422504002": "cerebrovascular",
    "26929004": "dementia", "52448006": "dementia",
    "13645005": "chronic_pulmonary", "195967001": "chronic_pulmonary", "185086009": "chronic_pulmonary",
    "87433001": "chronic_pulmonary", "233678006": "chronic_pulmonary",
    "69896004": "rheumatic",
    "44054006": "diabetes_uncomplicated", "73211009": "diabetes_uncomplicated",
    "127013003": "diabetes_complicated", "90781000119102": "diabetes_complicated",
    "368581000119106": "diabetes_complicated", "422034002": "diabetes_complicated",
    "431855005": "renal", "431856006": "renal", "433144002": "renal", "46177005": "renal",
    "254637007": "malignancy", "363406005": "malignancy", "109838007": "malignancy", "126906006": "malignancy",
    "93761005": "malignancy", "94260004": "metastatic", "86406008": "hiv_aids",
}  # fmt: skip

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED_SYSTEM = "http://snomed.info/sct"


def charlson_conditions(codes: Iterable[tuple[str, str]]) -> set[str]:
    """The Charlson conditions among (system, code) pairs; ICD-10 codes are compared without the dot."""
    found = set()
    for system, code in codes:
        if system == ICD10_SYSTEM:
            compact = code.replace(".", "").upper()
            found.update(name for name, (_, prefixes) in CHARLSON_ICD10.items() if compact.startswith(prefixes))
        elif system == SNOMED_SYSTEM and code in CHARLSON_SNOMED:
            found.add(CHARLSON_SNOMED[code])
    for milder, severe in HIERARCHY:
        if severe in found:
            found.discard(milder)
    return found


def charlson_index(codes: Iterable[tuple[str, str]]) -> int:
    return sum(CHARLSON_ICD10[name][0] for name in charlson_conditions(codes))


# --- TCM -----------------------------------------------------------------------------------------------------


def tcm_code_supported(
    *,
    discharge_day: dt.date,
    contact_day: dt.date | None,
    contact_due: dt.date,
    visit_day: dt.date | None,
    med_rec_day: dt.date | None,
    complexity: str,
) -> str | None:
    """
    99496, 99495 or None for what was documented: a timely interactive contact, medication reconciliation
    no later than the visit, and the face-to-face visit within 7 days (high) or 14 days.
    """
    if contact_day is None or contact_day > contact_due or visit_day is None or visit_day < discharge_day:
        return None
    if med_rec_day is None or med_rec_day > visit_day:
        return None
    days = (visit_day - discharge_day).days
    if complexity == Complexity.HIGH and days <= VISIT_DAYS[Complexity.HIGH]:
        return "99496"
    if days <= VISIT_DAYS[Complexity.MODERATE]:
        return "99495"
    return None
