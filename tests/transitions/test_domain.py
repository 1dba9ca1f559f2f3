"""Deadlines, LACE, Charlson and TCM from their published rules (table tests) and their invariants (hypothesis)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.core.clock import add_business_days
from carecoord.transitions.domain import (
    ICD10_SYSTEM,
    SNOMED_SYSTEM,
    charlson_conditions,
    charlson_index,
    lace,
    length_of_stay_days,
    length_of_stay_points,
    tcm_code_supported,
    transition_deadlines,
)


def illinois(day, n):
    return add_business_days(day, n, state="IL")


@pytest.mark.parametrize(
    ("discharge", "contact_due"),
    [(dt.date(2026, 3, 2), dt.date(2026, 3, 4)),    # Monday -> Wednesday
     (dt.date(2026, 3, 5), dt.date(2026, 3, 9)),    # Thursday -> Monday
     (dt.date(2026, 3, 7), dt.date(2026, 3, 10)),   # Saturday -> Tuesday
     (dt.date(2026, 11, 25), dt.date(2026, 11, 30)),  # Wednesday before Thanksgiving: Friday, then Monday
     (dt.date(2026, 12, 24), dt.date(2026, 12, 29))],  # Christmas Eve, Christmas Day off
)  # fmt: skip
def test_contact_is_due_two_business_days_after_discharge(discharge, contact_due):
    assert transition_deadlines(discharge, "moderate", illinois).contact_due == contact_due


def test_visit_medication_review_and_window():
    high = transition_deadlines(dt.date(2026, 3, 2), "high", illinois)
    moderate = transition_deadlines(dt.date(2026, 3, 2), "moderate", illinois)
    assert high.visit_due == dt.date(2026, 3, 9)
    assert moderate.visit_due == dt.date(2026, 3, 16)
    assert moderate.med_rec_due == moderate.visit_due
    assert moderate.window_end == dt.date(2026, 3, 31)  # 30 days beginning on the discharge date


@pytest.mark.parametrize(("days", "points"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (6, 4), (7, 5), (13, 5),
                                              (14, 7), (60, 7)])  # fmt: skip
def test_length_of_stay_points(days, points):
    assert length_of_stay_points(days) == points


@pytest.mark.parametrize(
    ("los", "acute", "charlson", "ed", "score", "risk"),
    [(0, False, 0, 0, 0, "low"), (2, True, 0, 0, 5, "moderate"), (5, True, 2, 1, 10, "high"),
     (14, True, 4, 4, 19, "high"), (14, True, 9, 7, 19, "high"), (3, False, 1, 0, 4, "low")],
)  # fmt: skip
def test_lace_scores_and_bands(los, acute, charlson, ed, score, risk):
    result = lace(length_of_stay=los, acute=acute, charlson=charlson, emergency_visits=ed)
    assert (result.score, result.risk) == (score, risk)


@given(los=st.integers(0, 400), acute=st.booleans(), charlson=st.integers(0, 40), ed=st.integers(0, 50))
def test_lace_stays_within_0_to_19_and_more_of_anything_never_lowers_it(los, acute, charlson, ed):
    result = lace(length_of_stay=los, acute=acute, charlson=charlson, emergency_visits=ed)
    assert 0 <= result.score <= 19
    worse = lace(length_of_stay=los + 1, acute=True, charlson=charlson + 1, emergency_visits=ed + 1)
    assert worse.score >= result.score


def test_length_of_stay_counts_calendar_days():
    assert length_of_stay_days(dt.date(2026, 3, 1), dt.date(2026, 3, 5)) == 4
    assert length_of_stay_days(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == 0


@pytest.mark.parametrize(
    ("codes", "conditions", "index"),
    [([(ICD10_SYSTEM, "I50.9")], {"heart_failure"}, 1),
     ([(ICD10_SYSTEM, "E11.9"), (ICD10_SYSTEM, "E11.22")], {"diabetes_complicated"}, 2),
     ([(ICD10_SYSTEM, "C34.90"), (ICD10_SYSTEM, "C78.00")], {"metastatic"}, 6),
     ([(ICD10_SYSTEM, "J44.9"), (ICD10_SYSTEM, "N18.4"), (ICD10_SYSTEM, "I21.4")],
      {"chronic_pulmonary", "renal", "myocardial_infarction"}, 4),
     ([(ICD10_SYSTEM, "I10")], set(), 0),
     ([(SNOMED_SYSTEM, "44054006"), (SNOMED_SYSTEM, "84114007")], {"diabetes_uncomplicated", "heart_failure"}, 2)],
)  # fmt: skip
def test_charlson_from_coded_conditions(codes, conditions, index):
    assert charlson_conditions(codes) == conditions
    assert charlson_index(codes) == index


def tcm(**overrides):
    discharge = dt.date(2026, 3, 2)
    base = {"discharge_day": discharge, "contact_day": dt.date(2026, 3, 3), "contact_due": dt.date(2026, 3, 4),
            "visit_day": dt.date(2026, 3, 6), "med_rec_day": dt.date(2026, 3, 6), "complexity": "high"}  # fmt: skip
    return tcm_code_supported(**{**base, **overrides})


def test_tcm_codes_follow_what_was_documented():
    assert tcm() == "99496"
    assert tcm(visit_day=dt.date(2026, 3, 12), med_rec_day=dt.date(2026, 3, 12)) == "99495"  # high seen on day 10
    assert tcm(complexity="moderate") == "99495"
    assert tcm(contact_day=dt.date(2026, 3, 5)) is None  # contact late
    assert tcm(contact_day=None) is None
    assert tcm(med_rec_day=dt.date(2026, 3, 7)) is None  # reconciliation after the visit
    assert tcm(visit_day=dt.date(2026, 3, 17), med_rec_day=dt.date(2026, 3, 17)) is None  # day 15
