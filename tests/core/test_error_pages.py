"""Error answers keep the caller's format: HTML pages, JSON for /api/, OperationOutcome for /fhir/."""


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
