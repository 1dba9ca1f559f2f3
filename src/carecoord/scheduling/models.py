"""
Scheduling data: appointment types, practitioners' weekly hours and their exceptions, an organization's
closed dates, and appointments. Double booking is refused by the database itself (see
migrations/0002_no_double_booking.py); services check first so people get a readable message.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import Location, Practitioner
from carecoord.patients.models import Patient

from .choices import (
    AppointmentStatus,
    AppointmentTypeCode,
    CancellationReason,
    UnavailabilityReason,
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


class Appointment(BaseModel):
    """
    A booked (or proposed, cancelled...) visit of a patient with a practitioner at a location (FHIR R4
    Appointment). `start` and `end` are UTC; `organization` is the organization that scheduled it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    cancellation_reason = models.CharField(max_length=20, choices=CancellationReason.choices, blank=True)
    cancellation_note = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start"),
            models.Index(fields=["patient", "start"], name="appt_patient_start"),
            models.Index(fields=["organization", "start"], name="appt_org_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="appt_start_before_end"),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | ~Q(cancellation_reason=""),
                name="appt_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type.name} {self.start:%Y-%m-%d %H:%M}Z ({self.status})"
