"""
Requests and applications another organization wrote (the shared patient's home organization's, or a partner's
for the home organization) say whose they are and that they are read only, on the prior authorization list, a
request's page, the Insurance tab and an application's page. The list shows our organization's own requests
by default ("Whose": all I can see shows the others too, without our alerts on their dates).
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from carecoord.core.models import AuditEvent
from carecoord.coverage import funding_services
from carecoord.coverage.selectors import ALL_SCOPE, prior_auths_in_scope, prior_auths_of_others_count

from ..conftest import signed_in_client
from ..factories import PatientFactory, share_by_consent
from .factories import make_coverage, make_payer
from .test_priorauth_list import make_auth

NOW = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)  # 11:00 in Chicago
TODAY = dt.date(2026, 3, 10)
pytestmark = pytest.mark.usefixtures("_frozen_clock")
D = dt.date
URL = "/insurance/prior-auths/"


@pytest.fixture
def ours(actor, org):
    """Our own patient's request, awaiting the payer although its service started a week ago (overdue)."""
    patient = PatientFactory(organization=org, given_name="Ada", family_name="Lovelace")
    coverage = make_coverage(actor, patient, make_payer(actor, name="Acme Health", payer_id="ACME1"))
    return make_auth(actor, coverage, "pended", "Knee arthroscopy", start=D(2026, 3, 3), end=D(2026, 4, 3),
                     submitted=D(2026, 2, 20))  # fmt: skip


@pytest.fixture
def shared(other_actor, other_org, org):
    """Riverside Hospital's patient, shared with us, with Riverside's own overdue request and application."""
    patient = PatientFactory(organization=other_org, given_name="Zeb", family_name="Quill")
    coverage = make_coverage(other_actor, patient, make_payer(other_actor, name="Their Payer", payer_id="T1"))
    auth = make_auth(other_actor, coverage, "submitted", "Hip replacement", start=D(2026, 3, 1), end=D(2026, 6, 1),
                     submitted=D(2026, 2, 15))  # fmt: skip
    app = funding_services.application_create(
        actor=other_actor, patient=patient, data={"program": "snap", "program_name": "SNAP", "documents": ["Photo ID"]}
    )
    share_by_consent(other_actor, patient, org, signed_on=D(2026, 3, 1))
    return {"patient": patient, "auth": auth, "app": app}


def services_listed(body: str) -> list[str]:
    return re.findall(r'<a href="/insurance/prior-auths/[0-9a-f-]+/">([^<]+)</a>', body)


def row(body: str, auth) -> str:
    return re.search(rf'<tr id="priorauth-{auth.public_id}".*?</tr>', body, re.S).group(0)


def test_the_selector_narrows_to_our_organization_unless_asked_for_all(actor, ours, shared):
    assert list(prior_auths_in_scope(actor)) == [ours]
    assert set(prior_auths_in_scope(actor, scope=ALL_SCOPE)) == {ours, shared["auth"]}
    assert prior_auths_of_others_count(actor) == 1
    assert prior_auths_of_others_count(actor, status="draft") == 0


def test_the_list_shows_our_requests_by_default_and_says_how_many_others_there_are(actor, ours, shared):
    response = signed_in_client(actor).get(URL)
    body = response.content.decode()
    assert services_listed(body) == ["Knee arthroscopy"]
    count = re.search(r'<p class="muted" id="priorauth-count">(.*?)</p>', body, re.S).group(1)
    assert count.startswith("1 prior authorization of your organization; 1 more of other organizations (read only)")
    assert 'href="?scope=all">show all I can see</a>' in count
    assert re.search(r'<option value="" selected>Our organization&#x27;s</option>', body)
    # Our own overdue request keeps its red cue.
    assert '<span class="badge badge-alert">Overdue by 7 days</span>' in row(body, ours)
    event = AuditEvent.objects.get(event="priorauth.list")
    assert (event.detail["scope"], event.detail["shown"]) == ("ours", 1)


def test_all_i_can_see_marks_the_other_organizations_rows_read_only_without_our_alerts(actor, ours, shared):
    body = signed_in_client(actor).get(URL, {"scope": "all"}).content.decode()
    assert set(services_listed(body)) == {"Knee arthroscopy", "Hip replacement"}
    theirs = row(body, shared["auth"])
    assert "Riverside Hospital's · read only" in theirs
    assert 'class="row-read-only"' in theirs
    assert '<span class="muted">Overdue by 9 days</span>' in theirs
    assert "badge-alert" not in theirs
    mine = row(body, ours)
    assert "read only" not in mine
    assert "badge-alert" in mine
    assert "more of other organizations" not in body
    assert AuditEvent.objects.get(event="priorauth.list").detail["scope"] == "all"


def test_an_unknown_scope_is_explained_and_the_list_stays_ours(actor, ours, shared):
    response = signed_in_client(actor).get(URL, {"scope": "everyone"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "“everyone” is not a choice of whose requests to show." in body
    assert services_listed(body) == ["Knee arthroscopy"]


def test_without_other_organizations_requests_there_is_no_hint(actor, ours):
    body = signed_in_client(actor).get(URL).content.decode()
    assert "more of other organizations" not in body


def test_the_request_page_says_whose_it_is_and_offers_no_change(actor, other_actor, ours, shared):
    auth = shared["auth"]
    body = signed_in_client(actor).get(reverse("coverage:priorauth_detail", args=[auth.public_id])).content.decode()
    note = re.search(r'<p id="owner-note">(.*?)</p>', body, re.S).group(1)
    assert "Riverside Hospital's · read only" in note
    assert "Riverside Hospital made this request" in note
    assert "Change the status" not in body
    # Riverside sees its own request as its own.
    body = signed_in_client(other_actor).get(reverse("coverage:priorauth_detail", args=[auth.public_id])).content
    assert b'id="owner-note"' not in body
    assert b"Change the status" in body


def test_the_insurance_tab_marks_the_other_organizations_rows(actor, shared):
    url = reverse("coverage:patient_insurance", args=[shared["patient"].public_id])
    body = signed_in_client(actor).get(url).content.decode()
    auths = re.search(r'id="prior-auths".*?</table>', body, re.S).group(0)
    apps = re.search(r'id="applications".*?</table>', body, re.S).group(0)
    assert "Hip replacement" in auths
    assert "Riverside Hospital's · read only" in auths
    assert "SNAP" in apps
    assert "Riverside Hospital's · read only" in apps


def test_the_application_page_says_whose_it_is_and_offers_no_change(actor, other_actor, shared):
    url = reverse("coverage:application_detail", args=[shared["app"].public_id])
    body = signed_in_client(actor).get(url).content.decode()
    assert "Riverside Hospital tracks this application" in body
    assert "Update the application" not in body
    body = signed_in_client(other_actor).get(url).content.decode()
    assert 'id="owner-note"' not in body
    assert "Update the application" in body


def test_the_api_still_lists_all_the_caller_may_read(actor, ours, shared):
    rows = signed_in_client(actor).get("/api/v1/coverage/prior-auths").json()["results"]
    assert {r["service"] for r in rows} == {"Knee arthroscopy", "Hip replacement"}
