"""NUL characters are refused with 400 wherever text comes in (PostgreSQL cannot store them in text columns)."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from carecoord.patients.models import Patient


def test_a_form_with_a_nul_character_is_refused_and_saves_nothing(actor, client_for):
    response = client_for(actor).post("/patients/new/", {"given_name": "Ana\x00", "family_name": "Ruiz"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not Patient.objects.exists()


def test_query_strings_json_and_fhir_bodies_are_refused_in_their_own_format(actor, client_for):
    client = client_for(actor)
    assert client.get("/patients/", {"q": "a\x00b"}).status_code == 400
    api = client.post(
        "/api/v1/tasks/x/complete", json.dumps({"note": "bad \u0000 note"}), content_type="application/json"
    )
    assert api.status_code == 400
    assert api.json()["code"] == "invalid"
    fhir = client.post(
        "/fhir/R4/Patient",
        '{"resourceType": "Patient", "name": [{"family": "A\\u0000"}]}',
        content_type="application/fhir+json",
    )
    assert fhir.status_code == 400
    assert fhir.json()["resourceType"] == "OperationOutcome"


def test_uploaded_files_may_hold_any_bytes(actor, client_for):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\x00\x01binary", content_type="application/pdf")
    response = client_for(actor).post("/patients/", {"note": "fine", "file": upload})
    assert response.status_code != 400


def test_a_multipart_body_without_a_boundary_is_a_clear_400(actor, client_for):
    client = client_for(actor)
    api = client.post("/api/v1/careplans", b"--x\r\n", content_type="multipart/form-data")
    assert api.status_code == 400
    assert api.json() == {
        "code": "invalid",
        "message": "The request body could not be read (a malformed multipart form).",
    }
    page = client.post("/patients/new/", b"--x\r\n", content_type="multipart/form-data")
    assert page.status_code == 400
    assert "could not be read" in page.content.decode()
    assert not Patient.objects.exists()
