"""
A curated slice of the NUCC Health Care Provider Taxonomy (http://nucc.org/provider-taxonomy): the codes a
care-coordination team meets most. Displays follow NUCC's "classification, specialization" wording.
A well-formed code that is not listed here is still accepted when its display is given, so the list can
stay short without blocking anyone.
"""

import re
from dataclasses import dataclass

from carecoord.core.errors import ValidationError

TAXONOMY_SYSTEM = "http://nucc.org/provider-taxonomy"
TAXONOMY_CODE_RE = re.compile(r"^[0-9]{3}[A-Z0-9]{6}X$")


@dataclass(frozen=True)
class Specialty:
    code: str
    display: str
    group: str


PHYSICIANS = "Physicians"
NURSING = "Nursing and physician assistants"
THERAPY = "Therapy and rehabilitation"
BEHAVIORAL = "Behavioral health and social services"
OTHER = "Pharmacy, nutrition and other care"

SPECIALTIES: tuple[Specialty, ...] = (
    # Allopathic & Osteopathic Physicians
    Specialty("207Q00000X", "Family Medicine", PHYSICIANS),
    Specialty("207QG0300X", "Family Medicine, Geriatric Medicine", PHYSICIANS),
    Specialty("207QH0002X", "Family Medicine, Hospice and Palliative Medicine", PHYSICIANS),
    Specialty("208D00000X", "General Practice", PHYSICIANS),
    Specialty("207R00000X", "Internal Medicine", PHYSICIANS),
    Specialty("207RC0000X", "Internal Medicine, Cardiovascular Disease", PHYSICIANS),
    Specialty("207RE0101X", "Internal Medicine, Endocrinology, Diabetes & Metabolism", PHYSICIANS),
    Specialty("207RG0100X", "Internal Medicine, Gastroenterology", PHYSICIANS),
    Specialty("207RG0300X", "Internal Medicine, Geriatric Medicine", PHYSICIANS),
    Specialty("207RH0003X", "Internal Medicine, Hematology & Oncology", PHYSICIANS),
    Specialty("207RH0002X", "Internal Medicine, Hospice and Palliative Medicine", PHYSICIANS),
    Specialty("207RI0200X", "Internal Medicine, Infectious Disease", PHYSICIANS),
    Specialty("207RX0202X", "Internal Medicine, Medical Oncology", PHYSICIANS),
    Specialty("207RN0300X", "Internal Medicine, Nephrology", PHYSICIANS),
    Specialty("207RP1001X", "Internal Medicine, Pulmonary Disease", PHYSICIANS),
    Specialty("207RR0500X", "Internal Medicine, Rheumatology", PHYSICIANS),
    Specialty("208M00000X", "Hospitalist", PHYSICIANS),
    Specialty("207P00000X", "Emergency Medicine", PHYSICIANS),
    Specialty("208000000X", "Pediatrics", PHYSICIANS),
    Specialty("207V00000X", "Obstetrics & Gynecology", PHYSICIANS),
    Specialty("2084N0400X", "Psychiatry & Neurology, Neurology", PHYSICIANS),
    Specialty("2084P0800X", "Psychiatry & Neurology, Psychiatry", PHYSICIANS),
    Specialty("2084P0805X", "Psychiatry & Neurology, Geriatric Psychiatry", PHYSICIANS),
    Specialty("2084A0401X", "Psychiatry & Neurology, Addiction Medicine", PHYSICIANS),
    Specialty("207X00000X", "Orthopaedic Surgery", PHYSICIANS),
    Specialty("208600000X", "Surgery", PHYSICIANS),
    Specialty("208800000X", "Urology", PHYSICIANS),
    Specialty("207W00000X", "Ophthalmology", PHYSICIANS),
    Specialty("207Y00000X", "Otolaryngology", PHYSICIANS),
    Specialty("207N00000X", "Dermatology", PHYSICIANS),
    Specialty("208100000X", "Physical Medicine & Rehabilitation", PHYSICIANS),
    # Nursing Service Providers; Physician Assistants & Advanced Practice Nursing Providers
    Specialty("163W00000X", "Registered Nurse", NURSING),
    Specialty("163WC0400X", "Registered Nurse, Case Management", NURSING),
    Specialty("163WH0200X", "Registered Nurse, Home Health", NURSING),
    Specialty("164W00000X", "Licensed Practical Nurse", NURSING),
    Specialty("363L00000X", "Nurse Practitioner", NURSING),
    Specialty("363LA2200X", "Nurse Practitioner, Adult Health", NURSING),
    Specialty("363LF0000X", "Nurse Practitioner, Family", NURSING),
    Specialty("363LG0600X", "Nurse Practitioner, Gerontology", NURSING),
    Specialty("363LP0808X", "Nurse Practitioner, Psychiatric/Mental Health", NURSING),
    Specialty("363A00000X", "Physician Assistant", NURSING),
    Specialty("374U00000X", "Home Health Aide", NURSING),
    # Respiratory, Developmental, Rehabilitative and Restorative Service Providers; Speech, Language and
    # Hearing Service Providers
    Specialty("225100000X", "Physical Therapist", THERAPY),
    Specialty("225200000X", "Physical Therapy Assistant", THERAPY),
    Specialty("225X00000X", "Occupational Therapist", THERAPY),
    Specialty("224Z00000X", "Occupational Therapy Assistant", THERAPY),
    Specialty("235Z00000X", "Speech-Language Pathologist", THERAPY),
    Specialty("231H00000X", "Audiologist", THERAPY),
    Specialty("227900000X", "Respiratory Therapist, Registered", THERAPY),
    # Behavioral Health & Social Service Providers; Other Service Providers
    Specialty("104100000X", "Social Worker", BEHAVIORAL),
    Specialty("1041C0700X", "Social Worker, Clinical", BEHAVIORAL),
    Specialty("103T00000X", "Psychologist", BEHAVIORAL),
    Specialty("101YM0800X", "Counselor, Mental Health", BEHAVIORAL),
    Specialty("101YA0400X", "Counselor, Addiction (Substance Use Disorder)", BEHAVIORAL),
    Specialty("106H00000X", "Marriage & Family Therapist", BEHAVIORAL),
    Specialty("171M00000X", "Case Manager/Care Coordinator", BEHAVIORAL),
    Specialty("172V00000X", "Community Health Worker", BEHAVIORAL),
    # Pharmacy, Dietary & Nutritional, Podiatric, Eye and Vision, Dental, Chiropractic
    Specialty("183500000X", "Pharmacist", OTHER),
    Specialty("133V00000X", "Dietitian, Registered", OTHER),
    Specialty("133N00000X", "Nutritionist", OTHER),
    Specialty("213E00000X", "Podiatrist", OTHER),
    Specialty("152W00000X", "Optometrist", OTHER),
    Specialty("122300000X", "Dentist", OTHER),
    Specialty("111N00000X", "Chiropractor", OTHER),
)

SPECIALTY_BY_CODE: dict[str, Specialty] = {s.code: s for s in SPECIALTIES}
SPECIALTY_GROUPS: tuple[str, ...] = (PHYSICIANS, NURSING, THERAPY, BEHAVIORAL, OTHER)


def specialty_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The curated codes grouped for a <select> with <optgroup>s, each labelled "display (code)"."""
    return [
        (group, [(s.code, f"{s.display} ({s.code})") for s in SPECIALTIES if s.group == group])
        for group in SPECIALTY_GROUPS
    ]


def specialty_display(code: str) -> str:
    """The curated display for `code`, or "" when it is not in the list."""
    specialty = SPECIALTY_BY_CODE.get(code)
    return specialty.display if specialty else ""


def resolve_specialty(code: str, display: str) -> tuple[str, str]:
    """
    Returns the (code, display) to store: a listed code takes its curated display; an unlisted code must be
    well-formed and come with its display. Raises ValidationError naming the field to fix.
    """
    code = (code or "").strip().upper()
    display = " ".join((display or "").split())
    if not code:
        if display:
            raise ValidationError(
                "Give the NUCC taxonomy code for this specialty, or leave the specialty empty.",
                field="specialty_code",
            )
        return "", ""
    if code in SPECIALTY_BY_CODE:
        return code, SPECIALTY_BY_CODE[code].display
    if not TAXONOMY_CODE_RE.match(code):
        raise ValidationError(
            f"“{code}” is not a NUCC taxonomy code: it has 10 characters and ends in X, like 207Q00000X.",
            field="specialty_code",
        )
    if not display:
        raise ValidationError(
            f"{code} is not in CareCoord's specialty list; enter its name from the NUCC code set.",
            field="specialty_display",
        )
    return code, display
