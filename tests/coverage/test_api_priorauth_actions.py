"""
POST /api/v1/coverage/prior-auths/{id}/decision, .../decision/correct and .../follow-ups: the prior
authorization page's actions as JSON. A stale version answers 412 and changes nothing; the front desk (not a
patient-record editor) is refused; the list shows the version to send back.
"""

import datetime as dt
import json

import pytest
import time_machine

from carecoord.core.choices import Role
from carecoord.coverage import priorauth_services as svc
from carecoord.coverage.models import PriorAuthEvent

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor
from .factories import make_coverage, make_payer

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def auth(actor, org):
    patient = PatientFactory(organization=org)
    coverage = make_coverage(actor, patient, make_payer(actor))
    data = {"coverage": coverage, "service": "Home health", "procedure_codes": ["G0151"], "units_requested": 6,
            "start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 4, 30)}  # fmt: skip
    auth = svc.prior_auth_create(actor=actor, patient=patient, data=data)
    return svc.prior_auth_set_status(
        actor=actor, auth=auth, status="submitted", expected_version=1, on=dt.date(2026, 3, 2)
    )


def base(auth) -> str:
    return f"/api/v1/coverage/prior-auths/{auth.public_id}"


def test_the_number_is_added_and_a_stale_version_answers_412(actor, auth):
    svc.prior_auth_set_status(actor=actor, auth=auth, status="approved", expected_version=2, on=dt.date(2026, 3, 9))
    client = signed_in_client(actor)
    listed = client.get("/api/v1/coverage/prior-auths").json()["results"][0]
    assert (listed["version"], listed["reference_number"]) == (3, "")
    response = post(client, f"{base(auth)}/decision", {"reference_number": "AUTH-1", "version": 3})
    assert response.status_code == 200, response.content
    assert (response.json()["reference_number"], response.json()["version"]) == ("AUTH-1", 4)
    assert response.json()["end_date"] == "2026-04-30"
    stale = post(client, f"{base(auth)}/decision", {"reference_number": "AUTH-2", "version": 3})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition-failed"
    auth.refresh_from_db()
    assert auth.reference_number == "AUTH-1"
    refused = post(client, f"{base(auth)}/decision", {"units_approved": 2, "version": 4})
    assert refused.status_code == 400
    assert refused.json()["field"] == "units_approved"


def test_a_decision_is_corrected(actor, auth):
    svc.prior_auth_set_status(
        actor=actor, auth=auth, status="denied", expected_version=2, on=dt.date(2026, 3, 9), denial_reason="No"
    )
    client = signed_in_client(actor)
    missing = post(client, f"{base(auth)}/decision/correct", {"status": "pended", "reason": "", "version": 3})
    assert missing.status_code == 400
    assert missing.json()["field"] == "reason"
    body = {"status": "partially_approved", "units_approved": 4, "reason": "Misread the letter", "version": 3}
    response = post(client, f"{base(auth)}/decision/correct", body)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["units_approved"]) == ("partially_approved", 4)
    assert post(client, f"{base(auth)}/decision/correct", {**body, "status": "pended"}).status_code == 412
    event = PriorAuthEvent.objects.get(kind="correction")
    assert (event.from_status, event.to_status, event.note) == ("denied", "partially_approved", "Misread the letter")


def test_a_follow_up_is_logged(actor, org, auth):
    client = signed_in_client(actor)
    body = {"note": "Called, still in review", "payer_reference": "123", "follow_up_on": "2026-03-13"}
    response = post(client, f"{base(auth)}/follow-ups", body)
    assert response.status_code == 201, response.content
    assert response.json()["prior_auth"]["follow_up_on"] == "2026-03-13"
    assert post(client, f"{base(auth)}/follow-ups", {**body, "version": 1}).status_code == 412
    scheduler = signed_in_client(make_actor(org, Role.SCHEDULER))
    assert post(scheduler, f"{base(auth)}/follow-ups", body).status_code in (403, 404)
    assert PriorAuthEvent.objects.filter(kind="follow_up").count() == 1
