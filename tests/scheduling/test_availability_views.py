"""Scheduling setup pages through the test client, with and without htmx."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.scheduling.models import (
    Appointment,
    AppointmentType,
    ClosedDate,
    PractitionerSchedule,
    PractitionerUnavailability,
    ReminderPolicy,
)

from ..conftest import signed_in_client
from ..factories import (
    ExternalOrganizationFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    make_actor,
)
from .factories import AppointmentTypeFactory, clinic

NOW = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)  # Monday 08:00 in Chicago
NPI = "1234567893"


@pytest.fixture
def scheduler(org):
    return make_actor(org, Role.SCHEDULER)


@pytest.fixture
def admin(org):
    return make_actor(org, Role.ORG_ADMIN)


# Setup index and the settings link --------------------------------------------------------------------------


def test_setup_index_lists_practitioners_and_setup_pages(scheduler, admin, actor):
    org = scheduler.organization
    practice = ExternalOrganizationFactory(organization=org, name="Riverbend PT")
    outside = PractitionerFactory(organization=org, family_name="Okafor", external_organization=practice)
    clinic(org, family_name="Lindqvist")
    page = signed_in_client(scheduler).get(reverse("scheduling:setup")).content.decode()
    assert "Okafor" in page
    assert "Riverbend PT" in page
    assert "Lindqvist" in page
    assert reverse("scheduling:practitioner_hours", args=[outside.public_id]) in page
    assert reverse("scheduling:hours_import") in page
    assert reverse("scheduling:reminder_policy") not in page  # org admins only
    assert (
        reverse("scheduling:reminder_policy")
        in signed_in_client(admin).get(reverse("scheduling:setup")).content.decode()
    )
    coordinator_page = signed_in_client(actor).get(reverse("scheduling:setup")).content.decode()
    assert reverse("scheduling:hours_import") not in coordinator_page
    settings = signed_in_client(admin).get(reverse("core:organization_settings")).content.decode()
    assert reverse("scheduling:setup") in settings


def test_auditor_sees_no_scheduling_setup(org):
    auditor = make_actor(org, Role.AUDITOR)
    assert signed_in_client(auditor).get(reverse("scheduling:setup")).status_code == 404


# Appointment types ------------------------------------------------------------------------------------------


def test_types_add_edit_deactivate_and_reactivate(scheduler):
    client = signed_in_client(scheduler)
    response = client.post(
        reverse("scheduling:type_new"),
        {"name": "Telehealth check-in", "code": "FOLLOWUP", "duration_minutes": "20", "telehealth": "on"},
    )
    assert response.status_code == 302
    kind = AppointmentType.objects.get()
    assert (kind.name, kind.duration_minutes, kind.telehealth, kind.new_patient) == (
        "Telehealth check-in",
        20,
        True,
        False,
    )
    page = client.get(reverse("scheduling:type_list")).content.decode()
    assert "Telehealth check-in" in page
    edit_url = reverse("scheduling:type_edit", args=[kind.public_id])
    assert 'value="Telehealth check-in"' in client.get(edit_url).content.decode()
    response = client.post(
        edit_url, {"name": "Video check-in", "code": "FOLLOWUP", "duration_minutes": "25", "version": kind.version}
    )
    assert response.status_code == 302
    kind.refresh_from_db()
    assert (kind.name, kind.duration_minutes, kind.telehealth) == ("Video check-in", 25, False)
    client.post(reverse("scheduling:type_deactivate", args=[kind.public_id]))
    assert not AppointmentType.objects.get(pk=kind.pk).active
    client.post(reverse("scheduling:type_reactivate", args=[kind.public_id]))
    assert AppointmentType.objects.get(pk=kind.pk).active


def test_type_form_shows_errors_inline(scheduler):
    AppointmentTypeFactory(organization=scheduler.organization, name="Follow-up")
    client = signed_in_client(scheduler)
    response = client.post(
        reverse("scheduling:type_new"), {"name": "Follow-up", "code": "ROUTINE", "duration_minutes": "30"}
    )
    assert response.status_code == 400
    assert "already an appointment type named" in response.content.decode()
    response = client.post(
        reverse("scheduling:type_new"), {"name": "Long", "code": "ROUTINE", "duration_minutes": "600"}
    )
    assert response.status_code == 400
    assert "less than or equal to 480" in response.content.decode()
    assert AppointmentType.objects.count() == 1


def test_type_edit_with_a_stale_version_is_refused(scheduler):
    kind = AppointmentTypeFactory(organization=scheduler.organization, name="Visit")
    response = signed_in_client(scheduler).post(
        reverse("scheduling:type_edit", args=[kind.public_id]),
        {"name": "Visit 2", "code": "ROUTINE", "duration_minutes": "30", "version": kind.version + 4},
    )
    assert response.status_code == 400
    assert "Someone else saved changes" in response.content.decode()
    assert AppointmentType.objects.get(pk=kind.pk).name == "Visit"


def test_coordinator_sees_types_but_cannot_change_them(actor):
    kind = AppointmentTypeFactory(organization=actor.organization, name="Visit")
    client = signed_in_client(actor)
    page = client.get(reverse("scheduling:type_list")).content.decode()
    assert "Visit" in page
    assert reverse("scheduling:type_new") not in page
    response = client.post(reverse("scheduling:type_new"), {"name": "X", "code": "ROUTINE", "duration_minutes": "30"})
    assert response.status_code == 403
    assert client.post(reverse("scheduling:type_deactivate", args=[kind.public_id])).status_code == 403
    assert AppointmentType.objects.get(pk=kind.pk).active


# A practitioner's hours -------------------------------------------------------------------------------------


def _block_data(location, kinds, **overrides):
    data = {
        "weekday": "0",
        "start_time": "09:00",
        "end_time": "12:00",
        "location": str(location.pk),
        "appointment_types": [str(k.pk) for k in kinds],
        "effective_from": "",
        "effective_until": "",
    }
    data.update(overrides)
    return data


def test_hours_add_refuse_overlap_edit_and_delete(scheduler):
    org = scheduler.organization
    practitioner = PractitionerFactory(organization=org, family_name="Okafor")
    location = LocationFactory(organization=org, name="Main Street")
    kind = AppointmentTypeFactory(organization=org, name="Follow-up")
    client = signed_in_client(scheduler)
    page_url = reverse("scheduling:practitioner_hours", args=[practitioner.public_id])
    add_url = reverse("scheduling:practitioner_hours_add", args=[practitioner.public_id])
    assert client.post(add_url, _block_data(location, [kind])).status_code == 302
    response = client.post(add_url, _block_data(location, [kind], start_time="11:30", end_time="13:00"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "overlap the practitioner&#x27;s existing hours on Monday 9:00 AM to 12:00 PM at Main Street" in body
    assert PractitionerSchedule.objects.count() == 1
    page = client.get(page_url).content.decode()
    assert "Monday" in page
    assert "Main Street" in page
    block = PractitionerSchedule.objects.get()
    edit_url = reverse("scheduling:hours_edit", args=[block.public_id])
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, _block_data(location, [kind], weekday="2", version=block.version))
    assert response.status_code == 302
    assert PractitionerSchedule.objects.get().weekday == 2
    bad = client.post(edit_url, _block_data(location, [kind], end_time="08:00"))
    assert bad.status_code == 400
    assert "must end after they start" in bad.content.decode()
    assert client.post(reverse("scheduling:hours_delete", args=[block.public_id])).status_code == 302
    assert not PractitionerSchedule.objects.exists()


def test_hours_form_needs_a_type(scheduler):
    org = scheduler.organization
    practitioner = PractitionerFactory(organization=org)
    location = LocationFactory(organization=org)
    response = signed_in_client(scheduler).post(
        reverse("scheduling:practitioner_hours_add", args=[practitioner.public_id]), _block_data(location, [])
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_time_away_in_the_organizations_time_warns_about_booked_visits(scheduler):
    org = scheduler.organization
    practitioner, location, kind = clinic(org)
    start = dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC)  # Tuesday 09:00 Chicago
    Appointment.objects.create(organization=org, patient=PatientFactory(organization=org), practitioner=practitioner,
                               location=location, appointment_type=kind, start=start,
                               end=start + dt.timedelta(minutes=30))  # fmt: skip
    client = signed_in_client(scheduler)
    response = client.post(
        reverse("scheduling:practitioner_away_add", args=[practitioner.public_id]),
        {"start": "2026-03-03T08:00", "end": "2026-03-03T17:00", "reason": "sick", "note": "Flu"},
        follow=True,
    )
    body = response.content.decode()
    assert "Time away added." in body
    assert "1 booked appointment falls in this time; it was not moved." in body
    away = PractitionerUnavailability.objects.get()
    assert away.start == dt.datetime(2026, 3, 3, 14, tzinfo=dt.UTC)  # 08:00 CST
    assert "Tue 03/03/2026 8:00 AM" in body  # shown in the organization's time
    bad = client.post(
        reverse("scheduling:practitioner_away_add", args=[practitioner.public_id]),
        {"start": "2026-03-03T08:00", "end": "2026-03-03T07:00", "reason": "sick"},
    )
    assert bad.status_code == 400
    assert "must end after it starts" in bad.content.decode()
    assert client.post(reverse("scheduling:away_delete", args=[away.public_id])).status_code == 302
    assert not PractitionerUnavailability.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_slot_preview_as_page_and_htmx_partial(scheduler):
    """Now is Monday March 2 08:00 in Chicago, Casimir Pulaski Day in Illinois: the preview starts Tuesday."""
    org = scheduler.organization
    practitioner, _location, kind = clinic(org)
    client = signed_in_client(scheduler)
    url = reverse("scheduling:practitioner_hours", args=[practitioner.public_id])
    page = client.get(url).content.decode()
    assert "Choose an appointment type" in page
    partial = client.get(url, {"type": str(kind.public_id)}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body
    assert 'id="slot-preview"' in body
    assert "Mon Mar 2" not in body
    assert "<dt>Tue Mar 3</dt><dd>9:00 AM, 9:15 AM," in body
    assert "4:30 PM</dd>" in body  # the last 30-minute start before 5:00 PM
    assert "<dt>Sat" not in body
    assert "HX-Request" in partial["Vary"]
    full = client.get(url, {"type": str(kind.public_id)}).content.decode()
    assert "<html" in full
    assert "9:00 AM, 9:15 AM" in full


@time_machine.travel(NOW, tick=False)
def test_hours_page_works_for_an_outside_practitioner(scheduler):
    org = scheduler.organization
    practice = ExternalOrganizationFactory(organization=org, name="Riverbend PT")
    practitioner = PractitionerFactory(organization=org, external_organization=practice)
    location = LocationFactory(organization=org, external_organization=practice, name="Riverbend Clinic")
    kind = AppointmentTypeFactory(organization=org, name="PT evaluation", duration_minutes=60)
    client = signed_in_client(scheduler)
    add = client.post(
        reverse("scheduling:practitioner_hours_add", args=[practitioner.public_id]),
        _block_data(location, [kind], weekday="2", start_time="13:00", end_time="15:00"),
    )
    assert add.status_code == 302
    url = reverse("scheduling:practitioner_hours", args=[practitioner.public_id])
    body = client.get(url, {"type": str(kind.public_id)}).content.decode()
    assert "Riverbend PT (outside)" in body
    assert "1:00 PM, 1:15 PM, 1:30 PM, 1:45 PM, 2:00 PM" in body


# Import -----------------------------------------------------------------------------------------------------


def _upload(text: str, name="hours.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8") if isinstance(text, str) else text, "text/csv")


def test_import_page_saves_a_good_file(scheduler):
    org = scheduler.organization
    PractitionerFactory(organization=org, npi=NPI, family_name="Okafor")
    LocationFactory(organization=org, name="Riverbend Clinic")
    AppointmentTypeFactory(organization=org, name="Evaluation")
    client = signed_in_client(scheduler)
    assert client.get(reverse("scheduling:hours_import")).status_code == 200
    csv_text = (
        f"\ufeffnpi,weekday,start,end,location,appointment_types\n{NPI},Mon,08:00,12:00,Riverbend Clinic,Evaluation\n"
    )
    response = client.post(reverse("scheduling:hours_import"), {"file": _upload(csv_text)}, follow=True)
    assert "Imported 1 block of hours" in response.content.decode()
    assert PractitionerSchedule.objects.get().start_time == dt.time(8)


def test_import_page_lists_each_bad_row_and_saves_nothing(scheduler):
    org = scheduler.organization
    PractitionerFactory(organization=org, npi=NPI)
    LocationFactory(organization=org, name="Riverbend Clinic")
    AppointmentTypeFactory(organization=org, name="Evaluation")
    text = f"{NPI},Mon,08:00,12:00,Riverbend Clinic,Evaluation\n{NPI},Tue,8,12:00,Riverbend Clinic,Evaluation\n"
    response = signed_in_client(scheduler).post(reverse("scheduling:hours_import"), {"file": _upload(text)})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported: 1 problem in the file." in body
    assert "Line 2: The start time “8” is not a 24-hour time" in body
    assert not PractitionerSchedule.objects.exists()


def test_import_page_refuses_a_file_that_is_not_utf8_and_coordinators(scheduler, actor):
    response = signed_in_client(scheduler).post(
        reverse("scheduling:hours_import"), {"file": _upload("npi\n\xe9".encode("latin-1"))}
    )
    assert response.status_code == 400
    assert "not UTF-8 text" in response.content.decode()
    assert signed_in_client(actor).get(reverse("scheduling:hours_import")).status_code == 403


# Closed dates -----------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_closed_dates_page_shows_holidays_and_adds_and_deletes_own_dates(scheduler):
    client = signed_in_client(scheduler)
    page = client.get(reverse("scheduling:closed_list")).content.decode()
    assert "Independence Day" in page
    assert "05/25/2026" in page  # Memorial Day
    response = client.post(
        reverse("scheduling:closed_new"), {"date": "2026-04-10", "name": "Staff training"}, follow=True
    )
    assert "Closed on Friday, April 10, 2026" in response.content.decode()
    closed = ClosedDate.objects.get()
    duplicate = client.post(reverse("scheduling:closed_new"), {"date": "2026-04-10", "name": "Again"})
    assert duplicate.status_code == 400
    assert "already a closed date" in duplicate.content.decode()
    assert client.post(reverse("scheduling:closed_delete", args=[closed.public_id])).status_code == 302
    assert not ClosedDate.objects.exists()


# Reminder policy --------------------------------------------------------------------------------------------


def test_reminder_policy_page_shows_defaults_saves_and_validates(admin, scheduler):
    client = signed_in_client(admin)
    url = reverse("scheduling:reminder_policy")
    page = client.get(url).content.decode()
    assert 'value="3, 1"' in page
    assert "nothing has been saved yet" in page
    data = {"enabled": "on", "days_before": "1, 7", "send_time": "09:30", "needs_task_days_before": "2"}
    assert client.post(url, data).status_code == 302
    policy = ReminderPolicy.objects.get()
    assert (policy.days_before, policy.send_time, policy.needs_task_days_before) == ([7, 1], dt.time(9, 30), 2)
    assert 'value="7, 1"' in client.get(url).content.decode()
    for days, words in [("0", "between 1 and 30"), ("3, 3", "listed twice"), ("x", "not a whole number")]:
        bad = client.post(url, {**data, "days_before": days, "version": policy.version})
        assert bad.status_code == 400
        assert words in bad.content.decode()
    assert ReminderPolicy.objects.get().days_before == [7, 1]
    assert signed_in_client(scheduler).get(url).status_code == 403


# Tenancy ----------------------------------------------------------------------------------------------------


def _records_of(org):
    # A name no page prints by chance (a random "King" would match Martin Luther King Jr. Day on the holidays list).
    practitioner, _location, kind = clinic(org, family_name="Zwierzchowski")
    block = PractitionerSchedule.objects.get(practitioner=practitioner, weekday=0)
    start = dt.datetime(2030, 1, 7, 15, tzinfo=dt.UTC)
    away = PractitionerUnavailability.objects.create(organization=org, practitioner=practitioner, reason="vacation",
                                                     start=start, end=start + dt.timedelta(days=1))  # fmt: skip
    closed = ClosedDate.objects.create(organization=org, date=dt.date(2030, 1, 2), name="Alpha staff day")
    return {"practitioner": practitioner, "type": kind, "hours": block, "away": away, "closed": closed}


MY_URLS_WITH_IDS = [
    ("type_edit", "type"), ("type_deactivate", "type"), ("type_reactivate", "type"),
    ("practitioner_hours", "practitioner"), ("practitioner_hours_add", "practitioner"),
    ("practitioner_away_add", "practitioner"), ("hours_edit", "hours"), ("hours_delete", "hours"),
    ("away_delete", "away"), ("closed_delete", "closed"),
]  # fmt: skip


def test_another_organization_gets_404_on_every_setup_record(org, other_org):
    records = _records_of(org)
    intruder = signed_in_client(make_actor(other_org, Role.SCHEDULER, Role.ORG_ADMIN))
    counts = [
        PractitionerSchedule.objects.count(),
        PractitionerUnavailability.objects.count(),
        ClosedDate.objects.count(),
    ]
    for name, kind in MY_URLS_WITH_IDS:
        url = reverse(f"scheduling:{name}", args=[records[kind].public_id])
        for response in (intruder.get(url), intruder.post(url, {})):
            assert response.status_code in (404, 405), f"{url} answered {response.status_code}"
            assert "Alpha staff day" not in response.content.decode()
        anonymous = Client().get(url)
        assert anonymous.status_code in (302, 405)
    assert counts == [PractitionerSchedule.objects.count(), PractitionerUnavailability.objects.count(),
                      ClosedDate.objects.count()]  # fmt: skip
    lists = [reverse(f"scheduling:{name}") for name in ("setup", "type_list", "closed_list")]
    for url in lists:
        body = intruder.get(url).content.decode()
        assert records["type"].name not in body
        assert records["practitioner"].family_name not in body
        assert "Alpha staff day" not in body
