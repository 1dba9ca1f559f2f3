"""
Fixtures of the input, upload, concurrency and idempotency tests (T04-T09, T25-T27): a real threaded HTTP
server over the test database, signed-in `requests` sessions for it, and a barrier-started fan-out.

SQLite: pytest-django's test database lives in memory and Django's own live server shares one connection
between its threads, which is not what production does (a WAL file, BEGIN IMMEDIATE, a busy timeout). So on
SQLite the server runs over a migrated temporary file database, and every thread (this one, the server's
request threads, the clients') connects to it. PostgreSQL: the test database as is.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from ..conftest import signed_in_client

CSRF_SECRET = "S" * 32  # Django accepts a 32-character secret as the cookie and, unmasked, as the header


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Server(ThreadedWSGIServer):
    # socketserver's default listen backlog (5) resets connections when 40 clients connect at once; a real
    # deployment (gunicorn) listens with a backlog of 2048.
    request_queue_size = 128


@contextmanager
def file_database(tmp_path):
    """On SQLite, every connection made while inside goes to a migrated file database; elsewhere, a no-op."""
    original = connections["default"]
    if original.vendor != "sqlite":
        yield
        return
    file_settings = {**original.settings_dict, "NAME": str(tmp_path / "http.sqlite3")}
    saved = connections.settings["default"]
    connections.settings["default"] = file_settings  # threads started from now on connect to the file
    connections["default"] = SQLiteWrapper(file_settings, "default")
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connections["default"].close()
        connections["default"] = original
        connections.settings["default"] = saved


@pytest.fixture
def http_server(transactional_db, tmp_path):
    """The WSGI application served by a threaded HTTP server on 127.0.0.1; yields its base URL."""
    with file_database(tmp_path):
        server = Server(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
        server.daemon_threads = True
        server.set_app(WSGIHandler())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


def http_session(actor) -> requests.Session:
    """A `requests` session signed in as `actor` (past two-factor), sending its CSRF token pair on writes."""
    client = signed_in_client(actor)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    session.cookies.set(settings.CSRF_COOKIE_NAME, CSRF_SECRET)
    session.headers["X-CSRFToken"] = CSRF_SECRET
    return session


def fan_out(calls) -> list:
    """Runs every call at once (released together by a barrier) and returns their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
