"""
The organization's directory: practitioners (with NPI), external organizations it works with, and
locations. Each organization keeps its own directory; entries may describe people and places outside it.
"""

from django.db import models
from django.urls import reverse

from carecoord.core.models import BaseModel, Organization


class ExternalOrganizationKind(models.TextChoices):
    HOSPITAL = "hospital", "Hospital"
    CLINIC = "clinic", "Clinic / practice"
    NURSING_HOME = "nursing_home", "Nursing home / SNF"
    HOME_HEALTH = "home_health", "Home health agency"
    THERAPY = "therapy", "Therapy facility"
    PHARMACY = "pharmacy", "Pharmacy"
    LABORATORY = "laboratory", "Laboratory"
    PAYER = "payer", "Insurer / health plan"
    COMMUNITY = "community", "Community organization"
    GOVERNMENT = "government", "Government agency"
    OTHER = "other", "Other"


class ExternalOrganization(BaseModel):
    """An organization the coordinators work with (a hospital, a practice, a payer, a pharmacy...)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ExternalOrganizationKind.choices)
    npi = models.CharField("NPI", max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    fax = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"], name="extorg_org_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organization_detail", args=[self.public_id])


class Practitioner(BaseModel):
    """A clinician in the directory, identified by NPI, possibly working for another organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    npi = models.CharField("NPI", max_length=10, blank=True)
    prefix = models.CharField(max_length=20, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    suffix = models.CharField(max_length=40, blank=True, help_text="Credentials, e.g. MD, NP, PT.")
    specialty_code = models.CharField(max_length=10, blank=True, help_text="NUCC provider taxonomy code.")
    specialty_display = models.CharField(max_length=200, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="BCP-47 codes, e.g. en, es.")
    accepting_new_patients = models.BooleanField(default=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    external_organization = models.ForeignKey(
        ExternalOrganization, null=True, blank=True, on_delete=models.SET_NULL, related_name="practitioners"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["organization", "family_name"], name="practitioner_org_family")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "npi"],
                condition=~models.Q(npi=""),
                name="practitioner_npi_unique_per_org",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}"
        return f"{name}, {self.suffix}" if self.suffix else name

    def get_absolute_url(self) -> str:
        return reverse("directory:practitioner_detail", args=[self.public_id])


class Location(BaseModel):
    """A place care happens: the organization's own sites or an external organization's."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    external_organization = models.ForeignKey(
        ExternalOrganization, null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    name = models.CharField(max_length=200)
    address_line = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=20, blank=True)
    hours = models.JSONField(
        default=dict,
        blank=True,
        help_text='Opening hours by weekday: {"mon": [["08:00", "17:00"]], ...}.',
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"], name="location_org_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:location_detail", args=[self.public_id])
