"""
The demo's community resource directory: a handful of invented Chicago agencies (food pantries, rides to
medical appointments, utility and rental help, caregiver support, pharmacy and benefits assistance), written
for the demo as Open Referral HSDS 3.0 JSON (data/community_hsds.json: invented names, example.com-style
websites and 555-01xx phone numbers) and loaded into every demo organization's directory through the
community app's HSDS importer, which matches records by HSDS id, so loading twice updates, never duplicates.

The community health center then refers some of its adult patients to those agencies (`referrals_create`): benefits
enrollment help, food, utility and rent help, rides; sent with the patient's consent through the community
app's services, and answered along the referral's life (accepted, completed, declined, cancelled) by the
coordinator, as the agencies do not use CareCoord. The services stamp the present; each referral and its
history are then dated when they happened in the demo's story.
"""

import datetime as dt
import json
import random
from pathlib import Path

from carecoord.checkins.selectors import coordinator_of
from carecoord.community import services
from carecoord.community.choices import Need, ReferralOutcome, ReferralStatus
from carecoord.community.importer import hsds_import_json
from carecoord.community.models import CommunityService, Referral, ReferralEvent
from carecoord.core import clock
from carecoord.core.access import Actor, actor_for
from carecoord.core.choices import OrganizationKind
from carecoord.core.errors import ValidationError
from carecoord.core.models import Organization
from carecoord.patients.models import Patient

from .coverage import first_coordinator

HSDS_FILE = Path(__file__).parent / "data" / "community_hsds.json"
REFERRAL_SHARE = 0.7  # of the health center's adults
# (service name in data/community_hsds.json, need, reason as the agency reads it, for whom: "any" or "older")
REFERRALS = (
    ("Benefits Enrollment Help (SNAP, Medicaid, Medicare Savings)", Need.HEALTH_INSURANCE,
     "Help completing the Medicaid and SNAP applications; prefers Spanish-speaking staff if available.", "any"),
    ("Neighborhood Food Pantry", Need.FOOD_INSECURITY,
     "Screened positive for food insecurity; household runs out of food before the end of the month.", "any"),
    ("Utility Bill Assistance", Need.UTILITY_INSECURITY,
     "Shut-off notice from the gas company; needs help with the past-due balance.", "any"),
    ("Winter Heating Help", Need.UTILITY_INSECURITY, "Heating bill help for the winter; LIHEAP applied.", "any"),
    ("Emergency Rental Assistance", Need.HOUSING_INSTABILITY,
     "Behind two months on rent after losing work hours; landlord has given notice.", "any"),
    ("Rides to Medical Appointments", Need.TRANSPORTATION_INSECURITY,
     "No car; missed two visits this year for lack of a ride.", "any"),
    ("Home-Delivered Groceries for Older Adults", Need.FOOD_INSECURITY,
     "Lives alone and cannot carry groceries home; interested in delivery.", "older"),
)  # fmt: skip
# The story of a referral: (status it ends in, weight, days ago it was sent (low, high)).
STORIES = (
    (ReferralStatus.SENT, 2, (1, 6)),
    (ReferralStatus.ACCEPTED, 3, (4, 12)),
    (ReferralStatus.COMPLETED, 4, (15, 75)),
    (ReferralStatus.DECLINED, 1, (10, 60)),
    (ReferralStatus.CANCELLED, 1, (10, 60)),
)
DECLINED = (
    ReferralOutcome.NO_CAPACITY,
    "The agency's program is full this month; they suggested calling back in 30 days.",
)
CANCELLED = (ReferralOutcome.PATIENT_DECLINED, "The patient's family is helping now; no longer needed.")
COMPLETED_NOTE = "The agency confirmed by phone that the patient was served."
CONSENT_METHOD = "Verbal consent, documented in the chart"


def community_create(*, organizations: dict[str, Organization], counts) -> None:
    """Imports the demo HSDS directory into each organization's directory, as one of its coordinators."""
    payload = json.loads(HSDS_FILE.read_text(encoding="utf-8"))
    for org in organizations.values():
        report = hsds_import_json(actor=first_coordinator(org), payload=payload)
        if report.errors:  # the file is ours: a row it rejects is a bug in the file
            raise ValidationError(f"The demo community directory did not load: {report.errors[0]}")
        counts["community_services"] += report.created.get("services", 0)


def referrals_create(rng: random.Random, *, organizations: dict[str, Organization], today: dt.date, counts) -> None:
    """The community health centers' referrals to the directory's services (after `community_create`)."""
    for org in organizations.values():
        if org.kind == OrganizationKind.COMMUNITY_HEALTH_CENTER:
            counts["referrals"] += _referrals(rng, first_coordinator(org), today)


def _referrals(rng: random.Random, actor: Actor, today: dt.date) -> int:
    org = actor.organization
    by_name = {s.name: s for s in CommunityService.objects.filter(organization=org).select_related("agency")}
    patients = Patient.objects.filter(organization=org, active=True, deceased_date__isnull=True).order_by("mrn")
    made = 0
    for patient in patients:
        age = patient.age_on(today)
        if age < 18 or rng.random() >= REFERRAL_SHARE:
            continue
        options = [r for r in REFERRALS if r[0] in by_name and (r[3] == "any" or age >= 65)]
        coordinator = coordinator_of(org, patient)
        who = actor_for(coordinator, org) if coordinator else actor
        for name, need, reason, _ in rng.sample(options, min(len(options), rng.choice((1, 1, 2)))):
            status, _, (low, high) = rng.choices(STORIES, weights=[s[1] for s in STORIES])[0]
            sent_on = today - dt.timedelta(days=rng.randint(low, high))
            _referral(rng, who, patient, by_name[name], need, reason, status, sent_on)
            made += 1
    return made


def _referral(rng, actor: Actor, patient: Patient, service: CommunityService, need: str, reason: str,
              status: str, sent_on: dt.date) -> None:  # fmt: skip
    """Sends the referral, takes it along its story to `status`, then dates it and its events in the past."""
    today = clock.today_in(actor.organization.tz)
    referral = services.referral_send(
        actor=actor, patient=patient, need=need, reason=reason, consent_by=patient.full_legal_name,
        consent_method=CONSENT_METHOD, consent_on=sent_on, respond_by=today + dt.timedelta(days=14),
        service=service,
    )  # fmt: skip
    steps = []
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED):
        steps.append((ReferralStatus.ACCEPTED, "", ""))
    if status == ReferralStatus.COMPLETED:
        steps.append((ReferralStatus.COMPLETED, COMPLETED_NOTE, ReferralOutcome.SERVICE_PROVIDED))
    elif status == ReferralStatus.DECLINED:
        steps.append((ReferralStatus.DECLINED, DECLINED[1], DECLINED[0]))
    elif status == ReferralStatus.CANCELLED:
        steps.append((ReferralStatus.CANCELLED, CANCELLED[1], CANCELLED[0]))
    for to_status, note, outcome in steps:
        referral = services.referral_set_status(
            actor=actor, referral=referral, status=to_status, expected_version=referral.version, note=note,
            outcome=outcome,
        )  # fmt: skip
    _dated(rng, referral, sent_on)


def _dated(rng: random.Random, referral: Referral, sent_on: dt.date) -> None:
    tz, now = referral.organization.tz, clock.now()
    today = clock.today_in(tz)
    day, stamps = sent_on, []
    for _ in referral.events.order_by("at", "pk"):
        minutes = rng.randint(9 * 60, 16 * 60 + 30)
        at = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=tz)
        stamps.append(min(max([at, *stamps[-1:]]), now))  # in order, and never in the future
        day = min(day + dt.timedelta(days=rng.randint(2, 9)), today)
    for event, at in zip(referral.events.order_by("at", "pk"), stamps, strict=True):
        ReferralEvent.objects.filter(pk=event.pk).update(at=at, created_at=at, updated_at=at)
    closed = stamps[-1] if referral.closed_at else None
    Referral.objects.filter(pk=referral.pk).update(
        sent_at=stamps[0], created_at=stamps[0], updated_at=stamps[-1], consent_on=sent_on,
        respond_by=sent_on + dt.timedelta(days=14), closed_at=closed,
    )  # fmt: skip
