"""
T04 (RELIABILITY.md), JSON side: schemathesis generates requests for every operation of /api/v1 from its
OpenAPI description, in positive and negative modes, as a signed-in coordinator with patients, conditions,
tasks and appointments to find; every answer must be a non-5xx that conforms to the schema, and every 4xx
must carry the structured {"code", "message"} body. CI runs a few examples per operation;
CARECOORD_FUZZ_EXAMPLES=100 (the slow run) runs the plan's hundred. The negative mode sends what the description
forbids (wrong types, missing fields, methods a path does not take, TRACE and QUERY among them): never a 5xx,
every refusal structured, a wrong method a 405 with an Allow header (tests/security/test_api_errors.py walks
those one by one too).
"""

import os

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from carecoord.api import api
from carecoord.core.choices import Role
from carecoord.wsgi import application

from ..conftest import signed_in_client
from ..factories import ConditionFactory, PatientFactory, make_actor

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.specs.openapi.checks import unsupported_method  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("CARECOORD_FUZZ_EXAMPLES", "8"))
CSRF_SECRET = "S" * 32


def structured_client_errors(ctx, response, case):
    """Every 4xx answers {"code", "message"} (and, for a field's fault, "field") as JSON."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict), body
        assert {"code", "message"} <= body.keys(), body
        assert isinstance(body["message"], str)
        assert body["message"]


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, structured_client_errors]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application
schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES)

NEGATIVE_CHECKS = [not_a_server_error, structured_client_errors, unsupported_method]
negative_schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
negative_schema.app = application
negative_schema.config.generation.update(modes=[GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES)


@pytest.fixture
def wsgi_app(db):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def session_auth(org, wsgi_app):
    actor = make_actor(org, Role.COORDINATOR, Role.SCHEDULER)
    for _ in range(3):
        ConditionFactory(patient=PatientFactory(organization=org))
    client = signed_in_client(actor)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
               settings.CSRF_COOKIE_NAME: CSRF_SECRET}  # fmt: skip
    return cookies, {"X-CSRFToken": CSRF_SECRET}


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_described_and_refuses_in_the_structured_shape(case, session_auth):
    cookies, headers = session_auth
    response = case.call_and_validate(cookies=cookies, headers=headers, checks=CHECKS)
    assert response.status_code not in (401, 403), "the signed-in session was not accepted"


@negative_schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_refuses_what_its_description_forbids_in_the_structured_shape(case, session_auth):
    cookies, headers = session_auth
    response = case.call_and_validate(cookies=cookies, headers=headers, checks=NEGATIVE_CHECKS)
    assert response.status_code not in (401, 403), "the signed-in session was not accepted"
