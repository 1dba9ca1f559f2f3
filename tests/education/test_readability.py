"""Reading level: the syllable counts, the two formulas, and every built-in material within grade 6-8."""

import pytest

from carecoord.education.builtin_content import BUILTIN_MATERIALS
from carecoord.education.readability import (
    FERNANDEZ_HUERTA,
    FLESCH_KINCAID,
    TARGET_GRADE,
    english_syllables,
    reading_level,
    spanish_syllables,
)

# Dictionary syllable counts (Merriam-Webster). The estimate may miss a few; it must get most of them.
ENGLISH_WORDS = {
    "about": 2, "every": 3, "medicine": 3, "pressure": 2, "insulin": 3, "doctor": 2, "emergency": 4,
    "appointment": 3, "the": 1, "blood": 1, "sugar": 2, "heart": 1, "failure": 2, "kidney": 2, "asthma": 2,
    "breathing": 2, "prescribed": 2, "opioid": 3, "create": 2, "simple": 2, "table": 2, "makes": 1, "wanted": 2,
    "boxes": 2, "pages": 2, "helped": 1, "hospital": 3, "nurse": 1, "questions": 2, "pharmacy": 3, "disease": 2,
    "exercise": 3, "healthy": 2, "swelling": 2, "bleeding": 2, "dizzy": 2, "family": 3, "inhaler": 3,
    "depression": 3, "alcohol": 3, "quiet": 2, "usually": 4, "fluid": 2, "video": 3, "schedule": 2, "through": 1,
}  # fmt: skip
SPANISH_WORDS = {
    "agua": 2, "día": 2, "presión": 2, "corazón": 3, "medicina": 4, "que": 1, "hoy": 1, "muy": 1, "y": 1,
    "poeta": 3, "ciudad": 2, "reír": 2, "insulina": 4, "azúcar": 3, "sangre": 2, "río": 2, "cuidado": 3,
    "médico": 3, "guerra": 2, "aéreo": 4,
}  # fmt: skip

COMPLEX_ENGLISH = (
    "Hypertensive cardiovascular complications, including cerebrovascular accidents and myocardial "
    "infarction, demonstrate considerable epidemiological association with inadequately controlled systolic "
    "hypertension, necessitating comprehensive pharmacological intervention and continuous ambulatory "
    "monitoring in accordance with contemporary evidence-based recommendations."
)
COMPLEX_SPANISH = (
    "Las complicaciones cardiovasculares hipertensivas, incluyendo accidentes cerebrovasculares e infartos "
    "miocárdicos, demuestran considerable asociación epidemiológica con la hipertensión sistólica "
    "inadecuadamente controlada, requiriendo intervención farmacológica integral y monitorización ambulatoria "
    "continuada conforme a recomendaciones contemporáneas basadas en evidencia."
)


def test_english_syllable_estimate_matches_the_dictionary_for_most_words():
    misses = {w: english_syllables(w) for w, n in ENGLISH_WORDS.items() if english_syllables(w) != n}
    assert len(misses) <= len(ENGLISH_WORDS) // 10, misses


@pytest.mark.parametrize(("word", "count"), SPANISH_WORDS.items())
def test_spanish_syllables_follow_the_vowel_nuclei(word, count):
    assert spanish_syllables(word) == count


def test_flesch_kincaid_grade_of_plain_and_of_dense_english():
    plain = reading_level("Take your pills every day. Call us if you feel sick.", "en")
    dense = reading_level(COMPLEX_ENGLISH, "en")
    assert plain.formula == FLESCH_KINCAID
    assert plain.grade < 4
    assert dense.grade > 16
    assert dense.above_target
    assert dense.label.startswith("Grade ")
    assert "Flesch-Kincaid" in dense.label


def test_fernandez_huerta_of_plain_and_of_dense_spanish_with_its_scale():
    plain = reading_level("Tome sus pastillas cada día. Llámenos si se siente mal.", "es")
    dense = reading_level(COMPLEX_SPANISH, "es")
    assert plain.formula == FERNANDEZ_HUERTA
    assert plain.score > 80
    assert not plain.above_target
    assert dense.score < 30
    assert dense.above_target
    assert dense.band == "muy difícil"
    assert "Fernández Huerta" in dense.label
    assert "about college graduate" in dense.explanation


def test_bullets_count_as_sentences_not_as_one_long_one():
    bullets = "\n".join(f"- Take the pill number {n}" for n in range(12))
    assert reading_level(bullets, "en").sentences == 12


def test_no_formula_for_other_languages_or_empty_text():
    assert reading_level("Uống thuốc mỗi ngày.", "vi") is None
    assert reading_level("", "en") is None


def test_the_library_ships_at_least_20_topics_each_in_english_and_spanish():
    assert len(BUILTIN_MATERIALS) >= 20
    assert len({m["topic"] for m in BUILTIN_MATERIALS}) == len(BUILTIN_MATERIALS)
    for definition in BUILTIN_MATERIALS:
        assert set(definition["versions"]) >= {"en", "es"}, definition["topic"]
        for version in definition["versions"].values():
            assert version["title"], definition["topic"]
            assert version["body"].strip(), definition["topic"]


@pytest.mark.parametrize("definition", BUILTIN_MATERIALS, ids=lambda d: d["topic"])
def test_every_builtin_english_material_is_at_or_below_grade_8(definition):
    version = definition["versions"]["en"]
    level = reading_level(version["title"] + "\n\n" + version["body"], "en")
    assert level.grade <= TARGET_GRADE, f"{definition['topic']}: {level.label}"


@pytest.mark.parametrize("definition", BUILTIN_MATERIALS, ids=lambda d: d["topic"])
def test_every_builtin_spanish_material_reads_fairly_easy_or_easier(definition):
    version = definition["versions"]["es"]
    level = reading_level(version["title"] + "\n\n" + version["body"], "es")
    assert level.score >= 70, f"{definition['topic']}: {level.label}"
    assert not level.above_target, f"{definition['topic']}: {level.label}"
