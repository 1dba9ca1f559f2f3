"""Error answers keep the caller's format: HTML pages, JSON for /api/, OperationOutcome for /fhir/."""

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import ReadablePermissionDenied
from carecoord.core.views import forbidden
from tests.factories import make_actor


def test_unknown_api_and_fhir_paths_answer_in_their_own_format(actor, client_for):
    client = client_for(actor)
    api = client.get("/api/v1/no/such/thing")
    assert api.status_code == 404
    assert api.json() == {"code": "not-found", "message": "Not found."}
    fhir = client.put("/fhir/R4/Patient/../../etc/passwd", "{}", content_type="application/fhir+json")
    assert fhir.status_code == 404
    assert fhir.json()["resourceType"] == "OperationOutcome"
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert "text/html" in page["Content-Type"]


def test_a_refused_service_check_shows_its_own_reason_on_the_403_page(org, client_for):
    supervisor = make_actor(org, Role.SUPERVISOR)
    page = client_for(supervisor).get(reverse("scheduling:reminder_policy"))
    assert page.status_code == 403
    body = page.content.decode()
    assert "Only organization admins change the reminder policy." in body
    assert "Your role does not allow this." not in body


def test_djangos_own_permission_denied_keeps_the_generic_text(rf):
    request = rf.get("/somewhere/")
    response = forbidden(request, PermissionDenied("internal detail: table auth_user"))
    response.render()
    body = response.content.decode()
    assert response.status_code == 403
    assert "Your role does not allow this." in body
    assert "internal detail" not in body


def test_api_refusals_keep_the_generic_message(rf):
    response = forbidden(rf.get("/api/v1/x"), ReadablePermissionDenied("Only organization admins do this."))
    assert response.status_code == 403
    assert b"Your role does not allow this." in response.content
