"""
Who may be named as a medication's prescriber or as the orderer of a change, stop or hold, read from the
directory entry, with no database. The specialty code is the structured answer: a NUCC Health Care Provider
Taxonomy code (http://nucc.org/provider-taxonomy, the code system of the directory's specialty and of FHIR
PractitionerRole.specialty, ../shared/STANDARDS.md 1.2). NUCC codes are hierarchical: the first four
characters name the classification and the first two the grouping, so a rule by prefix takes in every
specialization. An entry without a code is judged by its credentials (the suffix, "MD", "PA-C"...).

Prescribers here: physicians (MD, DO), nurse practitioners and other advanced practice nurses who prescribe
(clinical nurse specialists, nurse-midwives), physician assistants, dentists, podiatrists and optometrists.
Not prescribers: nurses (RN, LPN), therapists (PT, OT, speech), dietitians, social workers, psychologists,
pharmacists, aides... A listing that names no prescriber's specialty or credentials is not offered either:
completing the directory entry makes it one.
"""

import re

# (NUCC code prefix, what it is), by NUCC grouping.
PRESCRIBING_TAXONOMY: tuple[tuple[str, str], ...] = (
    ("20", "physician"),  # Allopathic & Osteopathic Physicians: every code 20xxxxxxxX
    ("363L", "nurse practitioner"),  # Physician Assistants & Advanced Practice Nursing Providers
    ("364S", "clinical nurse specialist"),
    ("367A", "advanced practice midwife"),
    ("363A", "physician assistant"),
    ("1223", "dentist"),  # Dental Providers: Dentist (not hygienists, assistants or dental therapists)
    ("213E", "podiatrist"),  # Podiatric Medicine & Surgery Service Providers
    ("152W", "optometrist"),  # Eye and Vision Services Providers (not technicians)
)

# Credentials, as written after the name (dots and case ignored), for entries with no taxonomy code.
PRESCRIBING_CREDENTIALS = frozenset(
    {"MD", "DO", "MBBS", "MBCHB", "NP", "APRN", "APN", "CRNP", "ARNP", "CNS", "CNM", "PA", "PAC", "DDS", "DMD",
     "DPM", "OD"}
)  # fmt: skip
# Nurse practitioner certifications: FNP, AGNP, PMHNP, ACNP, FNP-BC, ANP-C... (an "NP" with a focus, certified).
NP_CERTIFICATION = re.compile(r"^[A-Z]*NP(BC|C)?$")
# A doctorate in nursing practice is a degree, not a licence to prescribe (most DNPs are also NPs, and say so).
NOT_CERTIFICATIONS = frozenset({"DNP"})

KINDS = "a physician, nurse practitioner, physician assistant, dentist, podiatrist or optometrist"
# A form's answer to a choice it does not offer (a non-prescriber sent anyway, or a page older than a change).
NOT_OFFERED = (
    "Choose the prescriber from the list: it offers the directory's physicians, nurse practitioners, physician "
    "assistants, dentists, podiatrists and optometrists."
)


def _credentials(suffix: str) -> list[str]:
    return [re.sub(r"[^A-Z]", "", part.upper()) for part in re.split(r"[,;/\s]+", suffix or "") if part.strip()]


def _prescribing_credential(credential: str) -> bool:
    if credential in NOT_CERTIFICATIONS:
        return False
    return credential in PRESCRIBING_CREDENTIALS or bool(NP_CERTIFICATION.match(credential))


def judge(specialty_code: str, suffix: str) -> bool:
    """Whether a directory entry with this NUCC specialty code (else these credentials) prescribes."""
    code = (specialty_code or "").strip().upper()
    if code:
        return any(code.startswith(prefix) for prefix, _ in PRESCRIBING_TAXONOMY)
    return any(_prescribing_credential(c) for c in _credentials(suffix))


def is_prescriber(practitioner) -> bool:
    return judge(practitioner.specialty_code, practitioner.suffix)


def refusal(practitioner) -> str:
    """Why `practitioner` may not be named as a prescriber ("" when they may), naming them and what they are."""
    if is_prescriber(practitioner):
        return ""
    name = practitioner.display_name
    if practitioner.specialty_code:
        what = practitioner.specialty_display or f"NUCC taxonomy {practitioner.specialty_code}"
        return f"{name} ({what}) does not prescribe medications: choose {KINDS}."
    if practitioner.suffix.strip():
        return f"{name} does not prescribe medications ({practitioner.suffix.strip()}): choose {KINDS}."
    return (
        f"{name} has no prescriber's specialty or credentials in the directory: choose {KINDS}, "
        "or add their specialty (or credentials such as MD, NP, PA-C) to their directory entry."
    )
