"""Enumerations of the community app: need categories, HSDS statuses, referral statuses and outcomes."""

from django.db import models


class Need(models.TextChoices):
    """
    Social-need categories, named by the SDOH Clinical Care IG's domain codes (SDOHCC-CodeSystemTemporaryCodes,
    ../shared/STANDARDS.md section 2.2). Screening results, directory categories and referrals share them.
    """

    FOOD_INSECURITY = "food-insecurity", "Food insecurity"
    HOUSING_INSTABILITY = "housing-instability", "Housing instability"
    HOMELESSNESS = "homelessness", "Homelessness"
    INADEQUATE_HOUSING = "inadequate-housing", "Inadequate housing"
    TRANSPORTATION_INSECURITY = "transportation-insecurity", "Transportation insecurity"
    UTILITY_INSECURITY = "utility-insecurity", "Utility insecurity"
    INTERPERSONAL_SAFETY = "intimate-partner-violence", "Interpersonal safety"
    FINANCIAL_INSECURITY = "financial-insecurity", "Financial insecurity"
    HEALTH_INSURANCE = "health-insurance-coverage-status", "Health insurance"
    EMPLOYMENT = "employment-status", "Employment"
    SOCIAL_CONNECTION = "social-connection", "Social connection"
    OTHER = "sdoh-category-unspecified", "Other"


class ServiceStatus(models.TextChoices):
    """HSDS 3.0 service.status."""

    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class LocationType(models.TextChoices):
    """HSDS 3.0 location.location_type."""

    PHYSICAL = "physical", "Physical"
    POSTAL = "postal", "Postal"
    VIRTUAL = "virtual", "Virtual"


class ReferralStatus(models.TextChoices):
    """A referral's life, after the SDOHCC Task For Referral Management statuses."""

    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_REFERRAL_STATUSES = (ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED)
CLOSED_REFERRAL_STATUSES = (ReferralStatus.DECLINED, ReferralStatus.COMPLETED, ReferralStatus.CANCELLED)


class ReferralOutcome(models.TextChoices):
    """How a closed referral ended for the patient."""

    SERVICE_PROVIDED = "service-provided", "Service provided"
    PARTLY_PROVIDED = "partly-provided", "Service partly provided"
    NOT_ELIGIBLE = "not-eligible", "Patient not eligible"
    NO_CAPACITY = "no-capacity", "No capacity"
    UNABLE_TO_CONTACT = "unable-to-contact", "Could not reach the patient"
    PATIENT_DECLINED = "patient-declined", "Patient declined the service"
    OTHER = "other", "Other"


class InsuranceStatus(models.TextChoices):
    """What the benefits pre-screen asks about current coverage."""

    UNINSURED = "uninsured", "Uninsured"
    MEDICAID = "medicaid", "Medicaid or CHIP"
    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare-advantage", "Medicare Advantage"
    EMPLOYER = "employer", "Employer or union plan"
    MARKETPLACE = "marketplace", "Marketplace (ACA) or other individual plan"
    UNDERINSURED = "underinsured", "Insured, but costs are a problem (underinsured)"


class BenefitProgram(models.TextChoices):
    """Programs the benefits pre-screen knows; the keys of the organization's threshold table."""

    MEDICAID_ADULT = "medicaid-adult", "Medicaid (adults 19-64)"
    MEDICAID_CHILD = "medicaid-child", "Medicaid for children"
    CHIP = "chip", "CHIP (Children's Health Insurance Program)"
    MEDICAID_AGED_DISABLED = "medicaid-aged-disabled", "Medicaid for older or disabled adults"
    MSP_QMB = "msp-qmb", "Medicare Savings Program: QMB"
    MSP_SLMB = "msp-slmb", "Medicare Savings Program: SLMB"
    MSP_QI = "msp-qi", "Medicare Savings Program: QI"
    EXTRA_HELP = "extra-help", "Extra Help (Medicare Part D Low-Income Subsidy)"
    ACA_PTC = "aca-ptc", "ACA premium tax credit"
    SNAP = "snap", "SNAP (food assistance)"
    LIHEAP = "liheap", "LIHEAP (energy assistance)"
    CHARITY_FREE = "charity-free", "Hospital charity care: free care"
    CHARITY_DISCOUNT = "charity-discount", "Hospital charity care: discounted care"
