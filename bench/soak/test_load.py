"""
T31 (steady: 20 users, 80/20 reads/writes, SOAK_MINUTES minutes, default 1; the plan's figure is 10) and
T32 (spike: 100 users for SOAK_SPIKE_SECONDS, default 60) with locust, headless in one process, against
`carecoord serve` on the throwaway PostgreSQL. The server sheds load beyond CARECOORD_MAX_INFLIGHT requests
per worker with 503 + Retry-After (carecoord.core.resilience) in the spike. Pass: steady, 0 errors and 0 5xx
and p95 < 1 s; spike, 0 errors other than shed 503s, each with Retry-After, and healthy again within 30 s.
Requests that got no answer (locust status 0: reset or timeout) are errors.
"""

import csv
import json
import subprocess
import sys
import time

import requests
from tests.ops.serverkit import PROJECT_DIR, child_env

from .conftest import env_int

SERVE = ("--workers", "3", "--threads", "6")
SHEDDING = {"CARECOORD_MAX_INFLIGHT": "3", "CARECOORD_INFLIGHT_WAIT_SECONDS": "1"}


def run_locust(installation, base: str, folder, *, users: int, rate: int, seconds: int) -> dict:
    prefix = folder / f"locust-{users}"
    report = folder / f"locust-{users}.json"
    env = child_env(SOAK_TOKEN=installation.token(base), SOAK_LOCUST_REPORT=str(report))
    subprocess.run(  # noqa: S603 -- locust from this virtual environment
        [sys.executable, "-m", "locust", "-f", str(PROJECT_DIR / "bench/soak/locustfile.py"), "--headless",
         "-u", str(users), "-r", str(rate), "-t", f"{seconds}s", "--host", base, "--csv", str(prefix),
         "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "60"],
        env=env, cwd=PROJECT_DIR, check=False, timeout=seconds + 300, capture_output=True,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    statuses = json.loads(report.read_text())
    return {
        "users": users,
        "seconds": seconds,
        "requests": int(total["Request Count"]),
        "throughput_rps": round(float(total["Requests/s"]), 1),
        "median_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "statuses": statuses["statuses"],
        "shed_without_retry_after": statuses["shed_without_retry_after"],
    }


def errors(figures: dict, *, shed_allowed: bool) -> int:
    """Answers that are failures: status 0 (no answer: reset, timeout) and every 4xx/5xx except shed load."""
    shed = (429, 503) if shed_allowed else ()
    codes = {int(code): n for code, n in figures["statuses"].items()}
    return sum(n for code, n in codes.items() if code == 0 or (code >= 400 and code not in shed))


def test_steady_load(installation, record, tmp_path):
    running = installation.serve(*SERVE)  # steady load is served, not shed
    try:
        figures = run_locust(installation, running.base, tmp_path, users=20, rate=5,
                             seconds=60 * env_int("SOAK_MINUTES", 1))  # fmt: skip
    finally:
        running.stop()
    record("t31_steady", figures)
    assert errors(figures, shed_allowed=False) == 0, figures
    assert figures["shed_without_retry_after"] == 0
    assert figures["p95_ms"] < 1000, figures


def test_spike_is_shed_with_retry_after_and_the_server_recovers(installation, record, tmp_path):
    running = installation.serve(*SERVE, extra_env=SHEDDING)
    try:
        figures = run_locust(installation, running.base, tmp_path, users=100, rate=50,
                             seconds=env_int("SOAK_SPIKE_SECONDS", 60))  # fmt: skip
        ended = time.monotonic()
        while requests.get(f"{running.base}/healthz", timeout=5).status_code != 200:
            time.sleep(0.5)
        figures["recovered_in_s"] = round(time.monotonic() - ended, 1)
        alive = running.server.process.poll() is None
    finally:
        running.stop()
    record("t32_spike", figures)
    assert errors(figures, shed_allowed=True) == 0, figures
    assert figures["shed_without_retry_after"] == 0
    assert figures["recovered_in_s"] < 30
    assert alive
