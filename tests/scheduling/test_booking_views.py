"""The booking pages through the test client: find a slot, book, the appointment page's actions, the Schedule tab."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.models import Appointment, PatientSchedulingPreference
from carecoord.scheduling.services import appointment_book

from ..factories import (
    ExternalOrganizationFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    make_actor,
)
from .factories import AppointmentTypeFactory, clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Wednesday 6:00 in Chicago; Thursday is Thanksgiving
MONDAY = dt.date(2026, 11, 30)


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def slot_value(practitioner, location, start):
    return f"{practitioner.public_id}|{location.public_id}|{start.astimezone(dt.UTC).isoformat()}"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org, actor):
    practitioner, location, kind = clinic(org, given_name="Ana", family_name="Alvarez", suffix="MD")
    patient = PatientFactory(organization=org, given_name="Rosa", family_name="Delgado")
    return {"practitioner": practitioner, "location": location, "kind": kind, "patient": patient}


def find_url(patient=None, **params):
    query = {"patient": str(patient.public_id)} if patient else {}
    query.update(params)
    return reverse("scheduling:find") + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def book_url(patient):
    return reverse("scheduling:patient_book", args=[patient.public_id])


def detail_url(appointment):
    return reverse("scheduling:appointment_detail", args=[appointment.public_id])


def book(actor, world, start, **extra):
    return appointment_book(
        actor=actor,
        patient=extra.pop("patient", world["patient"]),
        practitioner=world["practitioner"],
        location=world["location"],
        appointment_type=world["kind"],
        start=start,
        **extra,
    )


def search(kind, first=MONDAY, last=MONDAY, **extra):
    return {
        "appointment_type": str(kind.public_id),
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        **extra,
    }


# Find a slot ---------------------------------------------------------------------------------------------------


def test_find_page_lists_free_times_by_day_earliest_first_without_booking_buttons(world, actor, client_for):
    book(actor, world, at(9))
    response = client_for(actor).get(reverse("scheduling:find"), search(world["kind"], last=dt.date(2026, 12, 1)))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Monday 11/30/2026" in body
    assert "Tuesday 12/01/2026" in body
    assert body.index("Monday 11/30/2026") < body.index("Tuesday 12/01/2026")
    monday = body[body.index("Monday 11/30/2026") : body.index("Tuesday 12/01/2026")]
    times = re.findall(r'class="slot slot-static">([^<]+)<', monday)
    assert times[:3] == ["9:30 AM", "9:45 AM", "10:00 AM"]  # 9:00 is taken
    assert 'name="slot"' not in body  # no patient: nothing to book
    assert "To book, open a patient" in body


def test_find_page_opens_with_two_weeks_from_today_and_the_patients_availability(world, actor, client_for):
    PatientSchedulingPreference.objects.create(
        organization=actor.organization, patient=world["patient"], weekdays=[1], latest_time=dt.time(10, 0)
    )
    body = client_for(actor).get(find_url(world["patient"], type=world["kind"].public_id)).content.decode()
    assert 'value="2026-11-25"' in body
    assert 'value="2026-12-09"' in body
    assert re.search(r'name="use_patient_availability"[^>]*checked', body)
    assert "Tue · any time to 10:00 AM" in body
    captions = re.findall(r"<caption>(\w+day) (\d\d/\d\d)", body)
    assert captions == [("Tuesday", "12/01"), ("Tuesday", "12/08")]
    assert "9:30 AM" in body
    assert "10:00 AM<span" not in body


def test_find_page_opens_on_no_visit_type_until_one_is_chosen(world, actor, client_for):
    AppointmentTypeFactory(organization=actor.organization, name="Counseling session", duration_minutes=50)
    body = client_for(actor).get(find_url(world["patient"])).content.decode()
    menu = re.search(r'<select name="appointment_type".*?</select>', body, re.S).group(0)
    assert re.search(r'<option value="" selected>Choose a visit type</option>', menu)
    assert " selected" not in menu.replace('<option value="" selected>', "")
    assert "Choose a visit type, then search to see free times." in body
    assert "Book at" not in body
    assert "has-error" not in body


def test_searching_without_a_visit_type_says_to_choose_one(world, actor, client_for):
    params = search(world["kind"], patient=str(world["patient"].public_id)) | {"appointment_type": ""}
    body = client_for(actor).get(reverse("scheduling:find"), params).content.decode()
    assert "Appointment type: Choose a visit type before searching." in body
    assert "Book at" not in body


def test_a_link_naming_the_type_opens_the_search_on_it(world, actor, client_for):
    body = client_for(actor).get(find_url(world["patient"], type=world["kind"].public_id)).content.decode()
    assert re.search(rf'<option value="{world["kind"].public_id}" selected>', body)
    assert "Monday 11/30/2026" in body


def test_unticking_the_patients_availability_shows_other_days(world, actor, client_for):
    PatientSchedulingPreference.objects.create(organization=actor.organization, patient=world["patient"], weekdays=[1])
    params = search(world["kind"], patient=str(world["patient"].public_id))  # no use_patient_availability: unticked
    body = client_for(actor).get(reverse("scheduling:find"), params).content.decode()
    assert "Monday 11/30/2026" in body


def test_nothing_fits_the_patients_availability_says_so_and_what_to_try(world, actor, client_for):
    PatientSchedulingPreference.objects.create(organization=actor.organization, patient=world["patient"], weekdays=[5])
    params = search(world["kind"], patient=str(world["patient"].public_id), use_patient_availability="on")
    body = client_for(actor).get(reverse("scheduling:find"), params).content.decode()
    assert "fits the patient&#x27;s availability (Sat)" in body
    assert "Untick “Use the patient&#x27;s availability”" in body


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"language": "fr"}, "Nobody offers"),
        ({"first_day": "2026-11-28", "last_day": "2026-11-29"}, "between 11/28/2026 and 11/29/2026."),  # a weekend
    ],
)
def test_empty_results_explain_why(world, actor, client_for, extra, message):
    body = client_for(actor).get(reverse("scheduling:find"), {**search(world["kind"]), **extra}).content.decode()
    assert message in body


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-12-01", "2026-11-30", "To: The search window ends before it starts."),
        ("2026-11-30", "2027-03-30", "at most 92 days"),
    ],
)
def test_bad_windows_are_refused_with_a_message(world, actor, client_for, first, last, message):
    params = {**search(world["kind"]), "first_day": first, "last_day": last}
    body = client_for(actor).get(reverse("scheduling:find"), params).content.decode()
    assert message in body
    assert 'name="slot"' not in body


def test_htmx_refresh_answers_only_the_results(world, actor, client_for):
    response = client_for(actor).get(
        reverse("scheduling:find"),
        search(world["kind"]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="slot-results",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="slot-results"')
    assert "<html" not in body
    assert "9:00 AM" in body
    assert "HX-Request" in response["Vary"]


def test_interpreter_need_puts_speakers_of_the_language_first(org, actor, client_for):
    location = LocationFactory(organization=org)
    kind = AppointmentTypeFactory(organization=org)
    english = PractitionerFactory(organization=org, family_name="Brown", languages=["en"])
    spanish = PractitionerFactory(organization=org, family_name="Soto", languages=["en", "es"])
    weekly_hours(english, location, [kind], start=dt.time(8))
    weekly_hours(spanish, location, [kind], start=dt.time(10))
    patient = PatientFactory(organization=org, preferred_language="es", interpreter_needed=True)
    params = search(kind, patient=str(patient.public_id))
    body = client_for(actor).get(reverse("scheduling:find"), params).content.decode()
    assert "Needs a Spanish interpreter" in body
    assert "Speaks Spanish" in body
    assert "Interpreter needed" in body
    results = body[body.index('id="slot-results"') :]
    assert results.index("Soto") < results.index("Brown")  # preferred, although Brown is free earlier


def test_find_for_a_patient_of_another_organization_is_404(world, other_actor, client_for):
    response = client_for(other_actor).get(find_url(world["patient"]))
    assert response.status_code == 404


# Book -------------------------------------------------------------------------------------------------------------


def test_booking_a_slot_copies_preferences_and_shows_the_confirmation(world, actor, client_for):
    PatientSchedulingPreference.objects.create(
        organization=actor.organization, patient=world["patient"], needs_transport=True, transport_note="Van"
    )
    client = client_for(actor)
    data = {
        "appointment_type": str(world["kind"].public_id),
        "slot": slot_value(world["practitioner"], world["location"], at(10, 15)),
        "reason": "Diabetes follow-up",
    }
    response = client.post(book_url(world["patient"]), data)
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(appointment)
    assert appointment.start == at(10, 15)
    assert (appointment.reason, appointment.needs_transport, appointment.needs_interpreter) == (
        "Diabetes follow-up",
        True,
        False,
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Booked: {world['kind'].name} with {world['practitioner']} on Mon 11/30/2026 10:15 AM." in page
    assert "No-show rate, last 12 months" in page
    assert "Needs transport" in page


def test_booking_without_preferences_takes_the_interpreter_need_from_the_chart(world, actor, client_for):
    world["patient"].interpreter_needed = True
    world["patient"].save()
    data = {
        "appointment_type": str(world["kind"].public_id),
        "slot": slot_value(world["practitioner"], world["location"], at(11)),
    }
    client_for(actor).post(book_url(world["patient"]), data)
    assert Appointment.objects.get().needs_interpreter is True


def test_a_taken_slot_shows_the_conflict_and_the_way_back_to_fresh_slots_and_saves_nothing(world, actor, client_for):
    other = PatientFactory(organization=actor.organization)
    book(actor, world, at(10), patient=other)
    data = {
        "appointment_type": str(world["kind"].public_id),
        "slot": slot_value(world["practitioner"], world["location"], at(10)),
        "reason": "Keep me",
        "search": f"appointment_type={world['kind'].public_id}&first_day=2026-11-30&last_day=2026-11-30",
    }
    client = client_for(actor)
    response = client.post(book_url(world["patient"]), data)
    body = response.content.decode()
    assert response.status_code == 409
    assert "The practitioner already has an appointment at that time." in body
    assert "Nothing was saved" in body
    assert "“Keep me”" in body  # what was typed, to type again
    assert ">Book</button>" not in body
    back = re.search(r'href="(/schedule/find/\?[^"]*)">Back to the slots', body).group(1).replace("&amp;", "&")
    fresh = client.get(back).content.decode()  # the same search, with the times as they are now
    assert "10:00 AM<span" not in fresh
    assert "10:30 AM<span" in fresh
    assert Appointment.objects.filter(patient=world["patient"]).count() == 0


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (at(8), "is not seeing patients"),
        (at(10, day=dt.date(2026, 11, 24)), "That time is in the past."),
        (at(10, day=dt.date(2026, 11, 26)), "is not seeing patients"),  # Thanksgiving
    ],
)
def test_bad_times_are_refused_with_the_services_message(world, actor, client_for, start, message):
    data = {
        "appointment_type": str(world["kind"].public_id),
        "slot": slot_value(world["practitioner"], world["location"], start),
    }
    response = client_for(actor).post(book_url(world["patient"]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_type_the_practitioner_does_not_offer_is_refused(world, actor, client_for):
    other_kind = AppointmentTypeFactory(organization=actor.organization, name="Telehealth check-in")
    data = {
        "appointment_type": str(other_kind.public_id),
        "slot": slot_value(world["practitioner"], world["location"], at(10)),
    }
    response = client_for(actor).post(book_url(world["patient"]), data)
    assert response.status_code == 400
    assert "does not offer Telehealth check-in" in response.content.decode()


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("garbage", "could not be read"),
        ("a|b|2026-11-30T10:00:00", "could not be read"),  # no time zone
        ("", "Choose a time."),
    ],
)
def test_unreadable_slots_are_refused(world, actor, client_for, slot, message):
    data = {"appointment_type": str(world["kind"].public_id), "slot": slot}
    response = client_for(actor).post(book_url(world["patient"]), data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_another_organizations_practitioner_cannot_be_booked(world, actor, other_org, client_for):
    foreign, foreign_place, _ = clinic(other_org)
    data = {"appointment_type": str(world["kind"].public_id), "slot": slot_value(foreign, foreign_place, at(10))}
    response = client_for(actor).post(book_url(world["patient"]), data)
    assert response.status_code == 400
    assert "no longer available" in response.content.decode()
    assert not Appointment.objects.exists()


# The appointment's page -----------------------------------------------------------------------------------------


def test_appointment_page_offers_the_allowed_status_changes(world, actor, client_for):
    appointment = book(actor, world, at(10))
    body = client_for(actor).get(detail_url(appointment)).content.decode()
    buttons = re.findall(r'name="status" value="([^"]+)"', body)
    assert buttons == ["entered-in-error"]  # nothing of the visit's progress before its day
    assert "Cancel this appointment" in body
    assert "Reschedule" in body
    assert AuditEvent.objects.filter(event="appointment.view", object_id=str(appointment.public_id)).exists()


def test_the_visit_progress_buttons_wait_for_the_day_and_the_start(world, actor, client_for):
    appointment = book(actor, world, at(10))
    with time_machine.travel(at(8), tick=False):
        client = client_for(actor)
        buttons = re.findall(r'name="status" value="([^"]+)"', client.get(detail_url(appointment)).content.decode())
        assert buttons == ["arrived", "checked-in", "entered-in-error"]  # no no-show before the visit starts
        url = reverse("scheduling:appointment_status", args=[appointment.public_id])
        client.post(url, {"status": "arrived", "version": appointment.version})
        buttons = re.findall(r'name="status" value="([^"]+)"', client.get(detail_url(appointment)).content.decode())
        assert buttons == ["checked-in", "entered-in-error"]  # not seen before it starts
    with time_machine.travel(at(10), tick=False):
        client = client_for(actor)
        buttons = re.findall(r'name="status" value="([^"]+)"', client.get(detail_url(appointment)).content.decode())
        assert buttons == ["checked-in", "fulfilled", "entered-in-error"]


def test_status_changes_follow_the_rules(world, actor, client_for):
    appointment = book(actor, world, at(10))
    client = client_for(actor)
    url = reverse("scheduling:appointment_status", args=[appointment.public_id])
    response = client.post(url, {"status": "fulfilled", "version": appointment.version}, follow=True)
    assert "An appointment that is booked cannot be marked fulfilled." in response.content.decode()
    response = client.post(url, {"status": "arrived", "version": appointment.version}, follow=True)
    assert "cannot be marked arrived before the day of the appointment." in response.content.decode()
    with time_machine.travel(at(9), tick=False):
        client = client_for(actor)  # signed in on the day (sessions end when idle)
        response = client.post(url, {"status": "arrived", "version": appointment.version}, follow=True)
        assert "Marked “Arrived”." in response.content.decode()
        appointment.refresh_from_db()
        assert appointment.status == S.ARRIVED
        response = client.post(url, {"status": "fulfilled", "version": appointment.version}, follow=True)
        assert "cannot be marked seen (fulfilled) before it starts." in response.content.decode()
        stale = client.post(url, {"status": "checked-in", "version": appointment.version - 1}, follow=True)
        assert "Someone else saved changes" in stale.content.decode()
        appointment.refresh_from_db()
        assert appointment.status == S.ARRIVED
        assert "Choose a status" in client.post(url, {"status": "arrived"}, follow=True).content.decode()


def test_no_show_after_the_visit_counts_in_the_rate(world, actor, client_for):
    appointment = book(actor, world, at(10))
    with time_machine.travel(at(11), tick=False):
        client = client_for(actor)  # signed in later in the day (sessions end when idle)
        body = client.get(detail_url(appointment)).content.decode()
        assert 'value="noshow"' in body
        url = reverse("scheduling:appointment_status", args=[appointment.public_id])
        page = client.post(url, {"status": "noshow", "version": appointment.version}, follow=True).content.decode()
    assert "<strong>100%</strong>" in page
    assert "(1 no-show of 1 visit)" in page


def test_cancel_needs_a_reason_and_frees_the_time(world, actor, client_for):
    appointment = book(actor, world, at(10))
    client = client_for(actor)
    url = reverse("scheduling:appointment_cancel", args=[appointment.public_id])
    response = client.post(url, {"reason": "", "note": "x", "version": appointment.version})
    assert response.status_code == 400
    assert "Choose a reason for the cancellation." in response.content.decode()
    assert Appointment.objects.get().status == S.BOOKED
    response = client.post(
        url, {"reason": "pat", "note": "Feeling better", "version": appointment.version}, follow=True
    )
    assert "Appointment cancelled." in response.content.decode()
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason, appointment.cancellation_note) == (
        S.CANCELLED,
        "pat",
        "Feeling better",
    )
    stale = client.post(url, {"reason": "pat", "version": appointment.version})
    assert stale.status_code == 400  # a cancelled visit cannot be cancelled again
    assert "cannot be marked cancelled" in stale.content.decode()


def test_reschedule_lists_times_of_the_same_type_and_moves_the_visit(world, actor, client_for):
    appointment = book(actor, world, at(10))
    client = client_for(actor)
    params = {"first_day": "2026-12-01", "last_day": "2026-12-01"}
    body = client.get(detail_url(appointment), params).content.decode()
    assert "Times to move to" in body
    assert "move to Tue 12/01" in body
    url = reverse("scheduling:appointment_reschedule", args=[appointment.public_id])
    data = {
        "slot": slot_value(world["practitioner"], world["location"], at(14, day=dt.date(2026, 12, 1))),
        "version": appointment.version,
    }
    response = client.post(url, data, follow=True)
    assert "Moved to Tue 12/01/2026 2:00 PM" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == at(14, day=dt.date(2026, 12, 1))
    again = client.post(url, {**data, "slot": slot_value(world["practitioner"], world["location"], at(15))})
    assert again.status_code == 409
    assert "Someone else saved changes" in again.content.decode()


def test_reschedule_into_closed_hours_is_refused_with_fresh_times(world, actor, client_for):
    appointment = book(actor, world, at(10))
    url = reverse("scheduling:appointment_reschedule", args=[appointment.public_id])
    data = {
        "slot": slot_value(world["practitioner"], world["location"], at(18)),
        "version": appointment.version,
        "search": f"first_day={MONDAY}&last_day={MONDAY}",
    }
    response = client_for(actor).post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "is not seeing patients" in body
    assert "Times to move to" in body
    assert "move to Mon 11/30" in body
    appointment.refresh_from_db()
    assert appointment.start == at(10)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_reschedule_with_the_days_in_the_wrong_order_says_so(world, actor, client_for, htmx):
    appointment = book(actor, world, at(10))
    headers = {"HX-Request": "true", "HX-Target": "slot-results"} if htmx else {}
    params = {"first_day": "2026-12-10", "last_day": "2026-12-01"}
    response = client_for(actor).get(detail_url(appointment), params, headers=headers)
    body = response.content.decode()
    assert response.status_code == 200
    results = body[body.index('id="slot-results"') :]
    assert "To: The search window ends before it starts." in results
    assert 'role="alert"' in results
    assert 'name="slot"' not in body


# The chart's Schedule tab --------------------------------------------------------------------------------------


def test_schedule_tab_lists_upcoming_past_and_outside_visits_with_the_no_show_rate(world, actor, client_for):
    past = book(actor, world, at(10))
    upcoming = book(actor, world, at(11, day=dt.date(2026, 12, 1)), reason="Check feet")
    Appointment.objects.filter(pk=past.pk).update(status=S.FULFILLED)
    clinic_elsewhere = ExternalOrganizationFactory(organization=actor.organization, name="Heart Partners")
    Appointment.objects.create(
        organization=actor.organization,
        patient=world["patient"],
        external_organization=clinic_elsewhere,
        is_outside=True,
        status=S.BOOKED,
        start=at(9, day=dt.date(2026, 12, 3)),
        end=at(10, day=dt.date(2026, 12, 3)),
    )
    with time_machine.travel(at(12), tick=False):
        response = client_for(actor).get(reverse("scheduling:patient_schedule", args=[world["patient"].public_id]))
    body = response.content.decode()
    assert response.status_code == 200
    upcoming_part = body[body.index('id="upcoming-title"') : body.index('id="past-title"')]
    past_part = body[body.index('id="past-title"') :]
    assert detail_url(upcoming) in upcoming_part
    assert "Check feet" in upcoming_part
    assert "Heart Partners" in upcoming_part
    assert "Confirmed" in upcoming_part
    assert detail_url(past) in past_part
    assert "Fulfilled" in past_part
    assert "<strong>0%</strong>" in body
    assert "(0 no-shows of 1 visit)" in body
    assert 'aria-current="page">Schedule</a>' in body
    assert f"/schedule/find/?patient={world['patient'].public_id}" in body


def test_preferences_are_saved_audited_and_shown(world, actor, client_for):
    client = client_for(actor)
    url = reverse("scheduling:patient_preferences", args=[world["patient"].public_id])
    data = {
        "weekdays": ["1", "3"],
        "earliest_time": "09:00",
        "latest_time": "12:00",
        "needs_transport": "on",
        "transport_note": "Medicaid van",
        "reminder_channel": "phone",
    }
    response = client.post(url, data, follow=True)
    assert "Scheduling preferences saved." in response.content.decode()
    preference = PatientSchedulingPreference.objects.get(patient=world["patient"])
    assert preference.weekdays == [1, 3]
    assert (preference.earliest_time, preference.latest_time) == (dt.time(9), dt.time(12))
    assert (preference.needs_transport, preference.transport_note, preference.reminder_channel) == (
        True,
        "Medicaid van",
        "phone",
    )
    assert AuditEvent.objects.filter(event="scheduling_preference.set").count() == 1
    find_page = client.get(find_url(world["patient"])).content.decode()
    assert "Tue, Thu · 9:00 AM to 12:00 PM" in find_page


def test_preferences_with_times_in_the_wrong_order_are_refused(world, actor, client_for):
    url = reverse("scheduling:patient_preferences", args=[world["patient"].public_id])
    response = client_for(actor).post(url, {"earliest_time": "13:00", "latest_time": "09:00"})
    assert response.status_code == 400
    assert "must be after" in response.content.decode()
    assert not PatientSchedulingPreference.objects.exists()


def test_preferences_form_defaults_interpreter_need_from_the_chart(world, actor, client_for):
    world["patient"].interpreter_needed = True
    world["patient"].save()
    body = client_for(actor).get(reverse("scheduling:patient_schedule", args=[world["patient"].public_id]))
    assert re.search(r'name="needs_interpreter"[^>]*checked', body.content.decode())


def test_url_if_exists_tolerates_missing_url_names(world):
    template = Template(
        "{% load scheduling_tags %}{% url_if_exists 'scheduling:patient_nothing_here' p as u %}[{{ u }}]"
        "{% url_if_exists 'scheduling:patient_schedule' p as s %}[{{ s }}]"
    )
    text = template.render(Context({"p": world["patient"].public_id}))
    assert text == f"[][/patients/{world['patient'].public_id}/schedule/]"


def test_main_nav_and_directory_link_to_scheduling(world, actor, client_for):
    client = client_for(actor)
    page = client.get(reverse("directory:practitioner_detail", args=[world["practitioner"].public_id]))
    body = page.content.decode()
    assert f'href="{reverse("scheduling:find")}"' in body
    assert reverse("scheduling:practitioner_calendar", args=[world["practitioner"].public_id]) in body
    location_page = client.get(reverse("directory:location_detail", args=[world["location"].public_id]))
    assert reverse("scheduling:location_calendar", args=[world["location"].public_id]) in location_page.content.decode()
    auditor = make_actor(actor.organization, Role.AUDITOR)
    assert reverse("scheduling:find") not in client_for(auditor).get("/directory/").content.decode()


@pytest.mark.parametrize("page", ["scheduling:find", "scheduling:setup"])
def test_schedulers_reach_the_waitlist_from_the_schedule_and_setup_pages(org, client_for, page):
    scheduler = make_actor(org, Role.SCHEDULER)
    body = client_for(scheduler).get(reverse(page)).content.decode()
    assert f'href="{reverse("scheduling:waitlist")}">Waitlist</a>' in body
