"""Enumerations shared across CareCoord: organization kinds, roles, US states."""

from django.db import models


class OrganizationKind(models.TextChoices):
    CLINIC = "clinic", "Clinic"
    HOSPITAL = "hospital", "Hospital"
    NURSING_HOME = "nursing_home", "Nursing home"
    COMMUNITY_HEALTH_CENTER = "community_health_center", "Community health center"
    THERAPY_FACILITY = "therapy_facility", "Physical/occupational therapy facility"
    COORDINATION_ORGANIZATION = "coordination_organization", "Third-party care-coordination organization"
    GOVERNMENT_PROGRAM = "government_program", "Government program"


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    PROVIDER = "provider", "Provider"
    SUPERVISOR = "supervisor", "Supervisor"
    SCHEDULER = "scheduler", "Scheduler"
    ORG_ADMIN = "org_admin", "Organization admin"
    AUDITOR = "auditor", "Auditor"


# Roles that work with patient records (an auditor reads the audit log, not charts).
CLINICAL_ROLES = frozenset({Role.COORDINATOR, Role.PROVIDER, Role.SUPERVISOR, Role.SCHEDULER, Role.ORG_ADMIN})
PATIENT_WRITE_ROLES = frozenset({Role.COORDINATOR, Role.PROVIDER, Role.SUPERVISOR, Role.ORG_ADMIN})
# Registration data: registering a patient, their demographics and contact details, and their insurance
# coverage. The front desk (scheduler) records these at check-in and when booking; clinical data, the care
# team, consents and shares, prior authorizations and billing stay with PATIENT_WRITE_ROLES.
PATIENT_REGISTRATION_ROLES = PATIENT_WRITE_ROLES | {Role.SCHEDULER}
# Roles that read the organization's reports (care-management minutes, billing readiness).
REPORT_ROLES = frozenset({Role.COORDINATOR, Role.SUPERVISOR, Role.ORG_ADMIN})
# Roles that send a patient their record (right of access, 45 CFR 164.524).
RECORD_EXPORT_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN})

US_STATES = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"),
    ("VI", "U.S. Virgin Islands"),
]
US_STATE_CODES = frozenset(code for code, _ in US_STATES)


class AuditAction(models.TextChoices):
    """ASTM E2147 / FHIR AuditEvent.action codes."""

    CREATE = "C", "Create"
    READ = "R", "Read"
    UPDATE = "U", "Update"
    DELETE = "D", "Delete"
    EXECUTE = "E", "Execute"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"
