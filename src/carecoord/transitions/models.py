"""
Hospital stays and what follows them: encounters (from ADT feeds or entered by hand) and transition
episodes, opened at discharge, holding the deadlines, what was done, the LACE score and readmissions.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import ExternalOrganization
from carecoord.patients.models import Patient

from .choices import Complexity, DischargeDisposition, EncounterClass, EncounterStatus, EpisodeStatus


class Encounter(BaseModel):
    """A hospital or emergency stay (FHIR R4 Encounter), kept as the facility reported it."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    facility = models.ForeignKey(
        ExternalOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="encounters"
    )
    visit_number = models.CharField(max_length=60, blank=True, help_text="PV1-19, as the facility numbers it.")
    status = models.CharField(max_length=20, choices=EncounterStatus.choices, default=EncounterStatus.IN_PROGRESS)
    encounter_class = models.CharField(max_length=8, choices=EncounterClass.choices, default=EncounterClass.INPATIENT)
    admission_type = models.CharField(max_length=2, blank=True, help_text="PV1-4: E emergency, U urgent, R routine.")
    admitted_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True, help_text="Unit, room and bed (PV1-3).")
    attending = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Admitting diagnosis or reason.")
    diagnoses = models.JSONField(default=list, blank=True, help_text="[{system, code, display, type}] from DG1.")
    discharge_disposition = models.CharField(max_length=2, choices=DischargeDisposition.choices, blank=True)
    discharged_to = models.CharField(max_length=200, blank=True, help_text="PV1-37, e.g. the nursing home.")
    history = models.JSONField(default=list, blank=True, help_text="What each message changed, oldest first.")

    class Meta:
        ordering = ["-admitted_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "admitted_at"], name="encounter_patient_admitted"),
            models.Index(fields=["organization", "facility", "visit_number"], name="encounter_visit_number"),
        ]

    def __str__(self) -> str:
        where = self.facility.name if self.facility_id else "hospital"
        return f"{self.get_encounter_class_display()} stay at {where}"


class TransitionEpisode(BaseModel):
    """The 30 days after a discharge: deadlines, what was done and when, risk, readmission."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="transition_episodes")
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="episode")
    status = models.CharField(max_length=10, choices=EpisodeStatus.choices, default=EpisodeStatus.OPEN)
    complexity = models.CharField(max_length=10, choices=Complexity.choices, default=Complexity.MODERATE)
    discharge_day = models.DateField()
    contact_due = models.DateField()
    visit_due = models.DateField()
    med_rec_due = models.DateField()
    window_end = models.DateField()
    contact_at = models.DateTimeField(null=True, blank=True)
    contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    med_rec_at = models.DateTimeField(null=True, blank=True)
    med_rec_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visit_at = models.DateTimeField(null=True, blank=True)
    lace_score = models.PositiveSmallIntegerField(null=True, blank=True)
    lace_detail = models.JSONField(default=dict, blank=True)
    checklist = models.JSONField(default=list, blank=True, help_text="[{key, label, done_at}] for the disposition.")
    readmission = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="readmission_of"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-discharge_day", "-id"]
        indexes = [models.Index(fields=["organization", "status", "discharge_day"], name="episode_open")]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_due__gte=models.F("discharge_day")), name="episode_contact_after"
            ),
        ]

    def __str__(self) -> str:
        return f"Transition after discharge on {self.discharge_day:%Y-%m-%d}"
