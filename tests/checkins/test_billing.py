"""The billing-readiness report: aggregation by patient and kind, programs, sorting, CSV export and access."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.checkins.models import CareManagementEnrollment, TimeEntry
from carecoord.checkins.progress_selectors import billing_rows
from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.patients.models import Consent, PatientShare
from tests.factories import PatientFactory, PractitionerFactory, make_actor

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def provider(org):
    return make_actor(org, Role.PROVIDER)


def minutes(actor, patient, amount, *, kind="staff", when=dt.datetime(2026, 11, 10, 15, tzinfo=dt.UTC), **extra):
    return TimeEntry.objects.create(organization=actor.organization, patient=patient, user=actor.user,
                                    activity="call", source="manual", kind=kind, started_at=when, minutes=amount,
                                    **extra)  # fmt: skip


def enroll(patient, program="ccm", start=dt.date(2026, 1, 1), end=None, **extra):
    return CareManagementEnrollment.objects.create(organization=patient.organization, patient=patient,
                                                   program=program, consent_on=start, start_date=start,
                                                   end_date=end, **extra)  # fmt: skip


@pytest.fixture
def world(org, actor, provider):
    ada = PatientFactory(organization=org, given_name="Ada", family_name="Abbott", mrn="=HYPERLINK(1)")
    ben = PatientFactory(organization=org, given_name="Ben", family_name="Baker")
    cy = PatientFactory(organization=org, given_name="Cy", family_name="Cole")
    dee = PatientFactory(organization=org, given_name="Dee", family_name="Dunn")
    PatientFactory(organization=org, given_name="Eve", family_name="Evans")  # nothing this month
    enroll(ada, "ccm", billing_practitioner=PractitionerFactory(organization=org, family_name="Bill"))
    minutes(actor, ada, 15)
    minutes(actor, ada, 10)
    minutes(provider, ada, 31, kind="physician")
    minutes(actor, ada, 50, entered_in_error=True)
    minutes(actor, ada, 99, when=dt.datetime(2026, 10, 31, 15, tzinfo=dt.UTC))  # October
    enroll(ben, "complex_ccm")
    minutes(actor, ben, 57)
    minutes(actor, cy, 45)  # not enrolled: counted, supports nothing
    enroll(dee, "pcm", start=dt.date(2026, 11, 20))  # enrolled, no time yet
    TimeEntry.objects.create(organization=org, patient=dee, user=make_actor(org).user, activity="call",
                             source="timer", started_at=NOW)  # running: not counted  # fmt: skip
    return {"ada": ada, "ben": ben, "cy": cy, "dee": dee}


def by_name(rows):
    return {r.patient.given_name: r.summary for r in rows}


def test_minutes_are_summed_by_patient_and_kind_under_the_months_program(actor, world):
    rows = by_name(billing_rows(actor, 2026, 11))
    assert set(rows) == {"Ada", "Ben", "Cy", "Dee"}
    assert (rows["Ada"].staff_minutes, rows["Ada"].physician_minutes, rows["Ada"].codes) == (25, 31, "99490, 99491")
    assert rows["Ada"].enrollment.billing_practitioner.family_name == "Bill"
    assert (rows["Ben"].program_label, rows["Ben"].codes, rows["Ben"].close) == ("Complex chronic care management",
                                                                                 "", True)  # fmt: skip
    assert (rows["Cy"].program_label, rows["Cy"].staff_minutes, rows["Cy"].codes) == ("Not enrolled", 45, "")
    assert (rows["Dee"].program_label, rows["Dee"].staff_minutes) == ("Principal care management", 0)
    assert by_name(billing_rows(actor, 2026, 10))["Ada"].staff_minutes == 99


def test_the_report_takes_a_fixed_number_of_queries(actor, world):
    with CaptureQueriesContext(connection) as few:
        billing_rows(actor, 2026, 11)
    for _ in range(5):
        patient = PatientFactory(organization=actor.organization)
        enroll(patient)
        minutes(actor, patient, 20)
    with CaptureQueriesContext(connection) as many:
        assert len(billing_rows(actor, 2026, 11)) == 9
    assert len(many) == len(few) <= 3


@pytest.mark.parametrize(("sort", "order"), [
    ("name", ["Ada", "Ben", "Cy", "Dee"]), ("staff", ["Ben", "Cy", "Ada", "Dee"]),
    ("physician", ["Ada", "Ben", "Cy", "Dee"]), ("close", ["Ben", "Ada", "Dee", "Cy"]),
    ("program", ["Ada", "Ben", "Cy", "Dee"]),
])  # fmt: skip
def test_rows_sort(actor, world, sort, order):
    assert [r.patient.given_name for r in billing_rows(actor, 2026, 11, sort=sort)] == order


def test_only_patients_the_organization_may_see_and_only_its_own_time(actor, world, other_org, other_actor):
    stranger = PatientFactory(organization=other_org, given_name="Zed")
    enroll(stranger)
    minutes(other_actor, stranger, 40)
    minutes(other_actor, world["ada"], 20)  # not visible to the other organization; and not our time
    assert "Zed" not in by_name(billing_rows(actor, 2026, 11))
    assert by_name(billing_rows(actor, 2026, 11))["Ada"].staff_minutes == 25
    assert set(by_name(billing_rows(other_actor, 2026, 11))) == {"Zed"}


def test_a_shared_patient_appears_for_the_coordinating_organization(actor, other_org, other_actor):
    patient = PatientFactory(organization=actor.organization, given_name="Shared")
    consent = Consent.objects.create(organization=actor.organization, patient=patient, grantee=other_org,
                                     signed_on=dt.date(2026, 1, 2), signed_by="x", method="form",
                                     recorded_by=actor.user)  # fmt: skip
    PatientShare.objects.create(patient=patient, organization=other_org, consent=consent, granted_by=actor.user)
    minutes(other_actor, patient, 20)
    assert by_name(billing_rows(other_actor, 2026, 11))["Shared"].staff_minutes == 20
    assert "Shared" not in by_name(billing_rows(actor, 2026, 11))  # the home organization did no time


# The pages --------------------------------------------------------------------------------------------------


def test_the_report_page_lists_patients_and_is_audited(actor, client_for, world):
    response = client_for(actor).get(reverse("checkins:billing_report"), {"month": "2026-11", "sort": "staff"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "November 2026" in body
    assert "Abbott, Ada" in body
    assert "99490, 99491" in body
    assert "Not enrolled" in body
    assert 'aria-sort="descending"' in body
    event = AuditEvent.objects.get(event="billing.report")
    assert event.detail == {"month": "2026-11", "patients": 4}


def test_a_bad_month_falls_back_to_the_current_one(actor, client_for, world):
    response = client_for(actor).get(reverse("checkins:billing_report"), {"month": "2026-13"})
    assert response.status_code == 200
    assert "November 2026" in response.content.decode()


def test_the_csv_export_neutralises_formulas_and_is_audited_as_an_export(actor, client_for, world):
    world["ada"].given_name = "@SUM(A1)"
    world["ada"].save()
    response = client_for(actor).get(reverse("checkins:billing_report_csv"), {"month": "2026-11"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="care-management-2026-11.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["month", "patient", "mrn", "birth_date"]
    ada = next(r for r in rows if r[1].startswith("Abbott"))
    assert ada[1] == "Abbott, @SUM(A1)"  # a formula only at the start of a cell is dangerous
    assert ada[2] == "'=HYPERLINK(1)"
    assert ada[5].endswith("Bill, MD")
    assert (ada[4], *ada[6:9]) == ("Chronic care management", "25", "31", "99490, 99491")
    assert ada[9:12] == ["99439", "15", ""]  # the nearest next code, sortable
    assert ada[12] == "15 min to 99439; 29 min to 99437"  # and every next step, as the page lists them
    event = AuditEvent.objects.get(event="billing.export")
    assert (event.action, event.detail["patients"]) == ("E", 4)


def test_a_leading_minus_in_a_name_is_neutralised(actor, client_for):
    patient = PatientFactory(organization=actor.organization, given_name="x", family_name="-2+3")
    enroll(patient)
    response = client_for(actor).get(reverse("checkins:billing_report_csv"), {"month": "2026-11"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'-2+3, x"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ORG_ADMIN, Role.COORDINATOR])
def test_report_roles_may_open_it(org, client_for, role):
    assert client_for(make_actor(org, role)).get(reverse("checkins:billing_report")).status_code == 200


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.PROVIDER, Role.AUDITOR])
def test_other_roles_get_404(org, client_for, role):
    client = client_for(make_actor(org, role))
    assert client.get(reverse("checkins:billing_report")).status_code == 404
    assert client.get(reverse("checkins:billing_report_csv")).status_code == 404
    assert not AuditEvent.objects.filter(event__startswith="billing.").exists()


def test_anonymous_callers_are_sent_to_sign_in(client):
    response = client.get(reverse("checkins:billing_report_csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_a_patient_at_the_monthly_maximum_shows_it_on_the_page_and_in_the_csv(actor, client_for):
    patient = PatientFactory(organization=actor.organization, given_name="Max", family_name="Mills")
    enroll(patient, "ccm")
    minutes(actor, patient, 62)  # 99490 + 99439 x2: CCM staff time allows no further add-on this month
    client = client_for(actor)
    body = client.get(reverse("checkins:billing_report"), {"month": "2026-11"}).content.decode()
    assert "99490, 99439 x2" in body
    assert "Maximum for the month reached" in body
    response = client.get(reverse("checkins:billing_report_csv"), {"month": "2026-11"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r[1] == "Mills, Max")
    assert row[8:13] == ["99490, 99439 x2", "", "", "", "Maximum for the month reached"]
