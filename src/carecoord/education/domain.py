"""
Which education materials suit a patient. Pure rules, no database:

  normalize_icd10(code) -> str          "e11.65" -> "E1165" (prefixes compare without the dot)
  material_reasons(material, patient)   why one material fits: conditions, medicines, care-plan categories,
                                        each named as a person reads it (`Reason.text`, `Suggestion.why`)
  suggest(materials, patient)           one suggestion per topic, in the patient's language when there is a
                                        version in it (else English, flagged), best matches first: the
                                        patient's language, clinical reasons, more reasons, then materials
                                        about fewer conditions (more focused), then title

A material tags ICD-10-CM code prefixes ("E11" matches E11.9 and E11.65), SNOMED CT codes (exact: SNOMED's
hierarchy is not in its codes, so a prefix means nothing), RxNorm codes (exact) and care-plan categories.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FALLBACK_LANGUAGE = "en"
PDF_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def normalize_icd10(code: str) -> str:
    return (code or "").replace(".", "").replace(" ", "").upper()


@dataclass(frozen=True)
class MaterialFacts:
    """What matching needs to know of a material."""

    key: object  # the caller's handle on the material (its id)
    topic: str
    language: str
    title: str = ""
    icd10_prefixes: tuple[str, ...] = ()
    snomed_codes: tuple[str, ...] = ()
    rxnorm_codes: tuple[str, ...] = ()
    careplan_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientFacts:
    """What matching needs to know of a patient: coded problems, medicines, plan categories, language."""

    language: str = "en"
    icd10_codes: tuple[str, ...] = ()
    snomed_codes: tuple[str, ...] = ()
    rxnorm_codes: tuple[str, ...] = ()
    careplan_categories: tuple[str, ...] = ()
    # What a person reads for a (kind, code): the condition's or medicine's display, the plan category's label.
    names: Mapping[tuple[str, str], str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Reason:
    kind: str  # "condition", "medication" or "careplan"
    code: str
    name: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        """The reason as a coordinator reads it: "Type 2 diabetes mellitus (E11.9)", "care plan program: ..."."""
        if self.kind == "careplan":
            return f"care plan program: {self.name or self.code}"
        if self.kind == "medication":
            return f"medicine: {self.name} (RxNorm {self.code})" if self.name else f"medicine RxNorm {self.code}"
        return f"{self.name} ({self.code})" if self.name else f"condition {self.code}"


@dataclass(frozen=True)
class Suggestion:
    material: MaterialFacts
    reasons: tuple[Reason, ...]
    in_patient_language: bool
    other_languages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_fallback(self) -> bool:
        """Shown in English because the topic has no version in the patient's language."""
        return not self.in_patient_language

    @property
    def why(self) -> str:
        return "; ".join(reason.text for reason in self.reasons)


def material_reasons(material: MaterialFacts, patient: PatientFacts) -> tuple[Reason, ...]:
    """Every reason the material fits the patient (empty when it does not)."""
    names = patient.names

    def reason(kind: str, code: str) -> Reason:
        return Reason(kind, code, names.get((kind, code), ""))

    reasons: list[Reason] = []
    codes = sorted({(c.strip().upper(), normalize_icd10(c)) for c in patient.icd10_codes if c})
    for prefix in material.icd10_prefixes:
        wanted = normalize_icd10(prefix)
        reasons.extend(reason("condition", code) for code, bare in codes if wanted and bare.startswith(wanted))
    snomed = set(patient.snomed_codes)
    reasons.extend(reason("condition", code) for code in material.snomed_codes if code in snomed)
    rxnorm = set(patient.rxnorm_codes)
    reasons.extend(reason("medication", code) for code in material.rxnorm_codes if code in rxnorm)
    categories = set(patient.careplan_categories)
    reasons.extend(reason("careplan", c) for c in material.careplan_categories if c in categories)
    return tuple(dict.fromkeys(reasons))  # one reason per code, in order


def breadth(material: MaterialFacts) -> int:
    """How many conditions a material is about: the distinct ICD-10-CM categories (first 3 characters) it tags."""
    return len({normalize_icd10(prefix)[:3] for prefix in material.icd10_prefixes if prefix})


def _rank(suggestion: Suggestion) -> tuple:
    kinds = {reason.kind for reason in suggestion.reasons}
    return (
        not suggestion.in_patient_language,  # the patient's language first
        "condition" not in kinds and "medication" not in kinds,  # clinical matches before plan categories
        -len(suggestion.reasons),
        breadth(suggestion.material),  # a handout about diabetes before one about diet for five conditions
        suggestion.material.title.lower(),
        suggestion.material.topic,
    )


def suggest(materials: Iterable[MaterialFacts], patient: PatientFacts) -> list[Suggestion]:
    """
    One suggestion per matching topic: the version in the patient's language, else the English one (marked as
    a fallback), else none. Patient-language suggestions come first, then the most specific matches.
    """
    by_topic: dict[str, dict[str, MaterialFacts]] = {}
    for material in materials:
        by_topic.setdefault(material.topic, {}).setdefault(material.language, material)
    suggestions = []
    for versions in by_topic.values():
        chosen = versions.get(patient.language) or versions.get(FALLBACK_LANGUAGE)
        if chosen is None:
            continue
        # A topic's versions carry the same tags in principle; any version's match counts for the topic.
        reasons = material_reasons(chosen, patient) or next(
            (r for r in (material_reasons(v, patient) for v in versions.values()) if r), ()
        )
        if not reasons:
            continue
        others = tuple(sorted(lang for lang in versions if lang != chosen.language))
        suggestions.append(Suggestion(chosen, reasons, chosen.language == patient.language, others))
    return sorted(suggestions, key=_rank)


def pdf_problem(head: bytes, size: int | None) -> str:
    """Why an upload is not an acceptable PDF ("" when it is): at most 10 MB, starting with %PDF-."""
    if size is not None and size > PDF_MAX_BYTES:
        return "The PDF is larger than 10 MB. Upload a smaller file."
    if not head.lstrip(b"\x00\t\r\n ").startswith(PDF_MAGIC):
        return "That file is not a PDF. Upload a PDF document."
    return ""
