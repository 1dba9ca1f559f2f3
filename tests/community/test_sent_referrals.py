"""
The organization's sent referrals (/community/referrals/sent/), to close the loop: open ones first, with the
receiver, days open, the next follow-up a note set and its overdue mark; filtered by status and by sender.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.community import selectors, services
from carecoord.core.audit import AuditEvent
from carecoord.core.choices import Role
from carecoord.patients.models import Patient

from ..factories import PatientFactory, make_actor
from .factories import AgencyFactory, ServiceFactory

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)  # Tuesday 03/10/2026, 10:00 in Chicago
TODAY = dt.date(2026, 3, 10)
SENT_URL = "/community/referrals/sent/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def send(actor, patient, service, need="food-insecurity", respond_in=7):
    return services.referral_send(
        actor=actor, patient=patient, service=service, need=need, reason="Needs help",
        consent_by="Rosa Delgado", consent_method="Verbal", consent_on=TODAY,
        respond_by=TODAY + dt.timedelta(days=respond_in),
    )  # fmt: skip


@pytest.fixture
def shelter_service(org):
    """A directory entry of an agency that does not use CareCoord (the sender records its answer)."""
    agency = AgencyFactory(organization=org, name="Harbor Shelter")
    return ServiceFactory(agency=agency, name="Emergency beds", needs=",homelessness,")


def row_of(page: str, referral) -> str:
    match = re.search(rf'<tr id="referral-{referral.public_id}">(.*?)</tr>', page, re.S)
    assert match is not None, f"no row for {referral}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[1])).strip()


def row_ids(page: str) -> list[str]:
    return re.findall(r'<tr id="referral-([0-9a-f-]+)">', page)


def test_the_selector_lists_the_organizations_sent_referrals_open_first(actor, org, patient, pantry_service,
                                                                        shelter_service, pantry_actor):  # fmt: skip
    colleague = make_actor(org, Role.COORDINATOR)
    older = send(actor, patient, pantry_service)
    closed = send(colleague, patient, shelter_service, need="homelessness")
    services.referral_set_status(actor=actor, referral=closed, status="cancelled", expected_version=1)
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        newer = send(colleague, patient, shelter_service, need="homelessness")
    assert list(selectors.sent_referrals(actor)) == [newer, older]
    assert list(selectors.sent_referrals(actor, status="closed")) == [closed]
    assert list(selectors.sent_referrals(actor, status="all")) == [newer, older, closed]  # open ones first
    assert list(selectors.sent_referrals(actor, status="all", mine=True)) == [older]
    assert list(selectors.sent_referrals(colleague, status="all", mine=True)) == [newer, closed]
    # The pantry received them; it sent none.
    assert list(selectors.sent_referrals(pantry_actor, status="all")) == []
    with pytest.raises(ValueError, match="Unknown status filter"):
        selectors.sent_referrals(actor, status="late")


def test_referrals_of_patients_the_actor_cannot_see_are_not_listed(actor, org, other_actor, patient,
                                                                  pantry_service):  # fmt: skip
    colleague = make_actor(org, Role.COORDINATOR)
    send(colleague, patient, pantry_service)
    assert list(selectors.sent_referrals(other_actor, status="all")) == []  # another organization
    assert selectors.sent_referrals(actor).count() == 1
    Patient.objects.filter(pk=patient.pk).update(restricted=True)  # the actor is not on the care team
    assert list(selectors.sent_referrals(actor, status="all")) == []
    assert selectors.sent_referrals(colleague).count() == 0  # nor is the colleague who sent it


def test_the_next_follow_up_is_the_open_follow_up_task_a_note_set(actor, patient, pantry_service):
    referral = send(actor, patient, pantry_service)
    assert selectors.sent_referrals(actor).get().next_follow_up_on is None
    services.referral_note_add(actor=actor, referral=referral, note="No answer", follow_up_on=dt.date(2026, 3, 12))
    assert selectors.sent_referrals(actor).get().next_follow_up_on == dt.date(2026, 3, 12)
    services.referral_note_add(actor=actor, referral=referral, note="Call back", follow_up_on=dt.date(2026, 3, 16))
    assert selectors.sent_referrals(actor).get().next_follow_up_on == dt.date(2026, 3, 16)  # moved, not the earliest


def test_the_page_shows_status_receiver_days_open_and_the_follow_up(client_for, actor, patient, pantry_service,
                                                                     shelter_service):  # fmt: skip
    referral = send(actor, patient, pantry_service)
    services.referral_note_add(actor=actor, referral=referral, note="Intake", follow_up_on=dt.date(2026, 3, 12))
    unanswered = send(actor, patient, shelter_service, need="homelessness", respond_in=2)
    client = client_for(actor)
    page = client.get(SENT_URL).content.decode()
    row = row_of(page, referral)
    assert row.startswith("03/10/2026 Delgado, Rosa Food insecurity Weekly groceries (Northside Food Pantry)")
    assert "Answers in CareCoord as Northside Food Pantry" in row
    assert "Sent 0 03/17/2026 03/12/2026" in row
    assert "Overdue" not in row
    assert "Not on CareCoord: record its answer" in row_of(page, unanswered)

    later = NOW + dt.timedelta(days=4)  # Saturday 03/14: the follow-up day and the shelter's answer passed
    with time_machine.travel(later, tick=False):
        page = client_for(actor).get(SENT_URL).content.decode()  # signed in again: the session has expired
    row = row_of(page, referral)
    assert "Sent 4 03/17/2026 03/12/2026 Overdue" in row
    assert "Answer overdue" not in row
    late = row_of(page, unanswered)
    assert "Sent 4 03/12/2026 Answer overdue —" in late  # no follow-up date set: a dash, no follow-up mark


def test_closed_referrals_show_how_long_they_were_open_and_no_follow_up(client_for, actor, patient, pantry_service,
                                                                        pantry_actor):  # fmt: skip
    referral = send(actor, patient, pantry_service)
    services.referral_note_add(actor=actor, referral=referral, note="Intake", follow_up_on=dt.date(2026, 3, 12))
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        services.referral_set_status(actor=pantry_actor, referral=referral, status="declined", expected_version=1,
                                     note="No capacity")  # fmt: skip
    with time_machine.travel(NOW + dt.timedelta(days=20), tick=False):
        client = client_for(actor)
        assert row_ids(client.get(SENT_URL).content.decode()) == []  # open only by default
        page = client.get(SENT_URL, {"status": "closed"}).content.decode()
    row = row_of(page, referral)
    assert "Declined 3 03/17/2026 —" in row  # open 3 days; its leftover follow-up task is not a follow-up
    assert "Overdue" not in row


def test_filter_by_sender_and_status_and_fall_back_on_a_bad_filter(client_for, actor, org, patient, pantry_service):
    colleague = make_actor(org, Role.COORDINATOR)
    mine = send(actor, patient, pantry_service)
    theirs = send(colleague, patient, pantry_service)
    client = client_for(actor)
    page = client.get(SENT_URL).content.decode()
    assert set(row_ids(page)) == {str(mine.public_id), str(theirs.public_id)}
    assert "Sent by</th>" in page
    page = client.get(SENT_URL, {"sent_by": "me", "status": "all"}).content.decode()
    assert row_ids(page) == [str(mine.public_id)]
    assert "Sent by</th>" not in page
    response = client.get(SENT_URL, {"status": "late", "sent_by": "me"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose open, closed or all referrals." in page
    assert row_ids(page) == [str(mine.public_id)]  # the valid filter applies; the bad one falls back to open


def test_each_view_of_the_list_is_audited(client_for, actor, patient, pantry_service):
    send(actor, patient, pantry_service)
    client_for(actor).get(SENT_URL, {"sent_by": "me"})
    event = AuditEvent.objects.get(event="referral.sent_list")
    assert event.detail == {"status": "open", "mine": True, "page": 1, "shown": 1}


def test_the_directory_and_the_inbox_link_to_the_sent_referrals(client_for, actor):
    client = client_for(actor)
    for name in ("community:directory", "community:incoming"):
        page = client.get(reverse(name)).content.decode()
        assert f'href="{SENT_URL}">Sent referrals</a>' in page


def test_the_scheduler_sees_the_list_and_an_auditor_does_not(client_for, org, actor, patient, pantry_service):
    send(actor, patient, pantry_service)
    assert client_for(make_actor(org, Role.SCHEDULER)).get(SENT_URL).status_code == 200
    assert client_for(make_actor(org, Role.AUDITOR)).get(SENT_URL).status_code in (403, 404)


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(SENT_URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status": "all"}, {"sent_by": "me"}])
def test_the_list_queries_do_not_grow_with_rows(client_for, actor, org, patient, pantry_service, shelter_service,
                                                pantry_actor, params):  # fmt: skip
    client = client_for(actor)

    def add_referrals(n):
        for i in range(n):
            other = PatientFactory(organization=org)
            referral = send(actor, other, pantry_service if i % 2 else shelter_service)
            services.referral_note_add(actor=actor, referral=referral, note="Called", follow_up_on=TODAY)
            if i % 3 == 0 and referral.receiving_organization_id:
                services.referral_set_status(actor=pantry_actor, referral=referral, status="accepted",
                                             expected_version=1)  # fmt: skip

    add_referrals(2)
    few = _queries(client, params)
    add_referrals(9)
    assert _queries(client, params) == few
