"""Value sets of insurance work; FHIR and X12 codes verbatim where they have them."""

from django.db import models


class ProductType(models.TextChoices):
    """What kind of coverage a plan is; each maps to a Source of Payment Typology code (FHIR Coverage.type)."""

    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    CHIP = "chip", "CHIP"
    COMMERCIAL = "commercial", "Commercial"
    MARKETPLACE = "marketplace", "Marketplace (ACA)"
    VA = "va", "VA"
    SELF_PAY = "self_pay", "Self-pay"


class CoverageStatus(models.TextChoices):
    """FHIR R4 fm-status (Coverage.status)."""

    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Ended"
    DRAFT = "draft", "Draft"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class SubscriberRelationship(models.TextChoices):
    """FHIR subscriber-relationship codes (http://terminology.hl7.org/CodeSystem/subscriber-relationship)."""

    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    PARENT = "parent", "Parent"
    COMMON = "common", "Common law spouse"
    INJURED = "injured", "Injured party"
    OTHER = "other", "Other"


# The order words coordinators use for the first three coverages.
ORDER_NAMES = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
MAX_ORDER = 9


class EligibilityMethod(models.TextChoices):
    X12 = "x12", "X12 270/271"
    PORTAL = "portal", "Payer portal"
    PHONE = "phone", "Phone call"


class EligibilityStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the response"
    ACTIVE = "active", "Active coverage"
    INACTIVE = "inactive", "Inactive"
    REJECTED = "rejected", "Rejected by the payer"


class PriorAuthStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    PENDED = "pended", "Pended"
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired"


# Authorizations that allow services to be delivered (and so count units and can expire).
APPROVED_STATUSES = (PriorAuthStatus.APPROVED, PriorAuthStatus.PARTIALLY_APPROVED)


class PriorAuthEventKind(models.TextChoices):
    STATUS = "status", "Status changed"
    DETAILS = "details", "Decision details edited"
    CORRECTION = "correction", "Decision corrected"
    FOLLOW_UP = "follow_up", "Follow-up with the payer"


class AppealLevel(models.IntegerChoices):
    FIRST = 1, "First-level appeal"
    SECOND = 2, "Second-level appeal"
    EXTERNAL = 3, "External review"


class AppealStatus(models.TextChoices):
    PREPARING = "preparing", "Preparing"
    FILED = "filed", "Filed"
    UPHELD = "upheld", "Denial upheld"
    OVERTURNED = "overturned", "Overturned (approved)"
    PARTIALLY_OVERTURNED = "partially_overturned", "Partially overturned"
    WITHDRAWN = "withdrawn", "Withdrawn"


APPEAL_OUTCOMES = (
    AppealStatus.UPHELD,
    AppealStatus.OVERTURNED,
    AppealStatus.PARTIALLY_OVERTURNED,
    AppealStatus.WITHDRAWN,
)


class FundingProgram(models.TextChoices):
    """
    Programs an application is tracked for. Every program the benefits pre-screen can suggest has one here
    (community.domain.APPLICATION_PROGRAMS maps them, and a test keeps the map complete); WIC and TANF are
    applied for though the pre-screen does not screen them (no income rule of ours for them yet).
    """

    MEDICAID = "medicaid", "Medicaid"
    CHIP = "chip", "CHIP"
    MSP = "msp", "Medicare Savings Program"
    EXTRA_HELP = "extra_help", "Extra Help (Part D LIS)"
    MARKETPLACE = "marketplace", "Marketplace premium tax credit"
    CHARITY_CARE = "charity_care", "Hospital financial assistance (charity care)"
    PHARMA_ASSISTANCE = "pharma_assistance", "Drug manufacturer assistance"
    SNAP = "snap", "SNAP (food assistance)"
    LIHEAP = "liheap", "LIHEAP (energy assistance)"
    WIC = "wic", "WIC (nutrition for women, infants and children)"
    TANF = "tanf", "TANF (cash assistance)"
    OTHER = "other", "Other program"


class ApplicationStatus(models.TextChoices):
    PREPARING = "preparing", "Preparing"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_APPLICATION_STATUSES = (ApplicationStatus.PREPARING, ApplicationStatus.SUBMITTED)
