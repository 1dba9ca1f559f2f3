"""
One ingredient in two products (a walkthrough at a nursing home: "Metoprolol tartrate 25 mg BID" against
"Metoprolol succinate ER 25 mg daily" was shown as differing in frequency only): the lines stay one row, and
the row says the formulation differs (salt, release or dose form), and how.
"""

import pytest
from django.urls import reverse

from carecoord.medications import domain, services
from carecoord.medications.domain import CHANGED, MATCHED, Line


def line(ref, display, **values) -> Line:
    return Line(ref=ref, display=display, **values)


def test_tartrate_against_succinate_er_is_one_row_flagged_as_a_formulation_difference():
    mar = [line("m", "Metoprolol tartrate 25 mg", ingredient_code="6918", dose="25 mg", frequency_code="bid")]
    outside = [line("o", "Metoprolol succinate ER 25 mg", ingredient_code="6918", dose="25 mg", frequency_code="daily")]
    (row,) = domain.compare([mar, outside])
    assert [e.ref for e in row.entries] == ["m", "o"]  # still paired: the coordinator decides
    assert row.kind == CHANGED
    assert row.changed == {"formulation", "frequency"}
    assert row.formulation == "tartrate vs succinate ER"
    assert row.differs == "formulation (tartrate vs succinate ER), frequency"


def test_a_formulation_difference_alone_is_a_change_not_a_match():
    # Same dose and frequency: without the formulation the row would match and be continued by default.
    a = [line("a", "Metoprolol tartrate 25 mg", ingredient_code="6918", dose="25 mg", frequency_code="daily")]
    b = [line("b", "metoprolol succinate ER 25 mg", ingredient_code="6918", dose="25 mg", frequency_code="daily")]
    (row,) = domain.compare([a, b])
    assert (row.kind, row.changed, row.differs) == (CHANGED, {"formulation"}, "formulation (tartrate vs succinate ER)")


@pytest.mark.parametrize(
    ("left", "right", "how"),
    [
        ("Metformin 500 mg", "Metformin ER 500 mg", "immediate release vs ER"),
        ("metformin hydrochloride 500 MG Oral Tablet",
         "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", "immediate release vs ER"),
        ("Nifedipine 30 mg", "nifedipine CR 30 mg", "immediate release vs CR"),
        ("Diltiazem LA 240 mg", "diltiazem 60 mg tab", "LA vs immediate release"),
        ("Bupropion SR 150 mg", "bupropion XL 150 mg", "SR vs XL"),
        ("12 HR venlafaxine Extended Release Oral Tablet", "24 HR venlafaxine Extended Release Oral Capsule",
         "12 HR ER tablet vs 24 HR ER capsule"),
        ("Divalproex sodium DR 250 mg", "divalproex sodium ER 250 mg", "DR vs ER"),
        ("Aspirin 81 mg chewable", "aspirin 81 MG Oral Tablet", "chewable tablet vs tablet"),
        ("Levetiracetam 500 mg tablet", "levetiracetam 100 mg/mL oral solution", "tablet vs solution"),
        ("Diclofenac sodium 50 mg", "diclofenac potassium 50 mg", "sodium vs potassium"),
    ],
)  # fmt: skip
def test_release_salt_and_dose_form_differences_are_named(left, right, how):
    assert domain.formulation_difference(line("a", left), line("b", right)) == how


@pytest.mark.parametrize(
    ("left", "right"),
    [
        # The same product spelled differently.
        ("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", "metoprolol succinate ER 100 mg"),
        ("metoprolol succinate XL 100 mg", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet"),
        ("Metoprolol Tartrate 25 mg tab", "metoprolol tartrate 25 MG Oral Tablet"),
        ("Metformin HCl 500 mg", "metformin hydrochloride 500 MG Oral Tablet"),
        ("Acetaminophen 325 MG Oral Tablet [Tylenol]", "acetaminophen 325 mg tabs"),
        ("Levothyroxine sodium 50 mcg", "levothyroxine sodium 0.05 MG Oral Tablet"),
        ("Sertraline hydrochloride 50 mg", "sertraline HCl 50 mg"),
        ("Calcium acetate monohydrate 667 mg", "calcium acetate 667 mg"),
        # What only one name says is unknown on the other, not a difference.
        ("Metoprolol 25 mg", "Metoprolol tartrate 25 mg"),
        ("warfarin 5 mg", "warfarin sodium 5 MG Oral Tablet"),
        ("Lisinopril 10mg", "lisinopril 10 MG Oral Tablet"),
        ("Potassium chloride 20 mEq", "potassium chloride 20 mEq oral solution"),
        # Delayed release is often left unsaid (omeprazole exists that way).
        ("omeprazole 20 mg", "omeprazole 20 MG Delayed Release Oral Capsule"),
    ],
)  # fmt: skip
def test_the_same_product_however_written_is_not_flagged(left, right):
    assert domain.formulation_difference(line("a", left), line("b", right)) == ""
    assert domain.formulation_difference(line("b", right), line("a", left)) == ""


def test_the_rxnorm_name_against_a_handwritten_line_of_the_same_product_matches():
    discharge = [line("d", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", rxnorm_code="866412",
                      ingredient_code="6918", dose="100 mg", frequency_code="daily")]  # fmt: skip
    mar = [line("m", "metoprolol succinate ER 100 mg", ingredient_code="6918", dose="100 mg", frequency_code="daily")]
    (row,) = domain.compare([discharge, mar])
    assert (row.kind, row.changed, row.formulation, row.differs) == (MATCHED, frozenset(), "", "")


def test_the_same_rxnorm_code_is_the_same_product_whatever_the_names_say():
    a = line("a", "Metformin 500 mg", rxnorm_code="860975")
    b = line("b", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", rxnorm_code="860975")
    assert domain.formulation_difference(a, b) == ""


def test_three_lists_name_each_formulation_difference_against_the_base():
    base = [line("d", "Metoprolol tartrate 25 mg", ingredient_code="6918")]
    mar = [line("m", "metoprolol succinate ER 25 mg", ingredient_code="6918")]
    clinic = [line("c", "Metoprolol tartrate 25 MG Oral Tablet", ingredient_code="6918")]
    (row,) = domain.compare([base, mar, clinic])
    assert row.changed == {"formulation"}
    assert row.formulation == "tartrate vs succinate ER"


def test_the_reconciliation_page_shows_the_formulation_next_to_the_other_differences(
    client_for, actor, patient, discharge, mar
):
    reconciliation = services.reconciliation_start(actor=actor, patient=patient, base_list=discharge,
                                                   other_lists=[mar])  # fmt: skip
    url = reverse("medications:reconciliation_detail", args=[reconciliation.public_id])
    page = client_for(actor).get(url).content.decode()
    assert "Differs: formulation (succinate ER vs tartrate), dose, frequency" in page
    assert page.count("Differs: formulation") == 1  # lisinopril, matched, says nothing
