"""The outbox: idempotent queueing, delivery through the configured sender, retries and giving up."""

import datetime as dt
import logging

import pytest
import time_machine
from django.test import override_settings

from carecoord.core.models import AuditEvent
from carecoord.messaging.choices import Channel, MessageStatus
from carecoord.messaging.models import OutboxMessage
from carecoord.messaging.senders import DjangoEmailSender, sender_for
from carecoord.messaging.services import RETRY_PAUSES, message_queue, messages_cancel_queued, outbox_deliver

from ..factories import PatientFactory
from . import senders as test_senders

NOW = dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Maria", family_name="Lopez", email="maria@example.org")


def queue(org, patient, key="k-1", channel=Channel.EMAIL, **kwargs):
    return message_queue(
        organization=org,
        patient=patient,
        channel=channel,
        to_address=patient.email if channel == Channel.EMAIL else "+13125550100",
        subject="Appointment reminder",
        body="A reminder of your appointment.",
        idempotency_key=key,
        kind="appointment_reminder",
        **kwargs,
    )


def test_a_key_already_queued_is_never_queued_again(org, patient):
    first, created = queue(org, patient, key="reminder:abc:1")
    again, created_again = queue(org, patient, key="reminder:abc:1")
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert OutboxMessage.objects.filter(organization=org).count() == 1
    assert AuditEvent.objects.filter(event="outbox.queue").count() == 1


def test_the_same_key_in_another_organization_is_another_message(org, other_org, patient):
    queue(org, patient, key="shared-key")
    other_patient = PatientFactory(organization=other_org, email="x@example.org")
    _, created = queue(other_org, other_patient, key="shared-key")
    assert created


def test_messages_without_a_key_are_each_queued(org, patient):
    queue(org, patient, key="")
    queue(org, patient, key="")
    assert OutboxMessage.objects.count() == 2


def test_the_default_sender_keeps_messages_in_the_local_outbox(org, patient, clock, mailoutbox):
    message, _ = queue(org, patient)
    assert outbox_deliver() == {"sent": 1, "retrying": 0, "failed": 0}
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sent_at == NOW
    assert message.attempts == 1
    assert mailoutbox == []  # nothing left the machine
    assert AuditEvent.objects.filter(event="outbox.send", patient_public_id=patient.public_id).count() == 1
    assert outbox_deliver() == {"sent": 0, "retrying": 0, "failed": 0}  # sent once only


@override_settings(CARECOORD_EMAIL_SENDER="carecoord.messaging.senders.DjangoEmailSender")
def test_the_django_email_sender_sends_through_django_mail(org, patient, clock, mailoutbox):
    assert isinstance(sender_for(Channel.EMAIL), DjangoEmailSender)
    queue(org, patient)
    outbox_deliver()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["maria@example.org"]
    assert mailoutbox[0].subject == "Appointment reminder"


def test_the_django_email_sender_refuses_a_text_message(org, patient):
    message, _ = queue(org, patient, channel=Channel.SMS)
    with pytest.raises(Exception, match="cannot send a sms"):
        DjangoEmailSender().send(message)


@override_settings(CARECOORD_EMAIL_SENDER="tests.messaging.senders.DownSender", CARECOORD_OUTBOX_MAX_ATTEMPTS=3)
def test_a_failing_sender_is_retried_with_pauses_then_given_up(org, patient, clock, caplog):
    message, _ = queue(org, patient)
    caplog.set_level(logging.WARNING)
    assert outbox_deliver() == {"sent": 0, "retrying": 1, "failed": 0}
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error == "ConnectionError: provider unreachable"
    assert message.next_attempt_at == NOW + RETRY_PAUSES[0]
    assert outbox_deliver() == {"sent": 0, "retrying": 0, "failed": 0}  # not before its pause is over

    clock.shift(RETRY_PAUSES[0])
    assert outbox_deliver()["retrying"] == 1
    clock.shift(RETRY_PAUSES[1])
    assert outbox_deliver() == {"sent": 0, "retrying": 0, "failed": 1}
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    assert message.next_attempt_at is None
    clock.shift(dt.timedelta(days=1))
    assert outbox_deliver() == {"sent": 0, "retrying": 0, "failed": 0}
    # The log names the message by its public id only: no address, no name, no text.
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert str(message.public_id) in logged
    for phi in ("maria@example.org", "Maria", "Lopez", "reminder of your appointment"):
        assert phi not in logged


@override_settings(CARECOORD_EMAIL_SENDER="tests.messaging.senders.FlakySender")
def test_a_message_is_sent_exactly_once_after_the_provider_recovers(org, patient, clock):
    message, _ = queue(org, patient)
    outbox_deliver()
    clock.shift(RETRY_PAUSES[0])
    assert outbox_deliver()["sent"] == 1
    clock.shift(dt.timedelta(hours=1))
    outbox_deliver()
    assert test_senders.SENT.count(message.pk) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, "")


def test_a_message_claimed_by_another_worker_is_not_sent_twice(org, patient, clock):
    message, _ = queue(org, patient)
    # Another worker's lease: it claimed the message a moment ago and is sending it now.
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, next_attempt_at=NOW + dt.timedelta(minutes=2))
    assert outbox_deliver() == {"sent": 0, "retrying": 0, "failed": 0}


def test_cancelled_messages_are_not_sent(org, patient, clock):
    message, _ = queue(org, patient, focus_type="scheduling.Appointment", focus_id=patient.public_id)
    kept, _ = queue(org, patient, key="k-2", focus_type="scheduling.Appointment", focus_id=patient.public_id)
    cancelled = messages_cancel_queued(
        organization=org, focus_type="scheduling.Appointment", focus_id=patient.public_id,
        kind="appointment_reminder", keep_keys=["k-2"],
    )  # fmt: skip
    assert cancelled == 1
    assert outbox_deliver()["sent"] == 1
    message.refresh_from_db()
    kept.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert kept.status == MessageStatus.SENT
