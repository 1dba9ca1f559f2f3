"""
Marking a prior authorization expired by hand: offered and allowed only once its approved period has ended
(the day after its end date, in the organization's time zone), refused before with the dates; the page
explains why "Expired" is not offered yet.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from carecoord.core.errors import InvalidStateError
from carecoord.coverage import priorauth_services as svc
from carecoord.coverage.models import PriorAuthEvent

from ..conftest import signed_in_client
from ..factories import PatientFactory
from .factories import make_coverage, make_payer

# The organization is in Chicago (UTC-5 in June). The authorization runs through 05/31/2026.
END = dt.date(2026, 5, 31)
DURING = dt.datetime(2026, 5, 20, 15, tzinfo=dt.UTC)
LAST_EVENING = dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)  # 22:00 on 05/31 in Chicago, already 06/01 in UTC
NEXT_MORNING = dt.datetime(2026, 6, 1, 6, tzinfo=dt.UTC)  # 01:00 on 06/01 in Chicago
REFUSAL = "The approved period runs through 05/31/2026; the authorization can be marked expired from 06/01/2026."


def _approved(actor, org, status="approved"):
    patient = PatientFactory(organization=org)
    coverage = make_coverage(actor, patient, make_payer(actor))
    data = {"coverage": coverage, "service": "Home health", "procedure_codes": ["G0151"], "units_requested": 6,
            "start_date": dt.date(2026, 3, 1), "end_date": END}  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC), tick=False):
        auth = svc.prior_auth_create(actor=actor, patient=patient, data=data)
        auth = svc.prior_auth_set_status(
            actor=actor, auth=auth, status="submitted", expected_version=auth.version, on=dt.date(2026, 3, 2)
        )
        auth = svc.prior_auth_set_status(
            actor=actor,
            auth=auth,
            status=status,
            expected_version=auth.version,
            on=dt.date(2026, 3, 5),
            units_approved=3 if status == "partially_approved" else None,
        )
    auth.refresh_from_db()
    return auth


def _expire(actor, auth):
    auth.refresh_from_db()
    return svc.prior_auth_set_status(actor=actor, auth=auth, status="expired", expected_version=auth.version)


@pytest.mark.parametrize("status", ["approved", "partially_approved"])
def test_expiry_is_refused_until_the_approved_period_has_ended_in_the_organizations_zone(actor, org, status):
    auth = _approved(actor, org, status)
    for moment in (DURING, LAST_EVENING):
        with time_machine.travel(moment, tick=False):
            today = dt.date(2026, 5, 20) if moment == DURING else END
            assert svc.next_statuses(auth, today) == set()
            with pytest.raises(InvalidStateError) as refused:
                _expire(actor, auth)
            assert refused.value.message == REFUSAL
            assert refused.value.field == "status"
    auth.refresh_from_db()
    assert auth.status == status
    assert not PriorAuthEvent.objects.filter(authorization=auth, to_status="expired").exists()
    with time_machine.travel(NEXT_MORNING, tick=False):
        assert svc.next_statuses(auth, dt.date(2026, 6, 1)) == {"expired"}
        auth = _expire(actor, auth)
    auth.refresh_from_db()
    assert auth.status == "expired"
    event = PriorAuthEvent.objects.get(authorization=auth, to_status="expired")
    assert (event.from_status, event.note) == (status, "")


def test_other_moves_are_unchanged(actor, org):
    auth = _approved(actor, org)
    assert svc.next_statuses(auth, END) == set()
    auth.status = "submitted"
    assert svc.next_statuses(auth, END) == {"pended", "approved", "partially_approved", "denied"}
    auth.status = "expired"
    assert svc.next_statuses(auth, dt.date(2027, 1, 1)) == set()


def test_the_page_offers_expired_only_after_the_end_and_explains_why_not_before(actor, org):
    auth = _approved(actor, org)
    client = signed_in_client(actor)
    status_url = reverse("coverage:priorauth_status", args=[auth.public_id])
    with time_machine.travel(LAST_EVENING, tick=False):
        page = client.get(auth.get_absolute_url()).content.decode()
        assert 'value="expired"' not in page
        assert REFUSAL in page
        refused = client.post(status_url, {"status": "expired", "version": auth.version})
        assert refused.status_code == 400
        assert REFUSAL in refused.content.decode()
    auth.refresh_from_db()
    assert auth.status == "approved"
    with time_machine.travel(NEXT_MORNING, tick=False):
        page = client.get(auth.get_absolute_url()).content.decode()
        assert re.findall(r'<option value="([^"]+)"', page.split('id="history"')[0]).count("expired") == 1
        assert REFUSAL not in page
        assert client.post(status_url, {"status": "expired", "version": auth.version}).status_code == 302
    auth.refresh_from_db()
    assert auth.status == "expired"
