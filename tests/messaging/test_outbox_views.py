"""The Outbox pages: the organization's messages, only of patients the coordinator may see, audited."""

import datetime as dt

import pytest
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.messaging.choices import Channel
from carecoord.messaging.services import message_queue

from ..factories import PatientFactory, make_actor


def queue(org, patient, body="A reminder of your appointment.", key=""):
    message, _ = message_queue(
        organization=org, patient=patient, channel=Channel.SMS, to_address="+13125550100",
        body=body, idempotency_key=key,
    )  # fmt: skip
    return message


@pytest.fixture
def messages(org, other_org):
    ours = PatientFactory(organization=org, given_name="Maria", family_name="Lopez")
    theirs = PatientFactory(organization=other_org, given_name="Zebulon", family_name="Quixotic")
    return queue(org, ours, body="Lakeside reminder"), queue(other_org, theirs, body="Riverside reminder")


def test_the_outbox_lists_the_organizations_messages_only(actor, client_for, messages):
    response = client_for(actor).get(reverse("messaging:outbox"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lopez, Maria" in page
    assert "Quixotic" not in page
    assert AuditEvent.objects.filter(event="outbox.list", patient_public_id=messages[0].patient.public_id).exists()


def test_the_outbox_filters_by_status_and_answers_htmx_with_the_results(actor, client_for, messages):
    client = client_for(actor)
    response = client.get(reverse("messaging:outbox"), {"status": "sent"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="outbox-results")  # fmt: skip
    page = response.content.decode()
    assert "<html" not in page
    assert "No messages." in page


def test_the_message_page_shows_the_text_and_is_audited(actor, client_for, messages):
    ours = messages[0]
    response = client_for(actor).get(reverse("messaging:message_detail", args=[ours.public_id]))
    assert response.status_code == 200
    assert "Lakeside reminder" in response.content.decode()
    event = AuditEvent.objects.get(event="outbox.view")
    assert event.patient_public_id == ours.patient.public_id
    assert event.user == actor.user


def test_another_organizations_message_is_not_found(actor, client_for, messages):
    response = client_for(actor).get(reverse("messaging:message_detail", args=[messages[1].public_id]))
    assert response.status_code == 404
    assert "Riverside reminder" not in response.content.decode()


def test_a_patient_no_longer_shared_hides_their_messages(actor, client_for, other_org):
    theirs = PatientFactory(organization=other_org, given_name="Zebulon", family_name="Quixotic")
    message = queue(actor.organization, theirs, body="Sent while shared")  # the share has since ended
    client = client_for(actor)
    assert "Quixotic" not in client.get(reverse("messaging:outbox")).content.decode()
    assert client.get(reverse("messaging:message_detail", args=[message.public_id])).status_code == 404


def test_an_auditor_cannot_open_the_outbox(org, client_for, messages):
    auditor = make_actor(org, Role.AUDITOR)
    assert client_for(auditor).get(reverse("messaging:outbox")).status_code == 404


def test_the_message_page_shows_times_on_a_12_hour_clock(actor, client_for, messages):
    ours = messages[0]
    type(ours).objects.filter(pk=ours.pk).update(created_at=dt.datetime(2026, 11, 27, 14, 5, tzinfo=dt.UTC))
    page = client_for(actor).get(reverse("messaging:message_detail", args=[ours.public_id])).content.decode()
    # 14:05 UTC is 8:05 in the morning in the organization's Chicago time.
    assert "<dt>Queued</dt><dd>11/27/2026 8:05 AM</dd>" in page
