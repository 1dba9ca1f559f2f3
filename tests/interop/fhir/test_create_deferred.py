"""
A single FHIR create (outside a Bundle) writes its rows, history version and audit entries at the end of its
transaction, one INSERT per table, or one statement for all on PostgreSQL (interop/fhir/deferred.py): an
Observation's two audit entries (the measurement's and the interaction's) go in one statement, each with its own
event, time and patient; a create that fails after its writes leaves no measurement, version or audit entry;
break-glass still flags the entries.
Statement counts and contents, not timings (those live in bench/fhir.py).
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from carecoord.checkins.models import Measurement
from carecoord.core.choices import AuditAction, Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir import interactions
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.models import ResourceVersion

from ...factories import OrganizationFactory, PatientFactory, make_actor, open_break_glass

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
LOINC = "http://loinc.org"

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]


def _weight(patient, value: int = 71) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "effectiveDateTime": "2026-11-20T10:00:00Z",
        "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }


def _writes(captured) -> list[tuple[str, ...]]:
    """
    Each write, in order, as the tables it inserts into (one, or several for PostgreSQL's WITH of INSERTs);
    not reads, nor the transaction's own statements (in a test its atomic block is a savepoint inside the
    test's transaction, in production BEGIN and COMMIT).
    """
    found = []
    for query in captured.captured_queries:
        sql = query["sql"].lstrip()
        verb = sql.split(" ", 1)[0].upper()
        if verb in ("SELECT", "BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"):
            continue
        tables = re.findall(r'INSERT INTO "?(\w+)"?', sql)
        found.append(tuple(tables) if tables and verb in ("INSERT", "WITH") else (sql[:40],))
    return found


def _entries(patient) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(patient_public_id=patient.public_id).order_by("id"))


def test_a_create_writes_each_table_once_and_its_two_audit_entries_in_one_insert(fhir):
    patient = PatientFactory(organization=fhir.organization)
    with CaptureQueriesContext(connection) as captured:
        response = fhir.post("Observation", _weight(patient), headers={"Prefer": "return=minimal"})
    assert response.status_code == 201, response.content
    writes = _writes(captured)
    measurements, versions, audits = (m._meta.db_table for m in (Measurement, ResourceVersion, AuditEvent))
    if connection.vendor == "postgresql":  # the version, rows and audit entries in one statement (a WITH)
        assert writes == [(versions, measurements, audits)]
    else:
        assert writes == [(versions,), (measurements,), (audits,)]  # both entries: one statement
    measurement = Measurement.objects.get(patient=patient)
    entries = _entries(patient)
    assert [(e.event, e.action) for e in entries] == [
        ("measurement.create", AuditAction.CREATE),
        ("fhir.create", AuditAction.CREATE),
    ]
    for entry in entries:
        assert entry.occurred_at == NOW
        assert entry.tenant_organization_id == fhir.organization.pk
        assert entry.acting_organization_id == fhir.organization.pk
        assert entry.object_id == str(measurement.public_id)
    assert entries[0].detail == {"kind": "weight", "goal": None}
    assert entries[1].detail["type"] == "Observation"
    (version,) = ResourceVersion.objects.filter(resource_type="Observation", resource_id=measurement.public_id)
    assert version.version_id == 1
    assert version.method == "POST"
    assert version.resource == fhir.get(f"Observation/{measurement.public_id}").json()


def test_a_create_answering_the_resource_stores_what_it_answered(fhir):
    patient = PatientFactory(organization=fhir.organization)
    response = fhir.post("Observation", _weight(patient, 64))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["valueQuantity"]["value"] == 64
    row = ResourceVersion.objects.get(resource_type="Observation", resource_id=created["id"])
    assert row.resource == created
    assert Measurement.objects.get(public_id=created["id"]).pk is not None


class Boom(Exception):
    pass


def _fail_on_fhir_create(sender, instance, **kwargs):
    if instance.event == "fhir.create":
        raise Boom


def test_a_create_that_fails_after_its_writes_leaves_nothing():
    organization = OrganizationFactory(slug="create-fails")
    patient = PatientFactory(organization=organization)
    caller = Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")
    # A failure after the last write (the audit entries' post_save), all of the create's INSERTs run.
    post_save.connect(_fail_on_fhir_create, sender=AuditEvent, dispatch_uid="test-create-fails")
    try:
        with CaptureQueriesContext(connection) as captured, pytest.raises(Boom):
            interactions.create(caller, "Observation", _weight(patient), "urn:test/")
    finally:
        post_save.disconnect(sender=AuditEvent, dispatch_uid="test-create-fails")
    written = [table for tables in _writes(captured) for table in tables]
    for model in (Measurement, ResourceVersion, AuditEvent):  # the failure came after these INSERTs
        assert model._meta.db_table in written
    assert not Measurement.objects.filter(patient=patient).exists()
    assert not ResourceVersion.objects.filter(resource_type="Observation", organization=organization).exists()
    assert _entries(patient) == []
    # The same create without the failure writes all three.
    interactions.create(caller, "Observation", _weight(patient), "urn:test/")
    assert Measurement.objects.filter(patient=patient).count() == 1
    assert ResourceVersion.objects.filter(resource_type="Observation", organization=organization).count() == 1
    assert [e.event for e in _entries(patient)] == ["measurement.create", "fhir.create"]


def test_a_create_under_break_glass_flags_both_entries():
    organization = OrganizationFactory(slug="create-glass")
    actor = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization, restricted=True)
    open_break_glass(
        actor.user,
        patient,
        NOW - dt.timedelta(minutes=5),
        NOW + dt.timedelta(minutes=55),
        reason="Emergency: unconscious in the ward",
    )
    caller = Caller(actor=actor, grants=EVERYTHING, client_id="test")
    result = interactions.create(caller, "Observation", _weight(patient), "urn:test/")
    assert result.status == 201
    entries = _entries(patient)
    assert [e.event for e in entries] == ["measurement.create", "fhir.create"]
    for entry in entries:
        assert entry.detail["break_glass"] is True
        assert entry.detail["break_glass_reason"] == "Emergency: unconscious in the ward"


def test_a_create_of_another_type_writes_its_version_and_audit_entries_at_its_end(fhir):
    patient = PatientFactory(organization=fhir.organization)
    body = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
        },
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "40055000"}]},
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "onsetDateTime": "2020-09-02",
    }
    with CaptureQueriesContext(connection) as captured:
        response = fhir.post("Condition", body)
    assert response.status_code == 201, response.content
    created = response.json()
    written = [table for tables in _writes(captured) for table in tables]
    assert written.count(AuditEvent._meta.db_table) == 1  # condition.create and fhir.create
    assert written.count(ResourceVersion._meta.db_table) == 1
    assert [e.event for e in _entries(patient)] == ["condition.create", "fhir.create"]
    row = ResourceVersion.objects.get(resource_type="Condition", resource_id=created["id"])
    assert row.resource == created
