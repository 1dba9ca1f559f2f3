"""
Lost updates over real HTTP (RELIABILITY.md T24): 2, then 10 clients PUT the same Patient at once carrying the
same If-Match. Exactly one gets 200, the rest 412; the version goes up by exactly one and the stored record is
the winner's. A PUT without If-Match gets 428 (the server's policy, declared as versioning
"versioned-update" in the CapabilityStatement).

The server is a threaded WSGI server in this process, one thread and one database connection per request.
On SQLite, pytest-django's in-memory test database cannot take concurrent writers (shared-cache locks ignore
the busy timeout), so the test migrates a file database (WAL, BEGIN IMMEDIATE, as CareCoord runs) and every
request thread connects to it, as tests/scheduling/test_race.py does.
"""

import json
import threading
import urllib.error
import urllib.request
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from carecoord.patients.models import Patient

from ...factories import OrganizationFactory, PatientFactory
from .conftest import get_token


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(transactional_db, tmp_path):
    """The base URL of a threaded HTTP server on the test database (a file database on SQLite)."""
    original = connections["default"]
    settings_dict = None
    if original.vendor == "sqlite":
        settings_dict = {**original.settings_dict, "NAME": str(tmp_path / "t24.sqlite3")}
        connections["default"] = SQLiteWrapper(settings_dict, "default")
        call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    django_app = WSGIHandler()

    def app(environ, start_response):
        if settings_dict is not None:
            connections["default"] = SQLiteWrapper(settings_dict, "default")
        try:
            return [b"".join(django_app(environ, start_response))]
        finally:
            connections.close_all()

    httpd = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        if settings_dict is not None:
            connections["default"].close()
            connections["default"] = original


def _call(method: str, url: str, token: str, body=None, headers=None) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - an http:// URL of the test server
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/fhir+json",
            "Host": "testserver",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the test server
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _race(base: str, token: str, resource: dict, clients: int) -> list[tuple[int, dict, str]]:
    version = resource["meta"]["versionId"]
    barrier = threading.Barrier(clients)
    results: list[tuple[int, dict, str]] = []
    lock = threading.Lock()

    def put(n: int) -> None:
        family = f"Racer{n:02d}"
        body = {**resource, "name": [{"use": "official", "family": family, "given": ["Tess"]}]}
        barrier.wait()
        status, answer = _call(
            "PUT", f"{base}/fhir/R4/Patient/{resource['id']}", token, body, {"If-Match": f'W/"{version}"'}
        )
        with lock:
            results.append((status, answer, family))

    threads = [threading.Thread(target=put, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_with_the_same_if_match_one_wins_the_rest_get_412(server):
    organization = OrganizationFactory(name="Race Clinic", slug="race-clinic")
    token = get_token(organization)
    patient = PatientFactory(organization=organization, given_name="Tess", family_name="Original")
    for clients in (2, 10):
        status, resource = _call("GET", f"{server}/fhir/R4/Patient/{patient.public_id}", token)
        assert status == 200, resource
        before = int(resource["meta"]["versionId"])
        results = _race(server, token, resource, clients)
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [200] + [412] * (clients - 1), [(s, a.get("issue")) for s, a, _ in results]
        winner = next(family for status, _, family in results if status == 200)
        stored = Patient.objects.get(pk=patient.pk)
        assert stored.version == before + 1
        assert stored.family_name == winner
        status, after = _call("GET", f"{server}/fhir/R4/Patient/{patient.public_id}", token)
        assert after["meta"]["versionId"] == str(before + 1)
        assert after["name"][0]["family"] == winner


@pytest.mark.django_db(transaction=True)
def test_an_update_without_if_match_gets_428_and_changes_nothing(server):
    organization = OrganizationFactory(name="Race Clinic", slug="race-clinic")
    token = get_token(organization)
    patient = PatientFactory(organization=organization, given_name="Tess", family_name="Original")
    _, resource = _call("GET", f"{server}/fhir/R4/Patient/{patient.public_id}", token)
    changed = {**resource, "name": [{"use": "official", "family": "Overwritten", "given": ["Tess"]}]}
    status, outcome = _call("PUT", f"{server}/fhir/R4/Patient/{patient.public_id}", token, changed)
    assert status == 428
    assert "If-Match" in outcome["issue"][0]["diagnostics"]
    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.family_name, stored.version) == ("Original", patient.version)
    status, statement = _call("GET", f"{server}/fhir/R4/metadata", token)
    patient_entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert (patient_entry["versioning"], patient_entry["updateCreate"]) == ("versioned-update", False)
