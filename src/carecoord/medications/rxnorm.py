"""
A small picker list of common RxNorm concepts: ingredients (TTY IN) and a few clinical drugs (TTY SCD) with
their ingredient, so a line coded as a clinical drug still matches a line coded as its ingredient.

`sure` is False for a code written from memory that was not checked against a source on file: confirm it
in RxNav (https://mor.nlm.nih.gov/RxNav/) before relying on it. The clinical drugs marked "synthea" appear
with exactly this code and name in the vendored Synthea data (shared/data/synthea, from NLM RxNorm).
This is a convenience for typing, not a drug database: any RxCUI can be entered by hand.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RxConcept:
    rxcui: str
    name: str
    tty: str  # IN (ingredient) or SCD (semantic clinical drug)
    ingredient: str  # the ingredient RxCUI (itself for an IN)
    sure: bool = True
    checked_in: str = ""  # where the code and name were confirmed


def _in(rxcui: str, name: str, *, sure: bool = True) -> RxConcept:
    return RxConcept(rxcui, name, "IN", rxcui, sure)


def _scd(rxcui: str, name: str, ingredient: str, *, sure: bool = True, checked_in: str = "") -> RxConcept:
    return RxConcept(rxcui, name, "SCD", ingredient, sure, checked_in)


SYNTHEA = "synthea"

CONCEPTS: tuple[RxConcept, ...] = (
    _in("161", "acetaminophen"),
    _in("46041", "alendronate"),
    _in("435", "albuterol"),
    _in("519", "allopurinol"),
    _in("17767", "amlodipine"),
    _in("1364430", "apixaban"),
    _in("1191", "aspirin"),
    _in("1202", "atenolol"),
    _in("83367", "atorvastatin"),
    _in("20352", "carvedilol"),
    _in("32968", "clopidogrel"),
    _in("3322", "diazepam"),
    _in("3407", "digoxin"),
    _in("135447", "donepezil", sure=False),
    _in("1545653", "empagliflozin", sure=False),
    _in("321988", "escitalopram"),
    _in("4603", "furosemide"),
    _in("25480", "gabapentin"),
    _in("4821", "glipizide"),
    _in("5487", "hydrochlorothiazide"),
    _in("5640", "ibuprofen"),
    _in("274783", "insulin glargine", sure=False),
    _in("10582", "levothyroxine"),
    _in("29046", "lisinopril"),
    _in("6470", "lorazepam"),
    _in("52175", "losartan"),
    _in("6809", "metformin"),
    _in("6918", "metoprolol"),
    _in("88249", "montelukast"),
    _in("4917", "nitroglycerin"),
    _in("7646", "omeprazole"),
    _in("7804", "oxycodone"),
    _in("40790", "pantoprazole"),
    _in("8591", "potassium chloride", sure=False),
    _in("8640", "prednisone"),
    _in("51272", "quetiapine"),
    _in("1114195", "rivaroxaban"),
    _in("301542", "rosuvastatin"),
    _in("36437", "sertraline"),
    _in("36567", "simvastatin"),
    _in("593411", "sitagliptin", sure=False),
    _in("9997", "spironolactone"),
    _in("77492", "tamsulosin"),
    _in("10689", "tramadol"),
    _in("10737", "trazodone"),
    _in("11289", "warfarin"),
    _scd("313782", "acetaminophen 325 MG Oral Tablet", "161", checked_in=SYNTHEA),
    _scd("351137", "albuterol 0.21 MG/ML Inhalation Solution", "435", checked_in=SYNTHEA),
    _scd("904419", "alendronic acid 10 MG Oral Tablet", "46041", checked_in=SYNTHEA),
    _scd("197361", "amlodipine 5 MG Oral Tablet", "17767", sure=False),
    _scd("243670", "aspirin 81 MG Oral Tablet", "1191", checked_in=SYNTHEA),
    _scd("197591", "diazepam 5 MG Oral Tablet", "3322", checked_in=SYNTHEA),
    _scd("310798", "hydrochlorothiazide 25 MG Oral Tablet", "5487", checked_in=SYNTHEA),
    _scd("310965", "ibuprofen 200 MG Oral Tablet", "5640", checked_in=SYNTHEA),
    _scd("314076", "lisinopril 10 MG Oral Tablet", "29046", checked_in=SYNTHEA),
    _scd("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", "6809", checked_in=SYNTHEA),
    _scd("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", "6918", checked_in=SYNTHEA),
    _scd("705129", "nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", "4917", checked_in=SYNTHEA),
    _scd("314231", "simvastatin 10 MG Oral Tablet", "36567", checked_in=SYNTHEA),
    _scd("312961", "simvastatin 20 MG Oral Tablet", "36567", checked_in=SYNTHEA),
    _scd("855332", "warfarin sodium 5 MG Oral Tablet", "11289", sure=False),
)

BY_RXCUI: dict[str, RxConcept] = {concept.rxcui: concept for concept in CONCEPTS}


def ingredient_of(rxcui: str) -> str:
    """The ingredient RxCUI of a concept on the picker list, or '' for a code the list does not know."""
    concept = BY_RXCUI.get(rxcui or "")
    return concept.ingredient if concept else ""
