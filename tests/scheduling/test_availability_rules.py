"""The pure rules of availability and the CSV reader of weekly hours, without a database."""

import datetime as dt

import pytest

from carecoord.scheduling.availability_import import parse_hours_csv, parse_weekday
from carecoord.scheduling.availability_rules import (
    HoursBlock,
    blocks_overlap,
    describe_block,
    normalize_days_before,
    parse_days_before,
)

T = dt.time
D = dt.date
NPI = "1234567893"  # a valid check digit
OTHER_NPI = "1245319599"


def block(weekday=0, start=None, end=None, first=None, last=None):
    return HoursBlock(weekday, start or T(9), end or T(12), first, last, "Main")


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        (block(), block(start=T(11), end=T(13)), True),
        (block(), block(start=T(12), end=T(13)), False),  # back to back is fine
        (block(), block(weekday=1), False),
        (block(last=D(2026, 3, 31)), block(first=D(2026, 4, 1)), False),  # one ends before the other starts
        (block(last=D(2026, 4, 1)), block(first=D(2026, 4, 1)), True),
        (block(first=D(2026, 4, 1)), block(), True),  # an open-ended block meets every other
    ],
)
def test_blocks_overlap_on_same_day_times_and_dates(a, b, clash):
    assert blocks_overlap(a, b) is clash
    assert blocks_overlap(b, a) is clash


def test_describe_block_names_day_hours_place_and_dates():
    assert describe_block(block(first=D(2026, 3, 1))) == "Monday 9:00 AM to 12:00 PM at Main (from 03/01/2026)"


def test_reminder_days_are_sorted_latest_first_and_checked():
    assert normalize_days_before([1, 7, 3]) == [7, 3, 1]
    assert parse_days_before("3, 1") == [3, 1]
    assert parse_days_before("1 3") == [3, 1]
    for bad, words in [([], "at least one"), ([0], "between 1 and 30"), ([31], "31 is not"), ([3, 3], "twice")]:
        with pytest.raises(ValueError, match=words):
            normalize_days_before(bad)
    with pytest.raises(ValueError, match="not a whole number"):
        parse_days_before("3, two")


@pytest.mark.parametrize(("raw", "day"), [("Mon", 0), ("tuesday", 1), ("Thurs", 3), ("6", 6), ("Sun.", 6)])
def test_weekday_words_and_numbers(raw, day):
    assert parse_weekday(raw) == day


def test_weekday_refuses_what_is_not_a_day():
    with pytest.raises(ValueError, match="not a weekday"):
        parse_weekday("7")


def test_csv_with_header_reads_every_column():
    text = (
        "npi,weekday,start,end,location name,appointment types,effective_from,effective_until\n"
        f"{NPI},Mon,08:30,12:00,Lakeside PT,Evaluation; Follow-up,2026-03-01,\n"
        f"{NPI},3,13:00,17:00,Lakeside PT,Follow-up,,2026-06-30\n"
    )
    parsed = parse_hours_csv(text)
    assert parsed.ok, parsed.errors
    first, second = parsed.rows
    assert (first.line, first.weekday, first.start, first.end) == (2, 0, T(8, 30), T(12))
    assert first.appointment_types == ("Evaluation", "Follow-up")
    assert first.effective_from == D(2026, 3, 1)
    assert first.effective_until is None
    assert (second.weekday, second.effective_until) == (3, D(2026, 6, 30))


def test_csv_without_header_uses_the_column_order():
    parsed = parse_hours_csv(f"{NPI},Fri,09:00,10:00,Annex,Visit\n")
    assert parsed.ok
    assert parsed.rows[0].location == "Annex"


def test_csv_reports_every_bad_row_with_its_line_number():
    text = "\n".join(
        [
            "npi,weekday,start,end,location,appointment_types,effective_from,effective_until",
            f"{NPI},Mon,09:00,12:00,Annex,Visit,,",  # good: line 2
            "123,Mon,09:00,12:00,Annex,Visit,,",  # line 3: short NPI
            f"{NPI},Funday,09:00,12:00,Annex,Visit,,",  # line 4
            f"{NPI},Tue,9am,12:00,Annex,Visit,,",  # line 5
            f"{NPI},Tue,13:00,12:00,Annex,Visit,,",  # line 6
            f"{NPI},Tue,09:00,12:00,,Visit,,",  # line 7
            f"{NPI},Tue,09:00,12:00,Annex, ; ,,",  # line 8
            f"{NPI},Tue,09:00,12:00,Annex,Visit,2026-05-01,2026-04-01",  # line 9
            f"{NPI},Tue,09:00,12:00,Annex,Visit,01/05/2026,",  # line 10
            f"{NPI},Mon,11:00,13:00,Annex,Visit,,",  # line 11: overlaps line 2
            f"{OTHER_NPI},Mon,11:00,13:00,Annex,Visit,,",  # good: another practitioner
        ]
    )
    parsed = parse_hours_csv(text)
    assert not parsed.ok
    lines = {error.line: error.message for error in parsed.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "10 digits" in lines[3]
    assert "Funday" in lines[4]
    assert "9am" in lines[5]
    assert "end (12:00 PM) before they start (1:00 PM)" in lines[6]
    assert "location name is missing" in lines[7]
    assert "no appointment type" in lines[8].lower()
    assert "before effective_from" in lines[9]
    assert "01/05/2026" in lines[10]
    assert "Overlaps line 2" in lines[11]
    assert [row.line for row in parsed.rows] == [2, 11, 12]
    assert str(parsed.errors[0]).startswith("Line 3: ")


def test_csv_header_missing_a_column_and_empty_file_are_refused():
    assert "lacks the column" in parse_hours_csv("npi,weekday,start\n").errors[0].message
    assert parse_hours_csv("\n\n").errors[0].message == "The file has no rows of hours."


def test_csv_line_numbers_count_blank_lines():
    parsed = parse_hours_csv(f"\n{NPI},Mon,09:00,12:00,Annex,Visit\n\nbad,Mon,09:00,12:00,Annex,Visit\n")
    assert parsed.rows[0].line == 2
    assert parsed.errors[0].line == 4
