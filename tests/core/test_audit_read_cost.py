"""
An audit entry written outside any transaction (what a read writes) is committed alone and, sealing being
due after every one in tests (tests/conftest.py), sealed when `audit_record` returns: in id order after any
entry left unsealed before, the chain intact. Entries written inside a transaction are sealed only after it
commits (tests/core/test_audit.py); sealing at most once per interval: test_audit_sealing_interval.py.
"""

import pytest
from django.db import connection, transaction

from carecoord.core.audit import audit_record, audit_verify
from carecoord.core.models import AuditChainHead, AuditEvent

from ..factories import make_actor

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_entry_recorded_outside_a_transaction_is_sealed_when_recorded():
    actor = make_actor()
    first = audit_record(actor=actor, event="read.one")
    second = audit_record(actor=actor, event="read.two")
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=[first.pk, second.pk])}
    assert stored[first.pk].sequence is not None
    assert stored[second.pk].sequence == stored[first.pk].sequence + 1
    assert stored[second.pk].previous_hash == stored[first.pk].hash
    head = AuditChainHead.objects.get(id=1)
    assert (head.sequence, head.hash) == (stored[second.pk].sequence, stored[second.pk].hash)
    report = audit_verify()
    assert report.ok
    assert report.unsealed == 0


def test_an_entry_left_unsealed_earlier_is_sealed_first():
    actor = make_actor()
    with transaction.atomic():
        left = audit_record(actor=actor, event="left.unsealed")
        connection.run_on_commit.clear()  # as if the process died before its after-commit sealing
    assert AuditEvent.objects.get(pk=left.pk).sequence is None
    read = audit_record(actor=actor, event="read.after")
    left, read = AuditEvent.objects.get(pk=left.pk), AuditEvent.objects.get(pk=read.pk)
    assert read.sequence == left.sequence + 1
    assert read.previous_hash == left.hash
    assert audit_verify().ok


def test_an_entry_recorded_inside_a_transaction_waits_for_its_commit():
    actor = make_actor()
    with transaction.atomic():
        entry = audit_record(actor=actor, event="write.one")
        assert AuditEvent.objects.get(pk=entry.pk).sequence is None
    assert AuditEvent.objects.get(pk=entry.pk).sequence is not None
    assert audit_verify().ok
