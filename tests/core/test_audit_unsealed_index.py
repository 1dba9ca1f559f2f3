"""
The events waiting for sealing are found through the partial index audit_unsealed (core migration 0007), not
through the unique index on sequence, whose NULL entries include every sealed event's old row version until
vacuum (57 ms a sealing at 240,000 events on PostgreSQL). The plan is read with sequential scans off, since a
test database is small enough for the planner to prefer reading the whole table.
"""

import pytest
from django.db import connection, transaction

from carecoord.core.audit import SEAL_BATCH, audit_seal
from carecoord.core.choices import AuditAction
from carecoord.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _pending_plan() -> str:
    query = AuditEvent.objects.filter(sequence__isnull=True).order_by("id")[:SEAL_BATCH]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        return query.explain()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite updates rows in place: no old versions")
def test_the_pending_events_are_read_through_the_partial_index():
    from carecoord.core.audit import audit_record

    for n in range(3):
        audit_record(event=f"test.unsealed.{n}", action=AuditAction.READ)
    audit_seal()
    audit_record(event="test.unsealed.waiting", action=AuditAction.READ)
    plan = _pending_plan()
    assert "audit_unsealed" in plan
    assert "sequence_key" not in plan
    waiting = list(AuditEvent.objects.filter(sequence__isnull=True).values_list("event", flat=True))
    assert waiting == ["test.unsealed.waiting"]


def test_the_index_holds_only_what_waits():
    index = next(i for i in AuditEvent._meta.indexes if i.name == "audit_unsealed")
    assert index.fields == ["id"]
    assert str(index.condition) == "(AND: ('sequence__isnull', True))"
    with connection.cursor() as cursor:
        names = {c for c in connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)}
    assert "audit_unsealed" in names
