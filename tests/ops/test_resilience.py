"""
T29's fast half: a database that cannot answer gives 503 + Retry-After with no details, never a 500 or a
traceback, whether the error comes from a view or from middleware loading the session; and load beyond
CARECOORD_MAX_INFLIGHT is shed with 503 + Retry-After (T32).
"""

import json
import threading
import time

import pytest
import requests
from django.test import Client, RequestFactory, override_settings

from carecoord.core.resilience import ConcurrencyLimitMiddleware, unavailable_response

from .serverkit import Server, child_env, free_port

LEAKS = ("Traceback", "OperationalError", "127.0.0.1", "Connection refused", "unable to open", "SELECT")


def assert_unavailable(response, retry_after="5"):
    assert response.status_code == 503
    assert response["Retry-After"] == retry_after
    body = response.content.decode()
    for leak in LEAKS:
        assert leak not in body, leak


@override_settings(ROOT_URLCONF="tests.ops.urls_forced_error")
def test_a_view_losing_the_database_answers_503_not_500(db):
    response = Client(raise_request_exception=False).get("/__test__/database-gone")
    assert_unavailable(response)
    assert "text/html" in response["Content-Type"]


@pytest.mark.parametrize(
    ("path", "content_type", "key"),
    [
        ("/api/v1/patients", "application/json", "code"),
        ("/fhir/R4/Patient", "application/fhir+json", "resourceType"),
        ("/patients/", "text/html; charset=utf-8", None),
    ],
)
def test_the_503_speaks_the_callers_format(path, content_type, key):
    response = unavailable_response(RequestFactory().get(path))
    assert_unavailable(response)
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "no-store"
    if key == "code":
        assert json.loads(response.content)["code"] == "unavailable"
    if key == "resourceType":
        assert json.loads(response.content)["issue"][0]["code"] == "transient"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_real_server_answers_503_quickly_while_its_database_is_unreachable(tmp_path, engine):
    unreachable = (
        f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite3'}"
        if engine == "sqlite"
        else f"postgres://postgres@127.0.0.1:{free_port()}/nowhere"
    )
    port = free_port()
    env = child_env(DATABASE_URL=unreachable, CARECOORD_VAR_DIR=str(tmp_path))
    base = f"http://127.0.0.1:{port}"
    with Server(env, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2") as server:
        server.wait_until(lambda: requests.get(f"{base}/static/carecoord/app.css", timeout=3).status_code == 200)
        # A session cookie makes middleware (not a view) hit the database first.
        for path, cookies in (("/patients/", {"sessionid": "x" * 32}), ("/api/v1/patients", {"sessionid": "y" * 32})):
            started = time.monotonic()
            response = requests.get(f"{base}{path}", cookies=cookies, timeout=30, allow_redirects=False)
            assert time.monotonic() - started < 5
            assert response.status_code == 503, response.text[:300]
            assert response.headers["Retry-After"] == "5"
            for leak in LEAKS:
                assert leak not in response.text
        health = requests.get(f"{base}/healthz", timeout=30)
        assert health.status_code == 503


@override_settings(CARECOORD_MAX_INFLIGHT=1, CARECOORD_INFLIGHT_WAIT_SECONDS=0.05)
def test_requests_beyond_the_concurrency_limit_are_shed_with_retry_after():
    release, entered = threading.Event(), threading.Event()

    def slow_view(request):
        entered.set()
        release.wait(10)
        from django.http import HttpResponse

        return HttpResponse("done")

    middleware = ConcurrencyLimitMiddleware(slow_view)
    factory = RequestFactory()
    first: list = []
    holder = threading.Thread(target=lambda: first.append(middleware(factory.get("/patients/"))))
    holder.start()
    assert entered.wait(10)
    shed = middleware(factory.get("/api/v1/patients"))
    assert_unavailable(shed)
    assert json.loads(shed.content)["code"] == "busy"
    assert middleware(factory.get("/healthz")).status_code == 200  # health checks are never shed
    release.set()
    holder.join(10)
    assert first[0].status_code == 200
    assert middleware(factory.get("/patients/")).status_code == 200  # the slot is free again
