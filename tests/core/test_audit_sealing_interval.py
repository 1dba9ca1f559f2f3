"""
With CARECOORD_AUDIT_SEAL_SECONDS set (the server's default), a process seals the audit chain at most once per
interval: events recorded meanwhile are stored at once, wait unsealed, and the next sealing that falls due takes
them all, in id order, the chain intact. The worker's job seals whatever is left.
"""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from carecoord.core import audit
from carecoord.core.audit import audit_record, audit_verify
from carecoord.core.choices import AuditAction
from carecoord.core.jobs import seal_audit_events
from carecoord.core.models import AuditEvent

from ..factories import make_actor

pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller, override_settings(CARECOORD_AUDIT_SEAL_SECONDS=5):
        audit._last_sealing[0] = None  # this process has not sealed yet
        yield traveller


def sealed(*entries) -> list[bool]:
    stored = AuditEvent.objects.in_bulk([e.pk for e in entries])
    return [stored[e.pk].sequence is not None for e in entries]


def test_reads_within_the_interval_wait_and_the_next_due_sealing_takes_them_all(clock):
    actor = make_actor()
    first = audit_record(actor=actor, event="read.first")  # the process's first sealing: at once
    clock.shift(dt.timedelta(seconds=2))
    second = audit_record(actor=actor, event="read.second")
    third = audit_record(actor=actor, event="read.third")
    assert sealed(first, second, third) == [True, False, False]
    report = audit_verify()
    assert (report.ok, report.unsealed) == (True, 2)

    clock.shift(dt.timedelta(seconds=3))  # five seconds since the last sealing
    fourth = audit_record(actor=actor, event="read.fourth")

    assert sealed(first, second, third, fourth) == [True, True, True, True]
    events = AuditEvent.objects.filter(pk__in=[first.pk, second.pk, third.pk, fourth.pk]).order_by("id")
    assert [e.sequence for e in events] == list(range(events[0].sequence, events[0].sequence + 4))
    report = audit_verify()
    assert (report.ok, report.unsealed) == (True, 0)


def test_a_commit_within_the_interval_leaves_its_events_to_the_next_sealing(clock):
    actor = make_actor()
    audit_record(actor=actor, event="read.first")
    with transaction.atomic():
        write = audit_record(actor=actor, event="write.one", action=AuditAction.CREATE)
    assert sealed(write) == [False]

    clock.shift(dt.timedelta(seconds=6))
    with transaction.atomic():
        later = audit_record(actor=actor, event="write.two", action=AuditAction.CREATE)
    assert sealed(write, later) == [True, True]
    assert audit_verify().ok


def test_the_workers_job_seals_what_an_idle_process_left(clock):
    actor = make_actor()
    audit_record(actor=actor, event="read.first")
    waiting = audit_record(actor=actor, event="read.waiting")
    assert sealed(waiting) == [False]

    assert seal_audit_events() == 1

    assert sealed(waiting) == [True]
    report = audit_verify()
    assert (report.ok, report.unsealed) == (True, 0)
