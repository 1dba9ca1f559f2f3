"""
A refused access is audited even when the action it refused fails and its transaction rolls back: within a
request, the denied entry waits for the commit, or is written when the request ends if there is none. Once,
with the attempt's time, for the attempting organization, holding nothing of the patient.
"""

import pytest
from django.db import transaction

from carecoord.core.audit import denials_outlive_rollback
from carecoord.core.choices import Role
from carecoord.core.errors import NotFoundError
from carecoord.core.models import AuditEvent
from carecoord.patients.selectors import patient_get

from ..factories import OrganizationFactory, PatientFactory, make_actor
from ..interop.fhir.conftest import make_caller  # noqa: F401 -- the fixture

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


@pytest.fixture
def attempt():
    stranger = PatientFactory(organization=OrganizationFactory(slug="denied-home"), given_name="Zebulon")
    actor = make_actor(OrganizationFactory(slug="denied-prober"), Role.COORDINATOR)
    return actor, stranger


def _denied(actor):
    return AuditEvent.objects.filter(outcome="denied", acting_organization=actor.organization)


def _refused_in(actor, stranger):
    with pytest.raises(NotFoundError):
        patient_get(actor, stranger.public_id)


def _refused_then_failed(actor, stranger):
    with transaction.atomic():
        _refused_in(actor, stranger)
        raise Refused


def test_a_rolled_back_transaction_keeps_its_denied_entry(attempt):
    actor, stranger = attempt
    with denials_outlive_rollback():
        with pytest.raises(Refused):
            _refused_then_failed(actor, stranger)
        assert not _denied(actor).exists()  # rolled back with the transaction; written when the request ends
    (entry,) = _denied(actor)
    assert entry.detail == {"requested": str(stranger.public_id)}
    assert entry.tenant_organization_id == actor.organization.pk
    assert entry.patient_public_id is None


def test_a_committed_transaction_writes_it_at_the_commit_and_once(attempt, django_capture_on_commit_callbacks):
    actor, stranger = attempt
    with denials_outlive_rollback():
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            _refused_in(actor, stranger)
        assert _denied(actor).count() == 1  # at the commit
    assert _denied(actor).count() == 1  # and not again when the request ends


def test_a_rolled_back_savepoint_inside_a_committed_transaction_keeps_it(attempt, django_capture_on_commit_callbacks):
    actor, stranger = attempt
    with denials_outlive_rollback():
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), pytest.raises(Refused):
            _refused_then_failed(actor, stranger)
        assert not _denied(actor).exists()  # its on_commit went with the savepoint
    assert _denied(actor).count() == 1


def test_a_fhir_write_naming_another_organizations_patient_is_audited(attempt, make_caller):  # noqa: F811
    _, stranger = attempt
    caller = make_caller(OrganizationFactory(slug="denied-fhir"))
    body = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": f"Patient/{stranger.public_id}"},
        "effectiveDateTime": "2026-11-20T10:00:00Z",
        "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }
    response = caller.post("Observation", body)
    assert response.status_code == 400
    denied = AuditEvent.objects.filter(outcome="denied", acting_organization=caller.organization)
    assert [e.detail for e in denied] == [{"requested": str(stranger.public_id)}]
    assert "Zebulon" not in str(denied.get().detail)
