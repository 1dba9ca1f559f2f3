"""
Public holidays an organization stays open on, by name, every year: slot search, booking and the visit
planner's closed days follow the choice; the closed-dates page opens and re-closes them.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.errors import PermissionDeniedError, ValidationError
from carecoord.core.models import AuditEvent
from carecoord.scheduling import availability_selectors, availability_services
from carecoord.scheduling.models import OpenHoliday
from carecoord.scheduling.planning_selectors import series_check
from carecoord.scheduling.selectors import closed_day_names, closed_days, holiday_base_name
from carecoord.scheduling.services import appointment_book

from ..conftest import signed_in_client
from ..factories import PatientFactory, make_actor
from .factories import clinic

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 10, 1, 14, 0, tzinfo=dt.UTC)  # Thursday; Monday 10/12/2026 is Columbus Day
COLUMBUS_DAY = dt.date(2026, 10, 12)
INDEPENDENCE_OBSERVED_2027 = dt.date(2027, 7, 5)  # July 4, 2027 is a Sunday


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def setup(org):
    practitioner, location, kind = clinic(org)
    patient = PatientFactory(organization=org)
    return {"practitioner": practitioner, "location": location, "appointment_type": kind, "patient": patient}


def found_days(client, kind, first, last) -> list[dt.date]:
    """The days the find-a-slot page offers times on."""
    params = {"appointment_type": str(kind.public_id), "first_day": first.isoformat(), "last_day": last.isoformat()}
    search = client.get(reverse("scheduling:find"), params).context["search"]
    return [group.day for group in search.days]


def book_at_nine(actor, setup, day):
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=CHICAGO)
    return appointment_book(actor=actor, start=start, **setup)


def test_opening_columbus_day_offers_and_books_it_and_closing_again_refuses_it(scheduler, setup):
    client = signed_in_client(scheduler)
    kind = setup["appointment_type"]
    assert COLUMBUS_DAY not in found_days(client, kind, COLUMBUS_DAY, COLUMBUS_DAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="not seeing patients"):
        book_at_nine(scheduler, setup, COLUMBUS_DAY)

    choice = availability_services.holiday_open(actor=scheduler, name="Columbus Day")
    assert (choice.name, choice.open, choice.changed) == ("Columbus Day", True, True)
    assert COLUMBUS_DAY in found_days(client, kind, COLUMBUS_DAY, COLUMBUS_DAY + dt.timedelta(days=1))
    appointment = book_at_nine(scheduler, setup, COLUMBUS_DAY)
    assert appointment.start.astimezone(CHICAGO).date() == COLUMBUS_DAY
    # The choice holds every year.
    assert dt.date(2027, 10, 11) not in closed_days(scheduler.organization, dt.date(2027, 10, 1), dt.date(2027, 10, 31))

    choice = availability_services.holiday_close(actor=scheduler, name="Columbus Day")
    assert (choice.open, choice.changed) == (False, True)
    assert COLUMBUS_DAY not in found_days(client, kind, COLUMBUS_DAY, COLUMBUS_DAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="not seeing patients"):
        book_at_nine(scheduler, setup, COLUMBUS_DAY)


def test_open_and_close_are_idempotent_audited_and_accept_the_observed_name(scheduler):
    first = availability_services.holiday_open(actor=scheduler, name="  columbus   day ")
    again = availability_services.holiday_open(actor=scheduler, name="Columbus Day")
    assert first.changed
    assert not again.changed
    assert "already marked open" in again.message
    assert OpenHoliday.objects.get().name == "Columbus Day"
    opened = AuditEvent.objects.get(event="holiday.open")
    assert opened.object_id == str(OpenHoliday.objects.get().public_id)

    observed = availability_services.holiday_open(actor=scheduler, name="Independence Day (observed)")
    assert observed.name == "Independence Day"

    availability_services.holiday_close(actor=scheduler, name="Columbus Day")
    closed_twice = availability_services.holiday_close(actor=scheduler, name="Columbus Day")
    assert not closed_twice.changed
    assert "already closed" in closed_twice.message
    assert AuditEvent.objects.filter(event="holiday.close").count() == 1
    assert AuditEvent.objects.filter(event="holiday.open").count() == 2


def test_an_unknown_holiday_name_is_refused_with_a_message(scheduler):
    with pytest.raises(ValidationError, match="“Bastille Day” is not a public holiday of Illinois"):
        availability_services.holiday_open(actor=scheduler, name="Bastille Day")
    with pytest.raises(ValidationError):
        availability_services.holiday_close(actor=scheduler, name="")
    assert not OpenHoliday.objects.exists()


def test_only_setup_roles_open_holidays(actor):
    with pytest.raises(PermissionDeniedError):
        availability_services.holiday_open(actor=actor, name="Columbus Day")


def test_another_organizations_opening_does_not_affect_this_one(scheduler, other_org):
    other_scheduler = make_actor(other_org, Role.SCHEDULER)
    availability_services.holiday_open(actor=other_scheduler, name="Columbus Day")
    assert COLUMBUS_DAY in closed_days(scheduler.organization, COLUMBUS_DAY, COLUMBUS_DAY)
    assert COLUMBUS_DAY not in closed_days(other_org, COLUMBUS_DAY, COLUMBUS_DAY)


def test_an_opened_holiday_covers_its_observed_day(scheduler):
    org = scheduler.organization
    assert holiday_base_name("Independence Day (observed)") == "Independence Day"
    assert holiday_base_name("Columbus Day") == "Columbus Day"
    window = (dt.date(2027, 7, 1), dt.date(2027, 7, 31))
    assert closed_day_names(org, *window) == {
        dt.date(2027, 7, 4): "Independence Day",
        INDEPENDENCE_OBSERVED_2027: "Independence Day (observed)",
    }
    availability_services.holiday_open(actor=scheduler, name="Independence Day")
    assert closed_days(org, *window) == set()
    ahead = availability_selectors.public_holidays_ahead(org, dt.date(2027, 6, 1), days=100)
    assert [(h.name, h.date, h.observed, h.open) for h in ahead if h.base_name == "Independence Day"] == [
        ("Independence Day", dt.date(2027, 7, 4), INDEPENDENCE_OBSERVED_2027, True),
    ]
    assert [h.open for h in ahead if h.name == "Labor Day"] == [False]


def test_the_page_opens_and_closes_holidays_for_a_manager(scheduler):
    client = signed_in_client(scheduler)
    page = client.get(reverse("scheduling:closed_list")).content.decode()
    assert "Public holidays of Illinois: closed unless you mark them open" in page
    assert 'Stay open<span class="visually-hidden"> every year on Columbus Day' in page
    assert reverse("scheduling:holiday_open") in page

    response = client.post(reverse("scheduling:holiday_open"), {"name": "Columbus Day"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("scheduling:closed_list")
    html = response.content.decode()
    assert "Open on Columbus Day every year" in html
    assert "Close again" in html
    assert OpenHoliday.objects.filter(organization=scheduler.organization, name="Columbus Day").exists()

    unknown = client.post(reverse("scheduling:holiday_open"), {"name": "Bastille Day"}, follow=True)
    assert "is not a public holiday of Illinois" in unknown.content.decode()

    closed = client.post(reverse("scheduling:holiday_close"), {"name": "Columbus Day"}, follow=True)
    assert "Closed again on Columbus Day" in closed.content.decode()
    assert not OpenHoliday.objects.exists()


def test_a_coordinator_sees_the_state_but_may_not_change_it(actor, scheduler):
    availability_services.holiday_open(actor=scheduler, name="Columbus Day")
    client = signed_in_client(actor)
    page = client.get(reverse("scheduling:closed_list")).content.decode()
    assert "Public holidays of Illinois: closed unless you mark them open" in page
    assert "Stay open" not in page
    assert "Close again" not in page
    assert client.post(reverse("scheduling:holiday_close"), {"name": "Columbus Day"}).status_code == 403
    assert client.post(reverse("scheduling:holiday_open"), {"name": "Veterans Day"}).status_code == 403
    assert OpenHoliday.objects.get().name == "Columbus Day"


def test_the_visit_planner_names_only_holidays_still_closed(scheduler, setup):
    availability_services.holiday_open(actor=scheduler, name="Veterans Day")
    checks = series_check(
        scheduler,
        **setup,
        weekdays=[1, 2, 3],  # Tuesday to Thursday
        local_time=dt.time(10, 0),
        first_date=dt.date(2026, 11, 3),
        occurrences=12,  # through Thursday 11/26
    )
    problems = {check.day: check.problem for check in checks if check.problem}
    assert problems == {dt.date(2026, 11, 3): "closed: Election Day", dt.date(2026, 11, 26): "closed: Thanksgiving Day"}
    assert dt.date(2026, 11, 11) in {check.day for check in checks if check.free}


def test_the_page_shows_a_weekend_holiday_once_with_its_observed_day_and_one_button(scheduler):
    availability_services.holiday_open(actor=scheduler, name="Independence Day")
    with time_machine.travel(dt.datetime(2027, 6, 1, 17, 0, tzinfo=dt.UTC), tick=False):
        page = signed_in_client(scheduler).get(reverse("scheduling:closed_list")).content.decode()
    assert "in the list of public holidays" in page
    assert "(right)" not in page
    juneteenth = [row for row in page.split("<tr>") if "Juneteenth" in row]
    assert len(juneteenth) == 1
    assert 'Sat 06/19/2027 <span class="nowrap">(observed Fri 06/18/2027)</span>' in juneteenth[0]
    assert juneteenth[0].count("<button") == 1
    assert 'Close again<span class="visually-hidden"> every year on Independence Day' in page
