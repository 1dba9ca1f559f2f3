"""
Minutes entered by hand for a day of an earlier month count toward that month (care management is billed per
calendar month), while the Time panel shows the current month: the success message says where they went, that
month's new total, and that the month may already have been billed.
"""

import datetime as dt
import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from carecoord.checkins import time_services
from tests.factories import PatientFactory

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # 9:00 in Chicago, the test organization's zone

pytestmark = pytest.mark.usefixtures("_frozen_clock")


@pytest.fixture
def patient(org):
    return PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")


def _add(client, patient, on_date: str, minutes: str = "20", kind: str = "") -> list[str]:
    data = {"time-activity": "call", "time-minutes": minutes, "time-on_date": on_date, "time-kind": kind}
    response = client.post(reverse("checkins:patient_time_add", args=[patient.public_id]), data)
    assert response.status_code == 302
    return [html.unescape(str(m)) for m in get_messages(response.wsgi_request)]


def test_time_for_last_month_says_it_went_into_that_months_total(actor, client_for, patient):
    time_services.time_add(actor=actor, patient=patient, activity="call", minutes=15, on_date=dt.date(2026, 10, 3))
    time_services.time_add(actor=actor, patient=patient, activity="call", minutes=40, on_date=dt.date(2026, 11, 2))

    said = _add(client_for(actor), patient, "2026-10-27")

    assert said == [
        "20 min recorded for 10/27/2026: they count toward October 2026 (now 35 min of clinical staff time), "
        "not November's total shown here. October 2026 has ended: if its care management was already billed, "
        "these minutes are not on that claim; tell whoever bills."
    ]


def test_the_month_total_named_is_the_entrys_kind_of_time(actor, client_for, patient):
    time_services.time_add(actor=actor, patient=patient, activity="call", minutes=15, on_date=dt.date(2026, 9, 3))
    said = _add(client_for(actor), patient, "2026-09-30", minutes="12", kind="physician")
    assert said[0].startswith(
        "12 min recorded for 09/30/2026: they count toward September 2026 "
        "(now 12 min of physician or qualified professional time), not November's total"
    )


def test_time_for_this_month_keeps_the_short_message(actor, client_for, patient):
    assert _add(client_for(actor), patient, "2026-11-03") == ["20 min recorded."]
