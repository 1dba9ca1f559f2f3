"""transaction Bundles are all or nothing; batch Bundles answer per entry."""

from carecoord.patients.models import Patient

from .conftest import outcome_text, patient_resource


def entry(resource, method="POST", url="Patient", full_url=""):
    found = {"resource": resource, "request": {"method": method, "url": url}}
    if full_url:
        found["fullUrl"] = full_url
    return found


def test_a_transaction_with_one_bad_entry_leaves_nothing_behind(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [entry(patient_resource(mrn="T-1")), entry(patient_resource(mrn="T-2", birth="not-a-date"))],
    }
    response = fhir.post("", bundle)
    assert response.status_code == 400
    assert "Bundle.entry[1]" in outcome_text(response)
    assert Patient.objects.count() == 0


def test_a_good_transaction_answers_each_entry(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [entry(patient_resource(mrn="T-1")), entry(patient_resource(mrn="T-2", family="Second"))],
    }
    response = fhir.post("", bundle)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "201 Created"]
    assert Patient.objects.count() == 2


def test_a_batch_keeps_the_good_entries_and_reports_the_bad(fhir):
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [entry(patient_resource(mrn="B-1")), entry({"resourceType": "Patient"})],
    }
    body = fhir.post("", bundle).json()
    assert body["entry"][0]["response"]["status"] == "201 Created"
    assert body["entry"][1]["response"]["status"] == "400"
    assert body["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert Patient.objects.count() == 1


def test_unsupported_types_fail_a_transaction_unless_lenient(fhir):
    claim = {"resourceType": "Claim", "status": "active"}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [entry(patient_resource(mrn="L-1")), entry(claim, url="Claim")],
    }
    assert fhir.post("", bundle).status_code == 404
    assert Patient.objects.count() == 0
    lenient = fhir.post("", bundle, headers={"Prefer": "handling=lenient"})
    assert lenient.status_code == 200
    assert "Not stored" in lenient.json()["entry"][1]["response"]["outcome"]["issue"][0]["diagnostics"]
    again = fhir.post("", bundle, headers={"Prefer": "handling=lenient"})
    assert again.json()["entry"][0]["response"]["status"] == "200 OK"
    assert Patient.objects.count() == 1


def test_a_lenient_import_keeps_a_patient_and_leaves_out_a_postal_code_that_is_not_one(fhir):
    address = [{"use": "home", "line": ["4801 W 14th St"], "city": "Cicero", "state": "IL", "postalCode": "ZZZ"}]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry(patient_resource(address=address))]}
    response = fhir.post("", bundle, headers={"Prefer": "handling=lenient"})
    assert response.status_code == 200, response.content
    patient = Patient.objects.get()
    assert (patient.address_line1, patient.city, patient.postal_code) == ("4801 W 14th St", "Cicero", "")


def test_bundle_shape_errors_are_precise(fhir):
    assert "transaction or batch" in outcome_text(fhir.post("", {"resourceType": "Bundle", "type": "collection"}))
    no_request = fhir.post("", {"resourceType": "Bundle", "type": "batch", "entry": [{"resource": {}}]})
    assert "Bundle.entry[0]" in outcome_text(no_request)
