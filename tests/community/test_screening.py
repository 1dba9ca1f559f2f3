"""The AHC HRSN core screen: published scoring, table tests and properties, and the coded needs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.community import screening as hrsn
from carecoord.community.choices import Need
from carecoord.patients.domain import validate_condition_code

NEGATIVE = {
    "living-1": "LA31993-1",
    "living-2": ["LA9-3"],
    "food-1": "LA28398-8",
    "food-2": "LA28398-8",
    "transportation": "LA32-8",
    "utilities": "LA32-8",
    "safety-1": "1",
    "safety-2": "1",
    "safety-3": "1",
    "safety-4": "1",
}


def answers(**changes):
    return {**NEGATIVE, **{k.replace("_", "-"): v for k, v in changes.items()}}


def test_the_core_has_the_ten_published_questions_with_their_loinc_codes():
    assert [q.loinc for q in hrsn.QUESTIONS] == [
        "71802-3", "96778-6", "88122-7", "88123-5", "93030-5", "96779-4", "95618-5", "95617-7", "95616-9", "95615-1",
    ]  # fmt: skip
    assert hrsn.QUESTION_BY_ID["food-1"].text.startswith("Within the past 12 months, you worried that your food")
    assert [label for _, label in hrsn.SAFETY_ANSWERS] == ["Never", "Rarely", "Sometimes", "Fairly often", "Frequently"]


@pytest.mark.parametrize(
    ("changes", "needs", "safety"),
    [
        ({}, (), 4),
        ({"living_1": "LA31994-9"}, (Need.HOUSING_INSTABILITY,), 4),
        ({"living_1": "LA31995-6"}, (Need.HOMELESSNESS,), 4),
        ({"living_2": ["LA28580-1", "LA31998-0"]}, (Need.INADEQUATE_HOUSING,), 4),
        ({"food_1": "LA6729-3"}, (Need.FOOD_INSECURITY,), 4),  # "Sometimes true" on either item
        ({"food_2": "LA28397-0"}, (Need.FOOD_INSECURITY,), 4),
        ({"transportation": "LA33-6"}, (Need.TRANSPORTATION_INSECURITY,), 4),
        ({"utilities": "LA33-6"}, (Need.UTILITY_INSECURITY,), 4),
        ({"utilities": "LA32002-0"}, (Need.UTILITY_INSECURITY,), 4),  # already shut off
        # Safety: total above 10 is positive, exactly 10 is not.
        ({"safety_1": "3", "safety_2": "3", "safety_3": "2", "safety_4": "2"}, (), 10),
        ({"safety_1": "3", "safety_2": "3", "safety_3": "3", "safety_4": "2"}, (Need.INTERPERSONAL_SAFETY,), 11),
        ({"safety_1": "5", "safety_2": "5", "safety_3": "5", "safety_4": "5"}, (Need.INTERPERSONAL_SAFETY,), 20),
    ],
)
def test_published_scoring(changes, needs, safety):
    result = hrsn.score(answers(**changes))
    assert result.needs == needs
    assert result.safety_total == safety


def test_incomplete_or_invalid_answers_are_refused_with_the_questions_named():
    partial = dict(NEGATIVE)
    del partial["transportation"]
    with pytest.raises(hrsn.IncompleteAnswers, match="lack of reliable transportation"):
        hrsn.score(partial)
    with pytest.raises(hrsn.IncompleteAnswers, match="threaten you with harm"):
        hrsn.score(answers(safety_3="6"))
    with pytest.raises(hrsn.IncompleteAnswers, match="Think about the place"):
        hrsn.score(answers(living_2=["LA9-3", "LA28580-1"]))  # "None of the above" with a problem


@given(st.lists(st.integers(1, 5), min_size=4, max_size=4))
def test_safety_is_positive_exactly_when_the_total_is_above_ten(values):
    result = hrsn.score(answers(**{f"safety_{i + 1}": str(v) for i, v in enumerate(values)}))
    assert result.safety_total == sum(values)
    assert (Need.INTERPERSONAL_SAFETY in result.needs) == (sum(values) > 10)


@given(st.sampled_from(["LA28397-0", "LA6729-3", "LA28398-8"]), st.sampled_from(["LA28397-0", "LA6729-3", "LA28398-8"]))
def test_food_is_the_hunger_vital_sign(first, second):
    result = hrsn.score(answers(food_1=first, food_2=second))
    never = "LA28398-8"
    assert (Need.FOOD_INSECURITY in result.needs) == (first != never or second != never)


def test_every_need_the_screen_can_find_has_a_chart_code_that_the_chart_accepts():
    for need in (Need.HOUSING_INSTABILITY, Need.HOMELESSNESS, Need.INADEQUATE_HOUSING, Need.FOOD_INSECURITY,
                 Need.TRANSPORTATION_INSECURITY, Need.UTILITY_INSECURITY, Need.INTERPERSONAL_SAFETY):  # fmt: skip
        code = hrsn.NEED_CODES[need]
        assert validate_condition_code(code.system, code.code) == code.code
    assert hrsn.NEED_CODES[Need.FOOD_INSECURITY].code == "733423003"
    assert hrsn.NEED_CODES[Need.HOUSING_INSTABILITY].code == "1156191002"
    assert not hrsn.NEED_CODES[Need.INTERPERSONAL_SAFETY].verified  # marked "verify"
