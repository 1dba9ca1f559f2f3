"""
Periodic jobs run by `carecoord worker`. Apps register a job with `@periodic(every=...)`; each job is a
plain function taking no arguments, safe to run again (idempotent), that does its own transactions.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: dt.timedelta
    run: Callable[[], object]


REGISTRY: dict[str, PeriodicJob] = {}


def periodic(*, every: dt.timedelta):
    def register(func):
        name = f"{func.__module__}.{func.__name__}"
        REGISTRY[name] = PeriodicJob(name=name, every=every, run=func)
        return func

    return register


def run_due_jobs(last_runs: dict[str, dt.datetime], now: dt.datetime) -> list[str]:
    """Runs every job whose interval has passed since its last run; returns the names it ran."""
    ran = []
    for job in REGISTRY.values():
        last = last_runs.get(job.name)
        if last is not None and now - last < job.every:
            continue
        try:
            job.run()
        except Exception:  # one failing job must not stop the others; it is retried at its next turn
            logger.exception("periodic job failed", extra={"job": job.name})
        last_runs[job.name] = now
        ran.append(job.name)
    return ran
