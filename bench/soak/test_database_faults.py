"""
T29 on a throwaway PostgreSQL cluster: (a) `pg_ctl stop -m immediate` under load, then start again;
(b) pg_terminate_backend on every app connection every 2 s; (c) an ACCESS EXCLUSIVE lock held on the
appointments table. Pass: 503 + Retry-After within 5 s during the outage (never 500), recovery within 10 s
without restarting the app, every acknowledged write kept, no partial write; under the lock other endpoints
answer and appointment calls fail fast with 503 after lock_timeout.
"""

import threading
import time

from . import invariants
from .conftest import env_int
from .probes import Probe, Writer, summary
from .writes import FhirClient

SERVE = ("--workers", "2", "--threads", "4", "--lock-timeout", "2000", "--statement-timeout", "10000")


def test_database_crash_under_load_gives_503_then_recovers_by_itself(installation, record):
    running = installation.serve(*SERVE)
    token = installation.token(running.base)
    probe = Probe(running.base, token, "Patient?_count=5")
    writer = Writer(FhirClient(running.base, lambda: installation.token(running.base)), "SOAK29A")
    probe.start()
    writer.start()
    try:
        time.sleep(3)
        crashed = time.monotonic()
        installation.cluster.crash()
        time.sleep(env_int("SOAK_OUTAGE_SECONDS", 6))
        installation.cluster.start()
        up = time.monotonic()
        time.sleep(12)
    finally:
        samples = probe.stop()
        acknowledged = writer.stop()
        running.stop()
    outage = [s for s in samples if crashed + 0.5 < s[0] and s[0] + s[2] < up]
    after = [s for s in samples if s[0] >= up and s[1] == 200]
    recovered_in = after[0][0] - up if after else None
    with installation.cluster.connect() as db:
        report = invariants.check(db, acknowledged)
    record("t29a_database_crash", {
        "outage_answers": summary(outage), "all_answers": summary(samples), "slowest_outage_answer_s":
        max((s[2] for s in outage), default=None), "recovered_in_s": recovered_in, **report,
    })  # fmt: skip
    assert outage, "no request was made during the outage"
    assert all(s[1] == 503 and s[3] for s in outage), summary(outage)
    assert max(s[2] for s in outage) < 5
    assert "500" not in summary(samples)
    assert recovered_in is not None
    assert recovered_in < 10
    invariants.assert_clean(report)


def test_connections_terminated_every_two_seconds_never_give_500(installation, record):
    running = installation.serve(*SERVE)
    token = installation.token(running.base)
    probe = Probe(running.base, token, "Patient?_count=5", pause=0.1)
    writer = Writer(FhirClient(running.base, lambda: installation.token(running.base)), "SOAK29B")
    probe.start()
    writer.start()
    terminated = 0
    try:
        with installation.cluster.connect("postgres", autocommit=True) as admin:
            deadline = time.monotonic() + env_int("SOAK_TERMINATE_SECONDS", 60)
            while time.monotonic() < deadline:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = 'carecoord_soak' AND pid <> pg_backend_pid()"
                ).fetchall()
                terminated += len(rows)
                time.sleep(2)
        ended = time.monotonic()
        time.sleep(5)
    finally:
        samples = probe.stop()
        acknowledged = writer.stop()
        running.stop()
    after = [s for s in samples if s[0] >= ended and s[1] == 200]
    with installation.cluster.connect() as db:
        report = invariants.check(db, acknowledged)
    record("t29b_terminate_backend", {"terminated": terminated, "answers": summary(samples), **report})
    assert terminated > 0
    assert "500" not in summary(samples)
    assert all(s[3] for s in samples if s[1] == 503)
    assert after
    invariants.assert_clean(report)


def test_a_locked_appointments_table_fails_appointment_calls_fast_and_nothing_else(installation, record):
    running = installation.serve(*SERVE)
    token = installation.token(running.base)
    other = Probe(running.base, token, "Patient?_count=5")
    appointments = Probe(running.base, token, "Appointment?_count=5")
    held = env_int("SOAK_LOCK_SECONDS", 30)
    locked = threading.Event()

    def hold_lock():
        with installation.cluster.connect() as db:
            db.execute("LOCK TABLE scheduling_appointment IN ACCESS EXCLUSIVE MODE")
            locked.set()
            time.sleep(held)
            db.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(30)
    started = time.monotonic()
    other.start()
    appointments.start()
    holder.join(held + 60)
    released = time.monotonic()
    other_samples, appointment_samples = other.stop(), appointments.stop()
    running.stop()
    during = lambda samples: [s for s in samples if started <= s[0] and s[0] + s[2] < released]  # noqa: E731
    others, blocked = during(other_samples), during(appointment_samples)
    slowest_other = max(s[2] for s in others)
    record("t29c_lock_stall", {
        "other_endpoint": summary(others), "appointments": summary(blocked), "slowest_other_s": slowest_other,
        "slowest_appointment_s": max(s[2] for s in blocked),
    })  # fmt: skip
    assert all(s[1] == 200 for s in others), summary(others)
    assert slowest_other < 2
    assert blocked
    assert all(s[1] == 503 and s[3] for s in blocked), summary(blocked)
    assert max(s[2] for s in blocked) < 2 + 3  # lock_timeout (2 s) plus a margin for this busy machine
