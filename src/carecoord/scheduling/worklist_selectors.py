"""
Scheduling reads for the worklist: the coordinator's caseload's upcoming appointments, and who should own a
scheduling task about a patient.
"""

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q

from carecoord.careplans.selectors import caseload_for
from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.idlists import literal_ids
from carecoord.core.models import Membership, Organization, User
from carecoord.patients.models import CareTeamMember, Patient

from .choices import AppointmentStatus
from .domain import interpreter_to_arrange, transport_to_arrange
from .models import Appointment, PatientSchedulingPreference

# Visits still ahead of the patient (a fulfilled or missed one is no longer "upcoming").
UPCOMING_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
)
PANEL_LIMIT = 50
# What the panel shows (scheduling/partials/worklist_appointments.html): the rows' other columns, hundreds of
# bytes each across five joined tables, were most of the panel's cost.
PANEL_FIELDS = (
    "public_id",
    "organization_id",
    "start",
    "status",
    "is_outside",
    "needs_transport",
    "needs_interpreter",
    "patient__public_id",
    "patient__given_name",
    "patient__family_name",
    "patient__preferred_name",
    "patient__interpreter_needed",
    "patient__preferred_language",
    "practitioner__given_name",
    "practitioner__family_name",
    "practitioner__suffix",
    "practitioner__languages",
    "location__name",
    "appointment_type__name",
    "appointment_type__telehealth",
    "external_organization__name",
)


def upcoming_appointments_for(actor: Actor, days: int = 7) -> list[Appointment]:
    """
    Appointments (inside and outside) in the next `days` days of the patients the actor coordinates, earliest
    first, each with `transport_needed` and `interpreter_needed` from the visit, the patient's preferences or
    (interpreter) their chart. Two queries.
    """
    now = clock.now()
    preferences = PatientSchedulingPreference.objects.filter(
        organization=actor.organization, patient=OuterRef("patient_id")
    )
    # The caseload is read first (ids, already through `patients_visible_to`) and the appointments by that id
    # list: as one query with the caseload as a subquery, PostgreSQL spent longer planning it than running it.
    caseload = list(caseload_for(actor).values_list("pk", flat=True))
    appointments = (
        # The organization test is on an expression no index serves: SQLite, which keeps no statistics, would
        # otherwise walk the organization's appointments by (organization, start), the whole past month, instead
        # of each caseload patient's by (patient, start) (60-80 ms -> 3 ms at medium).
        Appointment.objects.alias(organization_key=F("organization_id") + 0)
        .filter(
            organization_key=actor.organization.pk,
            patient_id__in=literal_ids(caseload),
            status__in=UPCOMING_STATUSES,
            end__gt=now,
            start__lt=now + dt.timedelta(days=days),
        )
        .select_related("patient", "practitioner", "location", "appointment_type", "external_organization")
        .only(*PANEL_FIELDS)
        .annotate(
            prefers_transport=Exists(preferences.filter(needs_transport=True)),
            prefers_interpreter=Exists(preferences.filter(needs_interpreter=True)),
        )
        .order_by("start", "id")[:PANEL_LIMIT]
    )
    rows = list(appointments)
    for appointment in rows:
        appointment.transport_needed = transport_to_arrange(
            appointment.needs_transport or appointment.prefers_transport, appointment
        )
        appointment.interpreter_needed = interpreter_to_arrange(
            appointment.needs_interpreter or appointment.prefers_interpreter or appointment.patient.interpreter_needed,
            appointment.practitioner,
            appointment.patient.preferred_language,
        )
    return rows


def task_owner_for(organization: Organization, patient: Patient, *, fallback: User | None = None) -> User | None:
    """
    Who gets a scheduling task about the patient: their current coordinator on the care team if a member of
    `organization`, else `fallback` if still a member, else None (the task then goes to the coordinator role).
    """
    today = clock.today_in(organization.tz)
    members_here = Membership.objects.filter(user=OuterRef("user"), organization=organization, active=True)
    coordinator = (
        CareTeamMember.objects.filter(
            patient=patient, role="coordinator", user__isnull=False, user__is_active=True, start_date__lte=today
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Exists(members_here))
        .select_related("user")
        .order_by("start_date", "id")
        .first()
    )
    if coordinator is not None:
        return coordinator.user
    if fallback is not None and fallback.memberships.filter(organization=organization, active=True).exists():
        return fallback
    return None
