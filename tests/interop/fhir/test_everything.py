"""Patient/{id}/$everything: the patient's record as one paged searchset Bundle, audited once."""

from carecoord.core.choices import AuditAction
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.export import compartment_types

from ...factories import ConditionFactory, OrganizationFactory, PatientFactory, PractitionerFactory
from .conftest import assert_valid, outcome_text


def resources(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def test_everything_is_the_patient_and_their_resources_only(fhir):
    patient = PatientFactory(organization=fhir.organization)
    ConditionFactory(patient=patient)
    ConditionFactory(patient=patient, code="I10", display="Essential hypertension")
    ConditionFactory(patient=PatientFactory(organization=fhir.organization))  # someone else's
    PractitionerFactory(organization=fhir.organization)  # not about the patient

    response = fhir.get(f"Patient/{patient.public_id}/$everything")
    assert response.status_code == 200
    bundle = assert_valid(response.json())
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 3
    found = resources(bundle)
    assert [r["resourceType"] for r in found] == ["Patient", "Condition", "Condition"]
    assert found[0]["id"] == str(patient.public_id)
    assert {r["subject"]["reference"] for r in found[1:]} == {f"Patient/{patient.public_id}"}
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/R4/Patient/{patient.public_id}"
    assert set(compartment_types()) >= {"Patient", "Condition"}


def test_everything_pages_with_count_across_types(fhir):
    patient = PatientFactory(organization=fhir.organization)
    for code in ("E11.9", "I10", "J45.909"):
        ConditionFactory(patient=patient, code=code)

    first = fhir.get(f"Patient/{patient.public_id}/$everything", {"_count": "2"}).json()
    assert first["total"] == 4
    assert len(resources(first)) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert "_count=2" in next_url
    assert "_offset=2" in next_url
    second = fhir.get(next_url.split("/fhir/R4/", 1)[1].split("?")[0], {"_count": "2", "_offset": "2"}).json()
    assert len(resources(second)) == 2
    assert not any(link["relation"] == "next" for link in second["link"])
    ids = [r["id"] for r in resources(first) + resources(second)]
    assert len(set(ids)) == 4
    typed = fhir.get(f"Patient/{patient.public_id}/$everything", {"_type": "Condition"}).json()
    assert {r["resourceType"] for r in resources(typed)} == {"Condition"}


def test_everything_is_audited_once_as_a_read_of_the_patient(fhir):
    patient = PatientFactory(organization=fhir.organization)
    ConditionFactory(patient=patient)
    fhir.get(f"Patient/{patient.public_id}/$everything")
    [event] = AuditEvent.objects.filter(patient_public_id=patient.public_id, event__startswith="fhir.")
    assert event.event == "fhir.everything"
    assert event.action == AuditAction.READ
    assert event.detail["total"] == 2


def test_everything_is_404_for_a_patient_the_caller_may_not_see(fhir):
    stranger = PatientFactory(organization=OrganizationFactory())
    ConditionFactory(patient=stranger)
    response = fhir.get(f"Patient/{stranger.public_id}/$everything")
    assert response.status_code == 404
    assert "not known" in outcome_text(response)
    assert fhir.get("Patient/not-a-uuid/$everything").status_code == 404


def test_scopes_decide_what_everything_holds(make_caller):
    organization = OrganizationFactory()
    patient = PatientFactory(organization=organization)
    ConditionFactory(patient=patient)
    reader = make_caller(organization, "system/Patient.read")
    bundle = assert_valid(reader.get(f"Patient/{patient.public_id}/$everything").json())
    assert [r["resourceType"] for r in resources(bundle)] == ["Patient"]
    outcome = next(e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome")
    assert "Condition" in outcome["issue"][0]["diagnostics"]
    conditions_only = make_caller(organization, "system/Condition.read")
    assert conditions_only.get(f"Patient/{patient.public_id}/$everything").status_code == 403
