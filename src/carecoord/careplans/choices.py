"""Value sets of care plans, goals and tasks: FHIR R4 codes verbatim (hl7.org/fhir/R4, valueset-*)."""

from django.db import models

from carecoord.core.choices import CLINICAL_ROLES, Role

# Roles a task may go to: the ones that work with patients (an auditor reads the audit log, never owns care work).
TASK_OWNER_ROLES = tuple(value for value, _ in Role.choices if value in CLINICAL_ROLES)
TASK_OWNER_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in TASK_OWNER_ROLES]


class CarePlanStatus(models.TextChoices):
    """FHIR R4 RequestStatus (CarePlan.status)."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    REVOKED = "revoked", "Revoked"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


class CarePlanIntent(models.TextChoices):
    """FHIR R4 CarePlan.intent."""

    PROPOSAL = "proposal", "Proposal"
    PLAN = "plan", "Plan"
    ORDER = "order", "Order"
    OPTION = "option", "Option"


class CarePlanCategory(models.TextChoices):
    CHRONIC = "chronic", "Chronic condition management"
    POST_DISCHARGE = "post_discharge", "Post-discharge transition"
    NURSING_HOME = "nursing_home", "Nursing-home admission"
    PEDIATRIC_SCHOOL = "pediatric_school", "Pediatric / school readiness"
    REHABILITATION = "rehabilitation", "Rehabilitation therapy"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    OTHER = "other", "Other"


class GoalLifecycleStatus(models.TextChoices):
    """FHIR R4 Goal.lifecycleStatus."""

    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    ACCEPTED = "accepted", "Accepted"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    REJECTED = "rejected", "Rejected"


class GoalAchievementStatus(models.TextChoices):
    """FHIR R4 Goal.achievementStatus."""

    IN_PROGRESS = "in-progress", "In progress"
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    NO_CHANGE = "no-change", "No change"
    ACHIEVED = "achieved", "Achieved"
    SUSTAINING = "sustaining", "Sustaining"
    NOT_ACHIEVED = "not-achieved", "Not achieved"
    NO_PROGRESS = "no-progress", "No progress"
    NOT_ATTAINABLE = "not-attainable", "Not attainable"


class TargetComparator(models.TextChoices):
    BELOW = "<", "below"
    AT_MOST = "<=", "at most"
    ABOVE = ">", "above"
    AT_LEAST = ">=", "at least"
    BETWEEN = "between", "between"


class TaskStatus(models.TextChoices):
    """FHIR R4 TaskStatus (12 codes)."""

    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    READY = "ready", "Ready"
    CANCELLED = "cancelled", "Cancelled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


OPEN_TASK_STATUSES = frozenset(
    {
        TaskStatus.REQUESTED,
        TaskStatus.RECEIVED,
        TaskStatus.ACCEPTED,
        TaskStatus.READY,
        TaskStatus.IN_PROGRESS,
        TaskStatus.ON_HOLD,
    }
)


class TaskPriority(models.TextChoices):
    """FHIR R4 request-priority, in increasing urgency."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "ASAP"
    STAT = "stat", "STAT"


HIGH_PRIORITIES = frozenset({TaskPriority.URGENT, TaskPriority.ASAP, TaskPriority.STAT})


class TaskKind(models.TextChoices):
    CALL = "call", "Call"
    VISIT = "visit", "Visit"
    EDUCATION = "education", "Education"
    REFERRAL = "referral", "Referral"
    SCHEDULE = "schedule", "Appointment to schedule"
    MEDICATION_REVIEW = "medication_review", "Medication review"
    PAPERWORK = "paperwork", "Paperwork"
    CHECK_IN = "check_in", "Check-in"
    ESCALATION = "escalation", "Escalation"
    OTHER = "other", "Other"


class TaskSource(models.TextChoices):
    """Which capability put the task on the worklist."""

    MANUAL = "manual", "Added by hand"
    CAREPLAN = "careplan", "Care plan"
    ESCALATION = "escalation", "Escalation"
    SCHEDULING = "scheduling", "Scheduling"
    CHECKINS = "checkins", "Check-ins"
    TRANSITIONS = "transitions", "Transitions of care"
    EDUCATION = "education", "Education"
    MEDICATIONS = "medications", "Medications"
    COVERAGE = "coverage", "Insurance"
    COMMUNITY = "community", "Community resources"


class RecurrenceFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
