"""Care-management billing thresholds (CMS, STANDARDS.md 5.2/5.3) and goal achievement from measurements."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.checkins.domain import (
    CODE_FAMILIES,
    Program,
    achievement_from,
    month_readiness,
    target_met,
    timed_code_lines,
)


def codes(readiness):
    return [(line.code, line.units) for line in readiness.lines]


@pytest.mark.parametrize(
    ("minutes", "expected", "next_code", "to_next"),
    [(0, [], "99490", 20), (19, [], "99490", 1), (20, [("99490", 1)], "99439", 20),
     (39, [("99490", 1)], "99439", 1), (40, [("99490", 1), ("99439", 1)], "99439", 20),
     (60, [("99490", 1), ("99439", 2)], None, None), (95, [("99490", 1), ("99439", 2)], None, None)],
)  # fmt: skip
def test_ccm_clinical_staff_time(minutes, expected, next_code, to_next):
    result = timed_code_lines(CODE_FAMILIES[(Program.CCM, "staff")], minutes)
    assert (codes(result), result.next_code, result.minutes_to_next) == (expected, next_code, to_next)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(59, []), (60, [("99487", 1)]), (89, [("99487", 1)]), (90, [("99487", 1), ("99489", 1)]),
     (150, [("99487", 1), ("99489", 3)])],
)  # fmt: skip
def test_complex_ccm(minutes, expected):
    assert codes(timed_code_lines(CODE_FAMILIES[(Program.COMPLEX_CCM, "staff")], minutes)) == expected


@pytest.mark.parametrize(
    ("program", "who", "minutes", "expected"),
    [(Program.CCM, "physician", 29, []), (Program.CCM, "physician", 30, [("99491", 1)]),
     (Program.CCM, "physician", 60, [("99491", 1), ("99437", 1)]),
     (Program.PCM, "staff", 30, [("99426", 1)]), (Program.PCM, "staff", 60, [("99426", 1), ("99427", 1)]),
     (Program.PCM, "physician", 30, [("99424", 1)]), (Program.PCM, "physician", 65, [("99424", 1), ("99425", 1)])],
)  # fmt: skip
def test_physician_and_principal_care_management(program, who, minutes, expected):
    assert codes(timed_code_lines(CODE_FAMILIES[(program, who)], minutes)) == expected


def test_month_readiness_reports_each_kind_of_time_and_who_is_close():
    staff, physician = month_readiness(Program.CCM, staff_minutes=17, physician_minutes=31)
    assert (staff.who, staff.close, staff.minutes_to_next) == ("staff", True, 3)
    assert (physician.who, codes(physician)) == ("physician", [("99491", 1)])
    assert month_readiness(Program.COMPLEX_CCM, staff_minutes=10, physician_minutes=40)[0].who == "staff"


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="negative"):
        timed_code_lines(CODE_FAMILIES[(Program.CCM, "staff")], -1)


@given(minutes=st.integers(0, 600), family=st.sampled_from(sorted(CODE_FAMILIES.values(), key=lambda f: f.base)))
def test_units_never_claim_more_time_than_was_spent(minutes, family):
    result = timed_code_lines(family, minutes)
    claimed = sum(family.first if line.code == family.base else family.each * line.units for line in result.lines)
    assert claimed <= minutes
    if result.minutes_to_next is not None:
        assert result.minutes_to_next > 0
        after = timed_code_lines(family, minutes + result.minutes_to_next)
        assert sum(line.units for line in after.lines) == sum(line.units for line in result.lines) + 1


@given(a=st.integers(0, 600), b=st.integers(0, 600), family=st.sampled_from(list(CODE_FAMILIES.values())))
def test_more_minutes_never_support_fewer_units(a, b, family):
    low, high = sorted((a, b))
    units = [sum(line.units for line in timed_code_lines(family, m).lines) for m in (low, high)]
    assert units[0] <= units[1]


@pytest.mark.parametrize(
    ("value", "comparator", "target", "high", "met"),
    [(D("139"), "<", D("140"), None, True), (D("140"), "<", D("140"), None, False),
     (D("140"), "<=", D("140"), None, True), (D("7000"), ">=", D("7000"), None, True),
     (D("6.9"), ">", D("7"), None, False), (D("80"), "between", D("70"), D("130"), True),
     (D("131"), "between", D("70"), D("130"), False)],
)  # fmt: skip
def test_target_met(value, comparator, target, high, met):
    assert target_met(value, comparator, target, high) is met


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([D("150")], "in-progress"), ([D("150"), D("145")], "improving"),
     ([D("145"), D("150")], "worsening"), ([D("150"), D("150")], "no-change"),
     ([D("150"), D("135")], "achieved"), ([D("138"), D("135")], "sustaining"),
     ([D("135"), D("150")], "worsening")],
)  # fmt: skip
def test_achievement_follows_the_measurements(values, expected):
    assert achievement_from(values, "<", D("140")) == expected


def test_range_targets_measure_distance_from_the_nearest_edge():
    assert achievement_from([D("180"), D("150")], "between", D("70"), D("130")) == "improving"
    assert achievement_from([D("60"), D("50")], "between", D("70"), D("130")) == "worsening"
