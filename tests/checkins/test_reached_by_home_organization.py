"""
A patient shared by consent is reached by whoever calls: a partner organization's Check-ins tab counts a call
of the patient's home organization that reached them (last contact, who made it, the next due date, the
failed-attempt run, the worklist job), and the home organization counts its partners' calls the same way.
Tenancy holds: records are read by their writer, the home organization's by its partners and the partners' by
the home organization (docs/security.md, `readable_writers_q`), so no partner counts another partner's call.
"""

import datetime as dt

import pytest
from django.urls import reverse

from carecoord.careplans.models import Task
from carecoord.checkins import services
from carecoord.checkins.models import CheckinCadence
from carecoord.checkins.selectors import checkin_status, failed_run_length
from tests.factories import OrganizationFactory, PatientFactory, UserFactory, make_actor, share_by_consent

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago, the organizations' zone
CADENCE_SET = dt.datetime(2026, 11, 5, 15, 0, tzinfo=dt.UTC)
PARTNER_REACHED = dt.datetime(2026, 11, 10, 16, 0, tzinfo=dt.UTC)
HOME_REACHED = dt.datetime(2026, 11, 13, 17, 5, tzinfo=dt.UTC)  # 11:05 AM in Chicago
THIRD_REACHED = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(org, other_org, _frozen_clock):
    org.name = "Northside"
    org.save()
    home = make_actor(org, user=UserFactory(full_name="Emily Novak"))
    partner = make_actor(other_org)
    third = make_actor(OrganizationFactory(name="Lakeview"))
    patient = PatientFactory(organization=org)
    share_by_consent(home, patient, other_org, signed_on=dt.date(2026, 11, 1))
    share_by_consent(home, patient, third.organization, signed_on=dt.date(2026, 11, 1))
    _frozen_clock.move_to(CADENCE_SET)
    cadence = services.cadence_set(actor=partner, patient=patient, interval_days=15)
    _frozen_clock.move_to(NOW)
    services.outreach_record(
        actor=partner, patient=patient, method="phone", outcome="reached", occurred_at=PARTNER_REACHED
    )
    for day in (11, 12):
        services.outreach_record(
            actor=partner,
            patient=patient,
            method="phone",
            outcome="no_answer",
            occurred_at=dt.datetime(2026, 11, day, 16, 0, tzinfo=dt.UTC),
        )
    cadence.refresh_from_db()
    assert cadence.next_due == dt.date(2026, 11, 25)  # 11/10 + 15 days, from the partner's own call
    return {"home": home, "partner": partner, "third": third, "patient": patient, "cadence": cadence}


@pytest.fixture
def clock(_frozen_clock):
    return _frozen_clock


def _reach(actor, patient, at):
    services.outreach_record(actor=actor, patient=patient, method="phone", outcome="reached", occurred_at=at)


def test_the_partner_counts_the_home_organizations_call(world):
    partner, patient, cadence = world["partner"], world["patient"], world["cadence"]
    _reach(world["home"], patient, HOME_REACHED)

    status = checkin_status(partner, patient, cadence)

    assert status.last_contact.at == HOME_REACHED
    assert status.last_contact.by == "Emily Novak, Northside"
    assert status.next_due == dt.date(2026, 11, 28)  # 11/13 + 15 days, not 11/25
    assert failed_run_length(partner, patient) == 0  # the two no-answers came before the home call


def test_without_the_home_call_the_partners_own_call_stands(world):
    partner, patient, cadence = world["partner"], world["patient"], world["cadence"]
    status = checkin_status(partner, patient, cadence)
    assert status.last_contact.at == PARTNER_REACHED
    assert status.next_due == dt.date(2026, 11, 25)
    assert failed_run_length(partner, patient) == 2


def test_the_tab_says_who_reached_the_patient_and_when_the_next_check_in_falls(world, client_for):
    _reach(world["home"], world["patient"], HOME_REACHED)
    url = reverse("checkins:patient_checkins", args=[world["patient"].public_id])
    page = client_for(world["partner"]).get(url).content.decode()
    assert "<dt>Last contact</dt><dd>11/13/2026 11:05 AM" in page
    assert "by Emily Novak, Northside" in page
    assert "<dt>Next due</dt><dd>11/28/2026" in page


def test_a_partner_does_not_count_another_partners_call(world):
    partner, home, patient = world["partner"], world["home"], world["patient"]
    _reach(home, patient, HOME_REACHED)
    _reach(world["third"], patient, THIRD_REACHED)
    assert checkin_status(partner, patient, world["cadence"]).last_contact.at == HOME_REACHED
    assert checkin_status(world["third"], patient, None).last_contact.at == THIRD_REACHED
    # The home organization reads every partner's calls: the third organization's is the latest.
    assert checkin_status(home, patient, None).last_contact.at == THIRD_REACHED


def test_the_home_organization_counts_a_partners_call(world, clock):
    home, patient = world["home"], world["patient"]
    clock.move_to(CADENCE_SET)
    cadence = services.cadence_set(actor=home, patient=patient, interval_days=30)
    clock.move_to(NOW)
    for day in (6, 7):
        services.outreach_record(
            actor=home,
            patient=patient,
            method="phone",
            outcome="no_answer",
            occurred_at=dt.datetime(2026, 11, day, 16, 0, tzinfo=dt.UTC),
        )
    cadence.refresh_from_db()

    status = checkin_status(home, patient, cadence)

    assert status.last_contact.at == PARTNER_REACHED  # the partner reached the patient on 11/10
    assert status.last_contact.by.endswith(world["partner"].organization.name)
    assert status.next_due == dt.date(2026, 12, 10)  # 11/10 + 30 days
    assert failed_run_length(home, patient) == 0  # the home's two no-answers came before the partner's call


def test_the_home_organizations_tab_names_the_partner_who_reached_the_patient(world, client_for, clock):
    clock.move_to(CADENCE_SET)
    services.cadence_set(actor=world["home"], patient=world["patient"], interval_days=30)
    clock.move_to(NOW)
    url = reverse("checkins:patient_checkins", args=[world["patient"].public_id])
    page = client_for(world["home"]).get(url).content.decode()
    assert "<dt>Last contact</dt><dd>11/10/2026" in page
    assert f"{world['partner'].organization.name}</span>" in page
    assert "<dt>Next due</dt><dd>12/10/2026" in page


def test_the_home_organizations_worklist_job_holds_the_check_in_a_partner_made(world, clock):
    home, patient = world["home"], world["patient"]
    clock.move_to(dt.datetime(2026, 10, 1, 15, 0, tzinfo=dt.UTC))
    services.cadence_set(actor=home, patient=patient, interval_days=30)  # due 10/31: long overdue without calls
    clock.move_to(NOW)
    assert services.checkin_tasks_create(organization=home.organization) == []  # 11/10 + 30 days is not due
    _reach(world["third"], patient, THIRD_REACHED)
    assert services.checkin_tasks_create(organization=home.organization) == []


def test_the_worklist_job_holds_the_check_in_when_the_home_organization_reached_the_patient(world):
    other_org = world["partner"].organization
    _reach(world["home"], world["patient"], HOME_REACHED)
    assert services.checkin_tasks_create(organization=other_org) == []
    assert not Task.objects.filter(organization=other_org, kind="check_in").exists()


def test_the_worklist_job_puts_the_check_in_on_without_a_later_call(world):
    other_org = world["partner"].organization
    created = services.checkin_tasks_create(organization=other_org)
    assert [t.due_date for t in created] == [dt.date(2026, 11, 25)]


def test_a_new_schedule_counts_from_the_home_organizations_call(world):
    partner, patient = world["partner"], world["patient"]
    _reach(world["home"], patient, HOME_REACHED)
    cadence = services.cadence_set(actor=partner, patient=patient, interval_days=15)
    assert cadence.next_due == dt.date(2026, 11, 28)
    assert cadence.last_contact_at == HOME_REACHED
    assert CheckinCadence.objects.filter(organization=partner.organization, active=True).count() == 1
