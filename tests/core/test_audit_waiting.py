"""
Inside `entries_wait` (a FHIR create or transaction Bundle: interop/fhir/deferred.py) the entries audit_record
makes in a transaction wait, and their owner writes them together before the commit (audit_record_many): one
INSERT, each entry with the time and content audit_record gives it, break-glass flagged as a single write is.
An entry recorded in a savepoint that rolled back (its action undone) is not written.
"""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carecoord.core.audit import audit_record, entries_wait, still_waiting
from carecoord.core.audit_bulk import audit_record_many
from carecoord.core.choices import AuditAction, Role
from carecoord.core.models import AuditEvent

from ..factories import OrganizationFactory, PatientFactory, make_actor, open_break_glass

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.usefixtures("_frozen_clock"), pytest.mark.django_db]


class Failed(Exception):
    pass


def _tested() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event__startswith="test.").order_by("id"))


def _record(actor, event: str, patient=None) -> AuditEvent:
    return audit_record(actor=actor, event=event, action=AuditAction.UPDATE, target=patient, patient=patient)


def test_waiting_entries_are_written_together_with_their_own_content():
    organization = OrganizationFactory(slug="wait-one")
    actor = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization)
    waiting: list = []
    with transaction.atomic(), entries_wait(waiting):
        first = _record(actor, "test.one", patient)
        second = _record(actor, "test.two")
        assert waiting == [first, second]
        assert _tested() == []  # nothing written yet
        with CaptureQueriesContext(connection) as captured:
            audit_record_many(still_waiting(waiting))
    inserts = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    one, two = _tested()
    assert (one.event, two.event) == ("test.one", "test.two")
    assert one.occurred_at == two.occurred_at == NOW
    assert one.patient_public_id == patient.public_id
    assert two.patient_public_id is None
    assert one.object_id == str(patient.public_id)
    assert one.tenant_organization_id == two.tenant_organization_id == organization.pk
    assert one.user_id == actor.user.pk
    assert one.action == AuditAction.UPDATE


def test_outside_the_block_an_entry_is_written_at_once():
    actor = make_actor(OrganizationFactory(slug="wait-none"), Role.COORDINATOR)
    with transaction.atomic():
        _record(actor, "test.now")
        assert [e.event for e in _tested()] == ["test.now"]


def test_an_entry_whose_savepoint_rolled_back_is_not_written():
    actor = make_actor(OrganizationFactory(slug="wait-undone"), Role.COORDINATOR)
    waiting: list = []
    with transaction.atomic(), entries_wait(waiting):
        _record(actor, "test.kept")
        try:
            with transaction.atomic():  # a service catching its own failed block
                _record(actor, "test.undone")
                raise Failed
        except Failed:
            pass
        with transaction.atomic():
            _record(actor, "test.released")  # a savepoint released: its action stays, and its entry
        assert len(waiting) == 3
        audit_record_many(still_waiting(waiting))
    assert [e.event for e in _tested()] == ["test.kept", "test.released"]


def test_a_waiting_entry_about_a_break_glass_patient_is_flagged():
    organization = OrganizationFactory(slug="wait-glass")
    actor = make_actor(organization, Role.COORDINATOR)
    patient = PatientFactory(organization=organization, restricted=True)
    open_break_glass(
        actor.user, patient, NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(minutes=55), reason="Emergency admission"
    )
    waiting: list = []
    with transaction.atomic(), entries_wait(waiting):
        _record(actor, "test.glass", patient)
        _record(actor, "test.plain")
        audit_record_many(still_waiting(waiting))
    glass, plain = _tested()
    assert glass.detail == {"break_glass": True, "break_glass_reason": "Emergency admission"}
    assert plain.detail == {}
