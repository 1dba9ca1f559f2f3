"""
Check-ins and progress: cadence, outreach attempts, progress notes (signed notes are immutable; corrections
are addenda), questionnaire assessments, measurements tied to goals, care-management time, and therapy
plans of care. A signed note cannot change even through SQL: see migrations/0002_signed_notes_are_final.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import Practitioner
from carecoord.patients.models import Patient, RelatedPerson

from .choices import (
    ActivityType,
    CareProgram,
    EscalationAction,
    NoteStatus,
    NoteTemplateKey,
    OutreachMethod,
    OutreachOutcome,
    TherapyDiscipline,
    TimeKind,
    TimeSource,
)


class CheckinPolicy(BaseModel):
    """An organization's check-in rules: default cadences and when failed outreach escalates."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="checkin_policy")
    high_risk_interval_days = models.PositiveSmallIntegerField(default=7)
    default_interval_days = models.PositiveSmallIntegerField(default=30)
    failed_attempts_to_escalate = models.PositiveSmallIntegerField(default=3)
    escalation_action = models.CharField(
        max_length=20, choices=EscalationAction.choices, default=EscalationAction.SUPERVISOR
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(high_risk_interval_days__gte=1) & Q(default_interval_days__gte=1),
                name="checkinpolicy_intervals_positive",
            ),
            models.CheckConstraint(
                condition=Q(failed_attempts_to_escalate__gte=1), name="checkinpolicy_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in policy of {self.organization}"


class CheckinCadence(BaseModel):
    """How often a patient is checked on; `next_due` moves forward each time the patient is reached."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkin_cadences")
    interval_days = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=200, blank=True, help_text="Why this cadence (high risk, care plan...).")
    careplan = models.ForeignKey(
        "careplans.CarePlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="checkin_cadences"
    )
    next_due = models.DateField()
    last_contact_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["organization", "active", "next_due"], name="cadence_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "patient"], condition=Q(active=True), name="cadence_one_active_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(interval_days__gte=1) & Q(interval_days__lte=365), name="cadence_interval_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Check in every {self.interval_days} days"


class OutreachAttempt(BaseModel):
    """One try at reaching a patient (or their family), with how it went."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outreach_attempts")
    related_person = models.ForeignKey(
        RelatedPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The family member or caregiver contacted instead of the patient.",
    )  # fmt: skip
    method = models.CharField(max_length=12, choices=OutreachMethod.choices)
    outcome = models.CharField(max_length=14, choices=OutreachOutcome.choices)
    occurred_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    task = models.ForeignKey(
        "careplans.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach_attempts"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "occurred_at"], name="outreach_patient_at")]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


class ProgressNote(BaseModel):
    """
    A progress note from a template: free text plus structured fields. Drafts change; a signed note is
    final (the database refuses changes to it) and corrections are addenda.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="progress_notes")
    template = models.CharField(max_length=20, choices=NoteTemplateKey.choices)
    title = models.CharField(max_length=200)
    occurred_at = models.DateTimeField(help_text="When the contact or meeting happened.")
    body = models.TextField(blank=True)
    structured = models.JSONField(default=dict, blank=True, help_text="Symptoms, adherence, barriers, goals.")
    participants = models.JSONField(default=list, blank=True, help_text="Who else was present.")
    status = models.CharField(max_length=20, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    content_sha256 = models.CharField(max_length=64, blank=True, help_text="Hash of the content as signed.")
    outreach = models.ForeignKey(
        OutreachAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "occurred_at"], name="note_patient_at")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=NoteStatus.SIGNED) | (Q(signed_at__isnull=False) & Q(signed_by__isnull=False)),
                name="note_signed_has_signer",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class NoteAddendum(BaseModel):
    """A correction or addition to a signed note; itself final once written."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Addendum to {self.note}"


class Assessment(BaseModel):
    """A scored questionnaire (FHIR QuestionnaireResponse + its total as an Observation)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(max_length=20, help_text="instruments.INSTRUMENTS key (phq9, gad7...).")
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=80)
    severity = models.PositiveSmallIntegerField()
    positive = models.BooleanField()
    urgent = models.BooleanField(default=False)
    occurred_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(ProgressNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "instrument", "occurred_at"], name="assessment_patient_instr")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total}"


class Measurement(BaseModel):
    """A measured value (FHIR Observation), optionally toward a care-plan goal."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    goal = models.ForeignKey(
        "careplans.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="measurements"
    )
    kind = models.CharField(max_length=20, help_text="measures.MEASURES key.")
    loinc = models.CharField(max_length=12)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    value2 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True, help_text="Diastolic.")
    unit = models.CharField(max_length=20)
    occurred_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "kind", "occurred_at"], name="measurement_patient_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


class CareManagementEnrollment(BaseModel):
    """A patient's enrollment in a care-management program, which decides how their minutes count."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_programs")
    program = models.CharField(max_length=12, choices=CareProgram.choices)
    billing_practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_on = models.DateField(help_text="When the patient agreed (verbal consent is enough; document it).")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__lte=F("end_date")), name="enrollment_dates"
            )
        ]

    def __str__(self) -> str:
        return self.get_program_display()


class TimeEntry(BaseModel):
    """Minutes of care-management time on one patient. A running timer has `minutes` null until stopped."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activity = models.CharField(max_length=20, choices=ActivityType.choices)
    kind = models.CharField(max_length=10, choices=TimeKind.choices, default=TimeKind.STAFF)
    source = models.CharField(max_length=10, choices=TimeSource.choices)
    started_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    progress_note = models.ForeignKey(
        ProgressNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="time_entries"
    )
    entered_in_error = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["organization", "patient", "started_at"], name="time_org_patient_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(minutes__isnull=True), name="time_one_running_timer_per_user"
            ),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True) | (Q(minutes__gte=1) & Q(minutes__lte=600)),
                name="time_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes or 'running'} min {self.get_activity_display()}"


class TherapyPlan(BaseModel):
    """A PT/OT/SLP plan of care: certification period, visits planned and used, progress-report cadence."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="therapy_plans")
    careplan = models.ForeignKey(
        "careplans.CarePlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="therapy_plans"
    )
    discipline = models.CharField(max_length=3, choices=TherapyDiscipline.choices)
    referring_practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    therapist = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    certification_start = models.DateField()
    certification_end = models.DateField()
    visits_planned = models.PositiveSmallIntegerField()
    visits_used = models.PositiveSmallIntegerField(default=0)
    progress_report_every = models.PositiveSmallIntegerField(default=10, help_text="Visits between reports.")
    appointment_types = models.ManyToManyField("scheduling.AppointmentType", blank=True, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-certification_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(certification_start__lte=F("certification_end")), name="therapy_cert_period"
            ),
            models.CheckConstraint(condition=Q(progress_report_every__gte=1), name="therapy_report_every_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_discipline_display()} plan of care"
