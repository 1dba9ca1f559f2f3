"""
GET and POST /api/v1/patients/{id}/coverages and POST /api/v1/coverages/{id}/end: a patient's insurance through
the Insurance tab's forms and services. The front desk and the write roles succeed; an auditor and another
organization get 404; bad input answers 400 naming the field and writes nothing; a stale version answers 412;
the member ID shows only to the roles that may see it.
"""

import datetime as dt
import json

import pytest

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.coverage.models import Coverage

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor
from .factories import make_coverage, make_payer


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def coordinator(org):
    return make_actor(org, Role.COORDINATOR)


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org)


@pytest.fixture
def payer(coordinator):
    return make_payer(coordinator)


def url(patient) -> str:
    return f"/api/v1/patients/{patient.public_id}/coverages"


def body(payer, **extra) -> dict:
    return {"product_type": "commercial", "payer": str(payer.public_id), "plan_name": "Gold", "member_id": "W99",
            "start_date": "2026-01-01", **extra}  # fmt: skip


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.COORDINATOR])
def test_the_front_desk_and_a_coordinator_add_a_coverage_at_a_position(org, coordinator, patient, payer, role):
    first = make_coverage(coordinator, patient, payer)
    client = signed_in_client(make_actor(org, role))
    response = post(client, url(patient), body(payer, position=1))
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["order"], added["order_name"], added["member_id"], added["payer"]["name"]) == (
        1, "Primary", "W99", payer.name
    )  # fmt: skip
    first.refresh_from_db()
    assert first.order == 2
    event = AuditEvent.objects.get(event="coverage.add", object_id=added["id"])
    assert (event.patient_public_id, event.detail["order"]) == (patient.public_id, 1)
    listed = client.get(url(patient)).json()["results"]
    assert [row["id"] for row in listed] == [added["id"], str(first.public_id)]
    assert AuditEvent.objects.filter(event="insurance.view", patient_public_id=patient.public_id).exists()


def test_without_a_position_the_coverage_goes_last(coordinator, patient, payer):
    make_coverage(coordinator, patient, payer)
    response = post(signed_in_client(coordinator), url(patient), body(payer))
    assert response.json()["order"] == 2


def test_invalid_input_names_the_field_and_writes_nothing(coordinator, patient, payer):
    client = signed_in_client(coordinator)
    for bad, field in [
        (body(payer, member_id=""), "member_id"),
        (body(payer, product_type="barter"), "product_type"),
        ({**body(payer), "payer": "not-a-payer"}, "payer"),
        (body(payer, start_date="2026-02-30"), "start_date"),
        (body(payer, relationship="spouse"), "subscriber_family_name"),
        (body(payer, start_date="2026-03-01", end_date="2026-01-01"), "end_date"),
        (body(payer, position=99), "position"),
    ]:
        response = post(client, url(patient), bad)
        assert response.status_code == 400, (bad, response.content)
        assert field in {e["field"] for e in response.json()["errors"]}, (bad, response.json())
    assert not Coverage.objects.exists()
    assert not AuditEvent.objects.filter(event="coverage.add").exists()


def test_self_pay_needs_no_payer_or_member_id(coordinator, patient):
    response = post(signed_in_client(coordinator), url(patient), {"product_type": "self_pay"})
    assert response.status_code == 201, response.content
    assert response.json()["payer"] is None


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.COORDINATOR])
def test_ending_a_coverage_moves_the_others_up_and_is_audited(org, coordinator, patient, payer, role):
    primary = make_coverage(coordinator, patient, payer)
    secondary = make_coverage(coordinator, patient, payer)
    client = signed_in_client(make_actor(org, role))
    response = post(client, f"/api/v1/coverages/{primary.public_id}/end",
                    {"end_date": "2026-02-01", "version": primary.version})  # fmt: skip
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["order"], response.json()["end_date"]) == (
        "cancelled", None, "2026-02-01"
    )  # fmt: skip
    secondary.refresh_from_db()
    assert secondary.order == 1
    assert AuditEvent.objects.filter(event="coverage.end", patient_public_id=patient.public_id).exists()
    active = client.get(url(patient), {"include_ended": "false"}).json()["results"]
    assert [row["id"] for row in active] == [str(secondary.public_id)]


def test_ending_with_a_stale_version_answers_412_and_changes_nothing(coordinator, patient, payer):
    coverage = make_coverage(coordinator, patient, payer)
    stale = coverage.version - 1
    response = post(signed_in_client(coordinator), f"/api/v1/coverages/{coverage.public_id}/end", {"version": stale})
    assert response.status_code == 412, response.content
    assert (response.json()["code"], response.json()["field"]) == ("precondition-failed", "version")
    coverage.refresh_from_db()
    assert (coverage.status, coverage.order) == ("active", 1)
    assert not AuditEvent.objects.filter(event="coverage.end").exists()


def test_ending_needs_a_version_and_a_real_date(coordinator, patient, payer):
    coverage = make_coverage(coordinator, patient, payer)
    client = signed_in_client(coordinator)
    end = f"/api/v1/coverages/{coverage.public_id}/end"
    assert post(client, end, {}).json()["field"] == "version"
    bad = post(client, end, {"end_date": "yesterday", "version": coverage.version})
    assert (bad.status_code, bad.json()["field"]) == (400, "end_date")
    early = post(client, end, {"end_date": "2025-01-01", "version": coverage.version})
    assert (early.status_code, early.json()["field"]) == (400, "end_date")
    coverage.refresh_from_db()
    assert coverage.status == "active"


def test_an_auditor_gets_404_everywhere(org, coordinator, patient, payer):
    coverage = make_coverage(coordinator, patient, payer)
    client = signed_in_client(make_actor(org, Role.AUDITOR))
    assert client.get(url(patient)).status_code == 404
    assert post(client, url(patient), body(payer)).status_code == 404
    assert post(client, f"/api/v1/coverages/{coverage.public_id}/end", {"version": coverage.version}).status_code == 404
    assert Coverage.objects.count() == 1


def test_another_organizations_patient_and_coverage_are_404(other_org, coordinator, patient, payer):
    coverage = make_coverage(coordinator, patient, payer)
    client = signed_in_client(make_actor(other_org, Role.SCHEDULER))
    assert client.get(url(patient)).status_code == 404
    assert post(client, url(patient), {"product_type": "self_pay"}).status_code == 404
    assert post(client, f"/api/v1/coverages/{coverage.public_id}/end", {"version": coverage.version}).status_code == 404
    coverage.refresh_from_db()
    assert (Coverage.objects.count(), coverage.status) == (1, "active")


@pytest.mark.parametrize(("role", "shown"), [(Role.SCHEDULER, True), (Role.COORDINATOR, True), (Role.PROVIDER, False)])
def test_the_member_id_shows_only_to_roles_that_may_see_it(org, coordinator, patient, payer, role, shown):
    make_coverage(coordinator, patient, payer, member_id="SECRET42")
    client = signed_in_client(make_actor(org, role))
    response = client.get(url(patient))
    row = response.json()["results"][0]
    assert ("SECRET42" in response.content.decode()) is shown
    assert row["member_id_hidden"] is (not shown)
    added = post(client, url(patient), body(payer, member_id="OTHER77"))
    assert added.status_code == 201
    assert ("OTHER77" in added.content.decode()) is shown


def test_dates_are_the_organizations_calendar_days(coordinator, patient, payer):
    make_coverage(coordinator, patient, payer, start_date=dt.date(2026, 1, 1))
    row = signed_in_client(coordinator).get(url(patient)).json()["results"][0]
    assert row["start_date"] == "2026-01-01"
