"""
Community data: the organization's resource directory in the Open Referral HSDS 3.0 shape (agencies =
HSDS organizations, services, locations, service_at_location), social-needs screenings, referrals with their
status history, and the organization's benefit thresholds.

Lists of need categories and languages are stored as delimited text (",food-insecurity,homelessness,") so the
directory can filter on them on SQLite and PostgreSQL alike (JSON containment is not portable).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import Practitioner
from carecoord.patients.models import Condition, Patient

from .choices import BenefitProgram, LocationType, Need, ReferralOutcome, ReferralStatus, ServiceStatus


def tags_to_text(values) -> str:
    values = [v.strip().lower() for v in values if v and v.strip()]
    return f",{','.join(sorted(set(values)))}," if values else ""


def text_to_tags(text: str) -> list[str]:
    return [v for v in (text or "").split(",") if v]


class Agency(BaseModel):
    """A community organization in the directory (HSDS `organization`), curated by one CareCoord organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    hsds_id = models.CharField("HSDS id", max_length=100, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    linked_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_listings",
        help_text="The CareCoord organization this agency uses, if any: it receives and answers referrals.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hsds_id"], condition=~Q(hsds_id=""), name="agency_unique_hsds_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ResourceLocation(BaseModel):
    """Where services are delivered (HSDS `location` with its physical `address`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="locations")
    hsds_id = models.CharField("HSDS id", max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True)
    location_type = models.CharField(max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL)
    address_1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=60, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    transportation = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "postal_code"], name="resloc_org_zip")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hsds_id"], condition=~Q(hsds_id=""), name="resloc_unique_hsds_id"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="resloc_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="resloc_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.address_1 or "Location"

    @property
    def address_line(self) -> str:
        return ", ".join(p for p in (self.address_1, self.city, f"{self.state} {self.postal_code}".strip()) if p)


class CommunityService(BaseModel):
    """A service an agency offers (HSDS `service`), with eligibility, languages, hours and fees."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="services")
    hsds_id = models.CharField("HSDS id", max_length=100, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    needs = models.CharField(max_length=400, blank=True, help_text="Need categories, delimited.")
    languages = models.CharField(max_length=200, blank=True, help_text="Language codes (ISO 639), delimited.")
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    fees_description = models.TextField(blank=True)
    application_process = models.TextField(blank=True)
    hours = models.JSONField(default=list, blank=True, help_text="HSDS schedules: byday, opens_at, closes_at...")
    cost_options = models.JSONField(default=list, blank=True)
    taxonomy_terms = models.JSONField(default=list, blank=True)
    locations = models.ManyToManyField(ResourceLocation, through="ServiceAtLocation", related_name="services")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "status"], name="cservice_org_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "hsds_id"], condition=~Q(hsds_id=""), name="cservice_unique_hsds_id"
            ),
            models.CheckConstraint(
                condition=Q(minimum_age__isnull=True)
                | Q(maximum_age__isnull=True)
                | Q(minimum_age__lte=models.F("maximum_age")),
                name="cservice_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def need_list(self) -> list[str]:
        return text_to_tags(self.needs)

    @property
    def ages(self) -> str:
        """Who the service is for by age, in words ("" for all ages)."""
        from .domain import age_range_words

        return age_range_words(self.minimum_age, self.maximum_age)

    @property
    def need_labels(self) -> list[str]:
        labels = dict(Need.choices)
        return [labels.get(n, n) for n in self.need_list]

    @property
    def language_list(self) -> list[str]:
        return text_to_tags(self.languages)

    @property
    def is_active(self) -> bool:
        return self.status == ServiceStatus.ACTIVE and self.agency.active


class ServiceAtLocation(BaseModel):
    """HSDS `service_at_location`: a service delivered at a location."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(CommunityService, on_delete=models.CASCADE, related_name="service_locations")
    location = models.ForeignKey(ResourceLocation, on_delete=models.CASCADE, related_name="service_locations")
    hsds_id = models.CharField("HSDS id", max_length=100, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "location"], name="sal_unique_pair")]

    def __str__(self) -> str:
        return f"{self.service} at {self.location}"


class SocialScreening(BaseModel):
    """One AHC HRSN core screen of a patient: the answers, the positive needs and the safety total."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="social_screenings")
    occurred_at = models.DateTimeField()
    answers = models.JSONField(default=dict)
    needs = models.JSONField(default=list, blank=True)
    safety_total = models.PositiveSmallIntegerField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["patient", "occurred_at"], name="screening_patient_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(safety_total__gte=4) & Q(safety_total__lte=20), name="screening_safety_range"
            )
        ]

    def __str__(self) -> str:
        return f"Social needs screening {self.occurred_at:%Y-%m-%d}"

    @property
    def need_labels(self) -> list[str]:
        labels = dict(Need.choices)
        return [labels.get(n, n) for n in self.needs]


class Referral(BaseModel):
    """
    A closed-loop referral of a patient to a community service (or a practitioner), given with the patient's
    consent. The receiving organization (when it uses CareCoord) reads only this record and `patient_summary`,
    the minimum it needs, never the chart.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="referrals")
    need = models.CharField(max_length=40, choices=Need.choices)
    condition = models.ForeignKey(Condition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    service = models.ForeignKey(
        CommunityService, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    practitioner = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    receiving_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming_referrals"
    )
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    reason = models.TextField(help_text="What the patient needs, as the receiving organization should read it.")
    consent_by = models.CharField(max_length=200, help_text="Who consented: the patient or their proxy, by name.")
    consent_method = models.CharField(max_length=100)
    consent_on = models.DateField()
    patient_summary = models.JSONField(default=dict, help_text="The minimum patient details shared with the receiver.")
    respond_by = models.DateField(help_text="When an answer is expected; later, the referral is overdue.")
    sent_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=ReferralOutcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["organization", "status", "respond_by"], name="referral_org_status_due"),
            models.Index(fields=["receiving_organization", "status"], name="referral_receiver_status"),
            models.Index(fields=["patient", "sent_at"], name="referral_patient_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(service__isnull=False) & Q(practitioner__isnull=True))
                | (Q(service__isnull=True) & Q(practitioner__isnull=False)),
                name="referral_one_recipient",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | ~Q(outcome=""), name="referral_completed_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral for {self.get_need_display().lower()} to {self.recipient_name}"

    @property
    def recipient_name(self) -> str:
        if self.service_id:
            return f"{self.service.name} ({self.service.agency.name})"
        return str(self.practitioner)

    @property
    def is_open(self) -> bool:
        return self.status in (ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED)


class ReferralEvent(BaseModel):
    """
    One step of a referral's history, by whom and for which organization: a status change (`to_status` set),
    or a follow-up note (no status; `follow_up_on` when the writer means to follow up again that day).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    follow_up_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status or '-'}"

    @property
    def is_note(self) -> bool:
        return not self.to_status

    @property
    def from_status_label(self) -> str:
        return _status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return _status_label(self.to_status)


def _status_label(value: str) -> str:
    """A referral status as people read it ("Accepted"), for a history row; a value no longer known stays as is."""
    return ReferralStatus(value).label if value in ReferralStatus.values else value


class BenefitThreshold(BaseModel):
    """The organization's own percent-of-poverty limit for a program, for one state or ("") all states."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.CharField(max_length=30, choices=BenefitProgram.choices)
    state = models.CharField(max_length=2, blank=True, help_text="Blank for every state.")
    percent = models.PositiveSmallIntegerField(help_text="Percent of the federal poverty line.")
    source = models.CharField(max_length=300, blank=True, help_text="Where the figure comes from.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["program", "state"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "state"], name="threshold_unique"),
            models.CheckConstraint(condition=Q(percent__gte=1) & Q(percent__lte=1000), name="threshold_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_program_display()} {self.state or 'all states'}: {self.percent}%"
