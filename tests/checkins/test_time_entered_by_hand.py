"""
Time entered by hand is minutes for a day, stored at noon of that day (so it falls in the day's month): the
pages that list it show the day only, never "12:00" as if it happened at noon. Timer entries keep their time.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from carecoord.checkins import time_services
from carecoord.checkins.models import TimeEntry
from carecoord.checkins.selectors import patient_timeline
from tests.factories import PatientFactory

NOW = dt.datetime(2026, 11, 27, 21, 0, tzinfo=dt.UTC)  # 3 PM in Chicago, the test organization's zone
TIMER_START = dt.datetime(2026, 11, 25, 20, 35, tzinfo=dt.UTC)  # 2:35 PM in Chicago

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


@pytest.fixture
def entries(actor, patient):
    by_hand = time_services.time_add(
        actor=actor, patient=patient, activity="call", minutes=20, on_date=dt.date(2026, 11, 20)
    )
    timed = TimeEntry.objects.create(
        organization=actor.organization, patient=patient, user=actor.user, activity="call", source="timer",
        started_at=TIMER_START, minutes=14,
    )  # fmt: skip
    return by_hand, timed


def when_of(page: str, text: str) -> str:
    """The `when` cell of the timeline item whose text holds `text`."""
    for item in re.findall(r"<li class=\"timeline-[a-z]+\">(.*?)</li>", page, flags=re.S):
        if text in item:
            return re.search(r"<span class=\"when\">(.*?)</span>", item, flags=re.S).group(1).strip()
    raise AssertionError(f"no timeline item with {text!r}")


def test_the_timeline_marks_a_hand_entry_as_a_day_not_a_time(actor, patient, entries):
    by_kind = {e.title: e for e in patient_timeline(actor, patient, kinds=["time"]).entries}
    by_hand = by_kind["Time entered by hand, 20 min · Call with patient or family"]
    assert by_hand.date_only
    timed = by_kind["14 min · Call with patient or family"]
    assert not timed.date_only


def test_the_timeline_page_shows_the_day_only_for_a_hand_entry(actor, patient, entries, client_for):
    page = client_for(actor).get(reverse("checkins:patient_timeline", args=[patient.public_id])).content.decode()
    assert when_of(page, "Time entered by hand, 20 min") == "11/20/2026"
    timed = when_of(page, "14 min · Call")
    assert timed.startswith("11/25/2026 ")
    assert "35" in timed  # the timer's clock time (2:35 PM) is kept


def test_the_progress_tab_lists_a_hand_entry_by_day(actor, patient, entries, client_for):
    page = client_for(actor).get(reverse("checkins:patient_progress", args=[patient.public_id])).content.decode()
    rows = re.findall(r"<tr class=\"[^\"]*\">\s*<td>(.*?)</td>", page, flags=re.S)
    assert "11/20/2026" in [r.strip() for r in rows]
    assert not any(r.strip().startswith("11/20/2026 12") for r in rows)
