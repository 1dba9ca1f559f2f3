"""
Scheduling for the demo organizations, so the calendar, slot search and reminders have something to show:
appointment types (each therapy discipline its own; medical visits only with physicians, NPs and PAs),
weekly hours for the clinicians (their own, and some at outside practices; therapists at their
organization's therapy site when it has one), a little time away, one closed day, reminders three days and
one day ahead, a few patients' scheduling preferences, a course of therapy for patients with a therapist on
their care team, about two visits for a part of the patients over the past and next 30 days (the past ones
attended, missed or cancelled), a few outside appointments booked by phone, and one physical-therapy series.

Map: `scheduling_create` (called by world.py once care teams exist) runs `_Calendar` per organization:
`types` → `hours` → `time_away` → `closed_and_reminders` → `preferences` → `series` → `therapy` → `visits` →
`outside`, then inserts with bulk_create. `_Calendar.place` finds a free start on a clinician's hours: never
on a closed day, a holiday or time away, and never overlapping a blocking appointment of the same clinician
or patient (the database refuses those). Wall-clock times are the organization's; stored instants are UTC.
"""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from carecoord.core.choices import Role
from carecoord.core.models import Membership, Organization
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.choices import CareTeamRole
from carecoord.patients.models import CareTeamMember, Patient, PatientShare
from carecoord.scheduling.choices import BLOCKING_STATUSES, AppointmentStatus, SummaryStatus
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
from carecoord.scheduling.selectors import closed_days
from carecoord.scheduling.slots import local_instant

from .directory import THERAPY_SITES

WINDOW_DAYS = 30
# name, v2-0276 code, minutes, telehealth, new patient (an evaluation opens a course of therapy)
TYPES = (
    ("New patient visit", "ROUTINE", 40, False, True),
    ("Follow-up visit", "FOLLOWUP", 20, False, False),
    ("Physical therapy", "ROUTINE", 45, False, False),
    ("Telehealth check-in", "FOLLOWUP", 15, True, False),
    ("Lab draw", "ROUTINE", 15, False, False),
    ("Occupational therapy", "ROUTINE", 45, False, False),
    ("Speech therapy", "ROUTINE", 30, False, False),
    ("Physical therapy evaluation", "ROUTINE", 60, False, True),
    ("Occupational therapy evaluation", "ROUTINE", 60, False, True),
    ("Speech therapy evaluation", "ROUTINE", 60, False, True),
    ("Counseling session", "ROUTINE", 50, False, False),
    ("Nutrition counseling", "ROUTINE", 45, False, False),
)
NEW, FOLLOW_UP, THERAPY, TELEHEALTH, LAB = (t[0] for t in TYPES[:5])
# NUCC taxonomy -> (treatment, evaluation): each discipline offers only its own therapy, so a search for
# physical therapy never offers an occupational therapist or a speech-language pathologist.
THERAPY_TYPES = {
    "225100000X": ("Physical therapy", "Physical therapy evaluation"),
    "225X00000X": ("Occupational therapy", "Occupational therapy evaluation"),
    "235Z00000X": ("Speech therapy", "Speech therapy evaluation"),
}
THERAPISTS = frozenset(THERAPY_TYPES)
# Therapists' days (both with Tuesday and Thursday, the series' days) and blocks: an outpatient therapy site
# closes at 16:30, so the afternoon ends then.
THERAPY_PATTERNS = ((1, 2, 3), (0, 1, 3, 4))
THERAPY_BLOCKS = ((dt.time(8, 0), dt.time(12, 0)), (dt.time(12, 30), dt.time(16, 30)))
NURSES = frozenset({"163W00000X", "163WC0400X"})
# Clinicians who do not prescribe offer only their own discipline's visits, never a medical one.
COUNSELING, NUTRITION = "Counseling session", "Nutrition counseling"
DISCIPLINE_TYPES = {"1041C0700X": (COUNSELING,), "103T00000X": (COUNSELING,), "133V00000X": (NUTRITION,)}
NO_CLINIC_HOURS = frozenset({"208M00000X", "207P00000X", "172V00000X", "183500000X", "163WH0200X"})
# Weekdays worked (Monday = 0), each with a morning and an afternoon block, chosen per clinician.
PATTERNS = ((0, 1, 2, 3, 4), (0, 2, 4), (1, 2, 3), (0, 1, 3, 4), (1, 3), (0, 1, 2, 3))
BLOCKS = ((dt.time(8, 0), dt.time(12, 0)), (dt.time(13, 0), dt.time(17, 0)))
SERIES_TIME = dt.time(10, 0)
SERIES_DAYS = [1, 3]  # Tuesdays and Thursdays
SERIES_OCCURRENCES = 8
PAST_OUTCOMES = ((AppointmentStatus.FULFILLED, 74), (AppointmentStatus.NOSHOW, 13), (AppointmentStatus.CANCELLED, 13))
CANCEL_REASONS = ("pat", "pat", "pat", "prov", "oth-weath")
SCHEDULED_SHARE = 0.45  # of each organization's patients have visits in the window
# A health center sees most of its panel in the window: well-child and school physicals, benefits follow-ups.
SCHEDULED_SHARE_BY_KIND = {"community_health_center": 0.9}
OUTSIDE_PER_ORG = 3
OUTSIDE_REASONS = ("Cardiology follow-up", "Pulmonology consult", "Physical therapy evaluation", "Eye exam")


def _type_names(code: str) -> tuple[str, ...]:
    """The appointment types a clinician offers, by NUCC taxonomy."""
    if code in THERAPISTS:
        return THERAPY_TYPES[code]
    if code in DISCIPLINE_TYPES:
        return DISCIPLINE_TYPES[code]
    if code in NURSES:
        return (LAB, TELEHEALTH)
    if code.startswith("363L"):  # nurse practitioners run the lab-draw clinic too
        return (NEW, FOLLOW_UP, TELEHEALTH, LAB)
    return (NEW, FOLLOW_UP, TELEHEALTH)


def _own_sites_for(practitioner: Practitioner, own_sites: list[Location]) -> list[Location]:
    """A therapy site keeps the organization's therapists, and only them; without one, everyone works anywhere."""
    therapy = [loc for loc in own_sites if loc.name in THERAPY_SITES]
    others = [loc for loc in own_sites if loc.name not in THERAPY_SITES]
    if practitioner.specialty_code in THERAPISTS:
        return therapy or others
    return others or therapy


@dataclass
class _Hours:
    practitioner: Practitioner
    location: Location
    weekday: int
    start: dt.time
    end: dt.time
    types: list[AppointmentType]


@dataclass
class _Calendar:
    """One organization's scheduling rows, built in memory with overlap bookkeeping, then inserted."""

    rng: random.Random
    org: Organization
    today: dt.date
    now: dt.datetime
    types: dict[str, AppointmentType] = field(default_factory=dict)
    hours: list[_Hours] = field(default_factory=list)
    # ("practitioner" | "patient", pk) -> blocking intervals; shared by every organization's calendar, since a
    # shared patient can have visits with two organizations and the database checks them all together.
    busy: dict[tuple[str, int], list[tuple[dt.datetime, dt.datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    closed: set[dt.date] = field(default_factory=set)
    appointments: list[Appointment] = field(default_factory=list)
    preferences: dict[int, PatientSchedulingPreference] = field(default_factory=dict)
    scheduler_id: int | None = None

    @property
    def tz(self):
        return self.org.tz

    @property
    def first_day(self) -> dt.date:
        return self.today - dt.timedelta(days=WINDOW_DAYS)

    @property
    def last_day(self) -> dt.date:
        return self.today + dt.timedelta(days=WINDOW_DAYS)

    # -- set-up ------------------------------------------------------------------------------------------------
    def make_types(self) -> None:
        rows = [
            AppointmentType(organization=self.org, name=name, code=code, duration_minutes=minutes,
                            telehealth=telehealth, new_patient=new)
            for name, code, minutes, telehealth, new in TYPES
        ]  # fmt: skip
        self.types = {t.name: t for t in AppointmentType.objects.bulk_create(rows)}

    def make_hours(self) -> None:
        """Hours for the organization's own clinicians at its sites, and for listed outside clinicians at theirs."""
        practitioners = Practitioner.objects.filter(organization=self.org).order_by("npi")
        locations = list(Location.objects.filter(organization=self.org).order_by("name"))
        own_sites = [loc for loc in locations if loc.external_organization_id is None]
        outside_sites = defaultdict(list)
        for loc in locations:
            if loc.external_organization_id is not None:
                outside_sites[loc.external_organization_id].append(loc)
        for n, practitioner in enumerate(practitioners):
            if practitioner.specialty_code in NO_CLINIC_HOURS:
                continue
            sites = outside_sites.get(practitioner.external_organization_id, [])
            if practitioner.external_organization_id is None:
                sites = _own_sites_for(practitioner, own_sites)
            elif n % 2:  # about half of the listed outside clinicians publish their hours
                continue
            if not sites:
                continue
            names = _type_names(practitioner.specialty_code)
            therapist = practitioner.specialty_code in THERAPISTS
            pattern = THERAPY_PATTERNS[n % len(THERAPY_PATTERNS)] if therapist else PATTERNS[n % len(PATTERNS)]
            for weekday in pattern:
                location = sites[(n + weekday) % len(sites)]
                for start, end in THERAPY_BLOCKS if therapist else BLOCKS:
                    self.hours.append(
                        _Hours(practitioner, location, weekday, start, end, [self.types[x] for x in names])
                    )
        rows = [
            PractitionerSchedule(organization=self.org, practitioner=h.practitioner, location=h.location,
                                 weekday=h.weekday, start_time=h.start, end_time=h.end)
            for h in self.hours
        ]  # fmt: skip
        PractitionerSchedule.objects.bulk_create(rows)
        through = PractitionerSchedule.appointment_types.through
        through.objects.bulk_create(
            [through(practitionerschedule=row, appointmenttype=t) for row, h in zip(rows, self.hours, strict=True)
             for t in h.types]
        )  # fmt: skip

    def make_time_away(self) -> list[PractitionerUnavailability]:
        """A week of vacation for one clinician, a sick day for another, an afternoon of training for a third."""
        people = list(
            dict.fromkeys(h.practitioner for h in self.hours if h.practitioner.external_organization_id is None)
        )
        rows = []
        plans = (("vacation", "Vacation", 9, 7 * 24 * 60, dt.time(0)), ("sick", "", -6, 24 * 60, dt.time(0)),
                 ("training", "EHR upgrade training", 4, 4 * 60, dt.time(13)))  # fmt: skip
        for practitioner, (reason, note, offset, minutes, at) in zip(self.rng.sample(people, min(3, len(people))),
                                                                     plans, strict=False):  # fmt: skip
            start = dt.datetime.combine(self.today + dt.timedelta(days=offset), at, tzinfo=self.tz)
            end = start + dt.timedelta(minutes=minutes)
            rows.append(PractitionerUnavailability(organization=self.org, practitioner=practitioner,
                                                   start=start.astimezone(dt.UTC), end=end.astimezone(dt.UTC),
                                                   reason=reason, note=note))  # fmt: skip
            self.busy[("practitioner", practitioner.pk)].append((rows[-1].start, rows[-1].end))
        PractitionerUnavailability.objects.bulk_create(rows)
        return rows

    def make_closed_and_reminders(self, offset: int) -> None:
        """One closed weekday ahead (staggered per organization) and the reminder policy."""
        day = self.today + dt.timedelta(days=offset)
        holidays = closed_days(self.org, day, day + dt.timedelta(days=7))
        while day.weekday() >= 5 or day in holidays:
            day += dt.timedelta(days=1)
        ClosedDate.objects.create(organization=self.org, date=day, name="All-staff training day")
        ReminderPolicy.objects.create(organization=self.org, days_before=[3, 1])
        self.closed = closed_days(self.org, self.first_day, self.last_day)
        self.scheduler_id = (
            Membership.objects.filter(organization=self.org, role=Role.SCHEDULER)
            .values_list("user_id", flat=True)
            .first()
        )

    def make_preferences(self, patients: list[Patient]) -> None:
        """Tuesdays and Thursdays only for a few, transport for some, an interpreter for Spanish speakers."""
        for n, patient in enumerate(patients):
            spanish = patient.preferred_language == "es"
            if not (spanish or n % 6 == 0):
                continue
            pref = PatientSchedulingPreference(organization=self.org, patient=patient)
            if n % 12 == 0:
                pref.weekdays = [1, 3]
            if n % 6 == 0 or (spanish and n % 3 == 0):
                pref.needs_transport = True
                pref.transport_note = self.rng.choice(("Medicaid ride (call 2 days ahead)", "Daughter drives",
                                                       "Uses a wheelchair: needs a ramp van"))  # fmt: skip
            if spanish:
                pref.needs_interpreter = True
            self.preferences[patient.pk] = pref
        PatientSchedulingPreference.objects.bulk_create(self.preferences.values())

    # -- placing visits ----------------------------------------------------------------------------------------
    def free(self, who: tuple[str, int], start: dt.datetime, end: dt.datetime) -> bool:
        return all(not (a < end and start < b) for a, b in self.busy[who])

    def place(self, patient: Patient, hours: _Hours, kind: AppointmentType, day: dt.date):
        """A free start on `day` in `hours` for `kind` (15-minute steps), or None."""
        if day in self.closed or day.weekday() != hours.weekday:
            return None
        pref = self.preferences.get(patient.pk)
        if pref and pref.weekdays and day.weekday() not in pref.weekdays:
            return None
        opens = hours.start.hour * 60 + hours.start.minute
        latest = hours.end.hour * 60 + hours.end.minute - kind.duration_minutes
        starts = list(range(opens, latest + 1, 15))
        self.rng.shuffle(starts)
        for minute in starts:
            start = local_instant(day, dt.time(minute // 60, minute % 60), self.tz)
            if start is None:
                continue
            end = start + dt.timedelta(minutes=kind.duration_minutes)
            if self.free(("practitioner", hours.practitioner.pk), start, end) and self.free(
                ("patient", patient.pk), start, end
            ):
                return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        return None

    def add(self, patient: Patient, hours: _Hours | None, kind, start, end, status, **extra) -> Appointment:
        pref = self.preferences.get(patient.pk)
        appointment = Appointment(
            organization=self.org, patient=patient, practitioner=hours.practitioner if hours else None,
            location=hours.location if hours else None, appointment_type=kind, start=start, end=end, status=status,
            booked_by_id=self.scheduler_id, needs_transport=bool(pref and pref.needs_transport),
            needs_interpreter=bool(pref and pref.needs_interpreter), **extra,
        )  # fmt: skip
        if status == AppointmentStatus.CANCELLED:
            appointment.cancellation_reason = self.rng.choice(CANCEL_REASONS)
            appointment.cancelled_at = start - dt.timedelta(days=self.rng.randint(1, 4), hours=3)
        if status in BLOCKING_STATUSES:
            if appointment.practitioner_id:
                self.busy[("practitioner", appointment.practitioner_id)].append((start, end))
            self.busy[("patient", patient.pk)].append((start, end))
        self.appointments.append(appointment)
        return appointment

    def status_for(self, end: dt.datetime) -> str:
        if end > self.now:
            return AppointmentStatus.CANCELLED if self.rng.random() < 0.05 else AppointmentStatus.BOOKED
        statuses, weights = zip(*PAST_OUTCOMES, strict=True)
        return self.rng.choices(statuses, weights=weights)[0]

    def make_series(self, patients: list[Patient]) -> AppointmentSeries | None:
        """Physical therapy Tuesdays and Thursdays at 10:00 for four weeks, half of it done already."""
        therapy = [h for h in self.hours if self.types[THERAPY] in h.types and h.weekday in SERIES_DAYS
                   and h.start <= SERIES_TIME and h.practitioner.external_organization_id is None]  # fmt: skip
        if not therapy or not patients:
            return None
        practitioner, location = therapy[0].practitioner, therapy[0].location
        patient = patients[0]
        first = self.today - dt.timedelta(days=14)
        while first.weekday() != SERIES_DAYS[0]:
            first += dt.timedelta(days=1)
        series = AppointmentSeries.objects.create(
            organization=self.org, patient=patient, practitioner=practitioner, location=location,
            appointment_type=self.types[THERAPY], weekdays=SERIES_DAYS, local_time=SERIES_TIME, first_date=first,
            occurrences=SERIES_OCCURRENCES, created_by_id=self.scheduler_id,
        )  # fmt: skip
        day, index = first, 0
        while index < SERIES_OCCURRENCES:
            if day.weekday() in SERIES_DAYS:
                hours = next(h for h in therapy if h.practitioner == practitioner and h.weekday == day.weekday())
                start = local_instant(day, SERIES_TIME, self.tz).astimezone(dt.UTC)
                end = start + dt.timedelta(minutes=self.types[THERAPY].duration_minutes)
                status = AppointmentStatus.FULFILLED if end <= self.now else AppointmentStatus.BOOKED
                if day in self.closed or not self.free(("practitioner", practitioner.pk), start, end):
                    status = AppointmentStatus.CANCELLED  # a holiday or the therapist's time away
                self.add(patient, hours, self.types[THERAPY], start, end, status, series=series,
                         series_index=index + 1, reason="Knee replacement rehab")  # fmt: skip
                index += 1
            day += dt.timedelta(days=1)
        return series

    def make_visits(self, patients: list[Patient], pcp_of: dict[int, int]) -> None:
        """About two visits each for a part of the patients: their PCP if they have hours here, else anyone."""
        inside = [h for h in self.hours if h.practitioner.external_organization_id is None]
        if not inside:
            return
        share = SCHEDULED_SHARE_BY_KIND.get(self.org.kind, SCHEDULED_SHARE)
        chosen = self.rng.sample(patients, round(len(patients) * share))
        for patient in chosen:
            own = [h for h in inside if h.practitioner.pk == pcp_of.get(patient.pk)]
            for when in (self.rng.randint(-WINDOW_DAYS, -1), self.rng.randint(1, WINDOW_DAYS)):
                self._visit(patient, own or inside, when)

    def make_therapy(self, patients: list[Patient], therapist_of: dict[int, int]) -> None:
        """A course of therapy with the care team's therapist here: an evaluation, then a visit past and one ahead."""
        inside = [h for h in self.hours if h.practitioner.external_organization_id is None]
        for patient in patients:
            own = [h for h in inside if h.practitioner.pk == therapist_of.get(patient.pk)]
            if not own:
                continue
            treatment, evaluation = (self.types[name] for name in THERAPY_TYPES[own[0].practitioner.specialty_code])
            plan = ((evaluation, self.rng.randint(-WINDOW_DAYS + 5, -15)), (treatment, self.rng.randint(-14, -1)),
                    (treatment, self.rng.randint(1, WINDOW_DAYS)))  # fmt: skip
            for kind, when in plan:
                self._visit(patient, own, when, kind=kind)

    def _visit(self, patient: Patient, options: list[_Hours], when: int, kind: AppointmentType | None = None) -> None:
        """A visit near `when` days from today on one of `options`: of `kind`, else any type but a new patient's."""
        for attempt in range(12):
            day = self.today + dt.timedelta(days=when + attempt * (1 if when > 0 else -1))
            if not self.first_day <= day <= self.last_day:
                return
            hours = [h for h in options if h.weekday == day.weekday()]
            if not hours:
                continue
            block = self.rng.choice(hours)
            chosen = kind or self.rng.choice([t for t in block.types if not t.new_patient] or [self.types[NEW]])
            placed = self.place(patient, block, chosen, day)
            if placed:
                self.add(patient, block, chosen, *placed, self.status_for(placed[1]))
                return

    def make_outside(self, patients: list[Patient]) -> None:
        """Visits booked by phone at practices outside CareCoord: requested, confirmed and attended."""
        outside = list(Practitioner.objects.filter(organization=self.org, external_organization__isnull=False)
                       .select_related("external_organization").order_by("npi"))  # fmt: skip
        if not outside or not patients:
            return
        plans = ((AppointmentStatus.PENDING, 12), (AppointmentStatus.BOOKED, 6), (AppointmentStatus.FULFILLED, -9))
        for n, (status, offset) in enumerate(plans[:OUTSIDE_PER_ORG]):
            practitioner = outside[n % len(outside)]
            patient = patients[(n * 7 + 3) % len(patients)]
            day = self.today + dt.timedelta(days=offset)
            for hour in (9, 11, 14, 16):
                start = local_instant(day, dt.time(hour, 30), self.tz).astimezone(dt.UTC)
                end = start + dt.timedelta(minutes=30)
                if self.free(("patient", patient.pk), start, end):
                    break
            else:
                continue
            extra = {
                "is_outside": True,
                "external_organization": practitioner.external_organization,
                "summary_status": SummaryStatus.AWAITING,
                "reason": OUTSIDE_REASONS[n % len(OUTSIDE_REASONS)],
            }
            if status != AppointmentStatus.PENDING:
                extra |= {"confirmed_with": "Front desk", "confirmed_at": start - dt.timedelta(days=10)}
            appointment = self.add(patient, None, None, start, end, status, **extra)
            appointment.practitioner = practitioner
            self.busy[("practitioner", practitioner.pk)].append((start, end))


def scheduling_create(rng: random.Random, *, organizations: dict[str, Organization], coordination_slug: str,
                      today: dt.date, now: dt.datetime, counts) -> None:  # fmt: skip
    """Builds and inserts every demo organization's scheduling data (see the module docstring)."""
    pcp_of, therapist_of = (
        dict(
            CareTeamMember.objects.filter(role=role, end_date__isnull=True)
            .order_by("pk")
            .values_list("patient_id", "practitioner_id")
        )
        for role in (CareTeamRole.PRIMARY_CARE, CareTeamRole.THERAPIST)
    )
    busy: dict[tuple[str, int], list] = defaultdict(list)
    for offset, (slug, org) in enumerate(sorted(organizations.items())):
        living = Patient.objects.filter(active=True, deceased_date__isnull=True).order_by("mrn")
        patients = list(living.filter(organization=org))
        if slug == coordination_slug:
            patients += list(living.filter(pk__in=PatientShare.objects.filter(organization=org).values("patient_id")))
        calendar = _Calendar(rng=rng, org=org, today=today, now=now, busy=busy)
        calendar.make_types()
        calendar.make_hours()
        away = calendar.make_time_away()
        calendar.make_closed_and_reminders(10 + 3 * offset)
        calendar.make_preferences(patients)
        series = None if counts.get("appointment_series") else calendar.make_series(patients)  # one in the demo
        calendar.make_therapy(patients, therapist_of)
        calendar.make_visits(patients, pcp_of)
        calendar.make_outside(patients)
        Appointment.objects.bulk_create(calendar.appointments)
        upcoming = [a for a in calendar.appointments if a.start > now and a.status in BLOCKING_STATUSES]
        counts.update(
            appointments=len(calendar.appointments),
            appointments_upcoming=len(upcoming),
            practitioner_hours=len(calendar.hours),
            time_away=len(away),
            appointment_series=int(series is not None),
        )
