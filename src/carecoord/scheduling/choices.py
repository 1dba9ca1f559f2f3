"""Value sets of scheduling: FHIR R4 codes verbatim where FHIR has them (hl7.org/fhir/R4, valueset-*)."""

from django.db import models


class AppointmentStatus(models.TextChoices):
    """FHIR R4 AppointmentStatus (Appointment.status)."""

    PROPOSED = "proposed", "Proposed"
    PENDING = "pending", "Pending"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    CHECKED_IN = "checked-in", "Checked in"
    WAITLIST = "waitlist", "Waitlist"


# Statuses that hold the practitioner's and the patient's time. The database refuses two overlapping
# appointments in these statuses (exclusion constraint on PostgreSQL, triggers on SQLite); keep
# migrations/0002_no_double_booking.py in step with this set.
BLOCKING_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)

# Statuses in which an appointment can still be moved to another time.
RESCHEDULABLE_STATUSES = (
    AppointmentStatus.PROPOSED,
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.WAITLIST,
)


class AppointmentTypeCode(models.TextChoices):
    """HL7 v2 table 0276 (FHIR R4 Appointment.appointmentType, v2-0276)."""

    CHECKUP = "CHECKUP", "A routine check-up, such as an annual physical"
    EMERGENCY = "EMERGENCY", "Emergency appointment"
    FOLLOWUP = "FOLLOWUP", "A follow-up visit from a previous appointment"
    ROUTINE = "ROUTINE", "Routine appointment"
    WALKIN = "WALKIN", "A previously unscheduled walk-in visit"


class CancellationReason(models.TextChoices):
    """Why an appointment was cancelled (after FHIR R5 appointment-cancellation-reason, top level)."""

    PATIENT = "pat", "Patient"
    PROVIDER = "prov", "Provider"
    EQUIPMENT = "maint", "Equipment maintenance or repair"
    MEDICATION = "meds-inc", "Prep or medication incomplete"
    OTHER = "other", "Other"
    WEATHER = "oth-weath", "Weather"


class UnavailabilityReason(models.TextChoices):
    VACATION = "vacation", "Vacation"
    SICK = "sick", "Sick"
    TRAINING = "training", "Training"
    MEETING = "meeting", "Meeting"
    OTHER = "other", "Other"


class Weekday(models.IntegerChoices):
    """ISO weekday numbering from Monday = 0 (Python's `date.weekday()`)."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SummaryStatus(models.TextChoices):
    """Whether the visit summary of an outside appointment came back to the coordinator."""

    NOT_NEEDED = "", "Not tracked"
    AWAITING = "awaiting", "Awaiting visit summary"
    RECEIVED = "received", "Visit summary received"


# The words a coordinator uses for an outside appointment's FHIR status (booked by phone elsewhere).
OUTSIDE_STATUS_LABELS = {
    AppointmentStatus.PENDING: "Requested",
    AppointmentStatus.BOOKED: "Confirmed",
    AppointmentStatus.FULFILLED: "Attended",
    AppointmentStatus.NOSHOW: "Missed",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.ENTERED_IN_ERROR: "Entered in error",
}


class VisitPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Earlier slot offered"
    BOOKED = "booked", "Booked from the waitlist"
    DECLINED = "declined", "Offer declined"
    REMOVED = "removed", "Removed"


class ReminderChannel(models.TextChoices):
    """How a patient wants appointment reminders; blank follows their preferred contact method."""

    PREFERRED = "", "Patient's preferred contact method"
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call by staff"
    NONE = "none", "No reminders"


class FeedKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    PRACTITIONER = "practitioner", "Practitioner"
