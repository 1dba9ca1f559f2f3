"""
T19: refusals leak nothing. Every matrix test (T14-T18) hands the 401/403/404/405/409 responses it saw to the
`denied` fixture, which runs this detector over them when the test ends. Here: the detector itself (it must
catch what it looks for), and a sweep of every URL with every method (GET, POST, PUT, PATCH, DELETE) by B and
anonymously, so 405 and 409 bodies are checked too.
"""

from django.test import Client
from django.urls import get_resolver, reverse

from ..conftest import signed_in_client
from ..test_tenant_isolation import kwargs_for, walk
from .conftest import DeniedBodies, leaks_in


class FakeResponse:
    streaming = False

    def __init__(self, status_code, text):
        self.status_code, self.content = status_code, text.encode()


def test_the_detector_finds_names_mrns_dobs_note_text_and_tracebacks(world):
    probes = ["Patient Zebulon not found", "MRN ALPHA-7731", "born 1951-02-03", "note: Alpha body",
              'Traceback (most recent call last):\n  File "/app/x.py"', "django.db.utils.IntegrityError"]  # fmt: skip
    for text in probes:
        bodies = DeniedBodies()
        bodies.add("probe", FakeResponse(404, text))
        assert leaks_in(text), text
        try:
            bodies.check()
        except AssertionError:
            continue
        raise AssertionError(f"the detector missed {text!r}")
    clean = DeniedBodies()
    clean.add("probe", FakeResponse(404, '{"code": "not-found", "message": "Not found."}'))
    clean.add("ok", FakeResponse(200, "Zebulon"))  # only refusals are collected
    clean.check()
    assert len(clean.seen) == 1


def test_every_refusal_of_every_url_and_method_is_clean(world):
    bodies = DeniedBodies()
    clients = {"B": signed_in_client(world["b"]), "anonymous": Client()}
    for name, _route, conv in walk(get_resolver().url_patterns):
        url = reverse(name, kwargs=kwargs_for(name, list(conv), world)) if conv else reverse(name)
        if not conv and not name.startswith(("api:", "fhir:")):
            continue  # pages without ids are B's own (test_matrix_searches); anonymous ones redirect to sign-in
        for who, client in clients.items():
            for method in ("get", "post", "put", "patch", "delete"):
                response = client.generic(method.upper(), url, "{}", content_type="application/json")
                bodies.add(f"{who} {method.upper()} {url}", response)
                assert response.status_code < 500, f"{who} {method.upper()} {url}: {response.status_code}"
    assert len(bodies.seen) > 500, "the sweep collected too few refusals to mean anything"
    bodies.check()
