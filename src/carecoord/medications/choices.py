"""
Enumerations of medications: FHIR R4 MedicationStatement.status (verbatim), where a list came from, how
often a dose is taken, the SNOMED CT routes, and what a coordinator decides for each reconciled line.
"""

from django.db import models

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED_SYSTEM = "http://snomed.info/sct"


class StatementStatus(models.TextChoices):
    """FHIR R4 MedicationStatement.status (http://hl7.org/fhir/R4/valueset-medication-statement-status.html)."""

    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    INTENDED = "intended", "Intended"
    STOPPED = "stopped", "Stopped"
    ON_HOLD = "on-hold", "On hold"
    UNKNOWN = "unknown", "Unknown"
    NOT_TAKEN = "not-taken", "Not taken"


# Taken now or about to be: these count for duplicate therapy and for the patient's active codes.
IN_FORCE_STATUSES = frozenset({StatementStatus.ACTIVE, StatementStatus.INTENDED})


class ListSource(models.TextChoices):
    """Where a source list came from."""

    DISCHARGE = "discharge", "Hospital discharge list"
    MAR = "mar", "Nursing home MAR"
    PRESCRIBER = "prescriber", "Outside prescriber"
    PATIENT = "patient", "Patient report"
    PHARMACY = "pharmacy", "Pharmacy"
    EXTERNAL = "external", "Another system (FHIR)"


class ListKind(models.TextChoices):
    SOURCE = "source", "Source list"
    RECONCILED = "reconciled", "Reconciled list"


class Frequency(models.TextChoices):
    """A structured frequency next to the free text (the text says what the source wrote)."""

    DAILY = "daily", "Once daily"
    BID = "bid", "Twice daily (BID)"
    TID = "tid", "Three times daily (TID)"
    QID = "qid", "Four times daily (QID)"
    QHS = "qhs", "At bedtime"
    PRN = "prn", "As needed (PRN)"
    WEEKLY = "weekly", "Once weekly"
    OTHER = "other", "Other (see text)"


# FHIR Timing.repeat for each structured frequency: (frequency, period, periodUnit); PRN has none.
FREQUENCY_TIMING = {
    Frequency.DAILY: (1, 1, "d"),
    Frequency.BID: (2, 1, "d"),
    Frequency.TID: (3, 1, "d"),
    Frequency.QID: (4, 1, "d"),
    Frequency.QHS: (1, 1, "d"),
    Frequency.WEEKLY: (1, 1, "wk"),
}


class Route(models.TextChoices):
    """
    Routes of administration, SNOMED CT codes from the FHIR R4 SNOMEDCTRouteCodes value set
    (http://hl7.org/fhir/R4/valueset-route-codes.html).
    """

    ORAL = "26643006", "By mouth (oral)"
    SUBLINGUAL = "37839007", "Under the tongue (sublingual)"
    SUBCUTANEOUS = "34206005", "Subcutaneous injection"
    INTRAMUSCULAR = "78421000", "Intramuscular injection"
    INTRAVENOUS = "47625008", "Intravenous"
    TRANSDERMAL = "45890007", "Skin patch (transdermal)"
    TOPICAL = "6064005", "On the skin (topical)"
    INHALATION = "447694001", "Inhaled (respiratory tract)"
    NASAL = "46713006", "Nasal"
    OPHTHALMIC = "54485002", "Eye (ophthalmic)"
    OTIC = "10547007", "Ear (otic)"
    RECTAL = "37161004", "Rectal"
    VAGINAL = "16857009", "Vaginal"


class Action(models.TextChoices):
    """What the coordinator decides for one line of a reconciliation."""

    CONTINUE = "continue", "Continue"
    CHANGE = "change", "Change"
    STOP = "stop", "Stop"
    HOLD = "hold", "Hold"
    ASK = "ask", "Ask the prescriber"


# Decisions that are a prescriber's order, not a coordinator's call: who ordered them is recorded. Continue
# keeps a version already on a source list (whose prescriber is on file), and asking orders nothing.
ORDERED_ACTIONS = frozenset({Action.CHANGE, Action.STOP, Action.HOLD})


class ReconciliationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    DISCARDED = "discarded", "Discarded"
