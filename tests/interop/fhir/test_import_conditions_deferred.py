"""
Conditions in a transaction Bundle (207 per Synthea import run): once the Bundle has checked the subject, a
Condition create opens no savepoint of its own around condition_add's (which undoes all the create writes),
and its audit entries (condition.create and fhir.create) wait for the Bundle's end with the others: one audit
INSERT per Bundle. Each condition still gets its row, version and two entries; one that fails after its
INSERT is left out of an import with nothing of it written. Statement counts, not timings.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.bundle import process_bundle
from carecoord.interop.fhir.models import ResourceVersion
from carecoord.patients.models import Condition

from ...factories import OrganizationFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
PATIENT_URL = "urn:uuid:7d1c0a2e-0000-4000-8000-0000000000cc"
CODES = ["40055000", "44054006", "38341003", "195662009", "10509002", "162864005"]
FAILING = "162864005"

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]


def _condition(code: str) -> dict:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
        },
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
        "subject": {"reference": PATIENT_URL},
        "onsetDateTime": "1994-09-02T13:55:57+00:00",
    }


def _bundle(codes: list[str]) -> dict:
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:test:mrn", "value": "COND-1"}],
        "name": [{"family": "Conditionova", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1950-02-03",
    }
    entries = [{"fullUrl": PATIENT_URL, "resource": patient, "request": {"method": "POST", "url": "Patient"}}]
    entries += [{"resource": _condition(code), "request": {"method": "POST", "url": "Condition"}} for code in codes]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _import(organization, codes: list[str]):
    caller = Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")
    with CaptureQueriesContext(connection) as captured:
        result = process_bundle(caller, _bundle(codes), "urn:test/", lenient=True)
    return result.body, [q["sql"].lstrip() for q in captured.captured_queries]


def _count(statements: list[str], verb: str, model=None) -> int:
    """Statements starting with `verb`; for INSERT, those inserting into `model`'s table (a WITH of INSERTs too)."""
    if model is None:
        return sum(1 for sql in statements if sql.upper().startswith(verb))
    table = model._meta.db_table
    inserting = rf'INSERT INTO "?{table}"? '
    return sum(1 for sql in statements if sql.upper().startswith(("INSERT", "WITH")) and re.search(inserting, sql))


def test_more_conditions_add_one_savepoint_each_and_no_audit_insert():
    few_org, many_org = OrganizationFactory(slug="cond-few"), OrganizationFactory(slug="cond-many")
    _, few = _import(few_org, CODES[:2])
    many_body, many = _import(many_org, CODES[:5])
    assert [e["response"]["status"] for e in many_body["entry"]] == ["201 Created"] * 6
    # condition_add's own savepoint per condition; the interaction's is not opened once the subject is checked
    assert _count(many, "SAVEPOINT") - _count(few, "SAVEPOINT") == 3
    assert _count(few, "INSERT", AuditEvent) == _count(many, "INSERT", AuditEvent) == 1
    assert _count(many, "INSERT", Condition) == 5
    for organization, n in ((few_org, 2), (many_org, 5)):
        conditions = list(Condition.objects.filter(organization=organization))
        assert len(conditions) == n
        for condition in conditions:
            entries = AuditEvent.objects.filter(object_id=str(condition.public_id)).order_by("id")
            assert [e.event for e in entries] == ["condition.create", "fhir.create"]
            assert all(e.occurred_at == NOW and e.patient_public_id == condition.patient.public_id for e in entries)
            version = ResourceVersion.objects.get(resource_type="Condition", resource_id=condition.public_id)
            assert version.resource["code"]["coding"][0]["code"] == condition.code


def _fail_after_insert(sender, instance, created, **kwargs):
    if created and instance.code == FAILING:
        raise ValidationError("Refused after its INSERT (test).")


def test_a_condition_failing_after_its_insert_is_left_out_with_nothing_written():
    organization = OrganizationFactory(slug="cond-fails")
    post_save.connect(_fail_after_insert, sender=Condition, dispatch_uid="test-condition-fails")
    try:
        body, statements = _import(organization, CODES)  # the failing one last: its subject checked already
    finally:
        post_save.disconnect(sender=Condition, dispatch_uid="test-condition-fails")
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created"] * 6 + ["200 OK"]
    assert "Refused after its INSERT" in body["entry"][-1]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert _count(statements, "INSERT", Condition) == 6  # it was inserted, then rolled back
    kept = Condition.objects.filter(organization=organization)
    assert sorted(c.code for c in kept) == sorted(CODES[:5])
    assert ResourceVersion.objects.filter(organization=organization, resource_type="Condition").count() == 5
    events = AuditEvent.objects.filter(tenant_organization=organization, event__in=["condition.create", "fhir.create"])
    created = [e for e in events if e.event == "condition.create" or e.detail.get("type") == "Condition"]
    assert len(created) == 10
    assert {e.object_id for e in created} == {str(c.public_id) for c in kept}


def _patient_reads(statements: list[str]) -> int:
    return sum(
        1
        for sql in statements
        if sql.upper().startswith("SELECT") and re.match(r'SELECT .* FROM "?patients_patient"? ', sql)
    )


def test_condition_add_finds_the_bundles_checked_patient_without_reading_it_again():
    # condition_add re-checks the patient it is given; inside the Bundle that check is answered by what the
    # Bundle found already (patients.selectors.visible_patients_remembered), so more conditions read no more.
    _, few = _import(OrganizationFactory(slug="cond-reads-few"), CODES[:2])
    _, many = _import(OrganizationFactory(slug="cond-reads-many"), CODES[:5])
    assert _patient_reads(few) >= 1
    assert _patient_reads(many) == _patient_reads(few)


def test_outside_a_bundle_condition_add_still_checks_the_patient():
    from carecoord.patients.selectors import patient_get
    from carecoord.patients.services import condition_add

    from ...factories import PatientFactory

    home, other = OrganizationFactory(slug="cond-home"), OrganizationFactory(slug="cond-other")
    patient = PatientFactory(organization=home)
    outsider = make_actor(other, Role.COORDINATOR)
    with pytest.raises(NotFoundError):
        condition_add(actor=outsider, patient=patient, data={"code_system": "http://snomed.info/sct", "code": CODES[0]})
    assert not Condition.objects.filter(patient=patient).exists()
    assert patient_get(make_actor(home, Role.COORDINATOR), patient.public_id, audit_event=None) == patient


def test_a_condition_failing_after_its_service_returned_fails_the_whole_bundle(monkeypatch):
    # No savepoint of the interaction's own around such a condition (its service's was released): an error
    # after the service returned cannot be undone for this entry alone, so the import does not leave the
    # entry out and go on (the row would stay without its version and audit entries); the Bundle fails whole.
    from carecoord.interop.fhir.outcome import FhirError
    from carecoord.interop.fhir.resources.condition import ConditionMapper
    from carecoord.patients.models import Patient

    to_fhir = ConditionMapper.to_fhir

    def failing_to_fhir(self, obj):
        if obj.code == FAILING:
            raise FhirError(422, "Refused after its service returned (test).")
        return to_fhir(self, obj)

    monkeypatch.setattr(ConditionMapper, "to_fhir", failing_to_fhir)
    organization = OrganizationFactory(slug="cond-fails-late")
    with pytest.raises(FhirError) as failed:
        _import(organization, CODES)  # the failing one last: its subject checked already, no savepoint
    assert failed.value.status == 500
    assert "Refused after its service returned" in failed.value.diagnostics
    assert not Condition.objects.filter(organization=organization).exists()
    assert not Patient.objects.filter(organization=organization).exists()
    assert not ResourceVersion.objects.filter(organization=organization).exists()
    assert not AuditEvent.objects.filter(tenant_organization=organization, event="condition.create").exists()
