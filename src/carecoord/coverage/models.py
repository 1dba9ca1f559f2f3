"""
Insurance records: the organization's payer directory, a patient's coverages in order, eligibility checks
(with the X12 270 sent and the 271 received), prior authorizations with the visits counted against them and
their appeals (with documents), and applications to funding programs.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.template.defaultfilters import pluralize
from django.urls import reverse

from carecoord.core import timefmt
from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import ExternalOrganization, Practitioner
from carecoord.patients.models import Patient

from .choices import (
    MAX_ORDER,
    ORDER_NAMES,
    AppealLevel,
    AppealStatus,
    ApplicationStatus,
    CoverageStatus,
    EligibilityMethod,
    EligibilityStatus,
    FundingProgram,
    PriorAuthEventKind,
    PriorAuthStatus,
    ProductType,
    SubscriberRelationship,
)
from .domain import DEFAULT_APPEAL_DAYS


class Payer(BaseModel):
    """
    An insurer or health plan in the organization's payer directory. It keeps what directory organizations
    lack (the X12 payer ID, the provider portal, the appeal deadline); `external_organization` links the
    directory's contact record, which is then the FHIR Organization a Coverage's payor refers to.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    payer_id = models.CharField(
        "payer ID", max_length=80, blank=True, help_text="The payer's electronic ID for X12 (e.g. CMS, 60054)."
    )
    phone = models.CharField(max_length=20, blank=True)
    fax = models.CharField(max_length=20, blank=True)
    portal_url = models.URLField("provider portal", blank=True)
    appeal_deadline_days = models.PositiveSmallIntegerField(
        default=DEFAULT_APPEAL_DAYS, help_text="Days from a denial to file an appeal, per this payer's rules."
    )
    external_organization = models.ForeignKey(
        ExternalOrganization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"], name="payer_org_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "payer_id"], condition=~Q(payer_id=""), name="payer_unique_payer_id"
            ),
            models.CheckConstraint(
                condition=Q(appeal_deadline_days__gte=1) & Q(appeal_deadline_days__lte=730),
                name="payer_appeal_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coverage(BaseModel):
    """One insurance of a patient; active coverages are ordered 1 (primary), 2 (secondary)... by the service."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="coverages")
    product_type = models.CharField(max_length=20, choices=ProductType.choices)
    plan_name = models.CharField(max_length=200, blank=True)
    member_id = models.CharField("member ID", max_length=80, blank=True)
    group_id = models.CharField("group number", max_length=80, blank=True)
    group_name = models.CharField(max_length=200, blank=True)
    relationship = models.CharField(
        "patient's relationship to the subscriber",
        max_length=10,
        choices=SubscriberRelationship.choices,
        default=SubscriberRelationship.SELF,
    )
    subscriber_given_name = models.CharField(max_length=100, blank=True)
    subscriber_family_name = models.CharField(max_length=100, blank=True)
    subscriber_birth_date = models.DateField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 primary, 2 secondary...")
    status = models.CharField(max_length=20, choices=CoverageStatus.choices, default=CoverageStatus.ACTIVE)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = [F("order").asc(nulls_last=True), "-start_date", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="coverage_patient_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "patient", "order"],
                condition=Q(status="active") & Q(order__isnull=False),
                name="coverage_one_per_order",
            ),
            models.CheckConstraint(
                condition=Q(order__isnull=True) | (Q(order__gte=1) & Q(order__lte=MAX_ORDER)),
                name="coverage_order_range",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(start_date__lte=F("end_date")),
                name="coverage_period",
            ),
        ]

    def __str__(self) -> str:
        name = self.payer.name if self.payer_id else self.get_product_type_display()
        return f"{name} {self.plan_name}".strip()

    @property
    def order_name(self) -> str:
        return ORDER_NAMES.get(self.order or 0, f"#{self.order}" if self.order else "")

    @property
    def subscriber_name(self) -> str:
        return f"{self.subscriber_given_name} {self.subscriber_family_name}".strip()


class EligibilityCheck(BaseModel):
    """
    One eligibility check of a coverage: by X12 (the 270 generated, the 271 uploaded and read) or by portal
    or phone, with the result in `benefits` (one fact per EB segment: kind, service types, amount...).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility_checks")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="eligibility_checks")
    method = models.CharField(max_length=10, choices=EligibilityMethod.choices)
    status = models.CharField(max_length=10, choices=EligibilityStatus.choices, default=EligibilityStatus.PENDING)
    service_types = models.JSONField(default=list, help_text="X12 service type codes asked about (30 = plan).")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    control_number = models.PositiveIntegerField(null=True, blank=True, help_text="ISA13 of the 270.")
    trace_number = models.CharField(max_length=50, blank=True, help_text="TRN02 of the 270, echoed by the 271.")
    request_x12 = models.TextField(blank=True)
    response_x12 = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    plan_name = models.CharField(max_length=200, blank=True, help_text="The plan the payer named.")
    benefits = models.JSONField(default=list, blank=True)
    rejections = models.JSONField(default=list, blank=True, help_text="AAA reasons the payer gave.")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["patient", "requested_at"], name="elig_patient_at")]

    def __str__(self) -> str:
        return f"Eligibility check: {self.get_status_display()}"


class PriorAuthorization(BaseModel):
    """A prior authorization request for a service and, once decided, what the payer approved or denied."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prior_authorizations")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="prior_authorizations")
    service = models.CharField(max_length=200, help_text="What is asked for, in words.")
    procedure_codes = models.JSONField(default=list, help_text="CPT or HCPCS codes.")
    diagnosis_codes = models.JSONField(default=list, help_text="ICD-10-CM codes.")
    provider = models.ForeignKey(Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    units_requested = models.PositiveIntegerField()
    units_approved = models.PositiveIntegerField(null=True, blank=True)
    units_used = models.PositiveIntegerField(default=0, help_text="Units of the visits recorded against it.")
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=20, choices=PriorAuthStatus.choices, default=PriorAuthStatus.DRAFT)
    reference_number = models.CharField("authorization number", max_length=80, blank=True)
    submitted_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    denial_reason = models.CharField(max_length=500, blank=True)
    appeal_deadline_days = models.PositiveSmallIntegerField(default=DEFAULT_APPEAL_DAYS)
    note = models.CharField(max_length=500, blank=True)
    follow_up_on = models.DateField(
        null=True, blank=True, help_text="When to call the payer next about an open request (from a follow-up)."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["patient", "start_date"], name="priorauth_patient_start"),
            models.Index(fields=["organization", "status", "end_date"], name="priorauth_org_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="priorauth_period"),
            models.CheckConstraint(condition=Q(units_requested__gte=1), name="priorauth_units_positive"),
            models.CheckConstraint(
                condition=Q(units_approved__isnull=True) | Q(units_approved__lte=F("units_requested")),
                name="priorauth_approved_within_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"Prior authorization: {self.service}"

    def get_absolute_url(self) -> str:
        return reverse("coverage:priorauth_detail", args=[self.public_id])


class PriorAuthVisit(BaseModel):
    """A visit delivered under an authorization, and the units it used."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="visits")
    service_date = models.DateField()
    units = models.PositiveSmallIntegerField(default=1)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voided = models.BooleanField(default=False, help_text="Recorded in error; no longer counted.")

    class Meta:
        ordering = ["-service_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(units__gte=1), name="priorauthvisit_units_positive")]

    def __str__(self) -> str:
        return f"{self.units} unit{pluralize(self.units)} on {timefmt.day(self.service_date)}"


class PriorAuthEvent(BaseModel):
    """
    One entry of a prior authorization's history, by whom and when: a status change, decision details edited
    after the fact (`changes`: field -> [before, after]), a decision corrected (`note` is the reason), or a
    follow-up with the payer (`note`, the payer's call reference and contact, the next follow-up date).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=PriorAuthEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=2000, blank=True)
    payer_reference = models.CharField(max_length=80, blank=True)
    contact_name = models.CharField(max_length=120, blank=True)
    follow_up_on = models.DateField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.from_status or '-'} -> {self.to_status or '-'})"

    @property
    def from_status_label(self) -> str:
        return _auth_status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return _auth_status_label(self.to_status)


def _auth_status_label(value: str) -> str:
    return PriorAuthStatus(value).label if value in PriorAuthStatus.values else value


class Appeal(BaseModel):
    """An appeal of a denied authorization at one level, filed by the deadline counted from the denial."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="appeals")
    level = models.PositiveSmallIntegerField(choices=AppealLevel.choices)
    status = models.CharField(max_length=24, choices=AppealStatus.choices, default=AppealStatus.PREPARING)
    filing_deadline = models.DateField()
    filed_on = models.DateField(null=True, blank=True)
    decision_due = models.DateField(
        null=True, blank=True, help_text="The date the payer must decide by, from its acknowledgement letter"
    )
    outcome_on = models.DateField(null=True, blank=True)
    outcome_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["authorization", "level"], name="appeal_one_per_level"),
        ]

    def __str__(self) -> str:
        return self.get_level_display()


class AppealDocument(BaseModel):
    """
    A document sent with an appeal (a PDF or an image), kept in the database so an upload is written with
    its record in one transaction; its type is checked from its first bytes, not from its name.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=200)
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class FundingApplication(BaseModel):
    """An application to a funding or benefit program, its renewal date; its documents are ApplicationDocument."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="funding_applications")
    program = models.CharField(max_length=20, choices=FundingProgram.choices)
    program_name = models.CharField(max_length=200, help_text="The program as the patient knows it.")
    status = models.CharField(max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.PREPARING)
    submitted_on = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    reference_number = models.CharField(max_length=80, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "status"], name="fundapp_patient_status"),
            models.Index(fields=["organization", "renewal_date"], name="fundapp_org_renewal"),
        ]

    def __str__(self) -> str:
        return self.program_name

    def get_absolute_url(self) -> str:
        return reverse("coverage:application_detail", args=[self.public_id])


class ApplicationDocument(BaseModel):
    """
    A document a funding application needs (proof of income, photo ID...): missing until a coordinator marks it
    received, which records who and when; "not received" undoes the mark.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(FundingApplication, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=120)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="appdoc_unique_name"),
            models.CheckConstraint(
                condition=Q(received_at__isnull=True, received_by__isnull=True) | Q(received_at__isnull=False),
                name="appdoc_received_by_needs_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def received(self) -> bool:
        return self.received_at is not None
