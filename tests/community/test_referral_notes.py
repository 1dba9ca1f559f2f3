"""
Follow-up notes on an open referral ("called the food bank, no answer"): the service, the worklist task a
"follow up again on" date creates or moves, the sender's page and what the receiver does not see.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from carecoord.careplans.choices import OPEN_TASK_STATUSES
from carecoord.careplans.models import Task
from carecoord.community import services
from carecoord.community.models import ReferralEvent
from carecoord.core.audit import AuditEvent
from carecoord.core.choices import Role
from carecoord.core.errors import InvalidStateError, NotFoundError, PermissionDeniedError, ValidationError

from ..factories import make_actor

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # Tuesday 03/10/2026, 10:00 in Chicago
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def send(actor, patient, service):
    return services.referral_send(
        actor=actor, patient=patient, service=service, need="food-insecurity", reason="Needs groceries",
        consent_by="Rosa Delgado", consent_method="Verbal", consent_on=TODAY, respond_by=TODAY + dt.timedelta(days=7),
    )  # fmt: skip


def open_referral_tasks(referral):
    return Task.objects.filter(focus_id=referral.public_id, status__in=OPEN_TASK_STATUSES)


def test_a_note_joins_the_history_by_whom_and_audited(actor, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    event = services.referral_note_add(actor=actor, referral=referral, note="  Called the food bank, no answer. ")
    assert (event.note, event.by, event.by_organization, event.at) == (
        "Called the food bank, no answer.", actor.user, actor.organization, NOW,
    )  # fmt: skip
    assert (event.from_status, event.to_status, event.follow_up_on, event.is_note) == ("", "", None, True)
    referral.refresh_from_db()
    assert (referral.status, referral.version) == ("sent", 1)  # a note changes nothing else
    audit = AuditEvent.objects.get(event="referral.note")
    assert (audit.patient_public_id, audit.object_id) == (patient.public_id, str(referral.public_id))
    assert not open_referral_tasks(referral).exists()  # no date, no task


def test_an_empty_note_is_refused_with_what_to_write(actor, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    with pytest.raises(ValidationError, match=r"Write the follow-up note: what was done or learned\.") as caught:
        services.referral_note_add(actor=actor, referral=referral, note=" \n ")
    assert caught.value.field_errors == {"note": ["Write the follow-up note: what was done or learned."]}
    assert referral.events.count() == 1  # only "sent"


def test_a_closed_referral_takes_no_note(actor, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    services.referral_set_status(actor=pantry_actor, referral=referral, status="declined", expected_version=1,
                                 note="No capacity")  # fmt: skip
    with pytest.raises(InvalidStateError, match=r"This referral is declined; notes can be added only while it is"):
        services.referral_note_add(actor=actor, referral=referral, note="Patient asked again")
    assert not ReferralEvent.objects.filter(to_status="").exists()


def test_only_an_editor_who_sees_the_patient_adds_notes(actor, org, other_actor, patient, pantry_service,
                                                         pantry_actor):  # fmt: skip
    referral = send(actor, patient, pantry_service)
    with pytest.raises(NotFoundError):
        services.referral_note_add(actor=other_actor, referral=referral, note="Not my patient")
    with pytest.raises(NotFoundError):  # the receiver answers with statuses; the sender's notes are not its own
        services.referral_note_add(actor=pantry_actor, referral=referral, note="Receiver note")
    with pytest.raises(PermissionDeniedError):
        services.referral_note_add(actor=make_actor(org, Role.SCHEDULER), referral=referral, note="Front desk")
    assert not ReferralEvent.objects.filter(to_status="").exists()


def test_a_follow_up_date_puts_one_task_on_the_worklist_and_a_new_note_moves_it(actor, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    services.referral_note_add(actor=actor, referral=referral, note="Intake is Tuesday", follow_up_on=TODAY)
    (first,) = open_referral_tasks(referral)
    assert (first.due_date, first.owner, first.kind, first.source) == (TODAY, actor.user, "referral", "community")
    assert first.title == "Follow up on referral: food insecurity for Delgado, Rosa"
    assert "Intake is Tuesday" in first.description
    services.referral_note_add(actor=actor, referral=referral, note="No answer", follow_up_on=dt.date(2026, 3, 17))
    (moved,) = open_referral_tasks(referral)
    assert moved.due_date == dt.date(2026, 3, 17)
    first.refresh_from_db()
    assert (first.status, first.outcome_note) == (
        "completed",
        "Followed up on the referral; next follow-up on 03/17/2026.",
    )
    services.referral_note_add(actor=actor, referral=referral, note="Left a message")  # no date: task stays
    assert list(open_referral_tasks(referral)) == [moved]


def test_a_follow_up_date_in_the_past_is_refused(actor, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    with pytest.raises(ValidationError, match="cannot be in the past"):
        services.referral_note_add(actor=actor, referral=referral, note="x", follow_up_on=TODAY - dt.timedelta(days=1))
    assert referral.events.count() == 1
    assert not Task.objects.exists()


def test_a_follow_up_takes_over_from_the_overdue_task(actor, org, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=False):
        (overdue,) = services.referral_overdue_tasks_create(organization=org)
        later = TODAY + dt.timedelta(days=12)
        services.referral_note_add(actor=actor, referral=referral, note="Pantry says next week", follow_up_on=later)
        overdue.refresh_from_db()
        assert overdue.status == "completed"
        (follow_up,) = open_referral_tasks(referral)
        assert follow_up.due_date == later
    # The answer date moved on past; the open follow-up task stands for the referral on the worklist.
    with time_machine.travel(NOW + dt.timedelta(days=10), tick=False):
        assert services.referral_overdue_tasks_create(organization=org) == []
    assert list(open_referral_tasks(referral)) == [follow_up]


def _history(page: str) -> str:
    start = page.index("<caption>History</caption>")
    return re.sub(r"\s+", " ", page[start : page.index("</table>", start)])


def test_the_sender_adds_a_note_on_the_referral_page(client_for, actor, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    client = client_for(actor)
    page_url = reverse("community:referral_detail", args=[referral.public_id])
    note_url = reverse("community:referral_note_add", args=[referral.public_id])
    assert "Add a follow-up note" in client.get(page_url).content.decode()
    response = client.post(note_url, {"note": "Called the food bank, no answer", "follow_up_on": "2026-03-12"})
    assert response.status_code == 302
    history = _history(client.get(page_url).content.decode())
    row = re.search(r"<tr><td>([^<]*)</td><td>Follow-up note</td><td>([^<]*)</td><td>(.*?)</td></tr>", history)
    assert row is not None
    assert row[1] == "03/10/2026 10:00 AM"  # the organization's time, the one display format
    assert row[2] == f"{actor.user} (Lakeside Clinic)"
    assert "Called the food bank, no answer" in row[3]
    assert "Follow up again on 03/12/2026." in row[3]


def test_the_page_shows_why_a_note_is_refused(client_for, actor, patient, pantry_service, pantry_actor):
    referral = send(actor, patient, pantry_service)
    client = client_for(actor)
    note_url = reverse("community:referral_note_add", args=[referral.public_id])
    response = client.post(note_url, {"note": "  ", "follow_up_on": ""})
    assert response.status_code == 400
    assert "Write the follow-up note: what was done or learned." in response.content.decode()
    services.referral_set_status(actor=pantry_actor, referral=referral, status="declined", expected_version=1,
                                 note="No capacity")  # fmt: skip
    page = client.get(reverse("community:referral_detail", args=[referral.public_id])).content.decode()
    assert "Add a follow-up note" not in page
    response = client.post(note_url, {"note": "Too late"})
    assert response.status_code == 400
    assert "notes can be added only while it is open" in response.content.decode()
    assert not ReferralEvent.objects.filter(to_status="").exists()


def test_the_receiver_sees_status_changes_but_not_the_senders_notes(client_for, actor, patient, pantry_service,
                                                                    pantry_actor):  # fmt: skip
    referral = send(actor, patient, pantry_service)
    services.referral_note_add(actor=actor, referral=referral, note="Patient is back in hospital")
    services.referral_set_status(actor=pantry_actor, referral=referral, status="accepted", expected_version=1)
    inbox_url = reverse("community:referral_incoming", args=[referral.public_id])
    history = _history(client_for(pantry_actor).get(inbox_url).content.decode())
    assert "Sent → Accepted" in history
    assert "back in hospital" not in history
    assert "Follow-up note" not in history
    sender = _history(
        client_for(actor).get(reverse("community:referral_detail", args=[referral.public_id])).content.decode()
    )
    assert "Patient is back in hospital" in sender
