"""Organization A's community records for the tenant-isolation matrix (see __init__.py for the contract)."""

import datetime as dt

from carecoord.community import services
from carecoord.community.models import (
    Agency,
    BenefitThreshold,
    CommunityService,
    Referral,
    ReferralEvent,
    ResourceLocation,
    ServiceAtLocation,
    SocialScreening,
)

from ..factories import OrganizationFactory

NAMESPACE = "community"

TARGETS = {
    "patient": "patient",
    "screening": "screening",
    "referral": "referral",
    "agency": "agency",
    "service": "service",
    "threshold": "threshold",
}

SECRETS = ["Alpha Pantry Agency", "Alpha Secret Groceries", "Alpha pantry reason", "Alpha Pantry Street"]

MODELS = [
    Agency,
    ResourceLocation,
    CommunityService,
    ServiceAtLocation,
    SocialScreening,
    Referral,
    ReferralEvent,
    BenefitThreshold,
]

ANSWERS = {
    "living-1": "LA31993-1", "living-2": ["LA9-3"], "food-1": "LA28397-0", "food-2": "LA28398-8",
    "transportation": "LA32-8", "utilities": "LA32-8", "safety-1": "1", "safety-2": "1", "safety-3": "1",
    "safety-4": "1",
}  # fmt: skip


def build(world) -> dict:
    a, patient = world["a"], world["patient"]
    receiver = OrganizationFactory(name="Delta Pantry Network", slug="delta-pantry")
    agency = services.agency_save(actor=a, data={"name": "Alpha Pantry Agency", "linked_organization": receiver})
    service = services.service_save(
        actor=a, agency=agency, data={"name": "Alpha Secret Groceries", "needs": ["food-insecurity"]}
    )
    location = services.location_save(
        actor=a,
        service=service,
        data={"address_1": "1 Alpha Pantry Street", "city": "Chicago", "state": "IL", "postal_code": "60614",
              "latitude": 41.92, "longitude": -87.65},
    )  # fmt: skip
    screening, _ = services.screening_record(
        actor=a, patient=patient, answers=ANSWERS, occurred_at=dt.datetime(2026, 1, 5, 15, tzinfo=dt.UTC)
    )
    referral = services.referral_send(
        actor=a, patient=patient, service=service, need="food-insecurity", reason="Alpha pantry reason",
        consent_by="Zebulon Quixotic", consent_method="Verbal", consent_on=dt.date(2026, 1, 5),
        respond_by=dt.date(2099, 1, 12),
    )  # fmt: skip
    threshold = BenefitThreshold.objects.create(
        organization=a.organization, program="snap", state="IL", percent=165, updated_by=a.user
    )
    return {
        "patient": patient,
        "agency": agency,
        "service": service,
        "location": location,
        "screening": screening,
        "referral": referral,
        "threshold": threshold,
        "receiver": receiver,
    }
