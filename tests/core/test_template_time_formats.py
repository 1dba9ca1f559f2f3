"""
Dates and times shown to people use the one display format (carecoord/formats/en/formats.py: m/d/Y, 12-hour
clock). A template that writes a 24-hour ("H:i") or ISO ("Y-m-d") format into page text is caught here; the
same formats inside an attribute (an input's value, a link's query, a datetime attribute) are machine formats
and allowed.
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
