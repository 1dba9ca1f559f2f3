"""
Prior authorizations across patients: the selector (filters, most urgent first, who sees what), the page
/insurance/prior-auths/ (filters, audit entry, constant queries, a bad filter explained) and its JSON twin
/api/v1/coverage/prior-auths.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.coverage import priorauth_services as svc
from carecoord.coverage.forms import PriorAuthListFilterForm
from carecoord.coverage.models import PriorAuthorization
from carecoord.coverage.selectors import PRIOR_AUTH_LIST_FILTERS, prior_auths_for_patient, prior_auths_visible_to
from carecoord.patients import services as patient_services

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor, share_by_consent
from .factories import make_coverage, make_payer

NOW = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)  # 11:00 in Chicago
TODAY = dt.date(2026, 3, 10)
pytestmark = pytest.mark.usefixtures("_frozen_clock")

D = dt.date
STEPS = {
    "draft": [],
    "submitted": ["submitted"],
    "pended": ["submitted", "pended"],
    "approved": ["submitted", "approved"],
    "denied": ["submitted", "denied"],
    "expired": ["submitted", "approved", "expired"],
}


def make_auth(actor, coverage, status, service, *, start, end, submitted=None, decided=None) -> PriorAuthorization:
    """A request for `service` under `coverage`, moved through the services to `status`."""
    data = {"coverage": coverage, "service": service, "procedure_codes": ["97110"], "diagnosis_codes": [],
            "units_requested": 10, "start_date": start, "end_date": end}  # fmt: skip
    auth = svc.prior_auth_create(actor=actor, patient=coverage.patient, data=data)
    for step in STEPS[status]:
        on = submitted if step == "submitted" else decided
        auth.refresh_from_db()
        svc.prior_auth_set_status(actor=actor, auth=auth, status=step, expected_version=auth.version, on=on,
                                  denial_reason="Not medically necessary" if step == "denied" else "")  # fmt: skip
    auth.refresh_from_db()
    return auth


@pytest.fixture
def acme(actor):
    return make_payer(actor, name="Acme Health", payer_id="ACME1")


@pytest.fixture
def zenith(actor):
    return make_payer(actor, name="Zenith Mutual", payer_id="ZEN1")


@pytest.fixture
def auths(actor, org, acme, zenith) -> dict:
    """One request in every situation, for two patients of the organization (payers Acme and Zenith)."""
    ada = PatientFactory(organization=org, given_name="Ada", family_name="Lovelace")
    bo = PatientFactory(organization=org, given_name="Bo", family_name="Diddley")
    ada_acme, bo_zenith = make_coverage(actor, ada, acme), make_coverage(actor, bo, zenith)
    return {
        "appeal_soon": make_auth(actor, ada_acme, "denied", "MRI lumbar spine", start=D(2026, 1, 20),
                                 end=D(2026, 2, 20), submitted=D(2026, 1, 5), decided=D(2026, 1, 15)),
        "ending": make_auth(actor, bo_zenith, "approved", "Home health aide", start=D(2026, 2, 1),
                            end=D(2026, 3, 18), submitted=D(2026, 1, 20), decided=D(2026, 1, 28)),
        "pending": make_auth(actor, ada_acme, "pended", "Knee arthroscopy", start=D(2026, 3, 20),
                             end=D(2026, 4, 20), submitted=D(2026, 3, 1)),
        "draft": make_auth(actor, bo_zenith, "draft", "Sleep study", start=D(2026, 4, 1), end=D(2026, 4, 30)),
        "appeal_later": make_auth(actor, bo_zenith, "denied", "CPAP supplies", start=D(2026, 3, 5),
                                  end=D(2026, 9, 5), submitted=D(2026, 2, 25), decided=D(2026, 3, 1)),
        "approved_long": make_auth(actor, ada_acme, "approved", "Physical therapy", start=D(2026, 3, 1),
                                   end=D(2026, 6, 30), submitted=D(2026, 2, 10), decided=D(2026, 2, 20)),
        "appeal_passed": make_auth(actor, ada_acme, "denied", "Brand-name insulin", start=D(2025, 12, 10),
                                   end=D(2026, 6, 10), submitted=D(2025, 11, 20), decided=D(2025, 12, 1)),
        "expired": make_auth(actor, bo_zenith, "expired", "Speech therapy", start=D(2025, 10, 1),
                             end=D(2025, 12, 31), submitted=D(2025, 9, 20), decided=D(2025, 9, 25)),
    }  # fmt: skip


def keys(found, auths) -> list[str]:
    names = {auth.pk: name for name, auth in auths.items()}
    return [names[auth.pk] for auth in found]


# The selector ---------------------------------------------------------------------------------------------


def test_most_urgent_first_then_closed_ones_newest_first(actor, auths):
    found = prior_auths_visible_to(actor)
    assert keys(found, auths) == [
        "appeal_soon",  # appeal by 03/16
        "ending",  # approval ends 03/18
        "pending",  # needed by its start, 03/20
        "draft",  # 04/01
        "appeal_later",  # appeal by 04/30
        "approved_long",  # ends 06/30
        "appeal_passed",  # nothing left to do: by start date, newest first
        "expired",
    ]
    by_key = {name: auth for name, auth in zip(keys(found, auths), found, strict=True)}
    assert by_key["appeal_soon"].appeal_by == D(2026, 3, 16)  # 60 days after the denial of 01/15
    assert by_key["appeal_passed"].appeal_by == D(2026, 1, 30)
    assert by_key["ending"].appeal_by is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", ["pending"]),
        ("draft", ["draft"]),
        ("approved", ["ending", "approved_long"]),
        ("ending", ["ending"]),
        ("denied", ["appeal_soon", "appeal_later", "appeal_passed"]),
        ("appeal_due", ["appeal_soon"]),
        ("appeal_pending", []),
        ("expired", ["expired"]),
    ],
)
def test_status_filters(actor, auths, status, expected):
    assert keys(prior_auths_visible_to(actor, status=status), auths) == expected


def test_payer_filter_and_status_together(actor, auths, acme, zenith):
    assert keys(prior_auths_visible_to(actor, payer=zenith), auths) == ["ending", "draft", "appeal_later", "expired"]
    assert keys(prior_auths_visible_to(actor, payer=acme, status="denied"), auths) == ["appeal_soon", "appeal_passed"]


def appeal(actor, auth, *, filed=None, decision_due=None, outcome=None, outcome_on=None):
    """
    Opens the next appeal level of `auth`, files it on `filed` (the payer to decide by `decision_due`) and
    records `outcome` on `outcome_on`.
    """
    auth.refresh_from_db()
    opened = svc.appeal_create(actor=actor, auth=auth)
    for status, on in (("filed", filed), (outcome, outcome_on)):
        if on is not None:
            opened.refresh_from_db()
            opened = svc.appeal_set_status(actor=actor, appeal=opened, status=status, expected_version=opened.version,
                                           on=on, units_approved=10 if "overturned" in status else None,
                                           decision_due=decision_due if status == "filed" else None)  # fmt: skip
    return opened


def test_an_appeal_being_prepared_keeps_its_filing_deadline_on_the_list(actor, auths):
    appeal(actor, auths["appeal_soon"])
    assert keys(prior_auths_visible_to(actor, status="appeal_due"), auths) == ["appeal_soon"]
    row = prior_auths_visible_to(actor).get(pk=auths["appeal_soon"].pk)
    assert (row.appeal_by, row.action_on) == (D(2026, 3, 16), D(2026, 3, 16))
    assert (row.appeal_level, row.appeal_status) == (1, "preparing")


def test_a_filed_appeal_is_ordered_by_its_follow_up_date_not_buried(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20))  # filed in time (deadline 01/30)
    found = prior_auths_visible_to(actor)
    assert keys(found, auths)[0] == "appeal_passed"  # the payer's decision was expected by 02/19: follow up
    row = found.get(pk=auths["appeal_passed"].pk)
    assert row.appeal_by is None  # nothing left to file
    assert (row.appeal_level, row.appeal_status, row.appeal_filed_on) == (1, "filed", D(2026, 1, 20))
    assert row.appeal_follow_up_on == row.action_on == D(2026, 2, 19)


def test_an_upheld_appeal_shows_its_outcome_and_the_next_levels_deadline(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20), outcome="upheld", outcome_on=D(2026, 2, 20))
    row = prior_auths_visible_to(actor).get(pk=auths["appeal_passed"].pk)
    assert (row.appeal_status, row.appeal_outcome_on) == ("upheld", D(2026, 2, 20))
    assert row.appeal_by == row.action_on == D(2026, 4, 21)  # a second level: 60 days from the upheld decision
    assert keys(prior_auths_visible_to(actor, status="appeal_pending"), auths) == []


def test_the_appeal_pending_filter_and_the_latest_level_wins(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20), outcome="upheld", outcome_on=D(2026, 2, 20))
    appeal(actor, auths["appeal_passed"], filed=D(2026, 3, 2))
    appeal(actor, auths["appeal_later"])
    assert keys(prior_auths_visible_to(actor, status="appeal_pending"), auths) == ["appeal_passed", "appeal_later"]
    row = prior_auths_visible_to(actor).get(pk=auths["appeal_passed"].pk)
    assert (row.appeal_level, row.appeal_status, row.appeal_follow_up_on) == (2, "filed", D(2026, 4, 1))


def test_the_form_offers_exactly_the_selectors_filters(actor):
    offered = {value for value, _label in PriorAuthListFilterForm(payers=None).fields["status"].choices if value}
    assert offered == set(PRIOR_AUTH_LIST_FILTERS)
    with pytest.raises(ValueError, match="Unknown"):
        list(prior_auths_visible_to(actor, status="bogus"))


@pytest.fixture
def their_patient(other_org, other_actor):
    """Another organization's patient with a denied request (shared with nobody yet)."""
    patient = PatientFactory(organization=other_org, given_name="Zebulon", family_name="Quixotic")
    coverage = make_coverage(other_actor, patient, make_payer(other_actor, name="Their Payer", payer_id="T1"))
    make_auth(other_actor, coverage, "denied", "Their secret surgery", start=D(2026, 2, 1), end=D(2026, 5, 1),
              submitted=D(2026, 2, 1), decided=D(2026, 2, 10))  # fmt: skip
    return patient


def test_another_organizations_patients_never_appear(actor, auths, their_patient):
    assert not prior_auths_visible_to(actor).filter(patient=their_patient).exists()
    assert len(prior_auths_visible_to(actor)) == len(auths)


def test_a_patient_shared_under_consent_appears_as_on_their_insurance_tab(actor, other_actor, org, their_patient):
    share = share_by_consent(other_actor, their_patient, org, signed_on=D(2026, 3, 1))
    listed = list(prior_auths_visible_to(actor))
    assert [a.service for a in listed] == ["Their secret surgery"]
    assert set(listed) == set(prior_auths_for_patient(actor, their_patient))
    patient_services.share_revoke(actor=other_actor, share=share)
    assert list(prior_auths_visible_to(actor)) == []
    assert list(prior_auths_for_patient(actor, their_patient)) == []


def test_roles_without_patient_work_see_nothing(org, auths):
    auditor = make_actor(org, Role.AUDITOR)
    assert list(prior_auths_visible_to(auditor)) == []
    assert list(prior_auths_visible_to(None)) == []


# The page -------------------------------------------------------------------------------------------------

URL = "/insurance/prior-auths/"


def rows(body: str) -> list[str]:
    return re.findall(r'<tr id="priorauth-[^"]+">\s*<td><a href="[^"]+">([^<]+)</a>', body)


def services_listed(body: str) -> list[str]:
    return re.findall(r'<a href="/insurance/prior-auths/[0-9a-f-]+/">([^<]+)</a>', body)


def test_the_page_lists_most_urgent_first_and_is_audited(actor, auths):
    assert reverse("coverage:priorauth_list") == URL
    response = signed_in_client(actor).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert services_listed(body)[:3] == ["MRI lumbar spine", "Home health aide", "Knee arthroscopy"]
    assert rows(body)[0] == "Lovelace, Ada"
    ada = auths["appeal_soon"].patient
    assert f'href="/patients/{ada.public_id}/insurance/#prior-auths"' in body
    assert "03/16/2026" in body
    assert "6 days left" in body  # the appeal of the 01/15 denial
    assert "8 days left" in body  # the approval ending 03/18
    assert "Needed by 03/20/2026" in body
    assert 'aria-current="page">Prior auths' in body
    event = AuditEvent.objects.get(event="priorauth.list")
    assert (event.action, event.detail["shown"], event.detail["filters"]) == ("R", 8, {})


def test_the_page_filters_by_status_and_payer(actor, auths, zenith):
    client = signed_in_client(actor)
    body = client.get(URL, {"status": "appeal_due"}).content.decode()
    assert services_listed(body) == ["MRI lumbar spine"]
    body = client.get(URL, {"status": "denied", "payer": str(zenith.public_id)}).content.decode()
    assert services_listed(body) == ["CPAP supplies"]
    event = AuditEvent.objects.filter(event="priorauth.list").latest("pk")
    assert event.detail["filters"] == {"status": "denied", "payer": str(zenith.public_id)}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "overdue"}, "“overdue” is not a status filter this list knows."),
        ({"payer": "not-an-id"}, "No payer of your directory has this id."),
    ],
)
def test_a_bad_filter_is_explained_and_the_others_still_apply(actor, auths, params, message):
    response = signed_in_client(actor).get(URL, {"status": "ending", **params})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not applied" in body
    assert message in body
    # A bad payer leaves "ending" applied; a bad status leaves no filter at all.
    assert len(services_listed(body)) == (1 if "payer" in params else len(auths))


def test_another_organizations_payer_is_not_a_choice(actor, other_actor, auths):
    theirs = make_payer(other_actor, name="Their Payer", payer_id="T9")
    body = signed_in_client(actor).get(URL, {"payer": str(theirs.public_id)}).content.decode()
    assert "No payer of your directory has this id." in body
    assert "Their Payer" not in body


def test_the_page_is_paginated(actor, auths, monkeypatch):
    from carecoord.coverage import priorauth_list_views

    monkeypatch.setattr(priorauth_list_views, "PAGE_SIZE", 3)
    client = signed_in_client(actor)
    first = client.get(URL, {"status": "denied"}).content.decode()
    assert services_listed(first) == ["MRI lumbar spine", "CPAP supplies", "Brand-name insulin"]
    monkeypatch.setattr(priorauth_list_views, "PAGE_SIZE", 2)
    second = client.get(URL, {"status": "denied", "page": 2}).content.decode()
    assert services_listed(second) == ["Brand-name insulin"]
    assert "Page 2 of 2" in second
    assert "status=denied&amp;page=1" in second


def test_the_page_shows_the_appeal_of_a_denial(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20))
    appeal(actor, auths["appeal_soon"])
    appeal(actor, auths["appeal_later"], filed=D(2026, 3, 3), outcome="overturned", outcome_on=D(2026, 3, 9))
    body = signed_in_client(actor).get(URL).content.decode()
    assert services_listed(body)[0] == "Brand-name insulin"
    passed = row_html(body, auths["appeal_passed"])
    assert "First-level appeal filed 01/20/2026" in passed
    assert "Follow up by 02/19/2026" in passed
    assert '<span class="badge badge-alert">Decision overdue by 19 days</span>' in passed
    soon = row_html(body, auths["appeal_soon"])
    assert "First-level appeal being prepared" in soon
    assert '<span class="badge badge-alert">6 days left</span>' in soon
    later = row_html(body, auths["appeal_later"])
    assert "First-level appeal: Overturned (approved) 03/09/2026" in later


def test_a_recorded_decision_date_orders_and_words_the_follow_up(actor, auths):
    # Without it the estimate (02/19, overdue) would put this row first; the payer's letter says 04/20.
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20), decision_due=D(2026, 4, 20))
    found = prior_auths_visible_to(actor)
    row = found.get(pk=auths["appeal_passed"].pk)
    assert row.appeal_decision_due == row.appeal_follow_up_on == row.action_on == D(2026, 4, 20)
    assert keys(found, auths) == [
        "appeal_soon", "ending", "pending", "draft",
        "appeal_passed",  # the payer decides by 04/20
        "appeal_later",  # appeal by 04/30
        "approved_long", "expired",
    ]  # fmt: skip

    body = signed_in_client(actor).get(URL).content.decode()
    html = row_html(body, auths["appeal_passed"])
    assert "Decision due 04/20/2026" in html
    assert "Follow up by" not in html
    assert "(estimate)" not in html
    assert '<span class="muted">41 days left</span>' in html


def test_without_a_decision_date_the_follow_up_says_it_is_an_estimate(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20))
    html = row_html(signed_in_client(actor).get(URL).content.decode(), auths["appeal_passed"])
    assert "Follow up by 02/19/2026 (estimate)" in html
    assert "Decision due 0" not in html


def row_html(body: str, auth) -> str:
    return re.search(rf'<tr id="priorauth-{auth.public_id}">(.*?)</tr>', body, re.S).group(1)


def test_urgency_cues_are_red_only_when_near_and_say_so_in_words(actor, org, acme, auths):
    ada_acme = auths["pending"].coverage
    needed = {
        "today": make_auth(actor, ada_acme, "submitted", "Wheelchair", start=TODAY, end=D(2026, 5, 1),
                           submitted=D(2026, 3, 1)),
        "tomorrow": make_auth(actor, ada_acme, "pended", "Walker", start=D(2026, 3, 11), end=D(2026, 5, 1),
                              submitted=D(2026, 3, 1)),
        "late": make_auth(actor, ada_acme, "submitted", "Hospital bed", start=D(2026, 3, 7), end=D(2026, 5, 1),
                          submitted=D(2026, 3, 1)),
    }  # fmt: skip
    body = signed_in_client(actor).get(URL).content.decode()
    assert '<span class="badge badge-alert">Needed today</span>' in row_html(body, needed["today"])
    assert '<span class="badge badge-alert">Needed tomorrow</span>' in row_html(body, needed["tomorrow"])
    assert '<span class="badge badge-alert">Overdue by 3 days</span>' in row_html(body, needed["late"])
    assert "badge-alert" not in row_html(body, auths["pending"])  # needed by 03/20: ten days ahead
    later = row_html(body, auths["appeal_later"])  # appeal by 04/30, 51 days ahead
    assert '<span class="muted">51 days left</span>' in later
    assert "badge-alert" not in later
    passed = row_html(body, auths["appeal_passed"])
    assert '<span class="badge badge-alert">Deadline passed</span>' in passed
    assert '<span class="badge badge-alert">6 days left</span>' in row_html(body, auths["appeal_soon"])


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/insurance/prior-auths/", "/api/v1/coverage/prior-auths"])
def test_the_list_costs_the_same_queries_for_one_row_or_many(actor, org, acme, url):
    client = signed_in_client(actor)
    first = PatientFactory(organization=org)
    make_auth(actor, make_coverage(actor, first, acme), "draft", "One", start=D(2026, 4, 1), end=D(2026, 4, 30))
    client.get(url)  # warm the session and caches
    one = _queries(client, url)
    for number in range(6):
        patient = PatientFactory(organization=org)
        payer = make_payer(actor, name=f"Payer {number}", payer_id=f"X{number}")
        coverage = make_coverage(actor, patient, payer)
        denied = make_auth(actor, coverage, "denied", f"Service {number}", start=D(2026, 2, 1),
                           end=D(2026, 4, 1), submitted=D(2026, 2, 1), decided=D(2026, 2, 2))  # fmt: skip
        if number % 2:
            appeal(actor, denied, filed=D(2026, 2, 10))
    assert _queries(client, url) == one


def test_roles_and_the_navigation(org, actor, auths):
    assert 'href="/insurance/prior-auths/"' in signed_in_client(actor).get("/", follow=True).content.decode()
    auditor = signed_in_client(make_actor(org, Role.AUDITOR))
    assert auditor.get(URL).status_code == 404
    assert 'href="/insurance/prior-auths/"' not in auditor.get("/", follow=True).content.decode()
    provider = signed_in_client(make_actor(org, Role.PROVIDER))
    assert provider.get(URL).status_code == 200


def test_the_page_shows_nothing_of_another_organization(actor, auths, their_patient):
    body = signed_in_client(actor).get(URL).content.decode()
    assert "Quixotic" not in body
    assert "Their secret surgery" not in body


# The JSON API ---------------------------------------------------------------------------------------------

API = "/api/v1/coverage/prior-auths"


def test_the_api_lists_with_the_same_filters_order_and_audit(actor, auths, acme):
    client = signed_in_client(actor)
    response = client.get(API)
    assert response.status_code == 200
    data = response.json()
    services = [row["service"] for row in data["results"]]
    assert services[:3] == ["MRI lumbar spine", "Home health aide", "Knee arthroscopy"]
    first = data["results"][0]
    assert (first["status"], first["appeal_by"], first["appeal_days_left"]) == ("denied", "2026-03-16", 6)
    assert first["patient"] == {"id": str(auths["appeal_soon"].patient.public_id), "name": "Lovelace, Ada"}
    assert first["payer"]["name"] == "Acme Health"
    assert data["results"][1]["end_days_left"] == 8
    assert data["next_offset"] is None
    ending = client.get(API, {"status": "ending"}).json()["results"]
    assert [row["service"] for row in ending] == ["Home health aide"]
    acme_denied = client.get(API, {"status": "denied", "payer": str(acme.public_id)}).json()["results"]
    assert [row["service"] for row in acme_denied] == ["MRI lumbar spine", "Brand-name insulin"]
    event = AuditEvent.objects.filter(event="priorauth.list").latest("pk")
    assert event.detail["api"] is True
    assert event.detail["filters"] == {"status": "denied", "payer": str(acme.public_id)}


def test_the_api_rows_carry_the_appeal_and_the_needed_by_days(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20))
    rows_by_service = {row["service"]: row for row in signed_in_client(actor).get(API).json()["results"]}
    passed = rows_by_service["Brand-name insulin"]
    assert passed["appeal_by"] is None
    assert passed["appeal"] == {
        "id": str(PriorAuthorization.objects.get(pk=auths["appeal_passed"].pk).appeals.get().public_id),
        "level": 1, "level_display": "First-level appeal", "status": "filed", "status_display": "Filed",
        "filing_deadline": "2026-01-30", "filed_on": "2026-01-20", "decision_due": None, "outcome_on": None,
        "follow_up_on": "2026-02-19", "follow_up_days_left": -19,
    }  # fmt: skip
    assert rows_by_service["MRI lumbar spine"]["appeal"] is None
    assert rows_by_service["Knee arthroscopy"]["needed_days_left"] == 10
    assert rows_by_service["Physical therapy"]["needed_days_left"] is None


def test_the_api_row_carries_the_payers_decision_date(actor, auths):
    appeal(actor, auths["appeal_passed"], filed=D(2026, 1, 20), decision_due=D(2026, 3, 12))
    rows_by_service = {row["service"]: row for row in signed_in_client(actor).get(API).json()["results"]}
    carried = rows_by_service["Brand-name insulin"]["appeal"]
    assert (carried["decision_due"], carried["follow_up_on"], carried["follow_up_days_left"]) == (
        "2026-03-12", "2026-03-12", 2,
    )  # fmt: skip


def test_the_api_pages_with_offset_and_limit(actor, auths):
    client = signed_in_client(actor)
    page = client.get(API, {"limit": 3}).json()
    assert page["next_offset"] == 3
    rest = client.get(API, {"limit": 3, "offset": 6}).json()
    assert [row["service"] for row in rest["results"]] == ["Brand-name insulin", "Speech therapy"]
    assert rest["next_offset"] is None


def test_the_api_refuses_bad_filters_with_every_problem(actor, auths):
    response = signed_in_client(actor).get(API, {"status": "overdue", "payer": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("invalid", "status")
    assert body["message"] == "“overdue” is not a status filter this list knows."
    assert body["errors"] == [
        {"field": "status", "message": "“overdue” is not a status filter this list knows."},
        {"field": "payer", "message": "No payer of your directory has this id."},
    ]
    assert not AuditEvent.objects.filter(event="priorauth.list").exists()


def test_the_api_shows_only_what_the_caller_may_see(org, actor, other_actor, auths, their_patient):
    theirs = signed_in_client(other_actor).get(API).json()["results"]
    assert [row["service"] for row in theirs] == ["Their secret surgery"]
    ours = signed_in_client(actor).get(API).content.decode()
    assert "Their secret surgery" not in ours
    assert signed_in_client(make_actor(org, Role.AUDITOR)).get(API).status_code == 404


# The Insurance tab's Manage panel -------------------------------------------------------------------------


def test_the_manage_panel_has_its_own_full_width_row(actor, org):
    patient = PatientFactory(organization=org)
    coverage = make_coverage(actor, patient)
    make_coverage(actor, patient, member_id="SECOND")  # two, so the panel offers the order too
    body = signed_in_client(actor).get(reverse("coverage:patient_insurance", args=[patient.public_id])).content
    body = body.decode()
    row = re.search(rf'<tr class="coverage-manage" id="coverage-manage-{coverage.public_id}">(.*?)</tr>', body, re.S)
    assert row is not None
    panel = row.group(1)
    assert '<td colspan="7">' in panel
    assert "<summary" in panel
    assert "Manage" in panel
    for name in ('name="position"', 'name="version"', 'name="end_date"', 'name="in_error"', 'name="start-',
                 'name="record-method"'):  # fmt: skip
        assert name in panel, name
    header = re.search(r"<thead>(.*?)</thead>", body, re.S).group(1)
    assert header.count("<th") == 7
