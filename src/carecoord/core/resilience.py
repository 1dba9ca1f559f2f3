"""
Failing well under faults and load (RELIABILITY.md T29, T32).

- `DatabaseUnavailableMiddleware` (first in MIDDLEWARE, so it sees every response): a database that cannot
  answer (PostgreSQL down or restarting, a terminated connection, `lock_timeout` or `statement_timeout`
  reached, SQLite busy past its timeout) answers **503 with Retry-After and no details**, shaped for the
  caller (JSON API body, FHIR OperationOutcome, a plain page), never a 500 with a traceback. Errors raised in
  views are caught in `process_exception`; errors raised inside other middleware (loading the session or
  the user) reach Django's 500 handler first, so a `got_request_exception` receiver marks the request and the
  middleware swaps that 500 for the 503. Lazy reads count the same: a queryset first evaluated while a
  template renders (TemplateResponse, rendered by Django under `process_exception`; `render()` in the view),
  a database error wrapped in another exception (its `__cause__`/`__context__` chain is walked), and a
  streamed response (CSV exports), whose first rows are produced here, inside the guarded scope, until the
  stream's first database read has answered: a database lost before the download starts answers 503, not a
  200 that breaks off. A database lost later in a stream cannot change a status already sent: the error is
  raised so the server aborts the transfer (the client sees an incomplete download, never a truncated file
  that looks whole).
- `ConcurrencyLimitMiddleware`: at most CARECOORD_MAX_INFLIGHT requests of one server process run at once;
  a request that cannot start within CARECOORD_INFLIGHT_WAIT_SECONDS is shed with 503 + Retry-After instead
  of queueing until the client gives up. 0 (the default) turns the limit off.
- `apply_request_timeouts`: the PostgreSQL statement and lock timeouts `carecoord serve` sets for web
  requests (batch jobs and migrations keep none), so a stalled lock fails a request fast.
"""

import contextlib
import itertools
import json
import logging
import threading

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import FileResponse, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

UNAVAILABLE_FLAG = "_carecoord_database_unavailable"
DATABASE_MESSAGE = "The service is briefly unavailable. Please try again in a few seconds."
BUSY_MESSAGE = "The service is busy. Please try again in a few seconds."
PAGE = (
    "<!doctype html><html lang='en'><head><title>Unavailable</title></head><body><main>"
    "<h1>Temporarily unavailable</h1><p>{message}</p></main></body></html>"
)


# A stream is primed until its first database read has answered, or this much is buffered, or it ends.
PRIME_BYTES = 64 * 1024


def is_database_unavailable(exc: BaseException | None) -> bool:
    """An OperationalError or InterfaceError, or any error caused by one (a template tag or library wrapping it)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return False


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
        if getattr(response, "streaming", False) and not isinstance(response, FileResponse):
            return self._primed(request, response)
        return response

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        _log_and_reset(exception)
        return unavailable_response(request)

    def _primed(self, request, response):
        """
        Produces the stream's first chunks here, until its first database read has answered: a lazy queryset
        that fails then gives 503. The rest streams as before, a later database error ending the transfer.
        """
        if response.is_async:
            return response
        chunks = iter(response.streaming_content)
        buffered: list[bytes] = []
        size = 0
        reads: list[str] = []

        def count(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            reads.append(sql)
            return result

        try:
            with contextlib.ExitStack() as stack:
                for conn in connections.all():
                    stack.enter_context(conn.execute_wrapper(count))
                for chunk in chunks:
                    buffered.append(chunk)
                    size += len(chunk)
                    if reads or size >= PRIME_BYTES:
                        break
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            _log_and_reset(exc)
            _release(response)
            return unavailable_response(request)
        response.streaming_content = _ending_on_database_loss(itertools.chain(buffered, chunks))
        return response


def _release(response) -> None:
    """
    Frees what the abandoned stream holds (its generator, a file) without `response.close()`, whose
    request_finished signal would close the request's database connections in the middle of the request.
    """
    for closer in getattr(response, "_resource_closers", ()):
        with contextlib.suppress(Exception):
            closer()


def _ending_on_database_loss(chunks):
    try:
        yield from chunks
    except Exception as exc:
        if is_database_unavailable(exc):
            logger.error("database unavailable mid-stream: %s; transfer aborted", type(exc).__name__)
        raise


def _log_and_reset(exception: BaseException) -> None:
    logger.error("database unavailable: %s", type(exception).__name__)
    # The connection may be broken mid-transaction; drop it so the next request opens a fresh one.
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        conn.close_if_unusable_or_obsolete()


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
