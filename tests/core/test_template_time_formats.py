"""
Dates and times shown to people use the one display format (carecoord/formats/en/formats.py: m/d/Y, 12-hour
clock). A template that writes a 24-hour ("H:i") or ISO ("Y-m-d") format into page text is caught here; the
same formats inside an attribute (an input's value, a link's query, a datetime attribute) are machine formats
and allowed. Python code writes dates for people through carecoord.core.timefmt, not a hand-written "%m/%d/%Y".
"""

import re
from pathlib import Path

import carecoord

TEMPLATES = Path(carecoord.__file__).parent
FILTER = re.compile(r"\{\{[^}]*?\|(?:date|time):(['\"])(?P<format>[^'\"]*)\1[^}]*\}\}")
MACHINE_FORMAT = re.compile(r"H:i|Y-m-d")
IN_ATTRIBUTE = re.compile(r"[\w:-]+=\"[^\"<>]*$")


def people_facing_machine_formats(text: str) -> list[int]:
    """Line numbers where a 24-hour or ISO date format is written into page text rather than an attribute."""
    lines = []
    for match in FILTER.finditer(text):
        if not MACHINE_FORMAT.search(match["format"]):
            continue
        before = text[max(0, match.start() - 200) : match.start()].split(">")[-1]
        if not IN_ATTRIBUTE.search(before):
            lines.append(text.count("\n", 0, match.start()) + 1)
    return lines


def test_the_check_tells_page_text_from_attributes():
    assert people_facing_machine_formats('<td>{{ at|date:"m/d/Y H:i" }}</td>') == [1]
    assert people_facing_machine_formats("<p>\n{{ day|date:'Y-m-d' }}</p>") == [2]
    assert people_facing_machine_formats('<input type="date" value="{{ day|date:\'Y-m-d\' }}">') == []
    assert people_facing_machine_formats("<a href=\"?view=day&amp;date={{ day|date:'Y-m-d' }}\">Day</a>") == []
    assert people_facing_machine_formats('<td>{{ at|date:"SHORT_DATETIME_FORMAT" }}</td>') == []


def test_no_template_shows_people_a_24_hour_or_iso_time():
    found = {
        str(path.relative_to(TEMPLATES)): lines
        for path in sorted(TEMPLATES.rglob("templates/**/*.html"))
        if (lines := people_facing_machine_formats(path.read_text(encoding="utf-8")))
    }
    assert found == {}


# Any strftime month/day pair: "%m/%d/%Y", the short "%m/%d" and "%a %m/%d", a chart's "%m/%d/%y".
HAND_WRITTEN_DAY = re.compile(r"%-?m/%-?d")
# Files that may spell the format out, with how many times: parsing what people type, never text for them.
# A machine format (export, FHIR, HL7, X12, iCalendar, CSV) that needs it belongs here too, with its reason.
HAND_WRITTEN_DAY_ALLOWED = {
    "patients/domain.py": 1,  # parse_loose_date accepts 03/07/1948
}


def hand_written_day_lines(text: str) -> list[int]:
    """Line numbers that spell out the m/d/Y date format instead of calling timefmt."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if HAND_WRITTEN_DAY.search(line)]


def test_the_check_finds_a_hand_written_day_format():
    assert hand_written_day_lines('due = 1\nmessage = f"Due {task.due_date:%m/%d/%Y}."\n') == [2]
    assert hand_written_day_lines('when = day.strftime("%m/%d/%Y")') == [1]
    assert hand_written_day_lines('message = f"Due {timefmt.day(task.due_date)}."') == []
    assert hand_written_day_lines('label = f"{day:%a %m/%d}"') == [1]
    assert hand_written_day_lines('axis = d.strftime("%m/%d/%y")') == [1]


def test_python_code_shows_people_dates_through_timefmt():
    found = {
        path.relative_to(TEMPLATES).as_posix(): len(lines)
        for path in sorted(TEMPLATES.rglob("*.py"))
        if (lines := hand_written_day_lines(path.read_text(encoding="utf-8")))
    }
    assert found == HAND_WRITTEN_DAY_ALLOWED, "use carecoord.core.timefmt.day() for dates shown to people"


HAND_WRITTEN_DATE = re.compile(r"[dDjlmnMFY]/[dDjmnY]")


def people_facing_hand_written_dates(text: str) -> list[int]:
    """Line numbers where a |date format spells out a month/day/year pattern ("m/d", "D m/d/Y") in page text."""
    lines = []
    for match in FILTER.finditer(text):
        if not HAND_WRITTEN_DATE.search(match["format"]):
            continue
        before = text[max(0, match.start() - 200) : match.start()].split(">")[-1]
        if not IN_ATTRIBUTE.search(before):
            lines.append(text.count("\n", 0, match.start()) + 1)
    return lines


def test_the_check_finds_a_hand_written_date_in_page_text():
    assert people_facing_hand_written_dates('<td>{{ d|date:"m/d" }}</td>') == [1]
    assert people_facing_hand_written_dates('<h2>\n{{ d|date:"l m/d/Y" }}</h2>') == [2]
    assert people_facing_hand_written_dates('<td>{{ d|date:"SHORT_DATE_FORMAT" }} {{ d|month_day }}</td>') == []
    assert people_facing_hand_written_dates("<input value=\"{{ d|date:'m/d/Y' }}\">") == []


def test_no_template_spells_out_a_date_format_for_people():
    found = {
        str(path.relative_to(TEMPLATES)): lines
        for path in sorted(TEMPLATES.rglob("templates/**/*.html"))
        if (lines := people_facing_hand_written_dates(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "use date:'SHORT_DATE_FORMAT' or the timefmt_tags filters (carecoord.core.timefmt)"
