"""
Concurrent bookings for one slot (RELIABILITY rule 8, T25): threads with their own database
connections; exactly one booking wins each race, the rest get ConflictError, and no two blocking
appointments overlap afterwards.
"""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from carecoord.core.errors import ConflictError
from carecoord.scheduling.services import appointment_book, appointment_cancel

from ..factories import OrganizationFactory, PatientFactory, make_actor
from .factories import clinic, weekly_hours

THREADS = 12
CHICAGO = ZoneInfo("America/Chicago")
START = dt.datetime(2030, 1, 7, 10, 0, tzinfo=CHICAGO)  # a Monday well in the future

OVERLAPS_SQL = """
SELECT COUNT(*) FROM scheduling_appointment a JOIN scheduling_appointment b
  ON a.id < b.id
 AND (a.practitioner_id = b.practitioner_id OR a.patient_id = b.patient_id)
 AND a.start < b."end" AND b.start < a."end"
WHERE a.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
  AND b.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
"""


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """
    The database every thread connects to. PostgreSQL: the test database as is. SQLite: pytest-django's
    in-memory test database is shared between threads through shared cache, where a second writer fails
    at once with "database table is locked" (shared-cache locks ignore the busy timeout), unlike the file
    database (WAL, BEGIN IMMEDIATE, busy timeout) CareCoord runs on. So on SQLite this test migrates a
    temporary file database and points this thread's and each worker thread's connection at it.
    """
    original = connections["default"]
    if original.vendor != "sqlite":
        yield None
        return
    settings_dict = {**original.settings_dict, "NAME": str(tmp_path / "race.sqlite3")}
    connections["default"] = SQLiteWrapper(settings_dict, "default")
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield settings_dict
    finally:
        connections["default"].close()
        connections["default"] = original


def race(attempts, settings_dict):
    """Runs each attempt in its own thread at once; returns (successes, conflicts, other errors)."""
    barrier = threading.Barrier(len(attempts))
    results: list = []
    lock = threading.Lock()

    def run(attempt):
        if settings_dict is not None:
            connections["default"] = SQLiteWrapper(settings_dict, "default")
        try:
            barrier.wait()
            outcome = attempt()
        except ConflictError as exc:
            outcome = exc
        except Exception as exc:  # collected and asserted on below
            outcome = exc
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, ConflictError)]
    successes = [r for r in results if not isinstance(r, Exception)]
    return successes, conflicts, errors


def overlapping_pairs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_one_slot_many_bookers_exactly_one_wins(shared_database):
    org = OrganizationFactory()
    actor = make_actor(org)
    practitioner, location, kind = clinic(org)
    patients = [PatientFactory(organization=org) for _ in range(THREADS)]

    def attempt_for(patient, start):
        return lambda: appointment_book(
            actor=actor,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=kind,
            start=start,
        )

    # Same practitioner and time, different patients; then shifted, overlapping intervals.
    for start in (START, START + dt.timedelta(hours=2)):
        shifted = [start + dt.timedelta(minutes=5 * (i % 3)) for i in range(THREADS)]
        successes, conflicts, errors = race(
            [attempt_for(p, s) for p, s in zip(patients, shifted, strict=True)], shared_database
        )
        assert errors == []
        assert len(successes) == 1
        assert len(conflicts) == THREADS - 1
        assert all("already has" in c.message or "just taken" in c.message for c in conflicts)
    assert overlapping_pairs() == 0

    # Cancelling frees the slot.
    winner = successes[0]
    appointment_cancel(actor=actor, appointment=winner, reason="pat")
    assert appointment_book(
        actor=actor,
        patient=patients[-1],
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=winner.start,
    )
    assert overlapping_pairs() == 0


@pytest.mark.django_db(transaction=True)
def test_one_patient_many_practitioners_exactly_one_wins(shared_database):
    org = OrganizationFactory()
    actor = make_actor(org)
    patient = PatientFactory(organization=org)
    first, location, kind = clinic(org)
    people = [first]
    for _ in range(THREADS - 1):
        other, _elsewhere, _ = clinic(org)
        weekly_hours(other, location, [kind])
        people.append(other)

    attempts = [
        lambda who=who, i=i: appointment_book(
            actor=actor,
            patient=patient,
            practitioner=who,
            location=location,
            appointment_type=kind,
            start=START + dt.timedelta(minutes=5 * (i % 4)),
        )
        for i, who in enumerate(people)
    ]
    successes, conflicts, errors = race(attempts, shared_database)
    assert errors == []
    assert len(successes) == 1
    assert len(conflicts) == THREADS - 1
    assert overlapping_pairs() == 0
