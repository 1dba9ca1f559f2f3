"""The pure rules: matching materials to a patient, the safe markup, and the PDF check. No database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.education.domain import (
    MaterialFacts,
    PatientFacts,
    Reason,
    material_reasons,
    normalize_icd10,
    pdf_problem,
    suggest,
)
from carecoord.education.markup import BULLETS, HEADING, PARAGRAPH, SUBHEADING, parse, to_html, to_plain


def material(topic, language="en", **tags):
    return MaterialFacts(key=f"{topic}/{language}", topic=topic, language=language, title=topic, **tags)


DIABETES_EN = material("diabetes", "en", icd10_prefixes=("E11",))
DIABETES_ES = material("diabetes", "es", icd10_prefixes=("E11",))
HEART_EN = material("heart-failure", "en", icd10_prefixes=("I50",), snomed_codes=("84114007",))
WARFARIN_EN = material("blood-thinners", "en", rxnorm_codes=("11289",))
DISCHARGE_EN = material("after-the-hospital", "en", careplan_categories=("post_discharge",))
DISCHARGE_ES = material("after-the-hospital", "es", careplan_categories=("post_discharge",))
LIBRARY = [DIABETES_EN, DIABETES_ES, HEART_EN, WARFARIN_EN, DISCHARGE_EN, DISCHARGE_ES]


@pytest.mark.parametrize(("code", "normalized"), [("e11.65", "E1165"), ("E11.9", "E119"), (" I50 ", "I50"), ("", "")])
def test_icd10_codes_compare_without_dots_or_case(code, normalized):
    assert normalize_icd10(code) == normalized


@pytest.mark.parametrize(
    ("prefixes", "code", "matches"),
    [
        (("E11",), "E11.65", True),
        (("E11",), "E11.9", True),
        (("E11.6",), "E11.65", True),
        (("E11.6",), "E11.9", False),
        (("E11",), "E10.9", False),
        (("e11",), "E11.9", True),
    ],
)
def test_icd10_prefixes_match_codes_that_start_with_them(prefixes, code, matches):
    facts = material("t", icd10_prefixes=prefixes)
    assert bool(material_reasons(facts, PatientFacts(icd10_codes=(code,)))) is matches


def test_a_reason_names_the_patients_code_as_charted():
    assert material_reasons(DIABETES_EN, PatientFacts(icd10_codes=("e11.65",))) == (Reason("condition", "E11.65"),)


def test_snomed_and_rxnorm_codes_match_exactly_not_by_prefix():
    assert material_reasons(HEART_EN, PatientFacts(snomed_codes=("84114007",))) == (Reason("condition", "84114007"),)
    assert material_reasons(HEART_EN, PatientFacts(snomed_codes=("8411400",))) == ()
    assert material_reasons(WARFARIN_EN, PatientFacts(rxnorm_codes=("11289",))) == (Reason("medication", "11289"),)
    assert material_reasons(WARFARIN_EN, PatientFacts(rxnorm_codes=("112890",))) == ()


def test_a_reason_reads_as_a_person_names_it_not_as_codes():
    medicine_list = material("medication-list", icd10_prefixes=("Z79",), careplan_categories=("chronic",))
    names = {
        ("condition", "Z79.84"): "Long term (current) use of oral hypoglycemic drugs",
        ("careplan", "chronic"): "Chronic condition management",
    }
    patient = PatientFacts(icd10_codes=("z79.84",), careplan_categories=("chronic",), names=names)
    (suggestion,) = suggest([medicine_list], patient)
    assert suggestion.why == (
        "Long term (current) use of oral hypoglycemic drugs (Z79.84); care plan program: Chronic condition management"
    )
    warfarin = PatientFacts(rxnorm_codes=("11289",), names={("medication", "11289"): "warfarin 5 MG Oral Tablet"})
    assert material_reasons(WARFARIN_EN, warfarin)[0].text == "medicine: warfarin 5 MG Oral Tablet (RxNorm 11289)"
    # Without a name the code still says what it is.
    assert material_reasons(WARFARIN_EN, PatientFacts(rxnorm_codes=("11289",)))[0].text == "medicine RxNorm 11289"
    assert material_reasons(DIABETES_EN, PatientFacts(icd10_codes=("E11.9",)))[0].text == "condition E11.9"


def test_a_spanish_speaker_gets_the_spanish_version_first():
    patient = PatientFacts(language="es", icd10_codes=("E11.9", "I50.9"))
    suggestions = suggest(LIBRARY, patient)
    assert [(s.material.topic, s.material.language) for s in suggestions] == [
        ("diabetes", "es"),
        ("heart-failure", "en"),
    ]
    assert suggestions[0].in_patient_language
    assert suggestions[0].other_languages == ("en",)
    assert suggestions[1].is_fallback  # no Spanish heart-failure material: the English one, flagged


def test_an_english_speaker_never_gets_the_spanish_version():
    suggestions = suggest(LIBRARY, PatientFacts(language="en", icd10_codes=("E11.9",)))
    assert [(s.material.topic, s.material.language) for s in suggestions] == [("diabetes", "en")]


def test_a_topic_without_the_patients_language_or_english_is_not_suggested():
    vietnamese_only = material("diabetes-vi", "vi", icd10_prefixes=("E11",))
    assert suggest([vietnamese_only], PatientFacts(language="es", icd10_codes=("E11.9",))) == []


def test_clinical_matches_rank_before_care_plan_categories_and_more_reasons_first():
    patient = PatientFacts(
        language="en", icd10_codes=("E11.9",), rxnorm_codes=("11289",), careplan_categories=("post_discharge",)
    )
    both = material("both", icd10_prefixes=("E11",), rxnorm_codes=("11289",))
    topics = [s.material.topic for s in suggest([*LIBRARY, both], patient)]
    assert topics[0] == "both"
    assert topics[-1] == "after-the-hospital"


def test_among_equal_matches_the_more_focused_material_comes_first():
    patient = PatientFacts(language="en", icd10_codes=("E11.9",))
    diet = material("a-diet", icd10_prefixes=("E11", "E66", "E78", "I10"))
    basics = material("z-basics", icd10_prefixes=("E10", "E11", "E11.6", "E13"))
    assert [s.material.topic for s in suggest([diet, basics], patient)] == ["z-basics", "a-diet"]


def test_a_patient_with_nothing_coded_gets_no_suggestions():
    assert suggest(LIBRARY, PatientFacts(language="es")) == []


languages = st.sampled_from(["en", "es", "vi"])
codes = st.sampled_from(["E11.9", "E10.1", "I50.9", "J45.909", "N18.3"])


@given(
    patient_language=languages,
    patient_codes=st.lists(codes, max_size=4),
    library=st.lists(
        st.builds(
            lambda topic, language, prefixes: material(topic, language, icd10_prefixes=tuple(prefixes)),
            st.sampled_from(["a", "b", "c", "d"]),
            languages,
            st.lists(st.sampled_from(["E11", "E1", "I50", "J45", "N18", "Z79"]), max_size=3),
        ),
        max_size=12,
    ),
)
def test_properties_of_suggestions(patient_language, patient_codes, library):
    patient = PatientFacts(language=patient_language, icd10_codes=tuple(patient_codes))
    suggestions = suggest(library, patient)
    topics = [s.material.topic for s in suggestions]
    assert len(topics) == len(set(topics)), "one suggestion per topic"
    for s in suggestions:
        assert s.reasons, "every suggestion says why"
        assert s.material.language in (patient_language, "en")
        if s.material.language != patient_language:
            # English only when the topic has no version in the patient's language
            assert not any(m.topic == s.material.topic and m.language == patient_language for m in library)
    flags = [s.in_patient_language for s in suggestions]
    assert flags == sorted(flags, reverse=True), "the patient's language first"


# The safe markup ---------------------------------------------------------------------------------------------


def test_markup_parses_headings_paragraphs_and_bullet_lists():
    text = "# Eat well\nFill half your plate\nwith vegetables.\n\n- Drink water\n* Walk daily\n## Ask us\nCall."
    assert [b.kind for b in parse(text)] == [HEADING, PARAGRAPH, BULLETS, SUBHEADING, PARAGRAPH]
    assert parse(text)[1].text == "Fill half your plate with vegetables."
    assert parse(text)[2].items == ("Drink water", "Walk daily")


def test_markup_renders_html_from_a_small_set_of_tags_with_everything_escaped():
    html = to_html('# Hi <b>\n<script>alert("x")</script> **bold** & <a href="javascript:x">y</a>\n\n- <img src=x>')
    assert "<script>" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x&gt;" in html
    assert "<h2>Hi &lt;b&gt;</h2>" in html
    assert "<strong>bold</strong>" in html


@given(st.text(max_size=300))
def test_no_input_makes_markup_emit_a_tag_it_does_not_write(text):
    html = to_html(text)
    for tag in ("<script", "<img", "<a ", "<iframe", "<style", "<svg", "<div"):
        assert tag not in html.lower()


def test_plain_text_closes_headings_and_bullets_as_sentences_for_the_formulas():
    assert to_plain("# Tips\n- Drink water\n- Walk!", bullets=False) == "Tips.\n\nDrink water.\nWalk!"
    assert to_plain("# Tips\n- Drink **water**") == "TIPS\n\n- Drink water."


@pytest.mark.parametrize(
    ("head", "size", "ok"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", 2000, True),
        (b"\n%PDF-1.4", 10, True),
        (b"PK\x03\x04", 2000, False),  # a zip (docx)
        (b"<html><script>", 100, False),
        (b"%PDF-1.7", 10 * 1024 * 1024 + 1, False),
    ],
)
def test_only_real_pdfs_of_at_most_10_mb_are_accepted(head, size, ok):
    assert (pdf_problem(head, size) == "") is ok
