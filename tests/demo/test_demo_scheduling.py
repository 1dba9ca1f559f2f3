"""The demo's scheduling data: types, hours, time away, closed days, reminders, preferences and visits."""

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from itertools import pairwise

import pytest
from django.urls import reverse

from carecoord.core import clock
from carecoord.core.access import actor_for
from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization
from carecoord.demo.world import COORDINATION_SLUG, DEMO_SLUGS
from carecoord.directory.models import Location
from carecoord.patients.models import Patient, PatientShare
from carecoord.scheduling import slots as slot_math
from carecoord.scheduling.choices import BLOCKING_STATUSES, AppointmentStatus, SummaryStatus
from carecoord.scheduling.forms import FindSlotForm
from carecoord.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    ClosedDate,
    PatientSchedulingPreference,
    PractitionerSchedule,
    PractitionerUnavailability,
    ReminderPolicy,
)
from carecoord.scheduling.selectors import appointment_types_for, calendar_data, closed_days, slots_available
from carecoord.scheduling.slot_search import search_slots

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
EXPECTED_TYPES = {
    "New patient visit": 40,
    "Follow-up visit": 20,
    "Physical therapy": 45,
    "Telehealth check-in": 15,
    "Lab draw": 15,
    "Occupational therapy": 45,
    "Speech therapy": 30,
    "Physical therapy evaluation": 60,
    "Occupational therapy evaluation": 60,
    "Speech therapy evaluation": 60,
    "Counseling session": 50,
    "Nutrition counseling": 45,
}
PT, OT, SLP = "225100000X", "225X00000X", "235Z00000X"
# Each discipline's own types, and nothing else.
THERAPY_TYPES = {
    PT: {"Physical therapy", "Physical therapy evaluation"},
    OT: {"Occupational therapy", "Occupational therapy evaluation"},
    SLP: {"Speech therapy", "Speech therapy evaluation"},
}
THERAPY_SITE = "Maple Grove Outpatient Therapy"
MEDICAL_TYPES = {"New patient visit", "Follow-up visit"}


def prescribes(specialty_code: str) -> bool:
    """Physicians (NUCC 20...), nurse practitioners (363L...) and physician assistants (363A...)."""
    return specialty_code.startswith(("20", "363L", "363A"))


def organizations():
    return list(Organization.objects.filter(slug__in=DEMO_SLUGS).order_by("slug"))


def today() -> dt.date:
    return clock.today_in(CHICAGO)


def test_the_demo_has_past_and_upcoming_appointments(world):
    assert world.counts["appointments"] >= 100
    assert world.counts["appointments_upcoming"] >= 30


def test_every_organization_has_the_appointment_types(world):
    for org in organizations():
        types = dict(AppointmentType.objects.filter(organization=org).values_list("name", "duration_minutes"))
        assert types == EXPECTED_TYPES, org.slug
        assert AppointmentType.objects.get(organization=org, name="Telehealth check-in").telehealth
        new_patient = AppointmentType.objects.filter(organization=org, new_patient=True)
        assert set(new_patient.values_list("name", flat=True)) == {
            "New patient visit",
            "Physical therapy evaluation",
            "Occupational therapy evaluation",
            "Speech therapy evaluation",
        }


def test_weekly_hours_vary_and_include_outside_clinicians(world):
    for org in organizations():
        hours = PractitionerSchedule.objects.filter(organization=org).select_related("practitioner", "location")
        assert hours.exists(), org.slug
        patterns = defaultdict(set)
        for block in hours:
            assert block.practitioner.organization_id == org.pk
            assert block.location.organization_id == org.pk
            assert block.appointment_types.exists()
            patterns[block.practitioner_id].add(block.weekday)
        assert len({frozenset(days) for days in patterns.values()}) >= 2, org.slug  # not everyone on the same days
    outside = PractitionerSchedule.objects.filter(
        organization__slug__in=DEMO_SLUGS, practitioner__external_organization__isnull=False
    )
    assert outside.exists()
    assert all(block.location.external_organization_id for block in outside.select_related("location"))


def test_time_away_a_closed_day_and_reminders_for_every_organization(world):
    for org in organizations():
        assert PractitionerUnavailability.objects.filter(organization=org).count() >= 2, org.slug
        closed = ClosedDate.objects.get(organization=org)
        assert closed.date > today()
        assert closed.date.weekday() < 5
        assert ReminderPolicy.objects.get(organization=org).days_before == [3, 1]


def test_some_patients_have_scheduling_preferences(world):
    prefs = list(PatientSchedulingPreference.objects.select_related("patient"))
    assert any(p.weekdays == [1, 3] for p in prefs)
    assert any(p.needs_transport and p.transport_note for p in prefs)
    interpreters = [p for p in prefs if p.needs_interpreter]
    assert interpreters
    assert all(p.patient.preferred_language == "es" for p in interpreters)
    spanish = [p for p in prefs if p.patient.preferred_language == "es"]
    assert all(p.needs_interpreter for p in spanish)


def test_inside_visits_fall_on_hours_in_the_window_with_realistic_statuses(world):
    now = clock.now()
    first, last = today() - dt.timedelta(days=30), today() + dt.timedelta(days=30)
    appointments = Appointment.objects.filter(organization__slug__in=DEMO_SLUGS, is_outside=False)
    statuses_by_org = defaultdict(Counter)
    for appointment in appointments.select_related("organization"):
        local = appointment.start.astimezone(CHICAGO)
        assert first <= local.date() <= last
        if appointment.end <= now:
            assert appointment.status in {"fulfilled", "noshow", "cancelled"}, appointment
        else:
            assert appointment.status in {"booked", "cancelled"}, appointment
        statuses_by_org[appointment.organization.slug][appointment.status] += 1
        if appointment.status in BLOCKING_STATUSES:
            blocks = PractitionerSchedule.objects.filter(
                practitioner=appointment.practitioner, location=appointment.location, weekday=local.weekday()
            )
            hours = [slot_math.WeeklyHours(b.weekday, b.start_time, b.end_time) for b in blocks]
            closed = closed_days(appointment.organization, local.date(), local.date())
            interval = slot_math.Interval(appointment.start, appointment.end)
            assert slot_math.within_hours(interval, tz=CHICAGO, hours=hours, closed_days=closed), appointment
            assert appointment.appointment_type in blocks[0].appointment_types.all()
    assert set(statuses_by_org) == set(DEMO_SLUGS)
    for slug, statuses in statuses_by_org.items():
        assert statuses["fulfilled"] > statuses["noshow"] + statuses["cancelled"], (slug, statuses)
        assert statuses["booked"] >= 5, (slug, statuses)
    assert sum(1 for statuses in statuses_by_org.values() if statuses["noshow"]) >= 2


def test_blocking_visits_never_overlap_for_a_practitioner_or_a_patient(world):
    blocking = Appointment.objects.filter(status__in=BLOCKING_STATUSES).order_by("start")
    for key in ("practitioner_id", "patient_id"):
        by_owner = defaultdict(list)
        for appointment in blocking:
            if getattr(appointment, key) is not None:
                by_owner[getattr(appointment, key)].append(appointment)
        for visits in by_owner.values():
            for earlier, later in pairwise(visits):
                assert earlier.end <= later.start, (key, earlier, later)


def test_outside_appointments_await_their_visit_summary(world):
    outside = list(Appointment.objects.filter(organization__slug__in=DEMO_SLUGS, is_outside=True))
    assert {a.status for a in outside} >= {"pending", "booked", "fulfilled"}
    for appointment in outside:
        assert appointment.external_organization is not None
        assert appointment.external_organization.organization_id == appointment.organization_id
        assert appointment.summary_status == SummaryStatus.AWAITING
        assert appointment.appointment_type is None
    assert all(a.confirmed_with for a in outside if a.status != AppointmentStatus.PENDING)


def test_a_physical_therapy_series_on_tuesdays_and_thursdays(world):
    series = AppointmentSeries.objects.get()
    visits = list(series.appointments.order_by("series_index"))
    assert [v.series_index for v in visits] == list(range(1, series.occurrences + 1))
    assert {v.start.astimezone(CHICAGO).weekday() for v in visits} == {1, 3}
    assert {v.start.astimezone(CHICAGO).time() for v in visits} == {series.local_time}
    assert all(v.appointment_type.name == "Physical therapy" for v in visits)
    assert {v.status for v in visits} >= {"fulfilled", "booked"}
    assert visits[0].patient == series.patient


def test_the_coordination_organization_books_for_patients_shared_with_it(world):
    prairie = Organization.objects.get(slug=COORDINATION_SLUG)
    shared = set(PatientShare.objects.filter(organization=prairie).values_list("patient_id", flat=True))
    booked = set(Appointment.objects.filter(organization=prairie).values_list("patient_id", flat=True))
    assert booked & shared


def test_slot_search_finds_free_time_on_the_demo_hours(world):
    membership = Membership.objects.select_related("user", "organization").get(
        organization__slug="northside", role=Role.SCHEDULER
    )
    actor = actor_for(membership.user, membership.organization)
    follow_up = AppointmentType.objects.get(organization=membership.organization, name="Follow-up visit")
    start = today() + dt.timedelta(days=1)
    found = slots_available(actor, appointment_type=follow_up, first_day=start, last_day=start + dt.timedelta(days=13))
    assert found
    booked = Appointment.objects.filter(
        organization=membership.organization, status__in=BLOCKING_STATUSES, start__gte=found[0].start
    )
    taken = {(a.practitioner_id, a.start) for a in booked}
    assert all((slot.practitioner.pk, slot.start) not in taken for slot in found)


def test_no_visits_ahead_for_patients_who_died(world):
    ahead = Appointment.objects.filter(start__gt=clock.now(), status__in=BLOCKING_STATUSES)
    assert ahead.exists()
    assert not ahead.filter(patient__deceased_date__isnull=False).exists()


# Therapy: each discipline its own types, and the nursing home's outpatient therapy site staffed and booked ---------


def scheduler_of(slug: str):
    membership = Membership.objects.select_related("user", "organization").get(
        organization__slug=slug, role=Role.SCHEDULER
    )
    return actor_for(membership.user, membership.organization)


def page_search(actor, type_name: str, *, patient=None, location=None):
    """The find-a-slot page's search (its form and `search_slots`) over the next two weeks."""
    types = appointment_types_for(actor)
    first = today() + dt.timedelta(days=1)
    query = {
        "appointment_type": str(types.get(name=type_name).public_id),
        "first_day": first.isoformat(),
        "last_day": (first + dt.timedelta(days=13)).isoformat(),
    }
    if location is not None:
        query["location"] = str(location.public_id)
    search = search_slots(actor, FindSlotForm(query, actor=actor, types=types), patient=patient)
    assert search is not None, "the search form was invalid"
    return search


def offered(search) -> list:
    return [row.practitioner for group in search.days for row in group.rows]


def test_therapists_offer_only_their_own_discipline(world):
    therapy_names = set().union(*THERAPY_TYPES.values())
    for block in PractitionerSchedule.objects.filter(organization__slug__in=DEMO_SLUGS).select_related("practitioner"):
        names = set(block.appointment_types.values_list("name", flat=True))
        own = THERAPY_TYPES.get(block.practitioner.specialty_code)
        if own is None:
            assert not names & therapy_names, (block.practitioner.specialty_code, names)
        else:
            assert names == own, (block.practitioner, names)


def test_only_physicians_nps_and_pas_offer_medical_visits(world):
    blocks = PractitionerSchedule.objects.filter(organization__slug__in=DEMO_SLUGS).select_related("practitioner")
    offering = Counter()
    for block in blocks:
        names = set(block.appointment_types.values_list("name", flat=True))
        code = block.practitioner.specialty_code
        if prescribes(code):
            offering[code[:4]] += 1
        else:
            assert not names & MEDICAL_TYPES, (block.practitioner, names)
    assert set(offering) >= {"207Q", "363L", "363A"}  # still offered by physicians, NPs and PAs
    non_prescribers = blocks.exclude(practitioner__specialty_code__startswith="20").exclude(
        practitioner__specialty_code__startswith="363"
    )
    codes = set(non_prescribers.values_list("practitioner__specialty_code", flat=True))
    assert {"1041C0700X", "103T00000X", "133V00000X"} <= codes  # social worker, psychologist, dietitian
    for code, type_name in (("1041C0700X", "Counseling session"), ("133V00000X", "Nutrition counseling")):
        own = non_prescribers.filter(practitioner__specialty_code=code)
        assert all(set(b.appointment_types.values_list("name", flat=True)) == {type_name} for b in own), code


def test_a_maple_grove_follow_up_search_offers_only_prescribers(world):
    people = offered(page_search(scheduler_of("maple-grove"), "Follow-up visit"))
    assert people
    assert all(prescribes(p.specialty_code) for p in people), sorted(
        {str(p) for p in people if not prescribes(p.specialty_code)}
    )


DISCIPLINES = ((PT, "Physical therapy"), (OT, "Occupational therapy"), (SLP, "Speech therapy"))


def test_a_therapy_search_offers_only_therapists_of_that_discipline(world):
    # The hospital has a physical and an occupational therapist; the nursing home has all three disciplines.
    for slug, disciplines in (("lakeshore", {PT, OT}), ("maple-grove", {PT, OT, SLP})):
        actor = scheduler_of(slug)
        for code, type_name in DISCIPLINES:
            people = offered(page_search(actor, type_name))
            expected = {code} if code in disciplines else set()
            assert {p.specialty_code for p in people} == expected, (slug, type_name, sorted(map(str, people)))


def test_a_patients_physical_therapy_search_page_offers_only_physical_therapists(world, client_for):
    actor = scheduler_of("maple-grove")
    patient = Patient.objects.filter(organization=actor.organization, active=True).order_by("mrn").first()
    search = page_search(actor, "Physical therapy", patient=patient)
    assert {p.specialty_code for p in offered(search)} == {PT}
    physical = AppointmentType.objects.get(organization=actor.organization, name="Physical therapy")
    first = today() + dt.timedelta(days=1)
    query = {
        "patient": str(patient.public_id),
        "appointment_type": str(physical.public_id),
        "first_day": first.isoformat(),
        "last_day": (first + dt.timedelta(days=13)).isoformat(),
    }
    html = client_for(actor).get(reverse("scheduling:find"), query).content.decode()
    results = html.split('id="slot-results"', 1)[1]  # the form's practitioner menu lists everyone
    assert "Book at" in results
    assert ", PT" in results
    assert "OTR/L" not in results
    assert "CCC-SLP" not in results


def test_the_maple_grove_therapy_site_has_therapists_hours_visits_and_free_times(world):
    actor = scheduler_of("maple-grove")
    site = Location.objects.get(organization=actor.organization, name=THERAPY_SITE)
    hours = PractitionerSchedule.objects.filter(location=site).select_related("practitioner")
    assert {block.practitioner.specialty_code for block in hours} == {PT, OT, SLP}  # therapists, and only they
    visits = Appointment.objects.filter(location=site).select_related("practitioner", "appointment_type")
    assert {v.practitioner.specialty_code for v in visits} == {PT, OT, SLP}
    for visit in visits:
        assert visit.appointment_type.name in THERAPY_TYPES[visit.practitioner.specialty_code]
    assert visits.filter(start__gt=clock.now(), status__in=BLOCKING_STATUSES).exists()
    calendar = calendar_data(actor, first_day=today(), last_day=today() + dt.timedelta(days=30), location=site)
    assert calendar.hours
    assert any(entry.appointment is not None for entry in calendar.entries)  # the scheduler sees the visits
    for code, type_name in DISCIPLINES:
        search = page_search(actor, type_name, location=site)
        assert search.total, type_name
        rows = [row for group in search.days for row in group.rows]
        assert {(row.practitioner.specialty_code, row.location) for row in rows} == {(code, site)}
