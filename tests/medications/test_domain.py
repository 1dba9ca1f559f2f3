"""The pure rules of medications: RxCUI checks, name and dose normalizing, the reconciliation diff, flags."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.medications import domain, rxnorm
from carecoord.medications.domain import CHANGED, MATCHED, MISSING, NEW, Line


def line(ref, display, **values) -> Line:
    return Line(ref=ref, display=display, **values)


@pytest.mark.parametrize(
    ("code", "valid"),
    [("29046", True), ("6809", True), ("1364430", True), ("", False), ("0123", False), ("29046a", False),
     ("12 34", False), ("-5", False), ("12345678901", False), ("٣٤٥", False)],
)  # fmt: skip
def test_an_rxcui_is_digits_only(code, valid):
    assert domain.valid_rxcui(code) is valid


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", "metformin"),
        ("metformin 1000mg BID", "metformin"),
        ("Metoprolol Tartrate 25 mg tab", "metoprolol"),
        ("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", "metoprolol"),
        ("Acetaminophen 325 MG Oral Tablet [Tylenol]", "acetaminophen"),
        ("Potassium chloride 20 mEq", "potassium chloride"),
        ("insulin glargine 100 unit/mL pen", "insulin glargine"),
        ("Atorvastatin calcium 40 mg at bedtime", "atorvastatin"),
    ],
)
def test_names_lose_strength_form_frequency_and_salt(display, name):
    assert domain.normalized_name(display) == name


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("10 mg", "10MG", True), (" 10  mg ", "10 mg", True), (".5 mg", "0.5 mg", True), ("5.0 mg", "5 mg", True),
     ("10 mg", "20 mg", False), ("1 tablet", "2 tablets", False), ("0.125 mg", "0.25 mg", False)],
)  # fmt: skip
def test_doses_compare_regardless_of_spacing_and_case(a, b, same):
    assert (domain.normalized_dose(a) == domain.normalized_dose(b)) is same


@pytest.mark.parametrize(
    ("code", "text", "key"),
    [("bid", "", "bid"), ("", "BID", "bid"), ("", "twice a day", "bid"), ("", "every 8 hours", "tid"),
     ("other", "Mon/Wed/Fri", "monwedfri"), ("prn", "as needed for pain", "prn"), ("", "", "")],
)  # fmt: skip
def test_frequency_text_is_read_when_there_is_no_structured_choice(code, text, key):
    assert domain.frequency_key(code, text) == key


# The reconciliation diff: a discharge list against a nursing home MAR (and an outside cardiologist). --------------

DISCHARGE = [
    line("d1", "lisinopril 10 MG Oral Tablet", rxnorm_code="314076", ingredient_code="29046", dose="10 mg",
         frequency_code="daily", route_code="26643006"),
    line("d2", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", rxnorm_code="866412",
         ingredient_code="6918", dose="100 mg", frequency_code="daily"),
    line("d3", "Furosemide 40 mg", ingredient_code="4603", dose="40 mg", frequency_code="bid"),
    line("d4", "Apixaban 5 mg", rxnorm_code="1364430", ingredient_code="1364430", dose="5 mg", frequency_code="bid"),
]  # fmt: skip
MAR = [
    line("m1", "Lisinopril 10mg", dose="10MG", frequency_text="once daily", route_code="26643006"),
    line("m2", "Metoprolol tartrate 25 mg", ingredient_code="6918", dose="25 mg", frequency_code="bid"),
    line("m3", "furosemide", ingredient_code="4603", dose="40 mg", frequency_code="daily"),
    line("m4", "Warfarin 5 mg", ingredient_code="11289", dose="5 mg", frequency_code="daily"),
]  # fmt: skip


def by_name(rows):
    return {domain.normalized_name(row.name): row for row in rows}


def test_a_discharge_list_against_a_mar_shows_matched_changed_new_and_missing():
    rows = by_name(domain.compare([DISCHARGE, MAR]))
    assert rows["lisinopril"].kind == MATCHED  # ingredient code on one side, the name on the other
    assert rows["metoprolol"].kind == CHANGED
    assert rows["metoprolol"].changed == {"formulation", "dose", "frequency"}  # tartrate vs succinate ER
    assert rows["furosemide"].changed == {"frequency"}
    assert rows["apixaban"].kind == NEW
    assert rows["warfarin"].kind == MISSING
    assert [e.ref if e else None for e in rows["warfarin"].entries] == [None, "m4"]
    assert [row.kind for row in domain.compare([DISCHARGE, MAR])] == [CHANGED, CHANGED, NEW, MISSING, MATCHED]


def test_three_lists_side_by_side():
    cardiology = [line("c1", "metoprolol succinate ER", ingredient_code="6918", dose="100 mg", frequency_code="daily"),
                  line("c2", "Atorvastatin 40 mg", ingredient_code="83367", dose="40 mg")]  # fmt: skip
    rows = by_name(domain.compare([DISCHARGE, MAR, cardiology]))
    assert [e.ref if e else None for e in rows["metoprolol"].entries] == ["d2", "m2", "c1"]
    assert rows["metoprolol"].kind == CHANGED  # the MAR differs even though the cardiologist agrees
    assert rows["atorvastatin"].kind == MISSING
    assert rows["atorvastatin"].absent_from == (0, 1)
    assert rows["lisinopril"].absent_from == (2,)


def test_a_blank_field_is_unknown_not_a_change_and_status_differences_count():
    a = [line("a", "Aspirin 81 mg", ingredient_code="1191", dose="81 mg")]
    b = [line("b", "aspirin", ingredient_code="1191", frequency_code="daily", status="stopped")]
    (row,) = domain.compare([a, b])
    assert row.changed == {"status"}


def test_names_never_join_lines_whose_ingredient_codes_differ():
    a = [line("a", "Metformin 500 mg", ingredient_code="6809")]
    b = [line("b", "Metformin 500 mg", ingredient_code="99999")]
    assert sorted(row.kind for row in domain.compare([a, b])) == [MISSING, NEW]


def test_a_medication_named_twice_on_one_list_gets_two_rows_and_entered_in_error_lines_are_left_out():
    a = [line("a1", "warfarin 1 mg", ingredient_code="11289"), line("a2", "warfarin 2 mg", ingredient_code="11289")]
    b = [line("b1", "warfarin", ingredient_code="11289"), line("b2", "Digoxin", status="entered-in-error")]
    rows = {row.key: row for row in domain.compare([a, b])}
    assert rows.keys() == {"in:11289#0", "in:11289#1"}
    assert [e.ref if e else None for e in rows["in:11289#0"].entries] == ["a1", "b1"]
    assert rows["in:11289#1"].kind == NEW


def test_a_comparison_needs_a_list():
    with pytest.raises(ValueError, match="at least one list"):
        domain.compare([])


def test_a_single_list_is_reviewed_on_its_own_every_line_a_row():
    twice = [
        *DISCHARGE,
        line("d5", "warfarin 1 mg", ingredient_code="11289"),
        line("d6", "warfarin 2 mg", ingredient_code="11289"),
        line("d7", "Digoxin", status="entered-in-error"),
    ]
    rows = domain.compare([twice])
    assert sorted(row.entries[0].ref for row in rows) == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert {row.kind for row in rows} == {NEW}
    assert all(len(row.entries) == 1 and not row.changed for row in rows)


# Properties --------------------------------------------------------------------------------------------------

NAMES = ["lisinopril", "metformin", "Metoprolol tartrate", "metoprolol succinate", "warfarin", "aspirin", "digoxin"]
INGREDIENTS = {"lisinopril": "29046", "metformin": "6809", "warfarin": "11289", "aspirin": "1191"}


@st.composite
def lines(draw, prefix: str):
    count = draw(st.integers(0, 6))
    found = []
    for i in range(count):
        name = draw(st.sampled_from(NAMES))
        coded = draw(st.booleans())
        found.append(
            Line(
                ref=f"{prefix}{i}",
                display=f"{name} {draw(st.sampled_from(['5 mg', '10 MG', '']))}",
                ingredient_code=INGREDIENTS.get(name, "") if coded else "",
                dose=draw(st.sampled_from(["5 mg", "10 mg", "10MG", ""])),
                frequency_code=draw(st.sampled_from(["", "daily", "bid", "prn"])),
                route_code=draw(st.sampled_from(["", "26643006", "34206005"])),
                status=draw(st.sampled_from(["active", "stopped", "active", "intended"])),
            )
        )
    return found


@given(lines("a"), lines("b"), lines("c"))
def test_every_line_is_in_exactly_one_row(a, b, c):
    rows = domain.compare([a, b, c])
    refs = [entry.ref for row in rows for entry in row.present]
    assert sorted(refs) == sorted(x.ref for x in a + b + c)
    assert len({row.key for row in rows}) == len(rows)
    for row in rows:
        for index, entry in enumerate(row.entries):
            assert entry is None or entry.ref[0] == "abc"[index]


@given(lines("a"))
def test_a_list_against_itself_matches_everywhere(a):
    copy = [Line(**{**x.__dict__, "ref": "b" + x.ref}) for x in a]
    assert all(row.kind == MATCHED for row in domain.compare([a, copy]))


@given(lines("a"), lines("b"))
def test_swapping_the_base_swaps_new_and_missing(a, b):
    forward = {row.key: row for row in domain.compare([a, b])}
    backward = {row.key: row for row in domain.compare([b, a])}
    assert forward.keys() == backward.keys()
    swap = {NEW: MISSING, MISSING: NEW, MATCHED: MATCHED, CHANGED: CHANGED}
    for key, row in forward.items():
        assert backward[key].kind == swap[row.kind]
        assert backward[key].changed == row.changed


def once_each(found: list[Line]) -> list[Line]:
    seen, kept = set(), []
    for x in found:
        if domain.normalized_name(x.display) not in seen:
            seen.add(domain.normalized_name(x.display))
            kept.append(x)
    return kept


@given(lines("a"), lines("b"), st.randoms())
def test_when_each_list_names_a_medication_once_line_order_does_not_matter(a, b, rnd):
    a, b = once_each(a), once_each(b)
    shuffled = list(b)
    rnd.shuffle(shuffled)
    first = {row.key: (row.kind, row.changed) for row in domain.compare([a, b])}
    assert first == {row.key: (row.kind, row.changed) for row in domain.compare([a, shuffled])}


# Safety flags -------------------------------------------------------------------------------------------------


def test_the_same_ingredient_from_two_prescribers_is_a_possible_duplicate():
    found = domain.safety_flags([
        line("a", "Metoprolol tartrate 25 mg", ingredient_code="6918", prescriber="p1", prescriber_name="Dr. Ames"),
        line("b", "metoprolol succinate ER 50 mg", ingredient_code="6918", prescriber="p2", prescriber_name="Dr. Bo"),
        line("c", "Lisinopril", ingredient_code="29046", prescriber="p1"),
    ])  # fmt: skip
    (flag,) = found
    assert flag.kind == "duplicate"
    assert flag.refs == ("a", "b")
    assert "Dr. Ames" in flag.message
    assert "Dr. Bo" in flag.message


def test_two_strengths_from_one_prescriber_and_one_source_are_not_flagged_nor_stopped_lines():
    assert not domain.safety_flags([
        line("a", "warfarin 1 mg", ingredient_code="11289", prescriber="p1", source="Discharge"),
        line("b", "warfarin 2 mg", ingredient_code="11289", prescriber="p1", source="Discharge"),
        line("c", "warfarin 5 mg", ingredient_code="11289", prescriber="p2", status="stopped"),
    ])  # fmt: skip


def test_the_same_medication_from_two_prescribers_is_flagged_but_not_one_prescription_seen_by_two_sources():
    (flag,) = domain.safety_flags([
        line("a", "Furosemide 40 mg", prescriber="p1", source="Hospital discharge list"),
        line("b", "furosemide 20 mg", prescriber="p2", source="Nursing home MAR"),
    ])  # fmt: skip
    assert (flag.kind, flag.refs) == ("duplicate", ("a", "b"))
    assert not domain.safety_flags([
        line("a", "Furosemide 40 mg", prescriber="p1", source="Hospital discharge list"),
        line("b", "furosemide 40 mg", prescriber="p1", source="Nursing home MAR"),
        line("c", "Furosemide", source="Patient report", prescriber="p1"),
    ])  # fmt: skip
    assert [f.kind for f in domain.safety_flags([
        line("a", "Furosemide 40 mg", prescriber="p1", source="Hospital discharge list"),
        line("b", "furosemide", source="Patient report"),
    ])] == ["no-prescriber"]  # fmt: skip


def test_a_medication_in_force_without_a_prescriber_is_flagged():
    flags = domain.safety_flags([line("a", "Aspirin 81 mg", source="Patient report"),
                                 line("b", "Digoxin", status="completed")])  # fmt: skip
    assert [(f.kind, f.refs) for f in flags] == [("no-prescriber", ("a",))]
    assert flags[0].message == "Aspirin 81 mg: no prescriber on file (from Patient report)."


def test_the_picker_list_is_well_formed():
    codes = [c.rxcui for c in rxnorm.CONCEPTS]
    assert len(codes) == len(set(codes))
    for concept in rxnorm.CONCEPTS:
        assert domain.valid_rxcui(concept.rxcui)
        assert domain.valid_rxcui(concept.ingredient)
        assert concept.ingredient in rxnorm.BY_RXCUI, f"{concept.name}: its ingredient is not on the list"
        assert concept.tty in ("IN", "SCD")
        assert (
            domain.normalized_name(concept.name).startswith(
                domain.normalized_name(rxnorm.BY_RXCUI[concept.ingredient].name).split()[0]
            )
            or concept.rxcui == "904419"
        )  # alendronic acid is alendronate
    assert rxnorm.ingredient_of("314076") == "29046"
    assert rxnorm.ingredient_of("1") == ""
