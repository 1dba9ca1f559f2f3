"""
A FHIR Patient read's identifiers (a `prefetch_related` lookup of core.prepared): on PostgreSQL they come
back inside the patient's own statement, one round trip fewer, answering what the ORM read answers; a
patient the caller may not see brings none of them back.
"""

import contextlib
import datetime as dt
import os
import tempfile

import pytest
from django.db import connection
from django.test.utils import override_settings

from carecoord.interop.fhir.access import Caller
from carecoord.interop.fhir.clients import token_access
from carecoord.interop.fhir.prepared_read import read_get
from carecoord.interop.fhir.registry import mapper_for
from carecoord.patients.models import PatientIdentifier
from carecoord.patients.selectors import visibility_memo

from ...factories import OrganizationFactory, PatientFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_frozen_clock")]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the statements sent, as libpq traces them"
)


def _identifiers(patient, *specs):
    for type_, system, value in specs:
        PatientIdentifier.objects.create(
            organization=patient.organization, patient=patient, type=type_, system=system, value=value
        )


def _orm_read(fhir, patient) -> dict:
    mapper = mapper_for("Patient")
    with visibility_memo():
        return mapper.to_fhir(mapper.get(token_access(fhir.token).actor, str(patient.public_id)))


def _columns(rows) -> list[dict]:
    fields = PatientIdentifier._meta.concrete_fields
    return [{f.attname: (getattr(r, f.attname), type(getattr(r, f.attname))) for f in fields} for r in rows]


@contextlib.contextmanager
def _libpq_trace():
    """The messages libpq exchanges with PostgreSQL in the block, as one text (PQtrace); none elsewhere."""
    texts: list[str] = []
    if connection.vendor != "postgresql":
        yield texts
        return
    from psycopg.pq import Trace

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as out:
        fileno = os.dup(out.fileno())  # libpq's stream owns this one
        pgconn.trace(fileno)
        pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield texts
        finally:
            pgconn.untrace()  # flushes the stream
            os.close(fileno)
            out.seek(0)
            texts.append(out.read().decode())


def _sent(trace: str) -> list[str]:
    """The kinds of the messages the client sent (Query, Parse, Bind, Execute, Sync...), in order."""
    return [line.split("\t")[2] for line in trace.splitlines() if line.startswith("F\t")]


@pytest.mark.parametrize("prepared_statements", [True, False])
def test_a_read_answers_the_orm_resource_with_several_identifiers_or_none(fhir, prepared_statements):
    several, none = PatientFactory(organization=fhir.organization), PatientFactory(organization=fhir.organization)
    _identifiers(
        several,
        ("MB", "http://payer.example/members", "M-1"),
        ("MA", "urn:oid:2.16.840.1.113883.4.1", "MA-7"),
        ("OTHER", "Old clinic", "OC-3"),
        ("MB", "http://another.example/members", "M-2"),
    )
    _identifiers(PatientFactory(organization=fhir.organization), ("MB", "http://payer.example/members", "M-9"))
    with override_settings(CARECOORD_DB_PREPARED_STATEMENTS=prepared_statements):
        for patient, count in ((several, 5), (none, 1)):
            for _ in range(2):  # the first read compiles the statements, the second runs them again
                answered = fhir.get(f"Patient/{patient.public_id}").json()
                assert answered == _orm_read(fhir, patient)
                assert len(answered["identifier"]) == count  # the MRN, then the others in (type, system) order


def test_the_identifiers_are_the_instances_the_orm_prefetches(fhir, django_assert_num_queries):
    patient = PatientFactory(organization=fhir.organization)
    _identifiers(
        patient,
        ("MB", "http://payer.example/members", "M-1"),
        ("MA", "urn:payer:medicaid", "MA-1"),
        ("OTHER", 'Old "clinic", {east}\\ wing', 'Zo\u00eb-{1},"2"'),  # what an array's text must escape
    )
    access = token_access(fhir.token)
    caller, mapper = Caller(actor=access.actor, grants=access.grants), mapper_for("Patient")
    read_get(mapper, caller, str(patient.public_id))  # compiles the statements
    found = read_get(mapper, caller, str(patient.public_id))
    expected = mapper.get(access.actor, str(patient.public_id))
    with django_assert_num_queries(0):
        rows = list(found.identifiers.all())
        assert all(row.patient is found for row in rows)
    assert _columns(rows) == _columns(expected.identifiers.all())
    assert [row.created_at.tzinfo for row in rows] == [dt.UTC] * 3  # as the ORM reads them
    assert not hasattr(found, "_carecoord_prefetch_identifiers")


def test_a_patient_of_another_organization_answers_404_and_brings_no_identifier(fhir):
    other = PatientFactory(organization=OrganizationFactory(slug="read-other"))
    _identifiers(other, ("MB", "http://payer.example/members", "SECRET-ID-1"))
    for _ in range(2):
        with _libpq_trace() as trace:
            response = fhir.get(f"Patient/{other.public_id}")
        assert response.status_code == 404
        assert "SECRET-ID-1" not in response.content.decode()
        assert not [text for text in trace if "SECRET-ID-1" in text]  # nor anything PostgreSQL sent back


@on_postgresql
@pytest.mark.parametrize("prepared_statements", [True, False])
def test_a_read_sends_the_token_the_patient_with_its_identifiers_and_the_audit_entry(fhir, prepared_statements):
    patient = PatientFactory(organization=fhir.organization)
    _identifiers(patient, ("MB", "http://payer.example/members", "M-1"))
    with override_settings(CARECOORD_DB_PREPARED_STATEMENTS=prepared_statements):
        assert fhir.get(f"Patient/{patient.public_id}").status_code == 200  # compiles the statements
        with _libpq_trace() as trace:
            response = fhir.get(f"Patient/{patient.public_id}")
    assert response.json()["identifier"][1]["value"] == "M-1"
    sent = _sent(trace[0])
    # The token, the patient with its identifiers, the audit entry: each one statement and one round trip.
    assert sum(kind in ("Query", "Execute") for kind in sent) == 3, trace[0]
    assert sum(kind in ("Query", "Sync") for kind in sent) == 3, trace[0]
    if prepared_statements:
        assert "Parse" not in sent, trace[0]  # each runs as the server-side statement prepared by the first read
