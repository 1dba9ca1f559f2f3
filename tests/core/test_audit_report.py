"""T23: the auditor's report filters by time, user, patient (name, MRN or id), action and outcome, sorts by each
column (an unknown sort is ignored), and exports the same rows as CSV."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, AuditOutcome, Role
from carecoord.core.models import AuditEvent
from carecoord.core.selectors import AUDIT_SORTS, audit_events_for
from tests.factories import PatientFactory, make_actor

DAY1 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 11, 9, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def events(org, other_org):
    nurse = make_actor(org, Role.COORDINATOR)
    admin = make_actor(org, Role.ORG_ADMIN)
    alma = PatientFactory(organization=org, given_name="Almadine", family_name="Crustwell", mrn="RPT-1")
    bert = PatientFactory(organization=org, given_name="Bertrand", family_name="Oakhollow", mrn="RPT-2")
    stranger = PatientFactory(organization=other_org, given_name="Almadine", family_name="Crustwell", mrn="RPT-1")
    with time_machine.travel(DAY1, tick=False):
        audit_record(actor=nurse, event="patient.view", target=alma, patient=alma)
        audit_record(actor=nurse, event="patient.update", action=AuditAction.UPDATE, target=bert, patient=bert)
    with time_machine.travel(DAY2, tick=False):
        audit_record(actor=admin, event="patient.view", target=bert, patient=bert)
        audit_record(actor=nurse, event="patient.view", outcome=AuditOutcome.DENIED, detail={"requested": "x"})
    other = make_actor(other_org, Role.COORDINATOR)
    audit_record(actor=other, event="patient.view", target=stranger, patient=stranger)
    return {"nurse": nurse, "admin": admin, "alma": alma, "bert": bert, "stranger": stranger}


def found(actor, **filters) -> list[AuditEvent]:
    return list(audit_events_for(actor=actor, filters=filters))


def test_filters(org, events):
    auditor = make_actor(org, Role.AUDITOR)
    alma, bert = events["alma"], events["bert"]
    assert {e.patient_public_id for e in found(auditor, patient="crustw")} == {alma.public_id}
    assert {e.patient_public_id for e in found(auditor, patient="Almadine Crust")} == {alma.public_id}
    assert {e.patient_public_id for e in found(auditor, patient="rpt-2")} == {bert.public_id}
    assert {e.patient_public_id for e in found(auditor, patient=str(bert.public_id))} == {bert.public_id}
    assert found(auditor, patient="nobody-like-this") == []
    assert [e.event for e in found(auditor, action=AuditAction.UPDATE)] == ["patient.update"]
    assert [e.outcome for e in found(auditor, outcome="denied")] == ["denied"]
    assert {e.user for e in found(auditor, user=events["admin"].user.email.upper())} == {events["admin"].user}
    first_week = found(auditor, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 3))
    assert sorted(e.event for e in first_week) == ["patient.update", "patient.view"]
    # The other organization's event about its own patient of the same name and MRN never shows.
    assert events["stranger"].public_id not in {e.patient_public_id for e in found(auditor)}


@pytest.mark.parametrize("key", sorted(AUDIT_SORTS))
def test_sorts_by_each_column_both_ways(org, events, key):
    auditor = make_actor(org, Role.AUDITOR)
    up = found(auditor, sort=key)
    down = found(auditor, sort=f"-{key}")
    # Ties break on the id in the same direction, so descending is exactly ascending reversed.
    assert [e.pk for e in down] == [e.pk for e in reversed(up)]
    if key in ("when", "user", "event", "outcome", "action"):
        column = AUDIT_SORTS[key]
        values = [getattr(e, column) for e in up]
        assert values == sorted(values)


@pytest.mark.parametrize("sort", ["ssn", "user__password", "-", "occurred_at);SELECT 1--", "detail"])
def test_an_unknown_sort_is_ignored(org, events, sort):
    auditor = make_actor(org, Role.AUDITOR)
    assert [e.pk for e in found(auditor, sort=sort)] == [e.pk for e in found(auditor)]


def test_the_page_and_csv_use_the_filters(org, events, client_for):
    auditor = make_actor(org, Role.AUDITOR)
    client = client_for(auditor)
    page = client.get(reverse("core:audit_log"), {"patient": "RPT-2", "sort": "-when"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "patient.update" in body
    assert "sort=-when" in body or "sort=when" in body
    assert "Auditing is always on" in body
    export = client.get(reverse("core:audit_export"), {"patient": "Oakhollow"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {r["patient_public_id"] for r in rows} == {str(events["bert"].public_id)}
    assert client_for(events["nurse"]).get(reverse("core:audit_log")).status_code == 404


def test_a_start_after_the_end_is_an_error_not_an_empty_log(org, events, client_for):
    auditor = make_actor(org, Role.AUDITOR)
    page = client_for(auditor).get(reverse("core:audit_log"), {"start": "2026-11-05", "end": "2026-11-01"})
    body = page.content.decode()
    assert "The end date is before the start date." in body
    # The start still filters (the second week's events only); the contradicting end is left out.
    assert '<span title="patient.view">' in body
    assert '<span title="patient.update">' not in body


def test_an_invalid_filter_is_shown_and_left_out_while_the_others_still_apply(org, events, client_for):
    auditor = make_actor(org, Role.AUDITOR)
    client = client_for(auditor)
    page = client.get(reverse("core:audit_log"), {"action": "update", "user": events["admin"].user.email})
    body = page.content.decode()
    assert "Not applied" in body
    assert "Select a valid choice." in body
    assert '<span title="patient.update">' not in body  # the nurse's event: the user filter still applies
    assert body.count('<span title="patient.view">') == 1
    assert client.get(reverse("core:audit_export"), {"action": "update"}).status_code == 400


def test_the_user_filter_matches_part_of_the_email_or_name_in_any_case(org, events):
    auditor = make_actor(org, Role.AUDITOR)
    admin = events["admin"].user
    part = admin.email.split("@")[0][:4].upper()
    assert admin in {e.user for e in found(auditor, user=part)}
    assert admin in {e.user for e in found(auditor, user=admin.full_name.split()[0].lower())}
    assert found(auditor, user="nobody-matches-this") == []


def test_the_patient_column_names_visible_patients_in_a_constant_number_of_queries(org, events, client_for):
    auditor = make_actor(org, Role.AUDITOR)
    client = client_for(auditor)
    url = reverse("core:audit_log")
    client.get(url)  # warms the session and the caches
    with CaptureQueriesContext(connection) as few:
        body = client.get(url).content.decode()
    assert "Crustwell, Almadine (RPT-1)" in body
    assert "Oakhollow, Bertrand (RPT-2)" in body
    assert str(events["stranger"].public_id) not in body
    nurse = events["nurse"]
    for _ in range(10):
        patient = PatientFactory(organization=org)
        audit_record(actor=nurse, event="patient.view", target=patient, patient=patient)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_audit_table_scrolls_inside_its_card(org, events, client_for):
    body = client_for(make_actor(org, Role.AUDITOR)).get(reverse("core:audit_log")).content.decode()
    assert '<div class="table-scroll">\n<table class="table">' in body


def test_the_log_shows_times_in_the_organizations_time_zone(org, events, client_for):
    page = client_for(make_actor(org, Role.AUDITOR)).get(reverse("core:audit_log")).content.decode()
    local = DAY1.astimezone(dt.timezone(dt.timedelta(hours=-6)))  # America/Chicago in November: CST
    assert f"{local:%m/%d/%Y %-I:%M:%S %p} CST" in page  # the 12-hour clock, seconds kept
    assert f"{DAY1.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}" not in page
