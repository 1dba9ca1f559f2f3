"""
Pure rules: the HHS poverty guidelines (../shared/STANDARDS.md 6.1), the benefits pre-screen's thresholds
(6.2), distances and the referral state machine. Figures are the published ones, not recomputed here.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.community.choices import BenefitProgram as P
from carecoord.community.choices import InsuranceStatus as I
from carecoord.community.domain import (
    RECEIVER,
    SENDER,
    Household,
    age_fits,
    benefits_screen,
    centroid,
    distance_miles,
    limit_dollars,
    poverty_line,
    referral_next_statuses,
    referral_outcome_error,
    referral_transition_error,
    zip_code_center,
)


@pytest.mark.parametrize(
    ("year", "state", "size", "dollars"),
    [
        (2026, "IL", 1, 15_960), (2026, "IL", 2, 21_640), (2026, "IL", 4, 33_000), (2026, "IL", 8, 55_720),
        (2026, "AK", 1, 19_950), (2026, "AK", 4, 41_250), (2026, "HI", 1, 18_360), (2026, "HI", 8, 64_070),
        (2025, "TX", 1, 15_650), (2025, "TX", 4, 32_150), (2025, "AK", 3, 33_310), (2025, "HI", 6, 49_640),
        (2027, "IL", 1, 15_960),  # a later year uses the latest guidelines on file
    ],
)  # fmt: skip
def test_poverty_guidelines(year, state, size, dollars):
    assert poverty_line(year, state, size) == dollars


@pytest.mark.parametrize(
    ("percent", "state", "size", "dollars"),
    [
        (150, "IL", 1, 23_940), (150, "IL", 2, 32_460),  # 2026 Extra Help limits, single / couple
        (150, "AK", 1, 29_925), (150, "AK", 2, 40_575), (150, "HI", 1, 27_540), (150, "HI", 2, 37_335),
        (138, "IL", 4, 45_540), (200, "IL", 4, 66_000), (400, "IL", 4, 132_000), (400, "IL", 1, 63_840),
    ],
)  # fmt: skip
def test_published_2026_limits(percent, state, size, dollars):
    assert limit_dollars(percent, 2026, state, size) == dollars


def results(**household) -> dict:
    defaults = {"size": 1, "annual_income": 20_000, "state": "IL", "age": 40, "insurance": I.UNINSURED}
    return {r.program: r for r in benefits_screen(Household(**{**defaults, **household}))}


def eligible(**household) -> set[str]:
    return {program for program, r in results(**household).items() if r.eligible}


@pytest.mark.parametrize(
    ("household", "expected", "not_expected"),
    [
        # Expansion adult: 138% of $15,960 is $22,024.80.
        ({"annual_income": 22_024}, {P.MEDICAID_ADULT}, {P.ACA_PTC}),
        ({"annual_income": 22_025}, set(), {P.MEDICAID_ADULT}),
        # Texas has not expanded: no adult Medicaid, and 100-138% gets the tax credit (2025 figures for 2026).
        ({"state": "TX", "annual_income": 20_000}, {P.ACA_PTC}, {P.MEDICAID_ADULT}),
        # The tax credit: 400% of the 2025 line for one ($62,600) is the cap in 2026.
        ({"annual_income": 62_600}, {P.ACA_PTC}, set()),
        ({"annual_income": 62_601}, set(), {P.ACA_PTC}),
        ({"annual_income": 40_000, "insurance": I.EMPLOYER}, set(), {P.ACA_PTC, P.CHARITY_DISCOUNT}),
        # Children: Medicaid to 138%, then CHIP to the state's limit (IL 318%, AL 317%).
        ({"age": 10, "size": 3, "annual_income": 37_000}, {P.MEDICAID_CHILD}, {P.CHIP}),
        ({"age": 10, "size": 3, "annual_income": 86_877}, {P.CHIP}, {P.MEDICAID_CHILD}),  # 318% = $86,877.60
        ({"age": 10, "size": 3, "annual_income": 86_878}, set(), {P.CHIP}),
        # Medicare: QMB to 100%, SLMB to 120%, QI to 135%, Extra Help to 150%, after $240 a year disregarded.
        ({"age": 70, "insurance": I.MEDICARE, "annual_income": 16_200}, {P.MSP_QMB, P.EXTRA_HELP}, {P.MSP_SLMB}),
        ({"age": 70, "insurance": I.MEDICARE, "annual_income": 16_201}, {P.MSP_SLMB}, {P.MSP_QMB}),
        ({"age": 70, "insurance": I.MEDICARE, "annual_income": 21_500}, {P.MSP_QI, P.EXTRA_HELP}, {P.MSP_SLMB}),
        ({"age": 70, "insurance": I.MEDICARE, "annual_income": 24_180}, {P.EXTRA_HELP}, {P.MSP_QI}),
        ({"age": 70, "insurance": I.MEDICARE, "annual_income": 24_181}, set(), {P.EXTRA_HELP}),
        # SNAP gross test 130% ($20,748 for one), LIHEAP 150%.
        ({"annual_income": 20_748}, {P.SNAP, P.LIHEAP}, set()),
        ({"annual_income": 20_749}, {P.LIHEAP}, {P.SNAP}),
        ({"annual_income": 23_941}, set(), {P.LIHEAP}),
        # Charity care (the hospital's policy; defaults free to 200%, discounted to 400%).
        ({"annual_income": 31_920}, {P.CHARITY_FREE}, {P.CHARITY_DISCOUNT}),
        ({"annual_income": 50_000}, {P.CHARITY_DISCOUNT}, {P.CHARITY_FREE}),
    ],
)
def test_benefits_pre_screen(household, expected, not_expected):
    found = eligible(**household)
    assert expected <= found
    assert not (not_expected & found)


def test_each_result_names_the_rule_the_figure_and_the_source():
    snap = results(annual_income=20_000)[P.SNAP]
    assert snap.rule == "SNAP gross income test: 130% FPL in IL."
    assert snap.figure == (
        "Income $20,000 is 125.3% of the 2026 poverty line for 1 ($15,960); the limit is 130% = $20,748."
    )
    assert "7 CFR 273.9" in snap.source
    assert "91 FR 1797" in snap.source
    aca = results(annual_income=20_000, state="TX")[P.ACA_PTC]
    assert "2025 poverty line" in aca.figure


def test_older_or_disabled_households_over_the_gross_limit_are_pointed_to_the_net_test():
    assert "net income test" in results(age=70, annual_income=25_000, insurance=I.MEDICARE)[P.SNAP].note


def test_the_organizations_figures_replace_the_defaults():
    household = Household(size=1, annual_income=25_000, state="IL", age=40)
    default = {r.program: r.eligible for r in benefits_screen(household)}
    mine = {r.program: r.eligible for r in benefits_screen(household, {(P.SNAP, "IL"): 165, (P.LIHEAP, ""): 160})}
    assert (default[P.SNAP], mine[P.SNAP]) == (False, True)
    assert (default[P.LIHEAP], mine[P.LIHEAP]) == (False, True)


@given(st.integers(1, 10), st.integers(0, 300_000), st.integers(0, 300_000), st.sampled_from(["IL", "TX", "AK"]))
def test_less_income_never_loses_an_income_tested_program(size, a, b, state):
    low, high = sorted((a, b))
    for program in (P.SNAP, P.LIHEAP, P.MEDICAID_ADULT, P.CHARITY_FREE):
        if (
            results(size=size, annual_income=high, state=state).get(program, None)
            and results(size=size, annual_income=high, state=state)[program].eligible
        ):
            assert results(size=size, annual_income=low, state=state)[program].eligible


@given(st.integers(0, 100_000), st.integers(1, 4))
def test_at_most_one_medicare_savings_program(income, size):
    found = eligible(age=70, insurance=I.MEDICARE, annual_income=income, size=size)
    assert len(found & {P.MSP_QMB, P.MSP_SLMB, P.MSP_QI}) <= 1


def test_distances():
    assert distance_miles(41.88, -87.63, 41.88, -87.63) == 0
    assert distance_miles(0, 0, 0, 1) == pytest.approx(69.1, abs=0.1)  # a degree of longitude at the equator
    assert distance_miles(41.8781, -87.6298, 40.7128, -74.0060) == pytest.approx(711, abs=5)  # Chicago-New York
    assert centroid([]) is None
    assert centroid([(1.0, 2.0), (3.0, 4.0)]) == (2.0, 3.0)


def test_zip_code_centres_come_from_the_us_table():
    assert zip_code_center("60660") == pytest.approx((41.99, -87.66), abs=0.02)  # Edgewater, Chicago
    assert zip_code_center("60540") == pytest.approx((41.77, -88.14), abs=0.02)  # Naperville
    assert zip_code_center("60660-1234") == zip_code_center("606601234") == zip_code_center(" 60660 ")
    assert zip_code_center("99999") is None  # not a ZIP code the table knows
    assert zip_code_center("09001") is None  # military (APO): the table has no place for it (0, 0)
    for not_a_zip in ("", "6066", "abcde"):
        assert zip_code_center(not_a_zip) is None


@given(st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
def test_distance_is_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    there = distance_miles(lat1, lon1, lat2, lon2)
    assert there == pytest.approx(distance_miles(lat2, lon2, lat1, lon1))
    assert 0 <= there <= 12_500  # half the Earth's circumference


@pytest.mark.parametrize(
    ("minimum", "maximum", "age", "fits"),
    [(None, None, 40, True), (18, None, 17, False), (18, 64, 64, True), (18, 64, 65, False), (12, 100, None, True)],
)
def test_age_eligibility(minimum, maximum, age, fits):
    assert age_fits(minimum, maximum, age) is fits


@pytest.mark.parametrize(
    ("from_status", "to_status", "party", "on_carecoord", "allowed"),
    [
        ("sent", "received", RECEIVER, True, True),
        ("sent", "accepted", RECEIVER, True, True),
        ("received", "declined", RECEIVER, True, True),
        ("accepted", "completed", RECEIVER, True, True),
        ("sent", "completed", RECEIVER, True, False),  # accept first
        ("completed", "cancelled", SENDER, True, False),  # closed for good
        ("accepted", "cancelled", SENDER, True, True),
        ("accepted", "cancelled", RECEIVER, True, False),  # only the sender cancels
        ("sent", "accepted", SENDER, True, False),  # the receiver answers in CareCoord
        ("sent", "accepted", SENDER, False, True),  # ... or the sender records it for them
        ("declined", "accepted", RECEIVER, True, False),
    ],
)
def test_referral_transitions(from_status, to_status, party, on_carecoord, allowed):
    error = referral_transition_error(from_status, to_status, party=party, receiver_uses_carecoord=on_carecoord)
    assert (error == "") is allowed


@pytest.mark.parametrize(
    ("status", "outcome", "fits"),
    [
        ("completed", "service-provided", True),
        ("completed", "partly-provided", True),
        ("declined", "service-provided", False),  # a declined referral gave no service
        ("cancelled", "partly-provided", False),
        ("declined", "not-eligible", True),
        ("declined", "no-capacity", True),
        ("completed", "no-capacity", False),
        ("cancelled", "no-capacity", False),  # the receiver's reason, not the sender's
        ("cancelled", "patient-declined", True),
        ("declined", "", True),
        ("accepted", "service-provided", False),  # an open referral has no outcome yet
        ("accepted", "", True),
    ],
)
def test_referral_outcome_fits_the_status(status, outcome, fits):
    assert (referral_outcome_error(status, outcome) == "") is fits


def test_referral_outcome_error_names_the_outcomes_that_fit():
    assert referral_outcome_error("declined", "service-provided") == (
        "“Service provided” is not an outcome of a declined referral; choose one of: patient not eligible, "
        "no capacity, could not reach the patient, patient declined the service, other."
    )


@pytest.mark.parametrize(
    ("from_status", "party", "on_carecoord", "offered"),
    [
        ("sent", RECEIVER, True, ["received", "accepted", "declined"]),  # completed only once accepted
        ("accepted", RECEIVER, True, ["completed"]),
        ("sent", SENDER, True, ["cancelled"]),  # the receiver answers in CareCoord
        ("sent", SENDER, False, ["received", "accepted", "declined", "cancelled"]),
        ("accepted", SENDER, False, ["completed", "cancelled"]),
        ("declined", SENDER, False, []),
    ],
)
def test_referral_next_statuses(from_status, party, on_carecoord, offered):
    assert referral_next_statuses(from_status, party=party, receiver_uses_carecoord=on_carecoord) == offered


@pytest.mark.parametrize(
    "household",
    [
        {"annual_income": 18000, "age": 40, "state": "TX", "insurance": "uninsured"},
        {"annual_income": 9000, "age": 40, "state": "TX", "insurance": "uninsured"},
        {"annual_income": 500000, "age": 40, "state": "IL", "insurance": "uninsured"},
        {"annual_income": 15000, "age": 70, "state": "IL", "insurance": "medicare"},
        {"annual_income": 25000, "age": 70, "state": "IL", "insurance": "medicare-advantage"},
        {"annual_income": 30000, "age": 10, "size": 3, "state": "IL", "insurance": "uninsured"},
    ],
)
def test_every_not_likely_program_says_why(household):
    results = benefits_screen(Household(**{"size": 1, "year": 2026, **household}))
    for result in results:
        if not result.eligible:
            assert result.note, result.program


def test_medicare_advantage_counts_as_medicare():
    results = {r.program for r in benefits_screen(Household(1, 15000, "IL", 70, insurance="medicare-advantage"))}
    assert {"msp-qmb", "extra-help"} <= results
