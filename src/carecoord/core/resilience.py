"""
Failing well under faults and load (RELIABILITY.md T29, T32).

- `DatabaseUnavailableMiddleware` (first in MIDDLEWARE, so it sees every response): a database that cannot
  answer (PostgreSQL down or restarting, a terminated connection, `lock_timeout` or `statement_timeout`
  reached, SQLite busy past its timeout) answers **503 with Retry-After and no details**, shaped for the
  caller (JSON API body, FHIR OperationOutcome, a plain page), never a 500 with a traceback. Errors raised in
  views are caught in `process_exception`; errors raised inside other middleware (loading the session or
  the user) reach Django's 500 handler first, so a `got_request_exception` receiver marks the request and the
  middleware swaps that 500 for the 503.
- `ConcurrencyLimitMiddleware`: at most CARECOORD_MAX_INFLIGHT requests of one server process run at once;
  a request that cannot start within CARECOORD_INFLIGHT_WAIT_SECONDS is shed with 503 + Retry-After instead
  of queueing until the client gives up. 0 (the default) turns the limit off.
- `apply_request_timeouts`: the PostgreSQL statement and lock timeouts `carecoord serve` sets for web
  requests (batch jobs and migrations keep none), so a stalled lock fails a request fast.
"""

import json
import logging
import threading

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

UNAVAILABLE_FLAG = "_carecoord_database_unavailable"
DATABASE_MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."
BUSY_MESSAGE = "The service is busy. Please try again in a few seconds."
PAGE = (
    "<!doctype html><html lang='en'><head><title>Unavailable</title></head><body><main>"
    "<h1>Temporarily unavailable</h1><p>{message}</p></main></body></html>"
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response(request, message: str = DATABASE_MESSAGE, code: str = "unavailable") -> HttpResponse:
    """A 503 with Retry-After, in the format the caller reads; it touches no database and names no cause."""
    path = request.path
    if path.startswith("/fhir/"):
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "transient", "diagnostics": message}],
        }
        response = HttpResponse(json.dumps(outcome), status=503, content_type="application/fhir+json")
    elif path.startswith("/api/") or path == "/healthz":
        response = JsonResponse({"code": code, "message": message}, status=503)
    else:
        response = HttpResponse(PAGE.format(message=message), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(settings.CARECOORD_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@receiver(got_request_exception)
def _mark_database_unavailable(sender, request=None, **kwargs):
    import sys

    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, UNAVAILABLE_FLAG, True)


class DatabaseUnavailableMiddleware:
    """Answers 503 + Retry-After, never a 500, when the database is down, disconnected or stalled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, UNAVAILABLE_FLAG, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.error("database unavailable: %s", type(exception).__name__)
        # The connection may be broken mid-transaction; drop it so the next request opens a fresh one.
        for conn in connections.all(initialized_only=True):
            if conn.in_atomic_block:
                continue
            conn.close_if_unusable_or_obsolete()
        return unavailable_response(request)


class ConcurrencyLimitMiddleware:
    """Sheds load beyond CARECOORD_MAX_INFLIGHT concurrent requests per process with 503 + Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.CARECOORD_MAX_INFLIGHT
        self.wait = settings.CARECOORD_INFLIGHT_WAIT_SECONDS
        self.slots = threading.BoundedSemaphore(self.limit) if self.limit > 0 else None

    def __call__(self, request):
        if self.slots is None or request.path == "/healthz":
            return self.get_response(request)
        if not self.slots.acquire(timeout=self.wait):
            return unavailable_response(request, BUSY_MESSAGE, code="busy")
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


def apply_request_timeouts(*, statement_ms: int, lock_ms: int, alias: str = "default") -> None:
    """
    Makes every later PostgreSQL connection of this process run with these timeouts (libpq `options`); a
    timed-out statement raises OperationalError, which the middleware answers with 503. No-op on SQLite.
    """
    conn = connections[alias]
    if conn.vendor != "postgresql":
        return
    options = conn.settings_dict.setdefault("OPTIONS", {})
    extra = " ".join(
        f"-c {name}={value}" for name, value in (("statement_timeout", statement_ms), ("lock_timeout", lock_ms))
    )
    options["options"] = f"{options.get('options', '')} {extra}".strip()
    conn.close()
