"""
`flush` (run by the test runner between transactional tests) tries again when PostgreSQL ends it as one side
of a deadlock with a request still finishing on another thread; any other failure stops it at once.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from carecoord.core.models import Organization
from tests.factories import OrganizationFactory


@pytest.fixture
def failing_flush(monkeypatch):
    """The database operation of the flush fails with `errors`, one per call, then runs as it does."""
    real = type(connection.ops).execute_sql_flush
    calls = []

    def make(*errors):
        def execute_sql_flush(ops, sql_list):
            calls.append(len(sql_list))
            if len(calls) <= len(errors):
                raise errors[len(calls) - 1]
            return real(ops, sql_list)

        monkeypatch.setattr(type(connection.ops), "execute_sql_flush", execute_sql_flush)
        return calls

    return make


@pytest.mark.django_db(transaction=True)
def test_a_deadlocked_flush_is_tried_again(failing_flush):
    OrganizationFactory()
    calls = failing_flush(OperationalError("deadlock detected\nDETAIL: Process 1 waits for AccessExclusiveLock"))
    call_command("flush", interactive=False, verbosity=0)
    assert len(calls) == 2
    assert not Organization.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_another_failure_is_not_retried(failing_flush):
    OrganizationFactory()
    calls = failing_flush(OperationalError("relation does not exist"))
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", interactive=False, verbosity=0)
    assert len(calls) == 1
    assert Organization.objects.exists()
