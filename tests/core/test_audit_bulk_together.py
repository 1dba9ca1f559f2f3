"""
audit_record_many with other rows of the transaction (`along`, core.audit_bulk.insert_together): on PostgreSQL
one statement (a WITH of one INSERT per table), elsewhere one INSERT per table; either way every instance gets
the key of its own row.
"""

import datetime as dt
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carecoord.core.audit import audit_entry
from carecoord.core.audit_bulk import audit_record_many
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.models import ResourceVersion

from ..factories import OrganizationFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]


def _version(organization, n: int, resource_id=None) -> ResourceVersion:
    return ResourceVersion(
        organization=organization,
        resource_type="Observation",
        resource_id=resource_id or uuid.uuid4(),
        version_id=1,
        last_updated=NOW,
        method="POST",
        resource={"n": n},
    )


def _writes(captured) -> int:
    return sum(1 for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH")))


def test_rows_of_several_tables_get_their_own_keys():
    organization = OrganizationFactory(slug="together")
    actor = make_actor(organization, Role.COORDINATOR)
    entries = [audit_entry(actor=actor, event=f"test.together.{n}") for n in range(5)]
    versions = [_version(organization, n) for n in range(4)]
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        audit_record_many(entries, along=[(ResourceVersion, versions, False)])
    assert _writes(captured) == (1 if connection.vendor == "postgresql" else 2)
    for n, entry in enumerate(entries):
        assert AuditEvent.objects.get(pk=entry.pk).event == f"test.together.{n}"
        assert not entry._state.adding
    for n, version in enumerate(versions):
        assert ResourceVersion.objects.get(pk=version.pk).resource == {"n": n}
    assert len({e.pk for e in entries}) == 5
