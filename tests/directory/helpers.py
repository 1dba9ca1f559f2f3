"""Test helpers for the directory: valid NPIs, practitioner input, and HTML checks for the pages."""

from html.parser import HTMLParser
from typing import Any

from carecoord.directory.domain import npi_check_digit

# The example NPI in CMS's check-digit specification.
CMS_EXAMPLE_NPI = "1234567893"


def valid_npi(n: int) -> str:
    """A distinct, check-digit-valid NPI for each `n`."""
    stem = f"1{n:08d}"
    return stem + npi_check_digit(stem)


def practitioner_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": "Maria",
        "family_name": "Lopez",
        "suffix": "MD",
        "npi": CMS_EXAMPLE_NPI,
        "specialty_code": "207Q00000X",
        "specialty_display": "",
        "languages": ["es", "en"],
        "accepting_new_patients": True,
        "phone": "(312) 555-0100",
        "email": "M.Lopez@Example.org",
    }
    data.update(overrides)
    return data


def external_organization_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Northside Home Health",
        "kind": "home_health",
        "phone": "312-555-0123",
        "fax": "",
        "address_line": "12 Elm St",
        "city": "Chicago",
        "state": "il",
        "postal_code": "60601",
    }
    data.update(overrides)
    return data


def location_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Elm Street Clinic",
        "address_line": "12 Elm St",
        "city": "Chicago",
        "state": "IL",
        "postal_code": "60601",
        "phone": "",
        "hours": {"mon": [["08:00", "17:00"]], "sun": []},
    }
    data.update(overrides)
    return data


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str]] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self.tables = 0
        self.captions = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.inline_styles += 1
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            kind = attrs.get("type", "")
            if kind not in ("hidden", "submit", "button"):
                self.controls.append((attrs.get("id") or "", attrs.get("name") or ""))
        elif tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1
        elif tag == "style":
            self.inline_styles += 1
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1


def assert_accessible_page(html: str) -> None:
    """One h1, every form control labelled, every table captioned, no inline script or style."""
    page = _PageParser()
    page.feed(html)
    assert page.h1 == 1, f"expected one <h1>, found {page.h1}"
    unlabelled = [name for control_id, name in page.controls if not control_id or control_id not in page.label_for]
    assert not unlabelled, f"controls without a label: {unlabelled}"
    assert page.tables == page.captions, "every table needs a caption"
    assert page.inline_scripts == 0, "inline <script> breaks the Content Security Policy"
    assert page.inline_styles == 0, "inline style breaks the Content Security Policy"
