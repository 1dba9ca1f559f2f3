"""
A transaction Bundle writes its FHIR audit entries and the history versions of what it creates at its end, in
one INSERT each (interop/fhir/deferred.py, core/audit_bulk.py): every record still gets its version (the one
the create answered) and every interaction its own audit entry, with audit_record's content, sealed after
commit; a Bundle that fails leaves none of them, and neither does an entry whose savepoint rolled back.
"""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carecoord.core.audit import audit_entry, audit_record, audit_verify
from carecoord.core.audit_bulk import audit_record_many
from carecoord.core.choices import AuditAction, Role
from carecoord.core.models import AuditEvent
from carecoord.interop.fhir import deferred
from carecoord.interop.fhir.access import EVERYTHING, Caller
from carecoord.interop.fhir.bundle import process_bundle
from carecoord.interop.fhir.history import recording
from carecoord.interop.fhir.models import ResourceVersion
from carecoord.interop.fhir.outcome import FhirError
from carecoord.patients.models import Condition, Patient

from ...factories import ConditionFactory, OrganizationFactory, PatientFactory, make_actor
from .test_import_observations import _post, _weight

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
PATIENT_URL = "urn:uuid:7d1c0a2e-0000-4000-8000-0000000000bb"

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]


def _caller(organization) -> Caller:
    return Caller(actor=make_actor(organization, Role.COORDINATOR), grants=EVERYTHING, client_id="test")


def _bundle(*entries) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def _patient(mrn: str) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:test:mrn", "value": mrn}],
        "name": [{"family": "Deferova", "given": ["Ida"]}],
        "gender": "female",
        "birthDate": "1950-02-03",
    }


def _created_ids(body: dict) -> list[tuple[str, str]]:
    return [
        tuple(entry["response"]["location"].split("/")[:2])
        for entry in body["entry"]
        if entry["response"]["status"].startswith("201")
    ]


def test_each_created_record_keeps_the_version_it_answered_and_its_own_audit_entry():
    organization = OrganizationFactory(slug="deferred-each")
    bundle = _bundle(
        _post(_patient("DEF-1"), PATIENT_URL), *(_post(_weight(PATIENT_URL, 60 + n, 20 + n)) for n in range(3))
    )
    with CaptureQueriesContext(connection) as captured:
        body = process_bundle(_caller(organization), bundle, "urn:test/", lenient=False).body
    created = _created_ids(body)
    assert [kind for kind, _ in created] == ["Patient", "Observation", "Observation", "Observation"]
    version_inserts = [q["sql"] for q in captured.captured_queries if 'INSERT INTO "fhir_resourceversion"' in q["sql"]]
    assert len(version_inserts) == 1  # the four versions in one statement
    for kind, key in created:
        (row,) = ResourceVersion.objects.filter(resource_type=kind, resource_id=key)
        assert (row.version_id, row.method, row.organization_id) == (1, "POST", organization.pk)
        assert (row.resource["id"], row.resource["meta"]["versionId"]) == (key, "1")
        (event,) = AuditEvent.objects.filter(event="fhir.create", object_id=key)
        assert event.action == AuditAction.CREATE
        assert event.detail == {"type": kind, "client": "test"}
        assert event.acting_organization_id == organization.pk == event.tenant_organization_id
        assert event.user_id is not None
        assert event.user_email
    patient = Patient.objects.get(public_id=created[0][1])
    observation_events = AuditEvent.objects.filter(event="fhir.create", detail__type="Observation")
    assert set(observation_events.values_list("patient_public_id", flat=True)) == {patient.public_id}
    # The patient's version is the one answered (with its identifier), not the save's before it was added.
    row = ResourceVersion.objects.get(resource_type="Patient", resource_id=patient.public_id)
    assert any(i.get("value") == "DEF-1" for i in row.resource.get("identifier", []))


def test_a_bundle_that_fails_leaves_no_version_and_no_audit_entry_of_its_creates():
    organization = OrganizationFactory(slug="deferred-fail")
    bad = _weight(PATIENT_URL, 900)  # out of range: the strict Bundle fails at this entry
    bundle = _bundle(_post(_patient("DEF-2"), PATIENT_URL), _post(_weight(PATIENT_URL, 61)), _post(bad))
    with pytest.raises(FhirError):
        process_bundle(_caller(organization), bundle, "urn:test/", lenient=False)
    assert not Patient.objects.filter(organization=organization).exists()
    assert not ResourceVersion.objects.filter(organization=organization).exists()
    assert not AuditEvent.objects.filter(event__startswith="fhir.", acting_organization=organization).exists()


def test_a_version_added_in_a_block_rolled_back_is_dropped():
    organization = OrganizationFactory(slug="deferred-rollback")
    patient = PatientFactory(organization=organization)
    waiting: list = []

    def create_then_fail():
        with transaction.atomic(), recording(), deferred.versions_deferred({Condition}, savepoint=True):
            waiting.append(ConditionFactory(patient=patient, code="E11.9"))
            waiting.append(len(deferred.pending().versions))  # waiting, not written
            raise RuntimeError

    with transaction.atomic(), deferred.deferred_writes():
        with pytest.raises(RuntimeError):
            create_then_fail()  # as a create whose savepoint rolls back (interactions.create)
        with recording(), deferred.versions_deferred({Condition}, savepoint=True):
            kept = ConditionFactory(patient=patient, code="I10")
        assert len(deferred.pending().versions) == 1  # kept's, written when the block ends
    condition, count = waiting
    assert count == 1
    assert not ResourceVersion.objects.filter(resource_type="Condition", resource_id=condition.public_id).exists()
    assert ResourceVersion.objects.filter(resource_type="Condition", resource_id=kept.public_id).count() == 1


def test_audit_record_many_writes_what_audit_record_writes_and_seals_it_after_commit(
    django_capture_on_commit_callbacks,
):
    organization = OrganizationFactory(slug="deferred-audit")
    patient = PatientFactory(organization=organization)
    actor = make_actor(organization, Role.COORDINATOR)
    fields = {
        "actor": actor,
        "event": "fhir.create",
        "action": AuditAction.CREATE,
        "target": patient,
        "patient": patient,
        "detail": {"type": "Patient"},
    }
    columns = (
        "occurred_at", "user_id", "user_email", "acting_organization_id", "tenant_organization_id", "action",
        "event", "object_type", "object_id", "patient_public_id", "source_ip", "user_agent", "outcome", "detail",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        one = audit_record(**fields)
        built = [audit_entry(**fields), audit_entry(**fields)]
        audit_record_many(built)
    rows = list(AuditEvent.objects.filter(pk__in=[one.pk, *(e.pk for e in built)]).order_by("pk"))
    assert len(rows) == 3
    assert [[getattr(r, c) for c in columns] for r in rows] == [[getattr(rows[0], c) for c in columns]] * 3
    assert all(r.sequence is not None and r.hash for r in rows)  # sealed after the commit
    assert audit_verify().ok
