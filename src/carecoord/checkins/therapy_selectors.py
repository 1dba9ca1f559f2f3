"""
Reads for therapy plans of care beyond one patient's Progress tab (progress_selectors has that and
`therapy_plan_get`). Patients are always those `patients_visible_to` the actor.

  therapists_for                 who may be a plan's therapist: PT/OT/SLP and their assistants (therapy_taxonomy)
  discipline_appointment_types   the visit types a discipline's plan counts by default
  therapy_plans_for_organization the organization's active plans (the Therapy page)
  therapy_calendars              the sites where the organization's therapists work, and the therapists
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.directory.models import Location, Practitioner
from carecoord.directory.selectors import locations_for, practitioners_for
from carecoord.patients.selectors import patients_visible_to
from carecoord.scheduling.models import AppointmentType, PractitionerSchedule
from carecoord.scheduling.selectors import appointment_types_for

from .models import TherapyPlan
from .therapy_taxonomy import ALL_THERAPIST_PREFIXES, THERAPIST_TAXONOMY_PREFIXES

# When none of a discipline's therapists has weekly hours: the types whose name says the discipline.
TYPE_NAME_WORDS = {"PT": ("physical therap",), "OT": ("occupational therap",), "SLP": ("speech",)}


def _by_prefixes(prefixes: tuple[str, ...]) -> Q:
    query = Q(pk__in=[])
    for prefix in prefixes:
        query |= Q(specialty_code__startswith=prefix)
    return query


def therapists_for(actor: Actor, discipline: str = "") -> QuerySet[Practitioner]:
    """
    The organization's active practitioners who may be a therapy plan's therapist (those of `discipline` when
    given), by NUCC taxonomy code; outside practices' therapists too. Physicians, nurses, pharmacists and the
    rest are never offered.
    """
    prefixes = THERAPIST_TAXONOMY_PREFIXES.get(discipline, ALL_THERAPIST_PREFIXES)
    return practitioners_for(actor).filter(_by_prefixes(prefixes)).select_related("external_organization")


def _current_hours(actor: Actor) -> QuerySet[PractitionerSchedule]:
    today = clock.today_in(actor.organization.tz)
    return PractitionerSchedule.objects.filter(organization=actor.organization, active=True).filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=today)
    )


def discipline_appointment_types(actor: Actor, discipline: str) -> QuerySet[AppointmentType]:
    """
    The visit types a `discipline` plan counts by default: the active types its therapists offer in their current
    weekly hours and nobody outside the discipline offers (so a telehealth check-in a physician offers too is
    not preselected). When none qualifies, the types whose name says the discipline ("Physical therapy ...").
    """
    if discipline not in THERAPIST_TAXONOMY_PREFIXES:
        return AppointmentType.objects.none()
    hours = _current_hours(actor)
    own = _by_prefixes(THERAPIST_TAXONOMY_PREFIXES[discipline])
    theirs = hours.filter(practitioner__in=practitioners_for(actor).filter(own))
    others = hours.exclude(practitioner__in=practitioners_for(actor, active_only=False).filter(own))
    types = appointment_types_for(actor)
    through = PractitionerSchedule.appointment_types.through.objects
    offered = types.filter(pk__in=through.filter(practitionerschedule__in=theirs).values("appointmenttype")).exclude(
        pk__in=through.filter(practitionerschedule__in=others).values("appointmenttype")
    )
    if offered.exists():
        return offered
    named = Q(pk__in=[])
    for word in TYPE_NAME_WORDS[discipline]:
        named |= Q(name__icontains=word)
    return types.filter(named)


def therapy_plans_for_organization(actor: Actor) -> QuerySet[TherapyPlan]:
    """The organization's active plans of care for patients the actor may see, the soonest to end first."""
    return (
        TherapyPlan.objects.filter(organization=actor.organization, active=True, patient__in=patients_visible_to(actor))
        .select_related("patient", "therapist")
        .order_by("certification_end", "patient__family_name", "patient__given_name", "id")
    )


@dataclass
class TherapyCalendars:
    sites: list[Location]
    therapists: list[Practitioner]


def therapy_calendars(actor: Actor) -> TherapyCalendars:
    """Where the organization's therapists have current weekly hours (its therapy sites), and those therapists."""
    hours = _current_hours(actor).filter(practitioner__in=therapists_for(actor))
    therapists = therapists_for(actor).filter(pk__in=hours.values("practitioner"))
    sites = locations_for(actor).filter(pk__in=hours.values("location"))
    return TherapyCalendars(sites=list(sites), therapists=list(therapists))
