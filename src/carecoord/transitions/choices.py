"""Value sets of transitions of care; FHIR R4 codes verbatim where FHIR has them."""

from django.db import models

from carecoord.checkins.choices import OutreachMethod


class EncounterStatus(models.TextChoices):
    """FHIR R4 Encounter.status."""

    PLANNED = "planned", "Planned"
    ARRIVED = "arrived", "Arrived"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in-progress", "In progress"
    ONLEAVE = "onleave", "On leave"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


class EncounterClass(models.TextChoices):
    """FHIR R4 Encounter.class (v3 ActEncounterCode), from HL7 v2 PV1-2 patient class."""

    INPATIENT = "IMP", "Inpatient"
    EMERGENCY = "EMER", "Emergency"
    OBSERVATION = "OBSENC", "Observation"
    AMBULATORY = "AMB", "Outpatient"
    PREADMISSION = "PRENC", "Pre-admission"


# HL7 v2 table 0004 patient class -> Encounter.class.
PATIENT_CLASS_TO_ENCOUNTER = {
    "I": EncounterClass.INPATIENT,
    "E": EncounterClass.EMERGENCY,
    "O": EncounterClass.AMBULATORY,
    "P": EncounterClass.PREADMISSION,
    "R": EncounterClass.AMBULATORY,
    "B": EncounterClass.AMBULATORY,
    "U": EncounterClass.INPATIENT,
}


class AdmissionType(models.TextChoices):
    """
    PV1-4 admission type, HL7 v2 table 0007 (the UB-04 priority of admission in practice); ../shared/STANDARDS.md
    section 3.3. Not the model field's choices: a stay keeps whatever code its feed sent.
    """

    ACCIDENT = "A", "Accident"
    ELECTIVE = "C", "Elective"
    EMERGENCY = "E", "Emergency"
    LABOR = "L", "Labor and delivery"
    NEWBORN = "N", "Newborn"
    ROUTINE = "R", "Routine"
    URGENT = "U", "Urgent"


def admission_type_label(code: str) -> str:
    """The admission type by name; a code outside table 0007 is shown as sent."""
    if not code:
        return ""
    return AdmissionType(code).label if code in AdmissionType.values else code


class DischargeDisposition(models.TextChoices):
    """
    Where the patient went, as NUBC UB-04 patient status codes (what PV1-36 carries in practice; HL7 table
    0112 is user-defined). ../shared/STANDARDS.md section 3.3.
    """

    HOME = "01", "Home or self-care"
    SHORT_TERM_HOSPITAL = "02", "Another short-term hospital"
    SNF = "03", "Skilled nursing facility"
    ICF = "04", "Intermediate care facility"
    OTHER_INSTITUTION = "05", "Another institution (cancer or children's hospital)"
    HOME_HEALTH = "06", "Home with home health care"
    LEFT_AMA = "07", "Left against medical advice"
    EXPIRED = "20", "Expired"
    COURT = "21", "Court or law enforcement"
    FEDERAL_HOSPITAL = "43", "Federal (VA) hospital"
    HOSPICE_HOME = "50", "Hospice at home"
    HOSPICE_FACILITY = "51", "Hospice facility"
    SWING_BED = "61", "Swing bed"
    IRF = "62", "Inpatient rehabilitation facility"
    LTCH = "63", "Long-term care hospital"
    MEDICAID_NF = "64", "Medicaid nursing facility"
    PSYCHIATRIC = "65", "Psychiatric hospital"
    CRITICAL_ACCESS = "66", "Critical access hospital"
    OTHER = "70", "Other"
    UNKNOWN = "", "Not given"


class EpisodeStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled (discharge cancelled)"


class Complexity(models.TextChoices):
    """Medical decision making, which sets the face-to-face deadline (TCM 99495 moderate / 99496 high)."""

    MODERATE = "moderate", "Moderate (visit within 14 days)"
    HIGH = "high", "High (visit within 7 days)"


class TransitionStep(models.TextChoices):
    CONTACT = "contact", "Interactive contact"
    MED_REC = "med_rec", "Medication reconciliation"
    VISIT = "visit", "Face-to-face visit"


# How an interactive contact may be made (TCM: by phone, electronically or in person; a letter is not interactive).
# The contact is kept as the outreach that reached the patient (checkins.OutreachAttempt), so these are its methods.
CONTACT_METHODS = (
    OutreachMethod.PHONE, OutreachMethod.HOME_VISIT, OutreachMethod.PORTAL, OutreachMethod.EMAIL, OutreachMethod.SMS,
)  # fmt: skip
