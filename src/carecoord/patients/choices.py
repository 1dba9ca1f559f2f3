"""Value sets of the patient registry, mirroring FHIR R4 and US Core where they exist."""

from django.db import models


class AdministrativeGender(models.TextChoices):
    """FHIR R4 Patient.gender (administrative-gender)."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class BirthSex(models.TextChoices):
    """US Core birth sex (HL7 v3 AdministrativeGender + NullFlavor UNK)."""

    F = "F", "Female"
    M = "M", "Male"
    UNK = "UNK", "Unknown"


class GenderIdentity(models.TextChoices):
    """US Core gender identity (SNOMED CT / NullFlavor codes)."""

    UNSET = "", "Not recorded"
    WOMAN = "446141000124107", "Identifies as female gender"
    MAN = "446151000124109", "Identifies as male gender"
    NONBINARY = "33791000087105", "Identifies as nonbinary gender"
    TRANS_FEMALE = "407376001", "Transgender female"
    TRANS_MALE = "407377005", "Transgender male"
    OTHER = "OTH", "Other"
    ASKED_DECLINED = "ASKU", "Asked but declined"


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    WORK = "work", "Work"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "Email"
    MAIL = "mail", "Mail"
    IN_PERSON = "in_person", "In person"


LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("vi", "Vietnamese"),
    ("tl", "Tagalog"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("ht", "Haitian Creole"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("pt", "Portuguese"),
    ("de", "German"),
    ("hi", "Hindi"),
    ("pl", "Polish"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("fa", "Persian"),
    ("so", "Somali"),
    ("am", "Amharic"),
    ("ase", "American Sign Language"),
]
LANGUAGE_NAMES = dict(LANGUAGES)


class IdentifierType(models.TextChoices):
    """HL7 v2 table 0203 identifier types (the ones a coordinator meets)."""

    MR = "MR", "Medical record number"
    MB = "MB", "Member number (insurance)"
    MA = "MA", "Medicaid number"
    MC = "MC", "Medicare beneficiary identifier"
    DL = "DL", "Driver's license"
    PI = "PI", "Patient internal identifier"
    OTHER = "OTHER", "Other"


class Relationship(models.TextChoices):
    """HL7 v3 RoleCode personal relationships (FHIR RelatedPerson.relationship)."""

    SPS = "SPS", "Spouse"
    DOMPART = "DOMPART", "Domestic partner"
    MTH = "MTH", "Mother"
    FTH = "FTH", "Father"
    DAU = "DAUC", "Daughter"
    SON = "SONC", "Son"
    SIB = "SIB", "Sibling"
    GRNDCHILD = "GRNDCHILD", "Grandchild"
    GRPRN = "GRPRN", "Grandparent"
    GUARD = "GUARD", "Legal guardian"
    FRND = "FRND", "Friend"
    NBOR = "NBOR", "Neighbor"
    CAREGIVER = "CAREGIVER", "Paid caregiver"
    OTHER = "O", "Other"


class CareTeamRole(models.TextChoices):
    COORDINATOR = "coordinator", "Care coordinator"
    PRIMARY_CARE = "primary_care", "Primary care provider"
    SPECIALIST = "specialist", "Specialist"
    NURSE = "nurse", "Nurse"
    SOCIAL_WORKER = "social_worker", "Social worker"
    THERAPIST = "therapist", "Therapist (PT/OT/speech)"
    PHARMACIST = "pharmacist", "Pharmacist"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    CAREGIVER = "caregiver", "Family caregiver"
    PROXY = "proxy", "Health care proxy"
    OTHER = "other", "Other"


class ConditionClinicalStatus(models.TextChoices):
    """FHIR R4 Condition.clinicalStatus."""

    ACTIVE = "active", "Active"
    RECURRENCE = "recurrence", "Recurrence"
    RELAPSE = "relapse", "Relapse"
    INACTIVE = "inactive", "Inactive"
    REMISSION = "remission", "Remission"
    RESOLVED = "resolved", "Resolved"


# A problem no longer active: FHIR R4 Condition invariant con-4, an abatement date goes only with these statuses.
ENDED_CONDITION_STATUSES = frozenset(
    {ConditionClinicalStatus.INACTIVE, ConditionClinicalStatus.REMISSION, ConditionClinicalStatus.RESOLVED}
)


class ConditionVerificationStatus(models.TextChoices):
    """FHIR R4 Condition.verificationStatus."""

    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    PROVISIONAL = "provisional", "Provisional"
    DIFFERENTIAL = "differential", "Differential"
    CONFIRMED = "confirmed", "Confirmed"
    REFUTED = "refuted", "Refuted"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class ConditionCategory(models.TextChoices):
    PROBLEM_LIST = "problem-list-item", "Problem list item"
    ENCOUNTER_DIAGNOSIS = "encounter-diagnosis", "Encounter diagnosis"
    HEALTH_CONCERN = "health-concern", "Health concern"


class CodeSystem(models.TextChoices):
    ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM"
    SNOMED = "http://snomed.info/sct", "SNOMED CT"


class ConsentStatus(models.TextChoices):
    """FHIR R4 Consent.status."""

    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Rejected"
    INACTIVE = "inactive", "Inactive"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class ConsentScope(models.TextChoices):
    """FHIR R4 Consent.scope."""

    PATIENT_PRIVACY = "patient-privacy", "Privacy consent (share information)"
    TREATMENT = "treatment", "Treatment"
    ADR = "adr", "Advance directive"
    RESEARCH = "research", "Research"
