"""
The patient registry: patients and their identifiers, family and caregivers, consents and the shares they
allow, care teams and problem lists. Every row carries its home `organization` (the tenant).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Q

from carecoord.core.choices import US_STATES
from carecoord.core.links import public_id_url
from carecoord.core.models import BaseModel, Organization
from carecoord.directory.models import Practitioner

from .choices import (
    LANGUAGE_NAMES,
    LANGUAGES,
    AdministrativeGender,
    BirthSex,
    CareTeamRole,
    CodeSystem,
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionVerificationStatus,
    ConsentScope,
    ConsentStatus,
    ContactMethod,
    GenderIdentity,
    IdentifierType,
    PhoneKind,
    Relationship,
)


class SortGivenName(Func):
    """
    The folded given name inside `sort_name` (domain.sort_name): the text after its first space, since the
    family name's words there are joined by '-'. Orders by given name as `sort_name` orders by family name,
    and an index on it serves that order. The space is written into the SQL, not passed as a parameter, so a
    query's ORDER BY is the very expression of the index (SQLite matches index expressions textually).
    """

    arity = 1
    output_field = models.CharField()
    template = "SUBSTR(%(expressions)s, INSTR(%(expressions)s, ' ') + 1)"

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "SUBSTR(%(expressions)s, STRPOS(%(expressions)s, ' ') + 1)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class Patient(BaseModel):
    """A person whose care is coordinated; belongs to one home organization, shared with others by consent."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=40)
    given_name = models.CharField("legal first name", max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    gender = models.CharField(
        "administrative sex", max_length=10, choices=AdministrativeGender.choices, default="unknown"
    )
    sex_at_birth = models.CharField(max_length=3, choices=BirthSex.choices, default=BirthSex.UNK)
    gender_identity = models.CharField(max_length=20, choices=GenderIdentity.choices, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    phone_primary = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +13125550100.")
    phone_primary_kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    phone_secondary = models.CharField(max_length=20, blank=True)
    phone_secondary_kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.HOME)
    email = models.EmailField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, choices=US_STATES, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    preferred_language = models.CharField(max_length=10, choices=LANGUAGES, default="en")
    interpreter_needed = models.BooleanField(default=False)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    best_time_to_contact = models.CharField(max_length=100, blank=True)
    consent_sms = models.BooleanField("consents to text messages", default=False)
    consent_email = models.BooleanField("consents to email", default=False)
    chart_alert = models.CharField(
        max_length=200, blank=True, help_text="Shown in the chart banner, e.g. 'Hard of hearing — call mobile'."
    )
    deceased_date = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    # Set when the record is "deleted" (records.services.patient_soft_delete): hidden everywhere by
    # patients_visible_to, kept for the audit trail and restorable until the retention job purges it.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    restricted = models.BooleanField(
        "restricted record",
        default=False,
        help_text="Only the care team sees this patient in the home organization; others need break-glass.",
    )
    # Lower-cased, accent-free name words, space-separated and space-padded, for prefix search in any order.
    search_name = models.CharField(max_length=400, editable=False, db_index=True)
    # Folded "family given" (patients.domain.sort_name) that lists are ordered by: binary comparison (SQLite,
    # a C collation) would put capitals before lower case and "Álvarez" after "Zavala".
    sort_name = models.CharField(max_length=400, editable=False)

    class Meta:
        ordering = ["sort_name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique_per_org")]
        indexes = [
            models.Index(fields=["organization", "sort_name", "id"], name="patient_org_sort"),
            models.Index(F("organization"), SortGivenName("sort_name"), F("id"), name="patient_org_given_sort"),
            models.Index(fields=["organization", "birth_date"], name="patient_org_dob"),
            models.Index(fields=["phone_primary"], name="patient_phone1"),
            models.Index(fields=["phone_secondary"], name="patient_phone2"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return public_id_url("patients:chart", self.public_id)

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.given_name:
            return f"{self.family_name}, {self.given_name} “{self.preferred_name}”"
        return f"{self.family_name}, {self.given_name}"

    @property
    def full_legal_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.middle_name, self.family_name) if part)

    def age_on(self, day: dt.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.preferred_language, self.preferred_language)


class PatientIdentifier(BaseModel):
    """Another identifier of the patient: an insurance member id, a Medicaid number, another system's MRN."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    type = models.CharField(max_length=10, choices=IdentifierType.choices)
    system = models.CharField(max_length=200, help_text="Who issued it (a URI or the issuer's name).")
    value = models.CharField(max_length=80)

    class Meta:
        ordering = ["type", "system"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "system", "value"], name="identifier_unique_per_org_system")
        ]
        indexes = [models.Index(fields=["organization", "value"], name="identifier_org_value")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.value}"


class RelatedPerson(BaseModel):
    """A family member, caregiver or proxy, with what they are allowed to do for the patient."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="related_persons")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    preferred_language = models.CharField(max_length=10, choices=LANGUAGES, default="en")
    is_emergency_contact = models.BooleanField(default=False)
    may_receive_information = models.BooleanField(
        default=False, help_text="The patient allows us to discuss their care with this person."
    )
    is_health_care_proxy = models.BooleanField(default=False)
    portal_access = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_health_care_proxy", "family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.get_relationship_display()})"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Consent(BaseModel):
    """A patient's recorded consent (FHIR Consent), e.g. to share their record with another organization."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(max_length=20, choices=ConsentScope.choices, default=ConsentScope.PATIENT_PRIVACY)
    status = models.CharField(max_length=20, choices=ConsentStatus.choices, default=ConsentStatus.ACTIVE)
    grantee = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organization the patient agrees to share with.",
    )
    signed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    signed_by = models.CharField(max_length=200, help_text="The patient or their proxy, by name.")
    method = models.CharField(max_length=100, help_text="How it was given: signed form, verbal, portal.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-signed_on"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.get_status_display()})"


class PatientShare(BaseModel):
    """Access another organization has to a patient, granted under a consent and revocable at once."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="shares")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="shared_patients")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="shares")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "organization"], condition=Q(revoked_at__isnull=True), name="share_one_active"
            )
        ]
        indexes = [models.Index(fields=["organization", "revoked_at"], name="share_org_active")]

    def __str__(self) -> str:
        return f"shared with {self.organization}"


class CareTeamMember(BaseModel):
    """One member of a patient's care team: a user, a directory practitioner, or a family member."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    role = models.CharField(max_length=20, choices=CareTeamRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="care_teams"
    )
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="care_teams"
    )
    related_person = models.ForeignKey(
        RelatedPerson, null=True, blank=True, on_delete=models.CASCADE, related_name="care_teams"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["role", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, practitioner__isnull=True, related_person__isnull=True)
                    | Q(user__isnull=True, practitioner__isnull=False, related_person__isnull=True)
                    | Q(user__isnull=True, practitioner__isnull=True, related_person__isnull=False)
                ),
                name="careteam_exactly_one_member",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="careteam_period_order",
            ),
        ]
        indexes = [models.Index(fields=["user", "end_date"], name="careteam_user_active")]

    def __str__(self) -> str:
        return f"{self.member_name} ({self.get_role_display()})"

    @property
    def member(self):
        return self.user or self.practitioner or self.related_person

    @property
    def member_name(self) -> str:
        member = self.member
        return getattr(member, "display_name", None) or str(member)

    @property
    def member_kind(self) -> str:
        if self.user_id:
            return "Staff"
        if self.practitioner_id:
            return "Practitioner"
        return "Family"

    def is_current(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class Condition(BaseModel):
    """A problem-list entry coded in ICD-10-CM or SNOMED CT (FHIR Condition)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code_system = models.CharField(max_length=60, choices=CodeSystem.choices)
    code = models.CharField(max_length=20)
    display = models.CharField(max_length=300)
    category = models.CharField(
        max_length=30, choices=ConditionCategory.choices, default=ConditionCategory.PROBLEM_LIST
    )
    clinical_status = models.CharField(
        max_length=20, choices=ConditionClinicalStatus.choices, default=ConditionClinicalStatus.ACTIVE
    )
    verification_status = models.CharField(
        max_length=20, choices=ConditionVerificationStatus.choices, default=ConditionVerificationStatus.CONFIRMED
    )
    onset_date = models.DateField(null=True, blank=True)
    abatement_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["clinical_status", "-onset_date"]
        indexes = [models.Index(fields=["patient", "clinical_status"], name="condition_patient_status")]

    def __str__(self) -> str:
        return f"{self.display} ({self.code})"

    @property
    def code_system_name(self) -> str:
        return CodeSystem(self.code_system).label
