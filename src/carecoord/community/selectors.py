"""
Reads of the community app. The directory is the acting organization's own; screenings and sent referrals
start from `patients_visible_to`; incoming referrals are those addressed to the acting organization, read
without the patient's chart (the receiver sees the referral and its `patient_summary`, nothing else).
"""

import uuid
from dataclasses import dataclass

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When

from carecoord.careplans.choices import OPEN_TASK_STATUSES
from carecoord.careplans.models import Task
from carecoord.core.access import Actor, require_patient_reader
from carecoord.core.errors import NotFoundError
from carecoord.patients.models import Patient
from carecoord.patients.selectors import patients_visible_to

from .choices import CLOSED_REFERRAL_STATUSES, OPEN_REFERRAL_STATUSES, ServiceStatus
from .domain import age_fits, centroid, distance_miles, valid_coordinates, zip_code_center
from .models import (
    Agency,
    BenefitThreshold,
    CommunityService,
    Referral,
    ReferralEvent,
    ResourceLocation,
    SocialScreening,
)
from .services import REFERRAL_FOCUS


def _key(public_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(public_id))
    except ValueError as exc:
        raise NotFoundError() from exc


# The directory ----------------------------------------------------------------------------------------------


def agencies_for(actor: Actor) -> QuerySet[Agency]:
    require_patient_reader(actor)
    return Agency.objects.filter(organization=actor.organization)


def agency_get(actor: Actor, public_id) -> Agency:
    agency = agencies_for(actor).filter(public_id=_key(public_id)).first()
    if agency is None:
        raise NotFoundError()
    return agency


def services_for(actor: Actor) -> QuerySet[CommunityService]:
    require_patient_reader(actor)
    return CommunityService.objects.filter(organization=actor.organization).select_related("agency")


def service_get(actor: Actor, public_id) -> CommunityService:
    service = services_for(actor).filter(public_id=_key(public_id)).prefetch_related("locations").first()
    if service is None:
        raise NotFoundError()
    return service


def locations_for(actor: Actor) -> QuerySet[ResourceLocation]:
    require_patient_reader(actor)
    return ResourceLocation.objects.filter(organization=actor.organization)


def zip_centroid(actor: Actor, postal_code: str) -> tuple[float, float] | None:
    """
    The centre of a ZIP code: from the US ZIP code table (domain.zip_code_center), else from the directory's own
    located places in it (a ZIP code newer than the table), or None when neither knows where it is.
    """
    zip5 = (postal_code or "").strip()[:5]
    if not zip5:
        return None
    known = zip_code_center(zip5)
    if known is not None:
        return known
    rows = locations_for(actor).filter(postal_code__startswith=zip5).values_list("latitude", "longitude")
    return centroid([(lat, lon) for lat, lon in rows if valid_coordinates(lat, lon)])


@dataclass(frozen=True)
class SearchHit:
    service: CommunityService
    location: ResourceLocation | None
    distance: float | None  # miles from the ZIP code's centre, when both are known


def directory_search(
    actor: Actor,
    *,
    need: str = "",
    postal_code: str = "",
    radius_miles: float | None = None,
    language: str = "",
    age: int | None = None,
    text: str = "",
) -> tuple[list[SearchHit], tuple[float, float] | None]:
    """
    Active services matching the need, language, age and text, each at its nearest location, nearest first
    when a ZIP code is given (with the ZIP's centre from zip_centroid, None when it is unknown). Without a
    known centre a ZIP code matches the locations in that ZIP code.
    """
    services = services_for(actor).filter(status=ServiceStatus.ACTIVE, agency__active=True)
    if need:
        services = services.filter(needs__contains=f",{need},")
    if language:
        services = services.filter(languages__contains=f",{language.lower()},")
    if text:
        services = services.filter(
            Q(name__icontains=text) | Q(description__icontains=text) | Q(agency__name__icontains=text)
        )
    services = services.prefetch_related("locations")
    origin = zip_centroid(actor, postal_code) if postal_code else None
    hits = []
    for service in services:
        if not age_fits(service.minimum_age, service.maximum_age, age):
            continue
        hit = _nearest(service, origin, postal_code)
        if hit is None:
            continue
        if radius_miles is not None and origin is not None and (hit.distance is None or hit.distance > radius_miles):
            continue
        hits.append(hit)
    hits.sort(key=lambda h: (h.distance is None, h.distance or 0, h.service.name))
    return hits, origin


def _nearest(service: CommunityService, origin, postal_code: str) -> SearchHit | None:
    locations = [loc for loc in service.locations.all() if loc.active]
    if postal_code and origin is None:
        zip5 = postal_code.strip()[:5]
        in_zip = [loc for loc in locations if loc.postal_code.startswith(zip5)]
        return SearchHit(service, in_zip[0], None) if in_zip else None
    if origin is None:
        return SearchHit(service, locations[0] if locations else None, None)
    measured = [
        (distance_miles(origin[0], origin[1], loc.latitude, loc.longitude), loc)
        for loc in locations
        if valid_coordinates(loc.latitude, loc.longitude)
    ]
    if not measured:
        return SearchHit(service, locations[0] if locations else None, None)
    distance, location = min(measured, key=lambda pair: pair[0])
    return SearchHit(service, location, round(distance, 1))


# Screenings and referrals ------------------------------------------------------------------------------------


def screenings_for_patient(actor: Actor, patient: Patient) -> QuerySet[SocialScreening]:
    return SocialScreening.objects.filter(patient__in=patients_visible_to(actor), patient=patient).select_related(
        "recorded_by"
    )


def screenings_visible_to(actor: Actor) -> QuerySet[SocialScreening]:
    """Every screening of the patients the actor may see (the rule of screenings_for_patient, for FHIR)."""
    return SocialScreening.objects.filter(patient__in=patients_visible_to(actor))


def screening_get(actor: Actor, public_id) -> SocialScreening:
    screening = (
        SocialScreening.objects.filter(patient__in=patients_visible_to(actor), public_id=_key(public_id))
        .select_related("patient", "recorded_by")
        .first()
    )
    if screening is None:
        raise NotFoundError()
    return screening


def referrals_visible_to(actor: Actor) -> QuerySet[Referral]:
    """Referrals of the patients the actor may see (the referring side)."""
    return Referral.objects.filter(patient__in=patients_visible_to(actor)).select_related(
        "service__agency", "practitioner", "receiving_organization", "patient", "organization"
    )


def referrals_sent_or_received(actor: Actor) -> QuerySet[Referral]:
    """
    Referrals the actor sees in CareCoord: those of patients they may see (the referring side) and those
    addressed to their organization (its inbox; callers must not follow `patient` for these).
    """
    if not actor.can_see_patients:
        return Referral.objects.none()
    return Referral.objects.filter(
        Q(patient__in=patients_visible_to(actor)) | Q(receiving_organization=actor.organization)
    )


def referrals_for_patient(actor: Actor, patient: Patient) -> QuerySet[Referral]:
    return referrals_visible_to(actor).filter(patient=patient)


def referral_get(actor: Actor, public_id) -> Referral:
    referral = referrals_visible_to(actor).filter(public_id=_key(public_id)).first()
    if referral is None:
        raise NotFoundError()
    return referral


# The start of the dedupe key of the follow-up tasks a referral's follow-up notes put on the worklist
# (services._follow_up_key); the periodic job's "Referral overdue" tasks have another key.
FOLLOW_UP_KEY_PREFIX = "referral-follow-up:"
SENT_STATUS_FILTERS = ("open", "closed", "all")


def sent_referrals(actor: Actor, *, status: str = "open", mine: bool = False) -> QuerySet[Referral]:
    """
    Referrals the acting organization sent, of patients the actor may see (referrals_visible_to): `status`
    "open", "closed" or "all"; `mine` only those the actor sent. Open ones first, then the newest. Each row has
    `next_follow_up_on`: the earliest due date of the referral's open follow-up tasks on the organization's
    worklist (None without one), read in the same query.
    """
    require_patient_reader(actor)
    if status not in SENT_STATUS_FILTERS:
        raise ValueError(f"Unknown status filter {status!r}")
    follow_ups = Task.objects.filter(
        organization=actor.organization,
        focus_type=REFERRAL_FOCUS,
        focus_id=OuterRef("public_id"),
        status__in=OPEN_TASK_STATUSES,
        dedupe_key__startswith=FOLLOW_UP_KEY_PREFIX,
        due_date__isnull=False,
    ).order_by("due_date")
    referrals = referrals_visible_to(actor).filter(organization=actor.organization).select_related("created_by")
    if status == "open":
        referrals = referrals.filter(status__in=OPEN_REFERRAL_STATUSES)
    elif status == "closed":
        referrals = referrals.filter(status__in=CLOSED_REFERRAL_STATUSES)
    if mine:
        referrals = referrals.filter(created_by=actor.user)
    return referrals.annotate(
        next_follow_up_on=Subquery(follow_ups.values("due_date")[:1]),
        closed_rank=Case(When(status__in=OPEN_REFERRAL_STATUSES, then=Value(0)), default=Value(1)),
    ).order_by("closed_rank", "-sent_at", "-id")


def incoming_referrals(actor: Actor, *, open_only: bool = False) -> QuerySet[Referral]:
    """Referrals addressed to the acting organization; callers must not follow `patient` (the chart)."""
    require_patient_reader(actor)
    referrals = Referral.objects.filter(receiving_organization=actor.organization).select_related(
        "service__agency", "organization"
    )
    return referrals.filter(status__in=OPEN_REFERRAL_STATUSES) if open_only else referrals


def incoming_referral_get(actor: Actor, public_id) -> Referral:
    referral = incoming_referrals(actor).filter(public_id=_key(public_id)).first()
    if referral is None:
        raise NotFoundError()
    return referral


def referral_history(referral: Referral) -> QuerySet[ReferralEvent]:
    """The referring side's history of a referral: every status change and every follow-up note."""
    return referral.events.select_related("by", "by_organization")


def incoming_referral_history(referral: Referral) -> QuerySet[ReferralEvent]:
    """
    The receiver's history: every status change, and only its own follow-up notes; the sender's notes are
    its working record about the patient, not part of the minimum shared with the receiver.
    """
    mine_or_status = Q(by_organization_id=referral.receiving_organization_id) | ~Q(to_status="")
    return referral_history(referral).filter(mine_or_status)


def threshold_overrides(organization) -> dict[tuple[str, str], int]:
    return {(row.program, row.state): row.percent for row in BenefitThreshold.objects.filter(organization=organization)}


def thresholds_for(actor: Actor) -> QuerySet[BenefitThreshold]:
    require_patient_reader(actor)
    return BenefitThreshold.objects.filter(organization=actor.organization).select_related("updated_by")
