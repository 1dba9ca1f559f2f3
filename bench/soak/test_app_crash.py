"""
T28: 500 multi-object writes (patient, then care plan + goals in one transaction Bundle, all conditional
creates) while gunicorn workers are killed with SIGKILL 20 times and the master once, then restarted.
Pass: 0 acknowledged writes lost, 0 partial aggregates, 0 duplicates from client retries.
"""

import os
import random
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil

from . import invariants
from .conftest import env_int
from .writes import FhirClient


def test_killing_workers_and_the_master_mid_write_loses_nothing(installation, record):
    writes, worker_kills = env_int("SOAK_WRITES", 500), env_int("SOAK_WORKER_KILLS", 20)
    running = installation.serve("--workers", "3", "--threads", "2")
    port, base = running.port, running.base
    acknowledged: list[dict] = []
    done = threading.Event()
    kills = {"workers": 0, "master": 0}
    state = {"running": running}

    def killer():
        rng = random.Random(28)
        while not done.is_set() and kills["workers"] < worker_kills:
            time.sleep(rng.uniform(0.5, 2.0))
            master = psutil.Process(state["running"].server.process.pid)
            children = master.children()
            if children:
                os.kill(rng.choice(children).pid, signal.SIGKILL)
                kills["workers"] += 1
        if not done.is_set():
            master = psutil.Process(state["running"].server.process.pid)
            orphans = master.children()
            master.kill()  # the master too, once (SIGKILL)
            kills["master"] += 1
            for worker in orphans:  # its workers would exit by themselves within a second; do not wait
                worker.kill()
            time.sleep(1)
            state["running"] = installation.serve("--workers", "3", "--threads", "2", port=port)

    clients = [FhirClient(base, lambda: installation.token(base)) for _ in range(4)]

    def work(n: int) -> None:
        acknowledged.append(clients[n % len(clients)].write(f"SOAK28-{n:05d}"))

    thread = threading.Thread(target=killer)
    started = time.monotonic()
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            list(pool.map(work, range(writes)))
    finally:
        done.set()
        thread.join(120)
        state["running"].stop()
    with installation.cluster.connect() as db:
        report = invariants.check(db, acknowledged)
    statuses: dict = {}
    for client in clients:
        for key, count in client.statuses.items():
            statuses[str(key)] = statuses.get(str(key), 0) + count
    record("t28_app_crash", {**report, "kills": kills, "statuses": statuses, "seconds": time.monotonic() - started})
    assert kills["workers"] >= 1
    invariants.assert_clean(report)
    assert report["acknowledged"] == writes
    assert "500" not in statuses
