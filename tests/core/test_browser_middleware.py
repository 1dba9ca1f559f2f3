"""
Bearer-token calls to the FHIR API skip the browser-session middleware (core.browser_middleware) and keep
every guard of an answer; everything else still goes through the whole stack.
"""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor
from ..interop.fhir.conftest import get_token

pytestmark = pytest.mark.django_db


def _read(client: Client, patient, token: str):
    return client.get(f"/fhir/R4/Patient/{patient.public_id}", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_bearer_read_answers_with_every_guard_and_no_cookie(org):
    patient = PatientFactory(organization=org)
    response = _read(Client(), patient, get_token(org))
    assert response.status_code == 200
    assert response.json()["id"] == str(patient.public_id)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies  # no session, no CSRF cookie: nothing of a browser's
    assert not Session.objects.exists()
    request = response.wsgi_request  # the browser middleware was passed by: no session, an anonymous user
    assert not hasattr(request, "session")
    assert not hasattr(request, "htmx")
    assert not request.user.is_authenticated
    assert request.actor is None
    read = AuditEvent.objects.get(event="fhir.read")
    assert read.patient_public_id == patient.public_id
    assert read.user.email.endswith("@api-clients.carecoord.invalid")


def test_a_bearer_header_outranks_a_signed_in_session(org, other_org):
    """A browser signed in at `org` sending a stranger's token is that token's caller, not the session's."""
    patient = PatientFactory(organization=org)
    browser = signed_in_client(make_actor(org, Role.COORDINATOR))
    assert browser.get(f"/fhir/R4/Patient/{patient.public_id}").status_code == 200  # by its session
    assert _read(browser, patient, get_token(other_org)).status_code == 404
    refused = _read(browser, patient, "not-a-token")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_a_bearer_header_on_a_page_changes_nothing(org):
    token = get_token(org)
    anonymous = Client().get("/patients/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert anonymous.status_code == 302
    assert "/account/login/" in anonymous["Location"]
    browser = signed_in_client(make_actor(org, Role.COORDINATOR))
    page = browser.get("/patients/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert page.status_code == 200
    assert page.wsgi_request.user.is_authenticated


def test_csrf_still_guards_a_signed_in_form_with_a_bearer_header(org):
    browser = signed_in_client(make_actor(org, Role.COORDINATOR))
    browser.handler.enforce_csrf_checks = True
    response = browser.post("/patients/new/", {"given_name": "Ada"}, HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 403
