"""Pure insurance rules: coverage order, code shapes, units, reminder dates, appeal deadlines, file types."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.coverage import domain


@pytest.mark.parametrize(
    ("active", "moved", "position", "expected"),
    [
        ([], "a", 1, {"a": 1}),
        (["a"], "b", 9, {"a": 1, "b": 2}),  # past the end: last
        (["a", "b"], "c", 1, {"c": 1, "a": 2, "b": 3}),  # a new primary pushes the others down
        (["a", "b", "c"], "c", 1, {"c": 1, "a": 2, "b": 3}),
        (["a", "b", "c"], "a", 3, {"b": 1, "c": 2, "a": 3}),
        (["a", "b", "c"], "b", 2, {"a": 1, "b": 2, "c": 3}),
        (["a", "b"], "c", 0, {"c": 1, "a": 2, "b": 3}),  # below 1 counts as first
    ],
)
def test_reorder(active, moved, position, expected):
    assert domain.reorder(active, moved, position) == expected


@given(st.lists(st.integers(), unique=True, max_size=8), st.integers(), st.integers(min_value=-3, max_value=12))
def test_reorder_keeps_orders_contiguous_and_others_in_place(active, moved, position):
    orders = domain.reorder(active, moved, position)
    assert sorted(orders.values()) == list(range(1, len(orders) + 1))
    others = [key for key in sorted(orders, key=orders.get) if key != moved]
    assert others == [key for key in active if key != moved]
    assert orders[moved] == min(max(position, 1), len(orders))


def test_close_gaps():
    assert domain.close_gaps([7, 3]) == {7: 1, 3: 2}


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("97110, 97530 97110", "procedure", ["97110", "97530"]),
        ("g0151\nE0601", "procedure", ["G0151", "E0601"]),
        ("0001F 0042T 0001U", "procedure", ["0001F", "0042T", "0001U"]),
        ("E11.9, I50.22", "diagnosis", ["E11.9", "I50.22"]),
        ("e119 m1711", "diagnosis", ["E11.9", "M17.11"]),
        ("U07.1", "diagnosis", ["U07.1"]),
        ("", "procedure", []),
    ],
)
def test_parse_codes(text, kind, expected):
    assert domain.parse_codes(text, kind=kind) == expected


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("9711", "procedure", "“9711” is not a CPT or HCPCS code"),
        ("Z1234", "procedure", "not a CPT or HCPCS"),
        ("1E9", "diagnosis", "not an ICD-10-CM code"),
        ("E1", "diagnosis", "not an ICD-10-CM code"),
        ("11.9", "diagnosis", "not an ICD-10-CM code"),
    ],
)
def test_parse_codes_refuses(text, kind, message):
    with pytest.raises(ValueError, match=message):
        domain.parse_codes(text, kind=kind)


@pytest.mark.parametrize(("approved", "used", "left"), [(None, 0, None), (10, 3, 7), (10, 10, 0), (5, 7, 0)])
def test_units_left(approved, used, left):
    assert domain.units_left(approved, used) == left


@pytest.mark.parametrize(
    ("end", "today", "due"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 3, 16), False),
        (dt.date(2026, 3, 31), dt.date(2026, 3, 17), True),  # 14 days ahead
        (dt.date(2026, 3, 31), dt.date(2026, 3, 31), True),
        (dt.date(2026, 3, 31), dt.date(2026, 4, 1), False),
        (None, dt.date(2026, 4, 1), False),
    ],
)
def test_alert_due(end, today, due):
    assert domain.alert_due(end, today, domain.EXPIRY_ALERT_DAYS) is due


@pytest.mark.parametrize(
    ("denied", "days", "deadline"),
    [(dt.date(2026, 1, 15), 60, dt.date(2026, 3, 16)), (dt.date(2024, 2, 1), 30, dt.date(2024, 3, 2))],
)
def test_appeal_deadline(denied, days, deadline):
    assert domain.appeal_deadline(denied, days) == deadline


def test_appeal_deadline_needs_a_day():
    with pytest.raises(ValueError, match="at least one day"):
        domain.appeal_deadline(dt.date(2026, 1, 1), 0)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"MZ\x90\x00", None),
        (b"<html>", None),
    ],
)
def test_document_type(head, kind):
    assert domain.document_type(head) == kind


def test_document_names_are_cleaned_and_keys_ignore_spacing():
    assert domain.clean_document_names([" Proof of  income ", "", "proof of income", "ID card"]) == [
        "Proof of income",
        "ID card",
    ]
    assert domain.document_key("Proof  of income") == domain.document_key("proof of income")
