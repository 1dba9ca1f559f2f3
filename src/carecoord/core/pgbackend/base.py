"""
Django's PostgreSQL backend, with its per-request health check skipped for a connection that has just proved
itself. With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first statement of every request that
reuses a connection: a round trip of its own, a fifth of a FHIR read's. Here a connection whose last request
ended without a connection error less than HEALTHY_FOR_SECONDS ago is not checked again: under load that is
every request, while a connection idle for longer (where a restart or an idle timeout could have cut it)
is checked as before. A connection cut within that second fails one request (503,
core.resilience.DatabaseUnavailableMiddleware), is closed at its end and replaced on the next, as it would
be without health checks.
"""

import time

from django.db.backends.postgresql import base

HEALTHY_FOR_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    worked_at: float | None = None  # time.monotonic() at the end of the last request that used it, unharmed

    def close_if_health_check_failed(self):
        if self.connection is not None and not self.health_check_done and self._worked_recently():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called at the start and at the end of each request; `health_check_done` says a statement ran since.
        if self.connection is not None and self.health_check_done:
            self.worked_at = None if self.errors_occurred else time.monotonic()
        super().close_if_unusable_or_obsolete()

    def connect(self):
        self.worked_at = None
        super().connect()

    def _worked_recently(self) -> bool:
        return self.worked_at is not None and time.monotonic() - self.worked_at < HEALTHY_FOR_SECONDS
