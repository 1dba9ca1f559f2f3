"""Value sets of check-ins; FHIR codes verbatim where FHIR has them."""

from django.db import models


class OutreachMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    HOME_VISIT = "home_visit", "Home visit"
    PORTAL = "portal", "Portal message"
    LETTER = "letter", "Letter"


class OutreachOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    VOICEMAIL = "voicemail", "Left voicemail"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    DECLINED = "declined", "Declined"


# Outcomes that count toward escalation: the patient was not reached. "Declined" reached the patient.
FAILED_OUTCOMES = (OutreachOutcome.VOICEMAIL, OutreachOutcome.NO_ANSWER, OutreachOutcome.WRONG_NUMBER)


class EscalationAction(models.TextChoices):
    LETTER = "letter", "Send a letter"
    EMERGENCY_CONTACT = "emergency_contact", "Contact the emergency contact"
    SUPERVISOR = "supervisor", "Tell the supervisor"


class NoteStatus(models.TextChoices):
    """A subset of FHIR R4 composition-status: preliminary while drafted, final once signed."""

    DRAFT = "preliminary", "Draft"
    SIGNED = "final", "Signed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class NoteTemplateKey(models.TextChoices):
    PHONE_CHECKIN = "phone_checkin", "Phone check-in"
    HOME_VISIT = "home_visit", "Home visit"
    CARE_CONFERENCE = "care_conference", "Care conference"
    CASE_REVIEW = "case_review", "Case review"


class Adherence(models.TextChoices):
    NOT_ASKED = "", "Not discussed"
    TAKING = "taking", "Taking as prescribed"
    MISSED_SOME = "missed_some", "Missed some doses"
    NOT_TAKING = "not_taking", "Not taking"
    UNKNOWN = "unknown", "Unknown"


class Barrier(models.TextChoices):
    TRANSPORT = "transport", "Transportation"
    COST = "cost", "Cost"
    LANGUAGE = "language", "Language"
    HOUSING = "housing", "Housing"
    FOOD = "food", "Food"
    HEALTH_LITERACY = "literacy", "Health literacy"
    CAREGIVER = "caregiver", "Caregiver support"
    OTHER = "other", "Other"


class ActivityType(models.TextChoices):
    """What care-management time was spent on."""

    CALL = "call", "Call with patient or family"
    VISIT = "visit", "Visit"
    CARE_PLANNING = "care_planning", "Care planning"
    MEDICATION = "medication", "Medication management"
    COORDINATION = "coordination", "Coordination with providers"
    EDUCATION = "education", "Education"
    RESOURCES = "resources", "Community resources"
    ASSESSMENT = "assessment", "Assessment"
    DOCUMENTATION = "documentation", "Documentation"


class TimeKind(models.TextChoices):
    """Whose time it is under the CMS care-management codes (clinical staff vs physician/QHP)."""

    STAFF = "staff", "Clinical staff"
    PHYSICIAN = "physician", "Physician or qualified professional"


class TimeSource(models.TextChoices):
    TIMER = "timer", "Timer"
    MANUAL = "manual", "Entered by hand"


class CareProgram(models.TextChoices):
    CCM = "ccm", "Chronic care management"
    COMPLEX_CCM = "complex_ccm", "Complex chronic care management"
    PCM = "pcm", "Principal care management"


class TherapyDiscipline(models.TextChoices):
    PT = "PT", "Physical therapy"
    OT = "OT", "Occupational therapy"
    SLP = "SLP", "Speech-language pathology"
