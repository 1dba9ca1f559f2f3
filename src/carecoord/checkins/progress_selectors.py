"""
Reads behind the chart's Progress tab and the billing-readiness report. Every query starts from
`patients_visible_to`; records another organization wrote are read only for its own patients. Measurements
are clinical results: roles that do not read them (the scheduler, `selectors.sees_clinical_results`) get none.

  measurements_for_patient / measurement_get     measurements (the latter: the actor's organization's only)
  goals_for_measurement                          a patient's active goals a kind of measurement counts toward
  time_entry_get / running_timer / time_entries_for_patient
  enrollment_in_force / patient_month_summary    one patient's month of care-management minutes
  billing_practitioners_for                      who may be an enrollment's billing practitioner
  billing_rows                                   the month's report: two aggregate queries for all patients
  therapy_plans_for_patient / therapy_plan_get
"""

import uuid
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum

from carecoord.careplans.choices import GoalLifecycleStatus
from carecoord.careplans.models import CarePlan, Goal
from carecoord.core.access import Actor
from carecoord.core.errors import NotFoundError
from carecoord.core.prepared import prepared_query
from carecoord.directory.models import Practitioner
from carecoord.directory.selectors import practitioners_for
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to, readable_writers_q

from .choices import TimeKind
from .domain import CARE_MANAGEMENT_BILLER_PREFIXES, Program, Readiness, month_bounds, month_days, month_readiness
from .measures import MEASURES
from .models import CareManagementEnrollment, Measurement, TherapyPlan, TimeEntry
from .selectors import sees_clinical_results

# Goal lifecycles a new measurement may count toward.
OPEN_GOAL_STATUSES = (GoalLifecycleStatus.ACTIVE, GoalLifecycleStatus.ACCEPTED, GoalLifecycleStatus.PLANNED)
SYSTOLIC_BP = "8480-6"
DIASTOLIC_BP = "8462-4"


def _key(public_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc


def _own_or_home(actor: Actor, patient: Patient) -> Q:
    """
    Records written by the actor's organization or by the patient's home organization: what the actor's work may
    attach to (reads follow `readable_writers_q`, which also gives the home organization its partners' records).
    """
    return Q(organization=actor.organization) | Q(organization=patient.organization_id)


# Measurements -----------------------------------------------------------------------------------------------


def measure_codes(kind: str) -> set[str]:
    """The LOINC codes a goal may name for a kind of measurement (blood pressure: panel, systolic, diastolic)."""
    codes = {MEASURES[kind].loinc}
    if kind == "bp":
        codes |= {SYSTOLIC_BP, DIASTOLIC_BP}
    return codes


def measurements_for_patient(actor: Actor, patient: Patient) -> QuerySet[Measurement]:
    """A patient's measurements, newest first, including those entered in error (the view marks them)."""
    if not sees_clinical_results(actor):
        return Measurement.objects.none()
    return (
        Measurement.objects.filter(patient=patient, patient__in=patients_visible_to(actor))
        .filter(readable_writers_q(actor, patient))
        .select_related("goal", "by")
        .order_by("-occurred_at", "-id")
    )


def measurement_get(actor: Actor, public_id) -> Measurement:
    """A measurement the actor's organization recorded, for a patient it may see; NotFoundError otherwise."""
    if not sees_clinical_results(actor):
        raise NotFoundError()
    measurement = (
        Measurement.objects.filter(
            public_id=_key(public_id), organization=actor.organization, patient__in=patients_visible_to(actor)
        )
        .select_related("patient", "goal")
        .first()
    )
    if measurement is None:
        raise NotFoundError()
    return measurement


def open_goals_for_patient(actor: Actor, patient: Patient) -> QuerySet[Goal]:
    """The patient's goals still pursued, on plans the actor may see."""
    return open_goals_of_checked_patient(actor, patient).filter(patient__in=patients_visible_to(actor))


def open_goals_of_checked_patient(actor: Actor, patient: Patient) -> QuerySet[Goal]:
    """
    `open_goals_for_patient` for a patient `patient_get` has just returned to this actor (in this transaction):
    the same goals, without the visibility subquery that check already passed.
    """
    return _open_goals_of(actor, patient.pk, patient.organization_id)


def _open_goals_of(actor: Actor, patient_pk: int, home_organization_id: int) -> QuerySet[Goal]:
    return (
        Goal.objects.filter(patient_id=patient_pk)
        .filter(Q(careplan__organization=actor.organization) | Q(careplan__organization_id=home_organization_id))
        .filter(lifecycle_status__in=OPEN_GOAL_STATUSES)
        .select_related("careplan")
        .order_by("due_date", "id")
    )


def goal_plan_titles(actor: Actor, patient: Patient, goal_ids) -> dict[str, str]:
    """
    The title of the care plan each of these goals (public ids, as a note's goal progress keeps them) belongs
    to, among the plans the actor may read (`readable_writers_q`); a goal since deleted or out of reach has none.
    """
    keys = [key for key in (_maybe_key(value) for value in goal_ids) if key is not None]
    if not keys:
        return {}
    goals = Goal.objects.filter(patient_id=patient.pk, public_id__in=keys).filter(
        readable_writers_q(actor, patient, writer="careplan__organization")
    )
    return {str(public_id): title for public_id, title in goals.values_list("public_id", "careplan__title")}


def _maybe_key(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# Keys no row has, standing where the patient and its home organization go in the compiled statement.
_PATIENT_SENTINEL, _HOME_SENTINEL = 7_345_987_123_456_001, 7_345_987_123_456_002


def open_goals_listed(actor: Actor, patient: Patient) -> list[Goal]:
    """
    `open_goals_of_checked_patient` as a list, its SQL compiled once per connection and organization
    (core.prepared): a measurement recorded on its own (a form, a FHIR create) looks its goals up this way, and
    building the query cost more than running it. Every call still reads the goals from the database.
    """
    statement = prepared_query(
        ("checkins.open_goals", actor.organization.pk),
        lambda: _open_goals_of(actor, _PATIENT_SENTINEL, _HOME_SENTINEL),
        {"patient": _PATIENT_SENTINEL, "home": _HOME_SENTINEL},
    )
    if statement is None:
        return list(open_goals_of_checked_patient(actor, patient))
    return statement.all(patient=patient.pk, home=patient.organization_id)


def goals_for_measurement(actor: Actor, patient: Patient, kind: str) -> QuerySet[Goal]:
    """The patient's open goals whose measure (LOINC) is what `kind` measures."""
    return open_goals_for_patient(actor, patient).filter(measure_code__in=measure_codes(kind))


# Time and enrollment ----------------------------------------------------------------------------------------


def time_entry_get(actor: Actor, public_id) -> TimeEntry:
    """A time entry of the actor's organization for a patient it may see; NotFoundError otherwise."""
    entry = (
        TimeEntry.objects.filter(
            public_id=_key(public_id), organization=actor.organization, patient__in=patients_visible_to(actor)
        )
        .select_related("patient", "user")
        .first()
    )
    if entry is None:
        raise NotFoundError()
    return entry


def running_timer(actor: Actor) -> TimeEntry | None:
    """The actor's running timer (at most one, by a database constraint), whatever the patient."""
    return (
        TimeEntry.objects.filter(user=actor.user, minutes__isnull=True, entered_in_error=False)
        .select_related("patient")
        .first()
    )


def time_entries_for_patient(actor: Actor, patient: Patient, year: int, month: int) -> QuerySet[TimeEntry]:
    """The actor's organization's time on a patient in a calendar month (in the organization's time zone)."""
    start, end = month_bounds(year, month, actor.organization.tz)
    return (
        TimeEntry.objects.filter(
            organization=actor.organization,
            patient=patient,
            patient__in=patients_visible_to(actor),
            started_at__gte=start,
            started_at__lt=end,
        )
        .select_related("user")
        .order_by("-started_at", "-id")
    )


def enrollments_in_month(actor: Actor, year: int, month: int) -> QuerySet[CareManagementEnrollment]:
    """The organization's enrollments in force on any day of the month, latest start first."""
    first, last = month_days(year, month)
    return (
        CareManagementEnrollment.objects.filter(organization=actor.organization, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .filter(patient__in=patients_visible_to(actor))
        .select_related("patient", "billing_practitioner")
        .order_by("-start_date", "-id")
    )


def enrollment_get(actor: Actor, public_id) -> CareManagementEnrollment:
    """An enrollment of the actor's organization for a patient it may see; NotFoundError otherwise."""
    enrollment = (
        CareManagementEnrollment.objects.filter(
            public_id=_key(public_id), organization=actor.organization, patient__in=patients_visible_to(actor)
        )
        .select_related("patient")
        .first()
    )
    if enrollment is None:
        raise NotFoundError()
    return enrollment


def billing_practitioners_for(actor: Actor) -> QuerySet[Practitioner]:
    """
    The practitioners who may be the billing practitioner of a care-management enrollment: the organization's
    own (not listed under an outside organization), active physicians and NP/PA/CNS/CNMs, by NUCC taxonomy
    code (domain.CARE_MANAGEMENT_BILLER_PREFIXES).
    """
    by_taxonomy = Q()
    for prefix in CARE_MANAGEMENT_BILLER_PREFIXES:
        by_taxonomy |= Q(specialty_code__startswith=prefix)
    return practitioners_for(actor).filter(by_taxonomy, external_organization__isnull=True)


def enrollment_in_force(actor: Actor, patient: Patient, year: int, month: int) -> CareManagementEnrollment | None:
    """The enrollment that decides the month's program (the latest started when the program changed)."""
    return enrollments_in_month(actor, year, month).filter(patient=patient).first()


@dataclass
class MonthSummary:
    """A patient's care-management month: minutes by kind, the program and what the minutes support."""

    year: int
    month: int
    staff_minutes: int = 0
    physician_minutes: int = 0
    enrollment: CareManagementEnrollment | None = None
    readiness: list[Readiness] = field(default_factory=list)

    @property
    def program_label(self) -> str:
        return self.enrollment.get_program_display() if self.enrollment else "Not enrolled"

    @property
    def total_minutes(self) -> int:
        return self.staff_minutes + self.physician_minutes

    @property
    def close(self) -> bool:
        return any(r.close for r in self.readiness)

    @property
    def codes(self) -> str:
        return ", ".join(r.codes for r in self.readiness if r.lines)


def _summary(year, month, staff: int, physician: int, enrollment) -> MonthSummary:
    readiness = []
    if enrollment is not None:
        readiness = month_readiness(Program(enrollment.program), staff_minutes=staff, physician_minutes=physician)
    return MonthSummary(year, month, staff, physician, enrollment, readiness)


def _minutes_by_patient(actor: Actor, year: int, month: int) -> QuerySet:
    start, end = month_bounds(year, month, actor.organization.tz)
    counted = Q(entered_in_error=False, minutes__isnull=False)
    return (
        TimeEntry.objects.filter(
            organization=actor.organization,
            patient__in=patients_visible_to(actor),
            started_at__gte=start,
            started_at__lt=end,
        )
        .values("patient")
        .annotate(
            staff=Sum("minutes", filter=counted & Q(kind=TimeKind.STAFF), default=0),
            physician=Sum("minutes", filter=counted & Q(kind=TimeKind.PHYSICIAN), default=0),
        )
        .order_by("patient")
    )


def patient_month_summary(actor: Actor, patient: Patient, year: int, month: int) -> MonthSummary:
    """One patient's month: minutes by kind (entries in error or running not counted) and what they support."""
    row = _minutes_by_patient(actor, year, month).filter(patient=patient).first() or {}
    return _summary(
        year, month, row.get("staff", 0), row.get("physician", 0), enrollment_in_force(actor, patient, year, month)
    )


@dataclass
class BillingRow:
    patient: Patient
    summary: MonthSummary


BILLING_SORTS = {
    "name": lambda r: (r.patient.family_name.lower(), r.patient.given_name.lower()),
    "program": lambda r: (r.summary.program_label, r.patient.family_name.lower()),
    "staff": lambda r: (-r.summary.staff_minutes, r.patient.family_name.lower()),
    "physician": lambda r: (-r.summary.physician_minutes, r.patient.family_name.lower()),
    "close": lambda r: (not r.summary.close, _to_next(r.summary), r.patient.family_name.lower()),
}


def _to_next(summary: MonthSummary) -> int:
    waits = [r.minutes_to_next for r in summary.readiness if r.minutes_to_next is not None]
    return min(waits) if waits else 10_000


def billing_rows(actor: Actor, year: int, month: int, *, sort: str = "name") -> list[BillingRow]:
    """
    Every visible patient with time or an enrollment in the month: one aggregate query for the minutes
    (summed by patient and kind) and one for the enrollments, then the patients of both in one more.
    """
    minutes = {row["patient"]: row for row in _minutes_by_patient(actor, year, month)}
    enrollments: dict[int, CareManagementEnrollment] = {}
    for enrollment in enrollments_in_month(actor, year, month):
        enrollments.setdefault(enrollment.patient_id, enrollment)
    patient_ids = set(minutes) | set(enrollments)
    patients = {p.pk: p for p in Patient.objects.filter(pk__in=patient_ids)}
    rows = []
    for pk, patient in patients.items():
        row = minutes.get(pk, {})
        summary = _summary(year, month, row.get("staff", 0), row.get("physician", 0), enrollments.get(pk))
        rows.append(BillingRow(patient, summary))
    return sorted(rows, key=BILLING_SORTS.get(sort, BILLING_SORTS["name"]))


# Therapy plans ----------------------------------------------------------------------------------------------


def therapy_plans_for_patient(actor: Actor, patient: Patient) -> QuerySet[TherapyPlan]:
    return (
        TherapyPlan.objects.filter(patient=patient, patient__in=patients_visible_to(actor))
        .filter(readable_writers_q(actor, patient))
        .select_related("referring_practitioner", "therapist", "careplan")
        .prefetch_related("appointment_types")
        .order_by("-active", "-certification_start", "-id")
    )


def therapy_plan_get(actor: Actor, public_id) -> TherapyPlan:
    """A therapy plan of the actor's organization for a patient it may see; NotFoundError otherwise."""
    plan = (
        TherapyPlan.objects.filter(
            public_id=_key(public_id), organization=actor.organization, patient__in=patients_visible_to(actor)
        )
        .select_related("patient", "patient__organization", "referring_practitioner", "therapist", "careplan")
        .first()
    )
    if plan is None:
        raise NotFoundError()
    return plan


def therapy_careplans_for(actor: Actor, patient: Patient) -> QuerySet[CarePlan]:
    """The patient's care plans a therapy plan may belong to (the actor's organization's or the home one's)."""
    return (
        CarePlan.objects.filter(patient=patient, patient__in=patients_visible_to(actor))
        .filter(_own_or_home(actor, patient))
        .select_related("author", "organization")  # the dropdown labels plans that share a title by both
    )
