"""
The JSON API at /api/v1 against its own OpenAPI description, with schemathesis: for every operation, requests
generated from the schema are sent to the Django WSGI application as a signed-in, two-factor-verified
coordinator (the session cookie and a CSRF token pair, as a browser sends them), and each response must not be
a server error and must match the schema (the body schema of its status code, and its content type).

The schema is django-ninja's own description of the API, the one /api/v1/openapi.json serves to signed-in
users (a test below checks they are the same). It is loaded with `openapi.from_dict` and bound to the WSGI
app, rather than with `openapi.from_wsgi`, because the schema URL needs the session cookie and schemathesis's
lazy fixture loader (`pytest.from_fixture`) does not work with pytest 9. Examples are bounded so the run
stays well under a minute. schemathesis is a dev dependency; the test is skipped where it is not installed.
"""

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from werkzeug.test import Client as WsgiClient

from carecoord.api import api
from carecoord.wsgi import application

from ...conftest import signed_in_client
from ...factories import ConditionFactory, PatientFactory, make_actor

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MAX_EXAMPLES = 10
WSGI_HOST = "localhost"  # where schemathesis sends WSGI requests
CSRF_SECRET = "S" * 32  # Django accepts a 32-character secret as the cookie and, unmasked, as the header

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application  # what openapi.from_wsgi sets: calls go to the WSGI app in this process
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES)


@pytest.fixture
def wsgi_app(db):
    """The WSGI application, kept on the test's database connection (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def session_auth(org, wsgi_app):
    """Cookies and headers of a signed-in coordinator of `org`, who has patients for the API to list."""
    actor = make_actor(org)
    for _ in range(3):
        ConditionFactory(patient=PatientFactory(organization=org))
    client = signed_in_client(actor)
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: CSRF_SECRET,
    }
    return cookies, {"X-CSRFToken": CSRF_SECRET}


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_v1_answers_as_its_openapi_schema_says(case, session_auth):
    cookies, headers = session_auth
    response = case.call_and_validate(cookies=cookies, headers=headers, checks=CHECKS)
    assert response.status_code not in (401, 403), "the signed-in session (and its CSRF token) was not accepted"


def test_a_real_patient_answers_as_the_schema_says(session_auth, org):
    cookies, headers = session_auth
    patient = PatientFactory(organization=org)
    case = schema["/api/v1/patients/{patient_id}"]["GET"].Case(path_parameters={"patient_id": str(patient.public_id)})
    response = case.call_and_validate(cookies=cookies, headers=headers, checks=CHECKS)
    assert response.status_code == 200
    assert response.json()["id"] == str(patient.public_id)


def test_the_tested_schema_is_the_one_served_to_signed_in_users_only(session_auth, wsgi_app):
    assert WsgiClient(wsgi_app).get("/api/v1/openapi.json").status_code in (302, 401, 403)
    cookies, _ = session_auth
    browser = WsgiClient(wsgi_app)
    for name, value in cookies.items():
        browser.set_cookie(name, value, domain=WSGI_HOST)
    response = browser.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["paths"].keys() == schema.raw_schema["paths"].keys()
