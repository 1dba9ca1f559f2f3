"""Django's {# … #} comments end at the line's end: one spread over lines is printed on the page as text."""

from pathlib import Path

import carecoord

TEMPLATES = sorted(Path(carecoord.__file__).parent.rglob("*.html"))


def test_no_template_spreads_a_short_comment_over_lines():
    broken = [
        f"{path.relative_to(Path(carecoord.__file__).parent)}:{number}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert len(TEMPLATES) > 50
    assert not broken, f"use {{% comment %}} for comments over several lines: {broken}"
