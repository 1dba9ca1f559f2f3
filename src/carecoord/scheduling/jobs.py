"""Scheduling periodic jobs (run by `carecoord worker`)."""

import datetime as dt

from carecoord.core.models import Organization
from carecoord.core.periodic import periodic

from .waitlist_services import waitlist_expire_offers, waitlist_offer_open_slots


@periodic(every=dt.timedelta(minutes=15))
def offer_open_slots_to_waitlist() -> int:
    """Expires offers whose time passed, then offers free slots to waiting patients; returns offers made."""
    made = 0
    for organization in Organization.objects.filter(active=True):
        waitlist_expire_offers(organization=organization)
        made += len(waitlist_offer_open_slots(organization=organization))
    return made
