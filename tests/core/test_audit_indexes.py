"""
The audit table's indexes after migrating: each key it is read by (user, acting and tenant organization) has
one index, led by that key and followed by the time, and no single-column duplicate of it that every INSERT
would also update; the append-only triggers survive the migration that dropped the duplicates.
"""

import pytest
from django.db import connection

from carecoord.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table


def _indexes() -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]


@pytest.mark.parametrize("column", ["user_id", "acting_organization_id", "tenant_organization_id"])
def test_each_key_has_its_time_index_and_no_duplicate(column):
    indexes = _indexes()
    assert [column, "occurred_at"] in indexes
    assert [column] not in indexes


def test_the_append_only_triggers_are_still_there():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        assert cursor.fetchone()[0] >= 2
