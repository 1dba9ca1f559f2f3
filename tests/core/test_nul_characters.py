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


def test_the_refusal_names_the_field_holding_the_nul(actor, client_for):
    client = client_for(actor)
    page = client.post("/patients/new/", {"given_name": "Ana", "family_name": "Ru\x00iz"})
    assert page.status_code == 400
    assert "'family_name'" in page.content.decode()
    query = client.get("/patients/", {"page": "1", "q": "a\x00b"})
    assert "'q'" in query.content.decode()
    api = client.post(
        "/api/v1/careplans",
        json.dumps({"title": "Plan", "goals": [{"description": "fine"}, {"description": "walk \u0000 daily"}]}),
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json()["field"] == "goals.1.description"
    assert "'goals.1.description'" in api.json()["message"]
    fhir = client.post(
        "/fhir/R4/Patient",
        '{"resourceType": "Patient", "name": [{"family": "A\\u0000"}]}',
        content_type="application/fhir+json",
    )
    assert fhir.json()["issue"][0]["expression"] == ["name.0.family"]


def test_a_nul_in_a_body_that_is_not_json_is_refused_without_a_field(actor, client_for):
    api = client_for(actor).post("/api/v1/careplans", b'{"title": "A\x00', content_type="application/json")
    assert api.status_code == 400
    assert "field" not in api.json()
    assert "NUL" in api.json()["message"]
