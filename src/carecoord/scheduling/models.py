"""
Scheduling data: appointment types, practitioners' weekly hours and their exceptions, an organization's
closed dates, and appointments. Double booking is refused by the database itself (see
migrations/0002_no_double_booking.py); services check first so people get a readable message.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from carecoord.core.links import public_id_url
from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import ExternalOrganization, Location, Practitioner
from carecoord.patients.models import Patient

from .choices import (
    AppointmentStatus,
    AppointmentTypeCode,
    CancellationReason,
    FeedKind,
    ReminderChannel,
    SummaryStatus,
    UnavailabilityReason,
    VisitPlanStatus,
    WaitlistStatus,
    Weekday,
)


class AppointmentType(BaseModel):
    """A kind of visit an organization books (new-patient visit, 20-minute follow-up, telehealth check-in)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    code = models.CharField(max_length=20, choices=AppointmentTypeCode.choices, default=AppointmentTypeCode.ROUTINE)
    duration_minutes = models.PositiveSmallIntegerField()
    telehealth = models.BooleanField(default=False)
    new_patient = models.BooleanField(default=False, help_text="Only for patients new to the practitioner.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="appttype_name_unique_per_org"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480), name="appttype_duration_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"


class PractitionerSchedule(BaseModel):
    """One block of a practitioner's recurring weekly hours at one location, in the organization's time zone."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="schedules")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="schedules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    appointment_types = models.ManyToManyField(AppointmentType, related_name="schedules")
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True, help_text="Last day these hours apply.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["practitioner", "weekday", "start_time"]
        indexes = [models.Index(fields=["practitioner", "weekday"], name="schedule_practitioner_day")]
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="schedule_start_before_end"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="schedule_weekday_range"),
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_until__isnull=True)
                | Q(effective_from__lte=F("effective_until")),
                name="schedule_effective_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class PractitionerUnavailability(BaseModel):
    """A stretch of time a practitioner cannot see patients (vacation, sick day, training), stored in UTC."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="unavailabilities")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=UnavailabilityReason.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["practitioner", "start"], name="unavail_practitioner_start")]
        constraints = [models.CheckConstraint(condition=Q(start__lt=F("end")), name="unavail_start_before_end")]

    def __str__(self) -> str:
        return f"{self.practitioner} unavailable {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"


class ClosedDate(BaseModel):
    """A day the organization is closed beyond the public holidays of its state (staff day, move, storm)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="closeddate_unique_per_org")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class PatientSchedulingPreference(BaseModel):
    """When a patient can come and what they need to get there; narrows slot search and drives reminders."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="scheduling_preferences")
    weekdays = models.JSONField(
        default=list, blank=True, help_text="Days the patient can come (0 = Monday); empty = any."
    )
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True, help_text="The visit must end by this time.")
    needs_transport = models.BooleanField(default=False)
    transport_note = models.CharField(max_length=200, blank=True)
    needs_interpreter = models.BooleanField(default=False)
    reminder_channel = models.CharField(max_length=10, choices=ReminderChannel.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "patient"], name="schedpref_one_per_patient"),
            models.CheckConstraint(
                condition=Q(earliest_time__isnull=True)
                | Q(latest_time__isnull=True)
                | Q(earliest_time__lt=F("latest_time")),
                name="schedpref_time_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Scheduling preferences of {self.patient}"


class AppointmentSeries(BaseModel):
    """A recurring set of visits booked in one step (physical therapy Tuesdays and Thursdays at 10:00)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointment_series")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    weekdays = models.JSONField(help_text="Days of the week (0 = Monday).")
    local_time = models.TimeField(help_text="Start time, in the organization's time zone.")
    first_date = models.DateField()
    occurrences = models.PositiveSmallIntegerField()
    skipped = models.JSONField(
        default=list,
        blank=True,
        help_text='Occurrences left out at booking and why: [{"number": 3, "day": "2026-12-02", "problem": "..."}].',
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["first_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurrences__gte=1) & Q(occurrences__lte=104), name="series_occurrences_range"
            )
        ]

    def __str__(self) -> str:
        return f"Series of {self.booked_count} from {self.first_date:%Y-%m-%d}"

    @property
    def booked_count(self) -> int:
        """The occurrences booked when the series was made: the planned ones less those skipped."""
        return self.occurrences - len(self.skipped or [])


class VisitPlan(BaseModel):
    """The visits a care plan needs, with their order and gaps, planned by CP-SAT and booked all at once."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visit_plans")
    careplan = models.ForeignKey(
        "careplans.CarePlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="visit_plans"
    )
    title = models.CharField(max_length=200)
    request = models.JSONField(help_text="The visits and constraints as the coordinator entered them.")
    status = models.CharField(max_length=10, choices=VisitPlanStatus.choices, default=VisitPlanStatus.DRAFT)
    booked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "patient"], name="visitplan_org_patient")]

    def __str__(self) -> str:
        return self.title


class Appointment(BaseModel):
    """
    A visit of a patient (FHIR R4 Appointment). `start` and `end` are UTC; `organization` is the
    organization that scheduled it. An inside appointment is booked on a practitioner's hours here and
    names practitioner, location and type. An outside appointment was booked by phone at a practice that
    does not use CareCoord: pending = requested, booked = confirmed, fulfilled = attended, noshow = missed
    (see choices.OUTSIDE_STATUS_LABELS); it names at least the practitioner or the outside organization.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(
        AppointmentType, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    reason = models.CharField(max_length=300, blank=True, help_text="Why the patient is seen.")
    cancellation_reason = models.CharField(max_length=20, choices=CancellationReason.choices, blank=True)
    cancellation_note = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    needs_transport = models.BooleanField(default=False)
    needs_interpreter = models.BooleanField(default=False)
    # Outside appointments
    is_outside = models.BooleanField(default=False)
    external_organization = models.ForeignKey(
        ExternalOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    confirmed_with = models.CharField(max_length=200, blank=True, help_text="Who at the practice confirmed it.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary_status = models.CharField(max_length=10, choices=SummaryStatus.choices, blank=True)
    summary_received_at = models.DateTimeField(null=True, blank=True)
    # Series and multi-visit plans
    series = models.ForeignKey(
        AppointmentSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    series_index = models.PositiveSmallIntegerField(null=True, blank=True)
    visit_plan = models.ForeignKey(
        VisitPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    plan_visit_key = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start"),
            models.Index(fields=["patient", "start"], name="appt_patient_start"),
            models.Index(fields=["organization", "start"], name="appt_org_start"),
            models.Index(fields=["location", "start"], name="appt_location_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appt_start_before_end"),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | ~Q(cancellation_reason=""),
                name="appt_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(is_outside=True)
                | (Q(practitioner__isnull=False) & Q(location__isnull=False) & Q(appointment_type__isnull=False)),
                name="appt_inside_names_parties",
            ),
            models.CheckConstraint(
                condition=Q(is_outside=False) | Q(practitioner__isnull=False) | Q(external_organization__isnull=False),
                name="appt_outside_names_provider",
            ),
        ]

    def get_absolute_url(self) -> str:
        """The appointment's page: the outside-visit page for a visit booked elsewhere."""
        name = "scheduling:appointment_outside" if self.is_outside else "scheduling:appointment_detail"
        return public_id_url(name, self.public_id)

    def __str__(self) -> str:
        kind = self.appointment_type.name if self.appointment_type else "Outside visit"
        return f"{kind} {self.start:%Y-%m-%d %H:%M}Z ({self.status})"

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class WaitlistEntry(BaseModel):
    """A patient waiting for an earlier slot; a freed slot that fits is offered to the coordinator."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waitlist_entries")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    current_appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_entries",
        help_text="The booked appointment the patient would like earlier.",
    )
    earliest_date = models.DateField()
    latest_date = models.DateField()
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    offered_start = models.DateTimeField(null=True, blank=True)
    offered_practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offered_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    offered_at = models.DateTimeField(null=True, blank=True)
    booked_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "status", "appointment_type"], name="waitlist_open")]
        constraints = [
            models.CheckConstraint(condition=Q(earliest_date__lte=F("latest_date")), name="waitlist_window"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.appointment_type.name}"


class ReminderPolicy(BaseModel):
    """An organization's appointment reminders: how many days before, and when transport tasks are due."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="reminder_policy")
    enabled = models.BooleanField(default=True)
    days_before = models.JSONField(default=list, help_text="Days before the visit to remind, e.g. [3, 1].")
    send_time = models.TimeField(default=dt.time(10, 0), help_text="Local time reminders go out.")
    needs_task_days_before = models.PositiveSmallIntegerField(
        default=3, help_text="Business days ahead to task a coordinator with transport or an interpreter."
    )

    def __str__(self) -> str:
        return f"Reminders of {self.organization}"


class CalendarFeed(BaseModel):
    """
    An iCalendar subscription for one patient or practitioner. Only the SHA-256 of the token is kept, so
    the address is shown once, at creation; revoking ends it at once.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=15, choices=FeedKind.choices)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    token_sha256 = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=FeedKind.PATIENT) & Q(patient__isnull=False) & Q(practitioner__isnull=True))
                | (Q(kind=FeedKind.PRACTITIONER) & Q(practitioner__isnull=False) & Q(patient__isnull=True)),
                name="feed_names_its_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} calendar feed"


class OpenHoliday(BaseModel):
    """
    A public holiday of the state the organization stays open on, every year. Kept by base name ("Columbus
    Day", "Independence Day"), which also covers the holiday's "(observed)" day: see
    scheduling.selectors.holiday_base_name.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="openholiday_unique_per_org")]

    def __str__(self) -> str:
        return f"Open on {self.name}"
