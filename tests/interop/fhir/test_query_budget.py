"""
Statement budgets of the FHIR paths made faster (counts, not timings: timings live in bench/fhir.py): a
transaction import skips resources it cannot keep without a savepoint each, a create stores its history
version once, a read and an export make a fixed number of queries whatever the number of rows; and the
per-request memo of the visibility query never hides a revoked share or an expired break-glass grant.
"""

import datetime as dt
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.core.choices import Role
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.bundle import process_bundle
from carecoord.interop.fhir.export import write_export
from carecoord.interop.fhir.models import ResourceVersion
from carecoord.patients import services
from carecoord.patients.selectors import patients_visible_to, visibility_memo

from ...factories import OrganizationFactory, PatientFactory, make_actor, open_break_glass, share_by_consent

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
LOINC = "http://loinc.org"

pytestmark = pytest.mark.usefixtures("_frozen_clock")


def _statements(captured, prefix: str) -> int:
    return sum(1 for q in captured if q["sql"].lstrip().upper().startswith(prefix))


def _weight(patient_ref: str, value: int) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": "2026-11-20T10:00:00Z",
        "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }


def _unkept(patient_ref: str, n: int) -> dict:
    """An Observation CareCoord does not keep (a LOINC code it does not record): an import skips it."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8302-2"}]},  # body height
        "subject": {"reference": patient_ref},
        "effectiveDateTime": "2026-11-20T10:00:00Z",
        "valueQuantity": {"value": 150 + n, "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"},
    }


def _import_bundle(unkept: int) -> dict:
    patient_url = "urn:uuid:7d1c0a2e-0000-4000-8000-000000000001"
    entries = [
        {
            "fullUrl": patient_url,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": "urn:test:mrn", "value": "BUDGET-1"}],
                "name": [{"family": "Budgetova", "given": ["Ada"]}],
                "gender": "female",
                "birthDate": "1950-02-03",
            },
            "request": {"method": "POST", "url": "Patient"},
        },
        {"resource": _weight(patient_url, 70), "request": {"method": "POST", "url": "Observation"}},
    ]
    entries += [
        {"resource": _unkept(patient_url, n), "request": {"method": "POST", "url": "Observation"}}
        for n in range(unkept)
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _import(organization, unkept: int):
    caller = Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")
    with CaptureQueriesContext(connection) as captured:
        result = process_bundle(caller, _import_bundle(unkept), "urn:test/", lenient=True)
    return result.body, captured.captured_queries


@pytest.mark.django_db
def test_an_import_skips_resources_it_cannot_keep_without_a_statement_each():
    _, few = _import(OrganizationFactory(slug="budget-few"), unkept=2)
    many_body, many = _import(OrganizationFactory(slug="budget-many"), unkept=8)
    statuses = [entry["response"]["status"] for entry in many_body["entry"]]
    assert statuses[:2] == ["201 Created", "201 Created"]
    assert all("outcome" in entry["response"] for entry in many_body["entry"][2:])  # each skipped, saying why
    assert len(many) == len(few)  # six more skipped resources, not one statement more
    assert _statements(many, "ROLLBACK") == 0


@pytest.mark.django_db
def test_a_create_stores_its_history_version_once(fhir):
    patient = PatientFactory(organization=fhir.organization)
    with CaptureQueriesContext(connection) as captured:
        response = fhir.post("Observation", _weight(f"Patient/{patient.public_id}", 71))
    assert response.status_code == 201, response.content
    created = response.json()
    history = [q["sql"] for q in captured.captured_queries if "fhir_resourceversion" in q["sql"]]
    assert len(history) == 1, history  # the save's INSERT (a new record has no version row); nothing written again
    assert 'INSERT INTO "fhir_resourceversion"' in history[0], history  # alone, or with the create's other rows
    assert "UPDATE" not in history[0], history
    row = ResourceVersion.objects.get(resource_type="Observation", resource_id=created["id"], version_id=1)
    assert row.resource == created


@pytest.mark.django_db
def test_a_created_patient_history_holds_what_was_answered(fhir):
    """The save stored the patient before its identifiers were added: the create's own version replaces it."""
    body = {
        "resourceType": "Patient",
        "identifier": [
            {"system": "urn:test:mrn", "value": "HIST-1"},
            {"system": "urn:oid:2.16.840.1.113883.4.3.25", "value": "S99955501"},  # kept only if CareCoord can
        ],
        "name": [{"family": "Historyova", "given": ["Ida"]}],
        "gender": "female",
        "birthDate": "1950-02-03",
    }
    response = fhir.post("Patient", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert fhir.get(f"Patient/{created['id']}/_history/1").json() == created


@pytest.mark.django_db
def test_a_read_makes_the_same_queries_whatever_the_number_of_patients(fhir):
    patient = PatientFactory(organization=fhir.organization)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert fhir.get(f"Patient/{patient.public_id}").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    PatientFactory.create_batch(12, organization=fhir.organization)
    assert queries() == few


@pytest.mark.django_db
def test_an_export_makes_the_same_queries_whatever_the_number_of_resources():
    organization = OrganizationFactory(slug="budget-export")
    actor = make_actor(organization, Role.COORDINATOR)

    def export() -> tuple[int, int]:
        with tempfile.TemporaryDirectory() as directory, CaptureQueriesContext(connection) as captured:
            files = write_export(actor, ["Patient", "Observation", "Condition"], None, Path(directory))
        return len(captured.captured_queries), sum(item["count"] for item in files)

    PatientFactory.create_batch(2, organization=organization)
    few, two = export()
    PatientFactory.create_batch(9, organization=organization)
    many, eleven = export()
    assert (two, eleven) == (2, 11)
    assert many == few


def _grant(home_actor, patient, grantee):
    return share_by_consent(home_actor, patient, grantee, NOW.date())


@pytest.mark.django_db
def test_the_visibility_memo_sees_a_revoke_made_inside_it():
    home = OrganizationFactory(slug="memo-home")
    coordinator_org = OrganizationFactory(slug="memo-coord", kind="coordination_organization")
    home_actor = make_actor(home, Role.COORDINATOR)
    reader = make_actor(coordinator_org, Role.COORDINATOR)
    patient = PatientFactory(organization=home)
    share = _grant(home_actor, patient, coordinator_org)
    with visibility_memo():
        assert patients_visible_to(reader).filter(pk=patient.pk).exists()
        services.share_revoke(actor=home_actor, share=share)
        assert not patients_visible_to(reader).filter(pk=patient.pk).exists()
        _grant(home_actor, patient, coordinator_org)
        assert patients_visible_to(reader).filter(pk=patient.pk).exists()


@pytest.mark.django_db
def test_the_visibility_memo_sees_a_break_glass_grant_expire():
    organization = OrganizationFactory(slug="memo-glass")
    reader = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization, restricted=True)
    open_break_glass(
        reader.user, patient, NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(seconds=1), reason="Emergency"
    )
    with visibility_memo():
        assert patients_visible_to(reader).filter(pk=patient.pk).exists()
        with time_machine.travel(NOW + dt.timedelta(seconds=1), tick=False):
            assert not patients_visible_to(reader).filter(pk=patient.pk).exists()
