"""The waitlist: adding, offers from freed and free time (receiver and job), accept all-or-nothing, decline."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carecoord.careplans.models import Task
from carecoord.core.errors import ConflictError, InvalidStateError, NotFoundError, ValidationError
from carecoord.patients.models import CareTeamMember
from carecoord.scheduling import jobs
from carecoord.scheduling import waitlist_services as waitlist
from carecoord.scheduling.choices import AppointmentStatus as S
from carecoord.scheduling.choices import WaitlistStatus as W
from carecoord.scheduling.models import Appointment, PatientSchedulingPreference, WaitlistEntry
from carecoord.scheduling.services import appointment_book, appointment_cancel, appointment_reschedule

from ..factories import PatientFactory, PractitionerFactory, make_actor
from .factories import AppointmentTypeFactory, clinic, weekly_hours

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)  # Wednesday noon in Chicago; Thursday is Thanksgiving
MONDAY = dt.date(2026, 11, 30)


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org, actor):
    practitioner, location, kind = clinic(org)
    return {"practitioner": practitioner, "location": location, "appointment_type": kind}


def coordinated_patient(org, actor, **fields):
    patient = PatientFactory(organization=org, **fields)
    CareTeamMember.objects.create(
        organization=org, patient=patient, role="coordinator", user=actor.user, start_date=dt.date(2025, 1, 1)
    )
    return patient


def book(actor, world, patient, start):
    return appointment_book(actor=actor, patient=patient, start=start, **world)


def add(actor, world, patient, **overrides):
    fields = {
        "appointment_type": world["appointment_type"],
        "earliest_date": MONDAY,
        "latest_date": dt.date(2026, 12, 11),
        **overrides,
    }
    return waitlist.waitlist_add(actor=actor, patient=patient, **fields)


def cancel(actor, appointment, capture):
    with capture(execute=True):
        return appointment_cancel(actor=actor, appointment=appointment, reason="pat")


def offer_tasks(entry):
    return list(Task.objects.filter(dedupe_key__startswith=waitlist.offer_key_prefix(entry)).order_by("id"))


@pytest.fixture
def freed(org, actor, world):
    """Somebody's Monday 10:00 visit, about to be cancelled."""
    return book(actor, world, PatientFactory(organization=org), at(10))


# Adding -------------------------------------------------------------------------------------------------------


def test_add_records_the_entry(org, actor, world):
    patient = coordinated_patient(org, actor)
    current = book(actor, world, patient, at(14, day=dt.date(2026, 12, 10)))
    entry = add(actor, world, patient, current_appointment=current, note="Can come any morning")
    assert entry.status == W.WAITING
    assert entry.current_appointment == current
    assert entry.created_by == actor.user


def test_add_refusals(org, other_org, actor, world):
    patient = coordinated_patient(org, actor)
    with pytest.raises(ValidationError, match="ends before"):
        add(actor, world, patient, earliest_date=dt.date(2026, 12, 5), latest_date=dt.date(2026, 12, 1))
    with pytest.raises(ValidationError, match="already over"):
        add(actor, world, patient, earliest_date=dt.date(2026, 11, 1), latest_date=dt.date(2026, 11, 20))
    with pytest.raises(NotFoundError):
        add(actor, world, patient, appointment_type=AppointmentTypeFactory(organization=other_org))
    someone_else = book(actor, world, PatientFactory(organization=org), at(15))
    with pytest.raises(NotFoundError):
        add(actor, world, patient, current_appointment=someone_else)
    with pytest.raises(NotFoundError):
        add(make_actor(other_org), world, patient)
    add(actor, world, patient)
    with pytest.raises(ConflictError, match="already on the waitlist"):
        add(actor, world, patient)
    assert WaitlistEntry.objects.count() == 1


# Offers from freed time (the receiver) ------------------------------------------------------------------------


def test_a_cancellation_offers_the_time_to_the_first_waiting_patient_with_a_task(
    org, actor, world, freed, django_capture_on_commit_callbacks
):
    first = add(actor, world, coordinated_patient(org, actor, given_name="Ada", family_name="Byron"))
    second = add(actor, world, coordinated_patient(org, actor))
    cancel(actor, freed, django_capture_on_commit_callbacks)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == W.OFFERED
    assert second.status == W.WAITING
    assert first.offered_start == freed.start
    assert first.offered_practitioner == world["practitioner"]
    assert first.offered_location == world["location"]
    assert first.offered_at == NOW
    (task,) = offer_tasks(first)
    assert task.title == "Earlier slot available for Byron, Ada: Mon 11/30/2026 10:00 AM"
    assert task.owner == actor.user
    assert task.source == "scheduling"
    assert task.kind == "schedule"
    assert task.focus_id == first.public_id


def test_a_reschedule_offers_the_old_time(org, actor, world, freed, django_capture_on_commit_callbacks):
    entry = add(actor, world, coordinated_patient(org, actor))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_reschedule(actor=actor, appointment=freed, start=at(15), expected_version=freed.version)
    entry.refresh_from_db()
    assert entry.status == W.OFFERED
    assert entry.offered_start == freed.start


@pytest.mark.parametrize(
    "mismatch",
    ["practitioner", "window", "longer_type", "not_earlier", "busy", "weekday", "hours", "other_org"],
)
def test_the_freed_time_is_not_offered_when_it_does_not_fit(
    org, other_org, actor, world, freed, django_capture_on_commit_callbacks, mismatch
):
    patient = coordinated_patient(org, actor)
    overrides = {}
    if mismatch == "practitioner":
        overrides["practitioner"] = PractitionerFactory(organization=org)
    elif mismatch == "window":
        overrides["earliest_date"] = dt.date(2026, 12, 1)
    elif mismatch == "longer_type":
        longer = AppointmentTypeFactory(organization=org, duration_minutes=60)
        weekly_hours(world["practitioner"], world["location"], [longer])
        overrides["appointment_type"] = longer
    elif mismatch == "not_earlier":
        overrides["current_appointment"] = book(actor, world, patient, at(9))
    elif mismatch == "busy":
        other_practitioner, other_location, other_kind = clinic(org)
        appointment_book(actor=actor, patient=patient, practitioner=other_practitioner, location=other_location,
                         appointment_type=other_kind, start=at(10, 15))  # fmt: skip
    elif mismatch == "weekday":
        PatientSchedulingPreference.objects.create(organization=org, patient=patient, weekdays=[1, 2])
    elif mismatch == "hours":
        PatientSchedulingPreference.objects.create(organization=org, patient=patient, earliest_time=dt.time(13))
    elif mismatch == "other_org":
        patient = coordinated_patient(other_org, make_actor(other_org))
        other = make_actor(other_org)
        WaitlistEntry.objects.create(organization=other_org, patient=patient, earliest_date=MONDAY,
                                     latest_date=MONDAY, appointment_type=world["appointment_type"],
                                     created_by=other.user)  # fmt: skip
    if mismatch != "other_org":
        add(actor, world, patient, **overrides)
    cancel(actor, freed, django_capture_on_commit_callbacks)
    assert not WaitlistEntry.objects.filter(status=W.OFFERED).exists()
    assert not Task.objects.filter(dedupe_key__startswith="waitlist-offer:").exists()


def test_an_entry_wanting_its_visit_earlier_gets_an_earlier_time(
    org, actor, world, freed, django_capture_on_commit_callbacks
):
    patient = coordinated_patient(org, actor)
    current = book(actor, world, patient, at(14, day=dt.date(2026, 12, 10)))
    PatientSchedulingPreference.objects.create(organization=org, patient=patient, weekdays=[0], latest_time=dt.time(11))
    entry = add(actor, world, patient, current_appointment=current)
    cancel(actor, freed, django_capture_on_commit_callbacks)
    entry.refresh_from_db()
    assert entry.status == W.OFFERED


# Accepting, declining, removing -------------------------------------------------------------------------------


@pytest.fixture
def offered(org, actor, world, freed, django_capture_on_commit_callbacks):
    """An entry wanting its Dec 10 visit earlier, offered Monday 10:00; a second entry waiting behind it."""
    patient = coordinated_patient(org, actor)
    current = book(actor, world, patient, at(14, day=dt.date(2026, 12, 10)))
    entry = add(actor, world, patient, current_appointment=current)
    behind = add(actor, world, coordinated_patient(org, actor), earliest_date=dt.date(2026, 12, 10))
    cancel(actor, freed, django_capture_on_commit_callbacks)
    entry.refresh_from_db()
    assert entry.status == W.OFFERED
    return {"entry": entry, "current": current, "behind": behind}


def test_accept_books_the_offer_and_cancels_the_later_visit_and_offers_that_on(
    actor, world, offered, django_capture_on_commit_callbacks
):
    entry, current = offered["entry"], offered["current"]
    with django_capture_on_commit_callbacks(execute=True):
        appointment = waitlist.waitlist_accept(actor=actor, entry=entry)
    assert appointment.start == entry.offered_start
    assert appointment.status == S.BOOKED
    assert appointment.patient == entry.patient
    assert appointment.practitioner == world["practitioner"]
    current.refresh_from_db()
    assert current.status == S.CANCELLED
    assert current.cancellation_reason == "pat"
    assert current.cancellation_note == "moved earlier from waitlist"
    entry.refresh_from_db()
    assert entry.status == W.BOOKED
    assert entry.booked_appointment == appointment
    assert [t.status for t in offer_tasks(entry)] == ["completed"]
    behind = offered["behind"]
    behind.refresh_from_db()  # the Dec 10 time the first patient gave up went to the next in line
    assert behind.status == W.OFFERED
    assert behind.offered_start == current.start
    with pytest.raises(InvalidStateError):
        waitlist.waitlist_accept(actor=actor, entry=entry)


def test_accept_when_the_time_was_taken_changes_nothing_but_the_entry(org, actor, world, offered):
    entry, current = offered["entry"], offered["current"]
    book(actor, world, PatientFactory(organization=org), at(10))  # someone else took Monday 10:00
    appointments_before = Appointment.objects.count()
    with pytest.raises(ConflictError) as refused:
        waitlist.waitlist_accept(actor=actor, entry=entry)
    assert "no longer be booked" in refused.value.message
    assert "back on the waitlist" in refused.value.message
    assert Appointment.objects.count() == appointments_before
    current.refresh_from_db()
    assert current.status == S.BOOKED  # the cancellation of the later visit was rolled back with the booking
    entry.refresh_from_db()
    assert entry.status == W.WAITING
    assert entry.offered_start is None
    assert [t.status for t in offer_tasks(entry)] == ["cancelled"]


def test_decline_puts_the_entry_back_and_the_job_offers_another_time(actor, offered):
    entry = offered["entry"]
    declined = waitlist.waitlist_decline(actor=actor, entry=entry)
    assert declined.status == W.WAITING
    assert declined.offered_start is None
    assert [t.status for t in offer_tasks(entry)] == ["cancelled"]
    with pytest.raises(InvalidStateError):
        waitlist.waitlist_decline(actor=actor, entry=declined)
    jobs.offer_open_slots_to_waitlist()
    declined.refresh_from_db()
    assert declined.status == W.OFFERED
    assert declined.offered_start == at(9)  # the earliest free time in the window, not the declined 10:00


def test_remove_cancels_the_open_offer(actor, offered):
    removed = waitlist.waitlist_remove(actor=actor, entry=offered["entry"])
    assert removed.status == W.REMOVED
    assert [t.status for t in offer_tasks(removed)] == ["cancelled"]
    with pytest.raises(InvalidStateError):
        waitlist.waitlist_remove(actor=actor, entry=removed)


def test_another_organization_cannot_act_on_the_entry(other_org, offered):
    stranger = make_actor(other_org)
    for action in (waitlist.waitlist_accept, waitlist.waitlist_decline, waitlist.waitlist_remove):
        with pytest.raises(NotFoundError):
            action(actor=stranger, entry=offered["entry"])
    offered["entry"].refresh_from_db()
    assert offered["entry"].status == W.OFFERED


# The job ------------------------------------------------------------------------------------------------------


def test_the_job_offers_free_slots_first_come_first_served_never_one_time_twice(org, actor, world):
    first = add(actor, world, coordinated_patient(org, actor))
    second = add(actor, world, coordinated_patient(org, actor))
    assert jobs.offer_open_slots_to_waitlist() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.offered_start == at(9)  # the window opens Monday
    assert second.offered_start == at(9, 30)
    assert jobs.offer_open_slots_to_waitlist() == 0  # nobody is waiting any more
    assert Task.objects.filter(dedupe_key__startswith="waitlist-offer:").count() == 2


def test_the_job_respects_preferences_and_the_visit_to_move_earlier(org, actor, world):
    patient = coordinated_patient(org, actor)
    current = book(actor, world, patient, at(11, day=dt.date(2026, 12, 1)))
    PatientSchedulingPreference.objects.create(organization=org, patient=patient, weekdays=[1])  # Tuesdays
    entry = add(actor, world, patient, current_appointment=current)
    jobs.offer_open_slots_to_waitlist()
    entry.refresh_from_db()
    assert entry.offered_start == at(9, day=dt.date(2026, 12, 1))
    saturday = dt.date(2026, 12, 12)  # no hours: nothing to offer
    late = add(actor, world, coordinated_patient(org, actor), earliest_date=saturday, latest_date=saturday)
    jobs.offer_open_slots_to_waitlist()
    late.refresh_from_db()
    assert late.status == W.WAITING


def test_the_job_expires_offers_whose_time_passed(org, actor, world):
    entry = add(actor, world, coordinated_patient(org, actor), latest_date=MONDAY)
    jobs.offer_open_slots_to_waitlist()
    entry.refresh_from_db()
    assert entry.offered_start == at(9)
    with time_machine.travel(at(16, 45), tick=False):
        jobs.offer_open_slots_to_waitlist()
    entry.refresh_from_db()
    assert entry.status == W.WAITING  # 9:00 passed unanswered, and no Monday time is left to offer instead
    assert [t.status for t in offer_tasks(entry)] == ["cancelled"]
