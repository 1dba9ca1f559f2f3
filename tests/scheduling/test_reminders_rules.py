"""The pure reminder rules: when a reminder is due (days before, send time, DST), where it goes, its words."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carecoord.core.models import Organization
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from carecoord.patients.models import Patient
from carecoord.scheduling.models import Appointment, AppointmentType
from carecoord.scheduling.reminder_services import (
    business_days_before,
    reminder_due,
    reminder_route,
    reminder_send_at,
    reminder_text,
)

CHICAGO = ZoneInfo("America/Chicago")
TEN = dt.time(10, 0)
VISIT = dt.datetime(2030, 1, 10, 16, 0, tzinfo=dt.UTC)  # Thursday 10:00 in Chicago


def due_at(now, start=VISIT, days=(3, 1)):
    return reminder_due(start=start, days_before=days, send_time=TEN, tz=CHICAGO, now=now)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2030, 1, 7, 15, 59, tzinfo=dt.UTC), None),  # Monday 09:59: not yet
        (dt.datetime(2030, 1, 7, 16, 0, tzinfo=dt.UTC), 3),  # Monday 10:00: three days before
        (dt.datetime(2030, 1, 9, 15, 59, tzinfo=dt.UTC), 3),  # still the three-day one
        (dt.datetime(2030, 1, 9, 16, 0, tzinfo=dt.UTC), 1),  # Wednesday 10:00: the day before
        (dt.datetime(2030, 1, 10, 15, 59, tzinfo=dt.UTC), 1),
        (dt.datetime(2030, 1, 10, 16, 0, tzinfo=dt.UTC), None),  # the visit has started
    ],
)
def test_a_reminder_is_due_from_its_local_send_time_until_the_visit(now, expected):
    assert due_at(now) == expected


def test_a_visit_booked_late_gets_only_the_latest_reminder():
    # Booked Wednesday 15:00 for Thursday: the three-day reminder's time passed long ago, so only the one-day.
    assert due_at(dt.datetime(2030, 1, 9, 21, 0, tzinfo=dt.UTC)) == 1
    # Booked Tuesday: the three-day reminder is the latest whose time has come (one reminder, not a burst).
    assert due_at(dt.datetime(2030, 1, 8, 21, 0, tzinfo=dt.UTC)) == 3


def test_send_times_follow_daylight_saving_time():
    # Monday 9 March 2026 10:00 CDT; clocks sprang forward on Sunday 8 March.
    visit = dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC)
    assert reminder_send_at(visit, 1, TEN, CHICAGO) == dt.datetime(2026, 3, 8, 15, 0, tzinfo=dt.UTC)  # 10:00 CDT
    assert reminder_send_at(visit, 3, TEN, CHICAGO) == dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC)  # 10:00 CST
    assert due_at(dt.datetime(2026, 3, 8, 14, 59, tzinfo=dt.UTC), start=visit) == 3
    assert due_at(dt.datetime(2026, 3, 8, 15, 0, tzinfo=dt.UTC), start=visit) == 1


def test_the_visit_day_is_the_local_day():
    # 20:00 on 10 January in Chicago is 02:00 UTC on the 11th; one day before is the 9th, local.
    visit = dt.datetime(2030, 1, 11, 2, 0, tzinfo=dt.UTC)
    assert reminder_send_at(visit, 1, TEN, CHICAGO) == dt.datetime(2030, 1, 9, 16, 0, tzinfo=dt.UTC)


def patient(**fields):
    defaults = {"given_name": "Maria", "family_name": "Lopez", "active": True, "preferred_contact_method": "sms",
                "phone_primary": "+13125550100", "phone_primary_kind": "mobile",
                "email": "maria@example.org"}  # fmt: skip
    return Patient(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "preference", "expected"),
    [
        ({"consent_sms": True}, "", ("sms", "+13125550100", "")),
        ({"consent_sms": False}, "", ("", "", "no_sms_consent")),
        ({"consent_sms": True, "phone_primary_kind": "home"}, "", ("", "", "no_mobile_number")),
        (
            {
                "consent_sms": True,
                "phone_primary_kind": "home",
                "phone_secondary": "+13125550111",
                "phone_secondary_kind": "mobile",
            },
            "",
            ("sms", "+13125550111", ""),
        ),
        ({"preferred_contact_method": "email", "consent_email": True}, "", ("email", "maria@example.org", "")),
        ({"preferred_contact_method": "email", "consent_email": False}, "", ("", "", "no_email_consent")),
        ({"preferred_contact_method": "email", "consent_email": True, "email": ""}, "", ("", "", "no_email_address")),
        ({"preferred_contact_method": "phone", "consent_sms": True}, "", ("", "", "no_message_channel")),
        ({"preferred_contact_method": "phone", "consent_email": True}, "email", ("email", "maria@example.org", "")),
        ({"consent_sms": True}, "email", ("", "", "no_email_consent")),  # the preference wins, consent still needed
        ({"consent_sms": True}, "none", ("", "", "opted_out")),
        ({"consent_sms": True}, "phone", ("", "", "phone_call_by_staff")),
        ({"consent_sms": True, "deceased_date": dt.date(2029, 5, 1)}, "", ("", "", "inactive_patient")),
    ],
)
def test_the_reminder_channel(fields, preference, expected):
    route = reminder_route(patient(**fields), preference)
    assert (route.channel, route.address, route.skip) == expected


def visit(language_org_name="Lakeside Clinic", **fields):
    org = Organization(name=language_org_name, timezone="America/Chicago", state="IL")
    practitioner = Practitioner(given_name="Ana", family_name="Varga", suffix="MD")
    location = Location(name="Main Street Site", address_line="100 Main St", city="Springfield")
    kind = AppointmentType(name="Follow-up", duration_minutes=30)
    defaults = {"organization": org, "practitioner": practitioner, "location": location, "appointment_type": kind,
                "start": VISIT, "end": VISIT + dt.timedelta(minutes=30), "reason": "Diabetes follow-up"}  # fmt: skip
    return Appointment(**{**defaults, **fields})


def test_the_english_reminder_says_whom_when_and_where_and_nothing_of_why():
    language, subject, body = reminder_text(visit(), "en")
    assert language == "en"
    assert subject == "Appointment reminder from Lakeside Clinic"
    assert body == (
        "Lakeside Clinic: a reminder of your appointment with Dr. Varga on Thursday, January 10, 2030 at 10:00 AM "
        "at Main Street Site, 100 Main St, Springfield. To change or cancel it, please contact Lakeside Clinic."
    )
    assert "Diabetes" not in body


def test_the_spanish_reminder():
    language, subject, body = reminder_text(visit(), "es")
    assert language == "es"
    assert subject == "Recordatorio de cita de Lakeside Clinic"
    assert body == (
        "Lakeside Clinic: le recordamos su cita con Dr. Varga el jueves 10 de enero de 2030 a las 10:00 "
        "en Main Street Site, 100 Main St, Springfield. Para cambiarla o cancelarla, comuníquese con Lakeside Clinic."
    )


def test_other_languages_fall_back_to_english():
    language, _, body = reminder_text(visit(), "vi")
    assert language == "en"
    assert "a reminder of your appointment" in body


def test_an_outside_visit_names_the_practice_to_call_and_a_video_visit_no_place():
    practice = ExternalOrganization(name="Heart Partners")
    _, _, body = reminder_text(
        visit(location=None, appointment_type=None, is_outside=True, external_organization=practice,
              practitioner=Practitioner(given_name="Li", family_name="Chen", suffix="NP")), "en",
    )  # fmt: skip
    assert "with Li Chen, NP on" in body
    assert "at Heart Partners." in body
    assert body.endswith("please contact Heart Partners.")
    _, _, video = reminder_text(visit(appointment_type=AppointmentType(name="Video", telehealth=True)), "en")
    assert "Main Street" not in video
    assert "It is a video visit." in video


def test_business_days_before_skip_weekends_and_closed_days():
    thursday = dt.date(2030, 1, 24)
    mlk_day = dt.date(2030, 1, 21)
    assert business_days_before(thursday, 3, closed=set()) == dt.date(2030, 1, 21)
    assert business_days_before(thursday, 3, closed={mlk_day}) == dt.date(2030, 1, 18)
    assert business_days_before(dt.date(2030, 1, 7), 1, closed=set()) == dt.date(2030, 1, 4)  # Monday → Friday
    assert business_days_before(thursday, 0, closed=set()) == thursday
