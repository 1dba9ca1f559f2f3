"""
T09 (RELIABILITY.md): every CSV export neutralizes spreadsheet formulas (a cell starting with =, +, -, @, tab
or CR gets a leading ') and follows RFC 4180 (CRLF line ends; cells with commas, quotes or line breaks quoted,
quotes doubled). Every export writes through one helper, core/csvsafe.py.
"""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

import carecoord
from carecoord.checkins.models import CareManagementEnrollment, TimeEntry
from carecoord.core import clock
from carecoord.core.choices import Role
from carecoord.core.csvsafe import csv_lines, csv_safe

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
SOURCE = Path(carecoord.__file__).parent
OWN_WRITERS_ALLOWED = {"core/csvsafe.py"}


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_formula_start_gets_a_quote(value):
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Abbott, @SUM(A1)", "O'Brien", "1.5", "", None, 42])
def test_harmless_cells_are_unchanged(value):
    assert csv_safe(value) == ("" if value is None else str(value))


def test_a_leading_quote_is_doubled_so_the_original_is_always_recoverable():
    assert csv_safe("'=1") == "''=1"


def test_rfc_4180_quoting_and_line_ends():
    lines = list(csv_lines([["a,b", 'say "hi"', "two\r\nlines", "plain"]]))
    assert lines == ['"a,b","say ""hi""","two\r\nlines",plain\r\n']


@given(st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=6), min_size=1, max_size=5))
def test_any_cells_parse_back_as_the_neutralized_cells(rows):
    text = "".join(csv_lines(rows))
    assert text.endswith("\r\n")
    parsed = parse(text)
    assert parsed == [[csv_safe(cell) for cell in row] for row in rows]
    for row in parsed:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r"


def test_every_csv_writer_in_the_app_is_the_shared_one():
    writers = []
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        if re.search(r"csv\.(writer|DictWriter)\(", text):
            writers.append(path.relative_to(SOURCE).as_posix())
    assert set(writers) <= OWN_WRITERS_ALLOWED, f"CSV written outside core/csvsafe.py: {writers}"


# The exports themselves -------------------------------------------------------------------------------------------


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("value", DANGEROUS)
def test_the_billing_export_neutralizes_every_dangerous_start(org, value):
    actor = make_actor(org, Role.COORDINATOR)
    patient = PatientFactory(organization=org, given_name="Zed", family_name=value, mrn=value[:20])
    today = clock.today_in(org.tz)
    CareManagementEnrollment.objects.create(organization=org, patient=patient, program="ccm",
                                            consent_on=dt.date(2020, 1, 1), start_date=dt.date(2020, 1, 1))  # fmt: skip
    TimeEntry.objects.create(organization=org, patient=patient, user=actor.user, activity="call", source="manual",
                             kind="staff", started_at=clock.now(), minutes=20)  # fmt: skip
    response = signed_in_client(actor).get(reverse("checkins:billing_report_csv"), {"month": today.strftime("%Y-%m")})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = _body(response)
    assert text.endswith("\r\n")
    row = parse(text)[1]
    assert row[1] == "'" + f"{value}, Zed"
    assert row[2] == "'" + value[:20]


def test_the_audit_export_neutralizes_cells(org):
    from carecoord.core.audit import audit_record
    from carecoord.core.choices import AuditAction

    auditor = make_actor(org, Role.AUDITOR)
    audit_record(actor=auditor, event="=cmd|' /C calc'!A0", action=AuditAction.READ)
    response = signed_in_client(auditor).get(reverse("core:audit_export"))
    assert response.status_code == 200
    rows = parse(_body(response))
    events = [row[5] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in events
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r"
