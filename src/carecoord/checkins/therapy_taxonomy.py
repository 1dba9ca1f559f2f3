"""
Who may be the therapist of a therapy plan of care, read from the practitioner's NUCC Health Care Provider
Taxonomy code (directory.Practitioner.specialty_code; ../shared/STANDARDS.md, PractitionerRole.specialty,
"NUCC taxonomy"; code system http://nucc.org/provider-taxonomy, as directory/taxonomy.py). Credentials typed
after a name are free text and are not read.

  PT   225100000X Physical Therapist and its specializations (2251...), 225200000X Physical Therapy Assistant
  OT   225X00000X Occupational Therapist and its specializations (225X...), 224Z00000X Occupational Therapy
       Assistant and its specializations (224Z...)
  SLP  235Z00000X Speech-Language Pathologist, 2355S0801X Speech-Language Assistant

Audiologists, respiratory therapists, physicians (physical medicine and rehabilitation too), nurses and
pharmacists are not therapists of a PT/OT/SLP plan.
"""

from .choices import TherapyDiscipline

THERAPIST_TAXONOMY_PREFIXES: dict[str, tuple[str, ...]] = {
    TherapyDiscipline.PT: ("2251", "2252"),
    TherapyDiscipline.OT: ("225X", "224Z"),
    TherapyDiscipline.SLP: ("235Z", "2355S0801X"),
}
ALL_THERAPIST_PREFIXES: tuple[str, ...] = tuple(p for ps in THERAPIST_TAXONOMY_PREFIXES.values() for p in ps)

# Who each discipline's plan takes, for messages and the form's groups.
THERAPIST_WORDS = {
    TherapyDiscipline.PT: "a physical therapist or physical therapy assistant",
    TherapyDiscipline.OT: "an occupational therapist or occupational therapy assistant",
    TherapyDiscipline.SLP: "a speech-language pathologist or speech-language assistant",
}
THERAPIST_GROUPS = {
    TherapyDiscipline.PT: "Physical therapy",
    TherapyDiscipline.OT: "Occupational therapy",
    TherapyDiscipline.SLP: "Speech-language pathology",
}
NOT_A_THERAPIST = (
    "Choose a physical or occupational therapist, a speech-language pathologist or a therapy assistant as the "
    "therapist (by their specialty in the directory)."
)


def therapist_discipline(specialty_code: str) -> str | None:
    """The discipline (TherapyDiscipline value) a NUCC code treats in, or None for anyone else."""
    code = (specialty_code or "").strip().upper()
    for discipline, prefixes in THERAPIST_TAXONOMY_PREFIXES.items():
        if code.startswith(prefixes):
            return str(discipline)
    return None


def therapist_problem(practitioner, discipline: str) -> str:
    """Why `practitioner` cannot be the therapist of a `discipline` plan, or "" when they can."""
    theirs = therapist_discipline(practitioner.specialty_code)
    name = practitioner.display_name
    specialty = practitioner.specialty_display or "no specialty in the directory"
    if theirs is None:
        return f"{name} ({specialty}) is not a therapist. {NOT_A_THERAPIST}"
    if discipline in THERAPIST_TAXONOMY_PREFIXES and theirs != discipline:
        plan = TherapyDiscipline(discipline).label.lower()
        group = THERAPIST_GROUPS[theirs].lower()
        return f"{name} is in {group} ({specialty}): a {plan} plan needs {THERAPIST_WORDS[discipline]}."
    return ""


def group_by_discipline(practitioners) -> list[tuple[str, list]]:
    """Therapists under their discipline's name (PT, OT, SLP, in that order), each group in the given order."""
    groups: dict[str, list] = {str(d): [] for d in THERAPIST_TAXONOMY_PREFIXES}
    for practitioner in practitioners:
        discipline = therapist_discipline(practitioner.specialty_code)
        if discipline is not None:
            groups[discipline].append(practitioner)
    return [(THERAPIST_GROUPS[d], people) for d, people in groups.items() if people]
