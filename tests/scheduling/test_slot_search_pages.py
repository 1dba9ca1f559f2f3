"""
The find-a-slot page over many practitioners: a page shows a choice of days (at most DAY_LIMIT times a day,
each day saying how many it has, with a link to that day alone), "later times" continue at the next day with
nothing skipped or repeated; the selector's limits cut the same earliest-first list; and the page and the
JSON API run the same number of queries whatever the number of practitioners.
"""

import datetime as dt
import re
from itertools import groupby
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.scheduling.selectors import slots_available
from carecoord.scheduling.slot_search import DAY_LIMIT, RESULT_LIMIT

from ..factories import LocationFactory, PatientFactory, PractitionerFactory, make_actor
from .factories import AppointmentTypeFactory, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday; Thursday 11/26 is Thanksgiving
MONDAY = dt.date(2026, 11, 30)
PER_PRACTITIONER_DAY = 31  # 30-minute visits every 15 minutes from 9:00 to 16:30


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clinic_of(org):
    """Adds practitioners (Monday-Friday 9-17 at one location) offering one 30-minute type."""
    location = LocationFactory(organization=org, name="Harbor Clinic")
    kind = AppointmentTypeFactory(organization=org, name="Follow-up")
    made = []

    def add(count: int):
        for _n in range(count):
            practitioner = PractitionerFactory(
                organization=org, given_name="Quill", family_name=f"Zephyrine{len(made)}"
            )
            weekly_hours(practitioner, location, [kind])
            made.append(practitioner)
        return kind

    return add


def find(client, kind, first, last, **extra):
    params = {"appointment_type": str(kind.public_id), "first_day": first.isoformat(), "last_day": last.isoformat()}
    return client.get(reverse("scheduling:find"), {**params, **extra})


def shown(search):
    """(start, practitioner id) of every time on the page, in time order."""
    return sorted(
        (slot.start, slot.practitioner.pk) for group in search.days for row in group.rows for slot in row.slots
    )


def test_a_search_over_many_practitioners_offers_a_choice_of_days(clinic_of, actor, client_for):
    kind = clinic_of(8)
    response = find(client_for(actor), kind, MONDAY, MONDAY + dt.timedelta(days=13))
    search = response.context["search"]
    days = -(-RESULT_LIMIT // DAY_LIMIT)  # whole days of DAY_LIMIT times until RESULT_LIMIT are shown
    assert days > 1
    assert [group.day for group in search.days] == [MONDAY + dt.timedelta(days=n) for n in range(days)]
    assert all(group.count == DAY_LIMIT for group in search.days)
    assert all(group.free == 8 * PER_PRACTITIONER_DAY for group in search.days)
    assert search.total == days * DAY_LIMIT
    assert search.truncated
    assert search.next_first_day == MONDAY + dt.timedelta(days=days)
    html = response.content.decode()
    assert f"the earliest {DAY_LIMIT} of {8 * PER_PRACTITIONER_DAY} free" in html
    assert "All times on 11/30" in html
    assert f"Later times, from {search.next_first_day:%m/%d}" in html


def test_the_summary_counts_the_free_times_of_the_shown_days_not_only_those_shown(clinic_of, actor, client_for):
    kind = clinic_of(8)
    response = find(client_for(actor), kind, MONDAY, MONDAY + dt.timedelta(days=13))
    search = response.context["search"]
    days = len(search.days)
    free = days * 8 * PER_PRACTITIONER_DAY
    assert search.free == free
    summary = re.search(r'<p class="muted slot-summary">(.*?)</p>', response.content.decode(), re.S).group(1)
    assert summary.startswith(f"Showing {days * DAY_LIMIT} of {free} free times on {days} days, earliest first")
    assert f"(at most {DAY_LIMIT} a day)" in summary


def test_the_summary_of_uncapped_days_counts_every_time_shown(clinic_of, actor, client_for):
    kind = clinic_of(1)
    html = find(client_for(actor), kind, MONDAY, MONDAY + dt.timedelta(days=13)).content.decode()
    summary = re.search(r'<p class="muted slot-summary">(.*?)</p>', html, re.S).group(1)
    assert summary.startswith(f"{5 * PER_PRACTITIONER_DAY} free times on 5 days, earliest first")


def test_later_times_and_a_whole_day_page_without_gaps_or_repeats(clinic_of, actor, client_for):
    kind = clinic_of(8)
    client = client_for(actor)
    last = MONDAY + dt.timedelta(days=13)
    pages = [find(client, kind, MONDAY, last).context["search"]]
    while pages[-1].truncated:
        pages.append(find(client, kind, pages[-1].next_first_day, last).context["search"])
    # The pages are the selector's per-day-capped list, earliest first, in order and without overlap.
    expected = [
        (o.start, o.practitioner.pk)
        for o in slots_available(
            actor, appointment_type=kind, first_day=MONDAY, last_day=last, per_day=DAY_LIMIT, limit=None
        )
    ]
    assert [slot for page in pages for slot in shown(page)] == expected
    assert len(pages) == 3  # ten weekdays, four a page
    html = find(client, kind, MONDAY, last).content.decode()
    link = re.search(r'href="([^"]+)">All times on 11/30', html).group(1).replace("&amp;", "&")
    day = client.get(link).context["search"]
    assert day.single_day
    assert [group.day for group in day.days] == [MONDAY]
    assert day.total == RESULT_LIMIT
    assert day.days[0].free == 8 * PER_PRACTITIONER_DAY
    every = slots_available(actor, appointment_type=kind, first_day=MONDAY, last_day=MONDAY, limit=None)
    assert shown(day) == [(o.start, o.practitioner.pk) for o in every[:RESULT_LIMIT]]
    assert "Only the earliest 150 are shown" in client.get(link).content.decode()


def test_a_single_practitioner_fills_the_page_with_whole_days(clinic_of, actor, client_for):
    kind = clinic_of(1)
    search = find(client_for(actor), kind, MONDAY, MONDAY + dt.timedelta(days=13)).context["search"]
    assert all(not group.capped for group in search.days)
    assert search.day_limit is None
    assert len(search.days) == 5  # 31 a day: the fifth day passes 150, and is shown whole
    assert search.total == 5 * PER_PRACTITIONER_DAY
    assert search.next_first_day == dt.date(2026, 12, 7)


@pytest.mark.parametrize("limit", [1, 7, 31, 100, 248, 400])
def test_limits_cut_the_same_earliest_first_list(clinic_of, actor, limit):
    kind = clinic_of(8)
    window = {"appointment_type": kind, "first_day": MONDAY, "last_day": MONDAY + dt.timedelta(days=13)}
    everything = slots_available(actor, **window, limit=None)
    assert everything == sorted(everything, key=lambda o: (o.start, o.practitioner.pk))
    assert slots_available(actor, **window, limit=limit) == everything[:limit]
    capped = slots_available(actor, **window, limit=limit, per_day=5)
    by_day = [list(day)[:5] for _, day in groupby(everything, key=lambda o: o.start.astimezone(CHICAGO).date())]
    assert capped == [o for day in by_day for o in day][:limit]


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_find_page_runs_the_same_queries_for_two_or_ten_practitioners(org, clinic_of, actor, client_for):
    kind = clinic_of(2)
    patient = PatientFactory(organization=org, given_name="Marisol", family_name="Quintero")
    client = client_for(actor)
    last = MONDAY + dt.timedelta(days=13)

    def general():
        return find(client, kind, MONDAY, last)

    def for_patient():
        return find(client, kind, MONDAY, last, patient=str(patient.public_id), use_patient_availability="on")

    def htmx():
        return client.get(
            reverse("scheduling:find"),
            {"appointment_type": str(kind.public_id), "first_day": MONDAY.isoformat(), "last_day": last.isoformat()},
            headers={"HX-Request": "true", "HX-Target": "slot-results"},
        )

    general(), for_patient(), htmx()  # warm caches (content types, session) before counting
    few = [queries(general), queries(for_patient), queries(htmx)]
    clinic_of(8)
    assert [queries(general), queries(for_patient), queries(htmx)] == few


def test_the_slots_api_runs_the_same_queries_and_keeps_plain_earliest_first_order(org, clinic_of):
    kind = clinic_of(2)
    scheduler = make_actor(org, Role.SCHEDULER, Role.COORDINATOR)
    patient = PatientFactory(organization=org, given_name="Marisol", family_name="Quintero")
    from ..conftest import signed_in_client

    client = signed_in_client(scheduler)
    params = {"type": str(kind.public_id), "from": MONDAY.isoformat(), "to": "2026-12-11", "limit": "40"}

    def plain():
        return client.get("/api/v1/scheduling/slots", params)

    def for_patient():
        return client.get("/api/v1/scheduling/slots", {**params, "patient": str(patient.public_id)})

    plain(), for_patient()
    few = [queries(plain), queries(for_patient)]
    clinic_of(8)
    assert [queries(plain), queries(for_patient)] == few
    # The API pages by `limit` over the plain earliest-first list (no per-day cap): 40 of Monday's 310 times.
    body = plain().json()
    expected = slots_available(
        scheduler, appointment_type=kind, first_day=MONDAY, last_day=dt.date(2026, 12, 11), limit=40
    )
    assert [(s["start"], str(s["practitioner"]["id"])) for s in body["slots"]] == [
        (o.start.astimezone(CHICAGO).isoformat(), str(o.practitioner.public_id)) for o in expected
    ]
    assert {dt.datetime.fromisoformat(s["start"]).date() for s in body["slots"]} == {MONDAY}


def _search_links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="(/schedule/find/\?[^"]*)"', html)]


@pytest.mark.parametrize("opened_with", ["patient only", "a full search"])
def test_day_and_later_links_keep_the_patient_so_the_coordinator_can_book(
    clinic_of, org, actor, client_for, opened_with
):
    kind = clinic_of(8)
    patient = PatientFactory(organization=org, given_name="Marisol", family_name="Quintero")
    client = client_for(actor)
    if opened_with == "patient only":  # the Schedule tab's "Find a slot", then a visit type picked
        opened = client.get(reverse("scheduling:find"), {"patient": str(patient.public_id)})
        assert opened.context["search"] is None  # no type preselected: nothing searched yet
        response = client.get(reverse("scheduling:find"), {"patient": str(patient.public_id), "type": kind.public_id})
    else:
        response = find(client, kind, MONDAY, MONDAY + dt.timedelta(days=13), patient=str(patient.public_id))
    html = response.content.decode()
    assert "All times on" in html
    assert "Later times, from" in html
    links = _search_links(html)
    assert len(links) >= 2
    book_url = reverse("scheduling:patient_book_confirm", args=[patient.public_id])  # a time opens the confirm step
    for link in links:
        assert f"patient={patient.public_id}" in link
        followed = client.get(link)
        assert followed.context["patient"] == patient
        body = followed.content.decode()
        assert f'action="{book_url}"' in body
        assert "To book, open a patient" not in body
    search_field = re.search(r'name="search" value="([^"]*)"', html).group(1)
    assert f"patient={patient.public_id}" in search_field.replace("&amp;", "&")


def test_htmx_results_keep_the_patient_in_their_links(clinic_of, org, actor, client_for):
    kind = clinic_of(8)
    patient = PatientFactory(organization=org)
    params = {
        "patient": str(patient.public_id),
        "appointment_type": str(kind.public_id),
        "first_day": MONDAY.isoformat(),
        "last_day": (MONDAY + dt.timedelta(days=13)).isoformat(),
    }
    response = client_for(actor).get(
        reverse("scheduling:find"), params, headers={"HX-Request": "true", "HX-Target": "slot-results"}
    )
    links = _search_links(response.content.decode())
    assert links
    assert all(f"patient={patient.public_id}" in link for link in links)
