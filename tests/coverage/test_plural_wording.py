"""Counts in messages read as English: "1 document task", "2 document tasks", never "task(s)"."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from carecoord.community.importer import ImportReport, RowError
from carecoord.coverage.models import PriorAuthVisit
from carecoord.scheduling.availability_import import parse_hours_csv

from ..factories import PatientFactory


def _add_application(client, patient, documents: str) -> list[str]:
    response = client.post(
        reverse("coverage:patient_application_add", args=[patient.public_id]),
        {
            "application-program": "snap",
            "application-program_name": "SNAP (food assistance)",
            "application-status": "preparing",
            "application-documents": documents,
        },
    )
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        ("Proof of income", "Application recorded; 1 document task on the worklist."),
        ("Proof of income\nPhoto ID", "Application recorded; 2 document tasks on the worklist."),
        ("", "Application recorded."),
    ],
)
def test_the_application_message_counts_its_document_tasks(client_for, actor, documents, expected):
    patient = PatientFactory(organization=actor.organization)
    assert _add_application(client_for(actor), patient, documents) == [expected]


def test_the_import_summary_counts_rows_with_problems():
    report = ImportReport()
    report.errors.append(RowError("services", 2, "s-1", "no name"))
    assert report.summary.endswith("; 1 row with problems.")
    report.errors.append(RowError("services", 3, "s-2", "no name"))
    assert report.summary.endswith("; 2 rows with problems.")
    assert "(s)" not in report.summary


@pytest.mark.parametrize(("units", "word"), [(1, "1 unit on "), (3, "3 units on ")])
def test_a_prior_auth_visit_reads_unit_or_units(units, word):
    assert str(PriorAuthVisit(units=units, service_date=dt.date(2026, 3, 3))).startswith(word)


def test_the_hours_import_names_its_missing_column_or_columns():
    one = parse_hours_csv("npi,weekday,start,end,location\n").errors[0].message
    assert "lacks the column: appointment_types." in one
    two = parse_hours_csv("npi,weekday,start,end\n").errors[0].message
    assert "lacks the columns: location, appointment_types." in two
