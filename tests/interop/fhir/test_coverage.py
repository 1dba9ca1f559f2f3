"""FHIR Coverage: US Core output, payor as Organization or display, search, writes through coverage services."""

import datetime as dt

from carecoord.coverage.models import Coverage, Payer

from ...factories import ExternalOrganizationFactory, OrganizationFactory, PatientFactory
from .conftest import assert_valid, outcome_text

SOPT = "https://nahdo.org/sopt"
REL = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"


def payer_for(org, linked=False, **extra) -> Payer:
    ext = ExternalOrganizationFactory(organization=org, name="Aetna", kind="payer") if linked else None
    return Payer.objects.create(organization=org, name="Aetna", payer_id="60054", external_organization=ext, **extra)


def coverage_for(org, patient=None, payer=None, **extra) -> Coverage:
    values = {
        "organization": org, "patient": patient or PatientFactory(organization=org), "payer": payer,
        "product_type": "medicare_advantage", "plan_name": "Gold 123", "member_id": "W123", "group_id": "G-77",
        "group_name": "Acme Corp", "start_date": dt.date(2026, 1, 1), "order": 1,
    }  # fmt: skip
    return Coverage.objects.create(**{**values, **extra})


def coverage_resource(patient, payor: dict, **extra) -> dict:
    return {
        "resourceType": "Coverage",
        "status": "active",
        "type": {"coding": [{"system": SOPT, "code": "2", "display": "MEDICAID"}]},
        "subscriberId": "MCD-991",
        "beneficiary": {"reference": f"Patient/{patient.public_id}"},
        "relationship": {"coding": [{"system": REL, "code": "self"}]},
        "period": {"start": "2026-02-01"},
        "payor": [payor],
        "class": [
            {
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]
                },
                "value": "Community Care",
                "name": "Community Care",
            }
        ],
        **extra,
    }


def test_read_is_us_core_with_payor_organization(fhir):
    payer = payer_for(fhir.organization, linked=True)
    coverage = coverage_for(fhir.organization, payer=payer)
    resource = assert_valid(fhir.get(f"Coverage/{coverage.public_id}").json())
    assert resource["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage"]
    assert resource["type"]["coding"][0] == {
        "system": SOPT, "code": "11", "display": "Medicare Managed Care (Includes Medicare Advantage Plans)"
    }  # fmt: skip
    assert resource["payor"] == [
        {"reference": f"Organization/{payer.external_organization.public_id}", "display": "Aetna"}
    ]
    assert resource["subscriberId"] == "W123"
    assert resource["identifier"][0]["type"]["coding"][0]["code"] == "MB"
    assert resource["relationship"]["coding"][0]["code"] == "self"
    assert resource["order"] == 1
    assert resource["period"] == {"start": "2026-01-01"}
    assert {c["type"]["coding"][0]["code"]: c["value"] for c in resource["class"]} == {
        "group": "G-77",
        "plan": "Gold 123",
    }
    assert resource["beneficiary"]["reference"] == f"Patient/{coverage.patient.public_id}"


def test_unlinked_payer_is_a_display_and_self_pay_names_the_patient(fhir):
    coverage = coverage_for(fhir.organization, payer=payer_for(fhir.organization))
    assert assert_valid(fhir.get(f"Coverage/{coverage.public_id}").json())["payor"] == [{"display": "Aetna"}]
    self_pay = coverage_for(fhir.organization, product_type="self_pay", member_id="", order=2, patient=coverage.patient)
    resource = assert_valid(fhir.get(f"Coverage/{self_pay.public_id}").json())
    assert resource["payor"][0]["reference"] == f"Patient/{coverage.patient.public_id}"
    assert {"system": "http://terminology.hl7.org/CodeSystem/coverage-selfpay", "code": "pay", "display": "PAY"} in (
        resource["type"]["coding"]
    )


def test_search_by_patient_payor_and_status(fhir):
    payer = payer_for(fhir.organization, linked=True)
    mine = coverage_for(fhir.organization, payer=payer)
    coverage_for(fhir.organization, payer=payer, status="cancelled", order=None, patient=mine.patient)
    other = coverage_for(fhir.organization, payer=payer)
    found = fhir.get("Coverage", {"patient": f"Patient/{mine.patient.public_id}", "status": "active"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(mine.public_id)]
    by_payor = fhir.get("Coverage", {"payor": f"Organization/{payer.external_organization.public_id}"}).json()
    assert {e["resource"]["id"] for e in by_payor["entry"]} >= {str(mine.public_id), str(other.public_id)}
    assert by_payor["total"] == 3


def test_another_organization_sees_nothing(fhir, make_caller):
    coverage = coverage_for(fhir.organization, payer=payer_for(fhir.organization))
    other = make_caller(OrganizationFactory(name="Other", slug="other"))
    assert other.get(f"Coverage/{coverage.public_id}").status_code == 404
    assert other.get("Coverage").json().get("total") == 0


def test_create_update_and_delete_go_through_the_services(fhir):
    payer = payer_for(fhir.organization, linked=True)
    patient = PatientFactory(organization=fhir.organization)
    first = coverage_for(fhir.organization, patient=patient, payer=payer)
    body = coverage_resource(patient, {"reference": f"Organization/{payer.external_organization.public_id}"}, order=1)
    response = fhir.post("Coverage", body)
    assert response.status_code == 201, response.content
    created = Coverage.objects.get(member_id="MCD-991")
    assert (created.product_type, created.order, created.plan_name) == ("medicaid", 1, "Community Care")
    first.refresh_from_db()
    assert first.order == 2  # the new primary moved the old one down
    assert_valid(response.json())

    body = {**assert_valid(fhir.get(f"Coverage/{created.public_id}").json()), "status": "cancelled"}
    body["period"] = {"start": "2026-02-01", "end": "2026-03-31"}
    assert fhir.put(f"Coverage/{created.public_id}", body).status_code == 200
    created.refresh_from_db()
    first.refresh_from_db()
    assert (created.status, created.order, created.end_date) == ("cancelled", None, dt.date(2026, 3, 31))
    assert first.order == 1

    assert fhir.delete(f"Coverage/{first.public_id}").status_code in (200, 204)
    first.refresh_from_db()
    assert first.status == "entered-in-error"


def test_refusals_are_operation_outcomes(fhir):
    patient = PatientFactory(organization=fhir.organization)
    payer_for(fhir.organization)
    unknown = fhir.post("Coverage", coverage_resource(patient, {"display": "Nobody Mutual"}))
    assert unknown.status_code == 400
    assert "payer directory" in outcome_text(unknown)
    no_type = fhir.post("Coverage", coverage_resource(patient, {"display": "Aetna"}, type={"text": "x"}))
    assert no_type.status_code == 400
    assert "Source of Payment Typology" in outcome_text(no_type)
    no_member_body = coverage_resource(patient, {"display": "Aetna"})
    del no_member_body["subscriberId"]
    no_member = fhir.post("Coverage", no_member_body)
    assert no_member.status_code == 422  # the service's rule, as a business-rule OperationOutcome
    assert "member ID" in outcome_text(no_member)
    ok = fhir.post("Coverage", coverage_resource(patient, {"display": "Aetna"}))
    assert ok.status_code == 201, ok.content
