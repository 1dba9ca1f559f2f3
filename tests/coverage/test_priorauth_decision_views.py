"""
A prior authorization's page after the walkthrough: an approval without a number warns and the number is added
later (Edit decision details), a decision recorded in error is corrected, follow-ups with the payer are logged,
and the history shows who did what and when.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.coverage import priorauth_services as svc
from carecoord.coverage.models import PriorAuthEvent

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor
from .factories import make_coverage, make_payer

# 10:00 in Chicago, the test organization's zone, on 03/10/2026.
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(actor):
    return signed_in_client(actor)


@pytest.fixture
def auth(actor, org):
    patient = PatientFactory(organization=org)
    coverage = make_coverage(actor, patient, make_payer(actor, name="Aetna"))
    data = {
        "coverage": coverage,
        "service": "Home health",
        "procedure_codes": ["G0151"],
        "units_requested": 6,
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 4, 30),
    }
    auth = svc.prior_auth_create(actor=actor, patient=patient, data=data)
    return svc.prior_auth_set_status(
        actor=actor, auth=auth, status="submitted", expected_version=1, on=dt.date(2026, 3, 2)
    )


def url(name, auth) -> str:
    return reverse(f"coverage:{name}", args=[auth.public_id])


def test_an_approval_without_a_number_warns_and_the_number_is_added_later(client, auth):
    response = client.post(
        url("priorauth_status", auth), {"status": "approved", "on": "2026-03-09", "version": 2}, follow=True
    )
    body = response.content.decode()
    assert "Approved without an authorization number" in body
    assert "Not recorded yet" in body
    assert "Edit decision details" in body
    offered = re.findall(r'<option value="([^"]+)"', body.split('id="decision-correct"')[1])
    assert offered == ["submitted", "pended", "partially_approved", "denied"]
    data = {"details-reference_number": "AUTH-99", "details-start_date": "2026-03-01",
            "details-end_date": "2026-05-15", "details-note": "Letter arrived", "details-version": "3"}  # fmt: skip
    page = client.post(url("priorauth_decision_edit", auth), data, follow=True).content.decode()
    auth.refresh_from_db()
    assert (auth.reference_number, auth.end_date) == ("AUTH-99", dt.date(2026, 5, 15))
    assert "Not recorded yet" not in page
    assert "Authorization number: (none) to AUTH-99" in page
    assert "Authorized through: 04/30/2026 to 05/15/2026" in page
    assert "03/10/2026" in page  # when, through timefmt
    stale = client.post(url("priorauth_decision_edit", auth), {**data, "details-reference_number": "X"})
    assert stale.status_code == 400
    auth.refresh_from_db()
    assert auth.reference_number == "AUTH-99"


def test_a_wrong_decision_is_corrected_with_a_reason(client, actor, auth):
    svc.prior_auth_set_status(actor=actor, auth=auth, status="approved", expected_version=2, on=dt.date(2026, 3, 9))
    target = url("priorauth_decision_correct", auth)
    refused = client.post(target, {"correct-status": "pended", "correct-reason": "", "correct-version": "3"})
    assert refused.status_code == 400
    assert "This field is required" in refused.content.decode()
    page = client.post(
        target,
        {"correct-status": "pended", "correct-reason": "Clicked the wrong request", "correct-version": "3"},
        follow=True,
    ).content.decode()
    auth.refresh_from_db()
    assert (auth.status, auth.units_approved, auth.decided_on) == ("pended", None, None)
    assert "Decision corrected: Approved to Pended" in page
    assert "Reason: Clicked the wrong request" in page
    assert "Submitted to Approved" in page  # the original decision stays in the history
    assert "Log a follow-up" in page


def test_a_follow_up_is_logged_and_moves_the_worklist_task(client, actor, auth):
    target = url("priorauth_follow_up", auth)
    bad = client.post(target, {"follow-note": "x", "follow-follow_up_on": "2026-03-01"})
    assert bad.status_code == 400
    assert "cannot be in the past" in bad.content.decode()
    data = {"follow-note": "Called Aetna, still in review", "follow-payer_reference": "123",
            "follow-contact_name": "Dana", "follow-follow_up_on": "2026-03-13"}  # fmt: skip
    response = client.post(target, data, follow=True)
    page = response.content.decode()
    assert "Follow-up logged; next follow-up on 03/13/2026." in page
    assert "Called Aetna, still in review" in page
    assert "Spoke with Dana, reference 123" in page
    assert "Next follow-up: 03/13/2026" in page
    task = Task.objects.get(dedupe_key__startswith="priorauth-follow-up:")
    assert task.due_date == dt.date(2026, 3, 13)
    event = PriorAuthEvent.objects.get(kind="follow_up")
    assert event.by == actor.user


def test_the_scheduler_sees_the_history_but_cannot_log_a_follow_up(client_for, auth, org):
    scheduler = signed_in_client(make_actor(org, "scheduler"))
    page = scheduler.get(url("priorauth_detail", auth)).content.decode()
    assert "Submitted" in page
    assert "Log a follow-up" not in page
    refused = scheduler.post(url("priorauth_follow_up", auth), {"follow-note": "Called"})
    assert refused.status_code in (403, 404)
    assert not PriorAuthEvent.objects.filter(kind="follow_up").exists()
