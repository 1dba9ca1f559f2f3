"""
The bulk export's two query-plan aids: `visibility_narrowed` (patients.selectors) limits the visibility query
the parts' querysets are built from to the visible patients just read, without ever adding a patient the rule
leaves out and without touching the visibility memo of an enclosing block; `planned_for_every_row`
(export_rows) sets PostgreSQL's cursor_tuple_fraction for the export's cursors and puts it back, also when
the export fails.
"""

import pytest
from django.db import DataError, connection, transaction

from carecoord.core.choices import Role
from carecoord.interop.fhir import export_rows
from carecoord.interop.fhir.export import system_types, write_export
from carecoord.patients.selectors import patients_visible_to, visibility_memo, visibility_narrowed

from ..factories import ConditionFactory, OrganizationFactory, PatientFactory, make_actor

pytestmark = pytest.mark.django_db


def _visible(actor) -> set[int]:
    return set(patients_visible_to(actor).values_list("pk", flat=True))


def test_the_narrowed_query_keeps_the_rule_and_leaves_the_enclosing_memo_alone():
    organization = OrganizationFactory(slug="narrow-home")
    first, second = PatientFactory(organization=organization), PatientFactory(organization=organization)
    restricted = PatientFactory(organization=organization, restricted=True)
    stranger = PatientFactory(organization=OrganizationFactory(slug="narrow-other"))
    actor = make_actor(organization, Role.COORDINATOR)

    with visibility_memo():
        assert _visible(actor) == {first.pk, second.pk}
        with visibility_narrowed(actor, [first.pk, restricted.pk, stranger.pk]):
            assert _visible(actor) == {first.pk}  # ids the rule refuses stay out; `second` was not asked for
        assert _visible(actor) == {first.pk, second.pk}
    assert _visible(actor) == {first.pk, second.pk}


def test_without_ids_nothing_is_narrowed():
    organization = OrganizationFactory(slug="narrow-none")
    patient = PatientFactory(organization=organization)
    actor = make_actor(organization, Role.COORDINATOR)

    for ids in (None, []):
        with visibility_narrowed(actor, ids):
            assert _visible(actor) == {patient.pk}


def test_an_export_inside_a_memo_leaves_the_memo_as_it_was(tmp_path):
    organization = OrganizationFactory(slug="narrow-inline")
    patients = [PatientFactory(organization=organization) for _ in range(3)]
    for patient in patients:
        ConditionFactory(patient=patient)
    hidden = PatientFactory(organization=OrganizationFactory(slug="narrow-inline-other"))
    ConditionFactory(patient=hidden)
    actor = make_actor(organization, Role.COORDINATOR)

    with visibility_memo():  # as when a status poll runs the export inline, within its request's memo
        files = write_export(actor, system_types(), None, tmp_path)
        created = PatientFactory(organization=organization)
        assert _visible(actor) == {p.pk for p in patients} | {created.pk}
    counts = {item["type"]: item["count"] for item in files}
    assert counts["Patient"] == 3
    assert counts["Condition"] == 3
    assert str(hidden.public_id) not in (tmp_path / "Patient.ndjson").read_text(encoding="utf-8")


def _cursor_tuple_fraction() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_cursor_plans_are_for_every_row_within_the_block_and_put_back_after():
    before = _cursor_tuple_fraction()
    with export_rows.planned_for_every_row():
        assert _cursor_tuple_fraction() == "1"
    assert _cursor_tuple_fraction() == before

    with pytest.raises(ValueError, match="the export failed"), export_rows.planned_for_every_row():
        raise ValueError("the export failed")
    assert _cursor_tuple_fraction() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_a_statement_failing_within_the_block_raises_its_own_error_and_the_rollback_puts_it_back():
    before = _cursor_tuple_fraction()
    with (
        pytest.raises(DataError),
        transaction.atomic(),
        export_rows.planned_for_every_row(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")  # aborts the transaction: the setting cannot be put back in it
    assert _cursor_tuple_fraction() == before


def test_sqlite_runs_no_statement_for_the_cursor_setting(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL sets it")
    with django_assert_num_queries(0), export_rows.planned_for_every_row():
        pass
