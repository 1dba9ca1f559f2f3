"""
Scheduling data for the benchmark's coordination organization: three locations, the appointment types, weekly
hours for every practitioner (at least SCHEDULED_PRACTITIONERS of them: small scale gets extra directory
entries to reach it), some time away, one closed date, and `scale.appointments` appointments (two per patient)
over the past and next 30 days, none overlapping for a practitioner or a patient (the database refuses that).

It runs in one transaction after the rest of the data is in, and `scheduling_present` tells the generator
whether a dataset made before this module existed still needs it (the generator then adds it alone).

Map: `SchedulingGenerator.run` → `_practitioners`, `_locations_and_types`, `_hours`, `_time_away`,
`_closed_date`, then `_appointments` (free times on the hours, filled at the rate that gives the wanted count,
dealt two per patient on different days) written with `fastinsert.TableWriter`.
"""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

SCHEDULED_PRACTITIONERS = 50  # the slot-search scenario looks at 50 practitioners
WINDOW_DAYS = 30  # appointments from 30 days back to 30 days ahead
LOCATIONS = (
    ("Loop Clinic", "55 E Monroe St", "60603"),
    ("Pilsen Clinic", "1850 W 18th St", "60608"),
    ("Uptown Clinic", "4750 N Sheridan Rd", "60640"),
)
# name, FHIR v2-0276 code, minutes, telehealth, new patient
TYPES = (
    ("Follow-up visit", "FOLLOWUP", 20, False, False),
    ("New patient visit", "ROUTINE", 40, False, True),
    ("Physical therapy", "ROUTINE", 45, False, False),
    ("Telehealth check-in", "FOLLOWUP", 15, True, False),
    ("Lab draw", "ROUTINE", 15, False, False),
    ("Occupational therapy", "ROUTINE", 45, False, False),
)
FOLLOW_UP, NEW_PATIENT, PHYSICAL_THERAPY, TELEHEALTH, LAB_DRAW, OCCUPATIONAL_THERAPY = (t[0] for t in TYPES)
PHYSICAL_THERAPIST = "225100000X"
# NUCC taxonomy -> the therapy it offers: each discipline only its own, as in the demo (demo/scheduling.py
# THERAPY_TYPES), so a physical-therapy search never offers an occupational therapist.
THERAPY_TYPES = {PHYSICAL_THERAPIST: PHYSICAL_THERAPY, "225X00000X": OCCUPATIONAL_THERAPY}
THERAPY_CODES = frozenset(THERAPY_TYPES)
LAB_CODES = {"363L00000X"}  # the nurse practitioners run the lab-draw clinics
CARDIOLOGY = "207RC0000X"
# Weekly patterns: the weekdays worked; each day has a morning and an afternoon block.
PATTERNS = ((0, 1, 2, 3, 4), (0, 1, 3, 4), (0, 2, 4), (1, 2, 3, 4), (0, 1, 2, 3), (1, 3))
BLOCKS = ((dt.time(8, 0), dt.time(12, 0)), (dt.time(13, 0), dt.time(17, 0)))
BOOKED_BY_ROLE = "scheduler"


def scheduling_present(organization) -> bool:
    from carecoord.scheduling.models import AppointmentType

    return AppointmentType.objects.filter(organization=organization, name=FOLLOW_UP).exists()


@dataclass(frozen=True)
class Opening:
    """A time one practitioner could see a patient (before patients are dealt)."""

    practitioner_id: int
    location_id: int
    type_id: int
    start: dt.datetime
    end: dt.datetime
    local_day: dt.date


class SchedulingGenerator:
    """Makes the scheduling data of one organization; `run` returns row counts."""

    def __init__(self, organization, *, appointments: int, seed: int, console):
        from carecoord.core import clock

        self.org, self.wanted, self.console = organization, appointments, console
        self.rng = random.Random(seed)
        self.tz = organization.tz
        self.today = clock.today_in(self.tz)
        self.first_day = self.today - dt.timedelta(days=WINDOW_DAYS)
        self.last_day = self.today + dt.timedelta(days=WINDOW_DAYS)
        self.counts: dict[str, int] = {}

    def run(self) -> dict[str, int]:
        from django.db import connection, transaction

        with transaction.atomic():
            practitioners = self._practitioners()
            locations, types = self._locations_and_types()
            hours = self._hours(practitioners, locations, types)
            away = self._time_away(practitioners)
            closed = self._closed_date()
            self._appointments(hours, away, closed, types)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for table in ("scheduling_appointment", "scheduling_practitionerschedule", "directory_practitioner"):
                    cursor.execute(f"ANALYZE {table}")
        return self.counts

    def _count(self, label: str, n: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + n

    # -- directory, places, types ----------------------------------------------------------------------------
    def _practitioners(self) -> list:
        """The organization's practitioners, topped up to SCHEDULED_PRACTITIONERS (new NPIs after the others)."""
        from stdnum import luhn

        from carecoord.directory.models import Practitioner

        from . import names

        existing = list(Practitioner.objects.filter(organization=self.org, active=True).order_by("id"))
        extra = []
        for n in range(len(existing), SCHEDULED_PRACTITIONERS):
            code, display, suffix = names.SPECIALTIES[n % len(names.SPECIALTIES)]
            base = f"1{self.org.id % 10}{n:07d}"
            female = self.rng.random() < 0.5
            extra.append(
                Practitioner(
                    organization=self.org,
                    npi=base + luhn.calc_check_digit("80840" + base),
                    prefix="Dr." if suffix in {"MD", "DO"} else "",
                    given_name=self.rng.choice(names.FEMALE_GIVEN if female else names.MALE_GIVEN),
                    family_name=self.rng.choice(names.FAMILY),
                    suffix=suffix,
                    specialty_code=code,
                    specialty_display=display,
                    languages=["en"] + (["es"] if self.rng.random() < 0.3 else []),
                    phone=f"+1312555{1000 + n % 9000:04d}",
                )
            )
        Practitioner.objects.bulk_create(extra)
        self._count("directory.Practitioner (added for scheduling)", len(extra))
        return existing + extra

    def _locations_and_types(self):
        from carecoord.directory.models import Location
        from carecoord.scheduling.models import AppointmentType

        office = {day: [["08:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
        locations = Location.objects.bulk_create(
            [
                Location(organization=self.org, name=name, address_line=line, city="Chicago", state="IL",
                         postal_code=zip_code, hours=office)
                for name, line, zip_code in LOCATIONS
            ]
        )  # fmt: skip
        types = AppointmentType.objects.bulk_create(
            [
                AppointmentType(organization=self.org, name=name, code=code, duration_minutes=minutes,
                                telehealth=telehealth, new_patient=new)
                for name, code, minutes, telehealth, new in TYPES
            ]
        )  # fmt: skip
        self._count("scheduling.AppointmentType", len(types))
        self._count("directory.Location", len(locations))
        return locations, {t.name: t for t in types}

    @staticmethod
    def offered(practitioner) -> tuple[str, ...]:
        """The appointment types a practitioner offers, by specialty."""
        code = practitioner.specialty_code
        if code in THERAPY_CODES:
            return (THERAPY_TYPES[code], FOLLOW_UP)
        if code in LAB_CODES:
            return (LAB_DRAW, FOLLOW_UP, TELEHEALTH)
        return (FOLLOW_UP, NEW_PATIENT, TELEHEALTH)

    def _hours(self, practitioners, locations, types) -> dict[int, list[tuple]]:
        """Two blocks a day on the practitioner's pattern of weekdays, at one location per weekday."""
        from carecoord.scheduling.models import PractitionerSchedule

        rows, offered, hours = [], [], defaultdict(list)
        for n, practitioner in enumerate(practitioners):
            pattern = PATTERNS[n % len(PATTERNS)]
            for weekday in pattern:
                location = locations[(n + weekday) % len(locations)]
                for start, end in BLOCKS:
                    rows.append(
                        PractitionerSchedule(organization=self.org, practitioner=practitioner, location=location,
                                             weekday=weekday, start_time=start, end_time=end)
                    )  # fmt: skip
                    offered.append([types[name] for name in self.offered(practitioner)])
                    hours[practitioner.id].append((weekday, start, end, location.id, offered[-1]))
        PractitionerSchedule.objects.bulk_create(rows, batch_size=5_000)
        through = PractitionerSchedule.appointment_types.through
        links = [
            through(practitionerschedule_id=row.id, appointmenttype_id=t.id)
            for row, kinds in zip(rows, offered, strict=True)
            for t in kinds
        ]
        through.objects.bulk_create(links, batch_size=10_000)
        self._count("scheduling.PractitionerSchedule", len(rows))
        return hours

    def _time_away(self, practitioners) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
        """A week of vacation for one practitioner in ten, a half-day of training for another in ten."""
        from carecoord.scheduling.models import PractitionerUnavailability

        rows, away = [], defaultdict(list)
        for n, practitioner in enumerate(practitioners):
            if n % 10 == 3:
                first = self.today + dt.timedelta(days=self.rng.randint(-25, 20))
                start = dt.datetime.combine(first, dt.time(0), tzinfo=self.tz)
                end = start + dt.timedelta(days=7)
                reason, note = "vacation", "Vacation"
            elif n % 10 == 7:
                day = self.today + dt.timedelta(days=self.rng.randint(-25, 28))
                start = dt.datetime.combine(day, dt.time(13, 0), tzinfo=self.tz)
                end = dt.datetime.combine(day, dt.time(17, 0), tzinfo=self.tz)
                reason, note = "training", "EHR training"
            else:
                continue
            rows.append(PractitionerUnavailability(organization=self.org, practitioner=practitioner, start=start,
                                                   end=end, reason=reason, note=note))  # fmt: skip
            away[practitioner.id].append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
        PractitionerUnavailability.objects.bulk_create(rows)
        self._count("scheduling.PractitionerUnavailability", len(rows))
        return away

    def _closed_date(self) -> set[dt.date]:
        """One staff day ahead, plus the state's public holidays in the window."""
        from carecoord.scheduling.models import ClosedDate
        from carecoord.scheduling.selectors import closed_days

        day = self.today + dt.timedelta(days=17)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        ClosedDate.objects.create(organization=self.org, date=day, name="All-staff training day")
        self._count("scheduling.ClosedDate", 1)
        return closed_days(self.org, self.first_day, self.last_day)

    # -- appointments ----------------------------------------------------------------------------------------
    def _openings(self, hours, away, closed) -> list[Opening]:
        """Every back-to-back visit the hours hold (types drawn per visit), outside time away and closed days."""
        from carecoord.scheduling.slots import local_instant

        openings = []
        day = self.first_day
        while day <= self.last_day:
            if day not in closed:
                for practitioner_id, blocks in hours.items():
                    gone = away.get(practitioner_id, ())
                    for weekday, start, end, location_id, kinds in blocks:
                        if weekday != day.weekday():
                            continue
                        cursor = local_instant(day, start, self.tz)
                        closes = local_instant(day, end, self.tz)
                        while cursor is not None and closes is not None:
                            kind = self.rng.choice(kinds)
                            finish = cursor + dt.timedelta(minutes=kind.duration_minutes)
                            if finish > closes:
                                break
                            if not any(a < finish and cursor < b for a, b in gone):
                                openings.append(Opening(practitioner_id, location_id, kind.id, cursor, finish, day))
                            cursor = finish
            day += dt.timedelta(days=1)
        return openings

    def _appointments(self, hours, away, closed, types) -> None:
        from carecoord.core.models import Membership
        from carecoord.patients.models import Patient
        from carecoord.scheduling.models import Appointment

        from .fastinsert import TableWriter

        openings = self._openings(hours, away, closed)
        patients = list(Patient.objects.filter(organization=self.org).order_by("id").values_list("id", flat=True))
        wanted = min(self.wanted, 2 * len(patients), len(openings))
        chosen = self.rng.sample(openings, wanted)
        scheduler = (
            Membership.objects.filter(organization=self.org, role=BOOKED_BY_ROLE).values_list("user_id", flat=True)
        ).first()
        now = dt.datetime.now(dt.UTC)
        rows = [self._row(opening, patient_id, scheduler, now) for opening, patient_id in self._deal(chosen, patients)]
        written = TableWriter(self._connection(), Appointment, database_assigns_keys=True).write(rows)
        self._count("scheduling.Appointment", written)
        self.console.print(
            f"  {written:,} appointments on {len(openings):,} possible visits "
            f"({100 * written / max(1, len(openings)):.0f}% of the hours booked)"
        )

    @staticmethod
    def _connection():
        from django.db import connection

        return connection

    def _deal(self, chosen: list[Opening], patients: list[int]):
        """Two openings per patient, the first in the earlier half of the window; never two at once."""
        chosen.sort(key=lambda o: (o.local_day, o.start))
        half = (len(chosen) + 1) // 2
        firsts, seconds = chosen[:half], chosen[half:]
        self.rng.shuffle(seconds)
        order = list(patients)
        self.rng.shuffle(order)
        booked: dict[int, list[Opening]] = defaultdict(list)
        for k, opening in enumerate(firsts):
            booked[order[k % len(order)]].append(opening)
            yield opening, order[k % len(order)]
        for k, opening in enumerate(seconds):
            for step in range(len(order)):  # the day both halves share may clash: then the next patient
                patient_id = order[(k + step) % len(order)]
                if not any(o.start < opening.end and opening.start < o.end for o in booked[patient_id]):
                    break
            booked[patient_id].append(opening)
            yield opening, patient_id

    def _row(self, opening: Opening, patient_id: int, scheduler, now: dt.datetime) -> dict:
        past = opening.end <= now
        r = self.rng.random()
        status, reason, cancelled_at = "booked", "", None
        if past:
            if r < 0.80:
                status = "fulfilled"
            elif r < 0.88:
                status = "noshow"
            else:
                status, reason = "cancelled", self.rng.choice(["pat", "pat", "prov", "other"])
        elif r < 0.05:
            status, reason = "cancelled", "pat"
        if status == "cancelled":
            cancelled_at = opening.start - dt.timedelta(days=self.rng.randint(1, 5))
        return {
            "organization_id": self.org.id,
            "patient_id": patient_id,
            "practitioner_id": opening.practitioner_id,
            "location_id": opening.location_id,
            "appointment_type_id": opening.type_id,
            "start": opening.start,
            "end": opening.end,
            "status": status,
            "cancellation_reason": reason,
            "cancelled_at": cancelled_at,
            "booked_by_id": scheduler,
        }
