"""
core.prepared on PostgreSQL runs its statements as server-side prepared statements (planned once per
connection): the same rows as the ORM, time zones included; Django's cursor where the SQL is watched (query
capture) or the setting is off; database errors arrive as Django's, as from any other query. A reverse
foreign key prefetch rides in the statement when its columns come back exactly from JSON.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext, override_settings

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction
from carecoord.core.models import AuditEvent
from carecoord.core.prepared import Prepared, run_statement
from carecoord.patients.models import Patient, PatientIdentifier

from ..careplans.factories import GoalFactory
from ..factories import OrganizationFactory, PatientFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements are PostgreSQL's"),
]

MRN_SENTINEL = "sentinel:mrn:never-stored"


def _by_mrn() -> Prepared:
    return Prepared(Patient.objects.select_related("organization").filter(mrn=MRN_SENTINEL), {"mrn": MRN_SENTINEL})


def _prepared_count(sql: str) -> int:
    # What psycopg sends for Django's %s placeholders: $1, $2, ...
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [sql[:60] + "%"])
        return cursor.fetchone()[0]


def test_a_statement_is_prepared_once_and_answers_as_the_orm():
    patient = PatientFactory(organization=OrganizationFactory(slug="prep-a"), mrn="PREP-1")
    statement = _by_mrn()
    assert _prepared_count(statement.sql) == 0
    found = statement.first(mrn="PREP-1")
    statement.first(mrn="PREP-1")
    assert _prepared_count(statement.sql) == 1
    expected = Patient.objects.select_related("organization").get(pk=patient.pk)
    assert found is not None
    assert {f.attname: getattr(found, f.attname) for f in Patient._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Patient._meta.concrete_fields
    }
    assert found.organization.slug == "prep-a"
    assert found.created_at.utcoffset() == dt.timedelta(0)  # an aware time, as the ORM returns it
    assert statement.first(mrn="NO-SUCH-MRN") is None


def test_with_the_setting_off_nothing_is_prepared():
    PatientFactory(organization=OrganizationFactory(slug="prep-b"), mrn="PREP-2")
    statement = _by_mrn()
    with override_settings(CARECOORD_DB_PREPARED_STATEMENTS=False):
        assert statement.first(mrn="PREP-2").mrn == "PREP-2"
    assert _prepared_count(statement.sql) == 0


def test_captured_queries_go_through_djangos_cursor_and_are_counted():
    PatientFactory(organization=OrganizationFactory(slug="prep-c"), mrn="PREP-3")
    statement = _by_mrn()
    with CaptureQueriesContext(connection) as captured:
        assert statement.first(mrn="PREP-3").mrn == "PREP-3"
    assert len(captured.captured_queries) == 1
    assert _prepared_count(statement.sql) == 0


def test_the_audit_insert_is_prepared_and_stored():
    organization = OrganizationFactory(slug="prep-d")
    before = AuditEvent.objects.count()
    audit_record(organization=organization, event="test.prepared", action=AuditAction.READ, detail={"n": 1})
    audit_record(organization=organization, event="test.prepared", action=AuditAction.READ, detail={"n": 2})
    assert AuditEvent.objects.count() == before + 2
    assert sorted(AuditEvent.objects.filter(event="test.prepared").values_list("detail__n", flat=True)) == [1, 2]
    assert _prepared_count('INSERT INTO "core_auditevent"') == 1


def test_a_failing_statement_raises_djangos_error():
    with pytest.raises(DataError):
        run_statement(connection, "SELECT 1 / %s", [0], one=True)


def _columns(objects) -> list[dict]:
    return [{f.attname: getattr(o, f.attname) for f in type(o)._meta.concrete_fields} for o in objects]


def _by_mrn_with(*lookups) -> Prepared:
    patients = Patient.objects.prefetch_related(*lookups).filter(mrn__in=[MRN_SENTINEL, "PREP-NONE"])
    return Prepared(patients.order_by("mrn"), {"mrn": MRN_SENTINEL})


def test_a_reverse_foreign_key_prefetch_rides_in_the_statement():
    organization = OrganizationFactory(slug="prep-e")
    with_two, without = PatientFactory(organization=organization, mrn="PREP-5"), PatientFactory(mrn="PREP-NONE")
    for system, value in (("urn:payer:b", "B-1"), ("urn:payer:a", "A-1")):
        PatientIdentifier.objects.create(
            organization=organization, patient=with_two, type="MB", system=system, value=value
        )
    statement = _by_mrn_with("identifiers")
    with CaptureQueriesContext(connection) as captured:
        found = statement.all(mrn="PREP-5")
        read = [list(patient.identifiers.all()) for patient in found]
    assert len(captured.captured_queries) == 1
    expected = Patient.objects.prefetch_related("identifiers").filter(pk__in=[with_two.pk, without.pk]).order_by("mrn")
    assert [_columns(rows) for rows in read] == [_columns(p.identifiers.all()) for p in expected]
    assert [row.value for row in read[0]] == ["A-1", "B-1"]  # in the model's order
    assert read[1] == []


def test_a_prefetch_whose_columns_json_would_change_reads_its_rows_apart():
    goal = GoalFactory(patient=PatientFactory(mrn="PREP-6"), target_value="7.10", due_date=dt.date(2027, 1, 2))
    statement = _by_mrn_with("identifiers", "goals")  # a goal's decimal target would come back a float
    with CaptureQueriesContext(connection) as captured:
        found = statement.first(mrn="PREP-6")
        goals = list(found.goals.all())
    assert len(captured.captured_queries) == 2  # the patient with its identifiers, then its goals
    assert _columns(goals) == _columns([type(goal).objects.get(pk=goal.pk)])
    assert goals[0].target_value == Decimal("7.10")
