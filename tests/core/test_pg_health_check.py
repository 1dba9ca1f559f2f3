"""
core.pgbackend: a connection whose last request used it without a connection error less than a second ago
skips Django's per-request health check; one idle for longer is checked as before. Shown on a real cut: the
connection's server process is terminated, as a restart or an idle timeout would end it.
"""

import time

import pytest
from django.db import OperationalError, ProgrammingError, connection, connections

from carecoord.core import pgbackend
from carecoord.core.pgbackend.base import HEALTHY_FOR_SECONDS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the backend with the health-check window is PostgreSQL's"
    ),
]


@pytest.fixture
def server_connection():
    """A connection of its own (the test's is inside a transaction), as a server thread holds one."""
    own = connections.create_connection("default")
    yield own
    own.close()


def _backend_pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _serve_request(db) -> int:
    """One request as Django's handler runs it: the connection housekeeping around a statement."""
    db.close_if_unusable_or_obsolete()  # request_started
    try:
        return _backend_pid(db)
    finally:
        db.close_if_unusable_or_obsolete()  # request_finished


def _cut(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is a snapshot per transaction
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} did not end")


def test_the_project_runs_its_backend():
    assert connection.settings_dict["ENGINE"] == pgbackend.__name__


def test_a_connection_that_just_worked_is_not_checked_and_a_cut_costs_one_request(server_connection):
    pid = _serve_request(server_connection)
    assert _serve_request(server_connection) == pid  # the same connection, kept between requests
    _cut(pid)
    with pytest.raises(OperationalError):  # no health check: the first statement meets the cut
        _serve_request(server_connection)
    assert server_connection.connection is None  # closed at the end of the failed request
    assert _serve_request(server_connection) != pid  # the next request opens a new one


def test_a_connection_idle_past_the_window_is_checked_first(server_connection):
    pid = _serve_request(server_connection)
    server_connection.worked_at -= HEALTHY_FOR_SECONDS  # as if its last request ended a second ago
    _cut(pid)
    assert _serve_request(server_connection) != pid  # the check found the cut and reconnected: no error


def test_a_failed_request_is_not_proof_of_health(server_connection):
    pid = _serve_request(server_connection)
    server_connection.close_if_unusable_or_obsolete()
    with pytest.raises(ProgrammingError), server_connection.cursor() as cursor:
        cursor.execute("SELECT * FROM a_table_nobody_made")
    server_connection.close_if_unusable_or_obsolete()  # the request ends with an error on record...
    assert server_connection.worked_at is None  # ...so the next is checked
    assert _serve_request(server_connection) == pid
