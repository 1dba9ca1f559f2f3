"""
RELIABILITY T10: brute force and password spraying are throttled (429) without a permanent lockout, and every
sign-in attempt is in the audit log with its outcome (the auditors' record, hash-chained; ONC 170.315(d)(2)).
"""

import datetime as dt

import pytest
from django.test import Client

from carecoord.core.choices import AuditOutcome, Role
from carecoord.core.models import AuditEvent
from carecoord.core.selectors import audit_events_for
from tests.factories import TEST_PASSWORD, UserFactory, make_actor

from .conftest import LOGIN
from .conftest import SIGN_IN_T0 as T0

SPRAYED = "Spring-2026-Welcome!"
ATTACKER = "10.66.0.1"

pytestmark = pytest.mark.usefixtures("md5_passwords")


@pytest.fixture
def staff(org):
    users = [UserFactory(email=f"staff{n:02d}@lakeside.example") for n in range(20)]
    for user in users:
        make_actor(org, Role.COORDINATOR, user=user)
    return users


def attempt(email: str, password: str, address: str = ATTACKER) -> int:
    return Client(REMOTE_ADDR=address).post(LOGIN, {"email": email, "password": password}).status_code


def test_one_password_across_twenty_accounts_from_one_address_is_throttled(settings, staff, clock):
    limit = settings.CARECOORD_LOCKOUT_ADDRESS_FAILURES
    assert limit < len(staff)  # the documented N is below the 20 accounts tried
    statuses = [attempt(user.email, SPRAYED) for user in staff]
    assert statuses[:limit] == [200] * limit  # wrong password, same message as ever
    assert statuses[limit:] == [429] * (len(staff) - limit)
    # Even a right password is refused from that address while throttled ...
    assert attempt(staff[0].email, TEST_PASSWORD) == 429
    # ... but the real user elsewhere is not locked out (no denial of service on the victim's account).
    assert attempt(staff[0].email, TEST_PASSWORD, address="10.1.2.3") == 302
    # After the cool-off the address may sign in again: nothing is permanent.
    clock.move_to(T0 + dt.timedelta(minutes=settings.AXES_COOLOFF_TIME * 60 + 1))
    assert attempt(staff[1].email, TEST_PASSWORD) == 302


def test_twenty_wrong_passwords_to_one_account_lock_it_then_the_user_gets_back_in(settings, staff, clock):
    victim = staff[0]
    statuses = [attempt(victim.email, f"wrong-password-{n}") for n in range(20)]
    first_429 = statuses.index(429)
    assert first_429 < settings.AXES_FAILURE_LIMIT
    assert set(statuses[first_429:]) == {429}
    assert attempt(victim.email, TEST_PASSWORD) == 429
    clock.move_to(T0 + dt.timedelta(minutes=settings.AXES_COOLOFF_TIME * 60 + 1))
    assert attempt(victim.email, TEST_PASSWORD) == 302


def test_every_attempt_is_audited_with_its_outcome(settings, org, staff, clock):
    settings.CARECOORD_LOCKOUT_ADDRESS_FAILURES = 8
    alice, bob = staff[0], staff[1]
    assert attempt(alice.email, TEST_PASSWORD, address="10.1.1.1") == 302
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        attempt(bob.email, f"wrong-password-{n}")
    attempt("nobody@nowhere.example", SPRAYED)
    attempt("nobody2@nowhere.example", SPRAYED)  # the eighth failure from ATTACKER
    assert attempt(staff[2].email, SPRAYED) == 429  # address throttled

    events = AuditEvent.objects.filter(event="auth.login").order_by("id")
    rows = [(e.user_id, e.outcome, e.detail.get("reason")) for e in events]
    assert rows[0] == (alice.pk, AuditOutcome.SUCCESS, None)
    bob_rows = [row for row in rows if row[0] == bob.pk]
    assert bob_rows[: settings.AXES_FAILURE_LIMIT - 1] == [(bob.pk, AuditOutcome.FAILURE, "bad_credentials")] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert (bob.pk, AuditOutcome.DENIED, "locked_out") in bob_rows
    unknown = [e for e in events if e.user_id is None]
    assert [e.detail["email"] for e in unknown] == ["nobody@nowhere.example", "nobody2@nowhere.example"]
    assert rows[-1] == (staff[2].pk, AuditOutcome.DENIED, "address_throttled")
    assert len(rows) == 1 + (settings.AXES_FAILURE_LIMIT + 1) + 2 + 1  # one entry per attempt
    assert all(e.source_ip for e in events)

    # Attempts naming a member are filed under the organization, so its auditor reads them.
    auditor = make_actor(org, Role.AUDITOR)
    seen = audit_events_for(actor=auditor, filters={"event": "auth."})
    assert {e.user_id for e in seen} >= {alice.pk, bob.pk, staff[2].pk}


def test_a_wrong_second_factor_is_audited_as_a_failure(org, clock):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(email="carol@lakeside.example")
    make_actor(org, Role.COORDINATOR, user=user)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.post(LOGIN, {"email": user.email, "password": TEST_PASSWORD})
    client.post("/account/verify/", {"token": "000000"})
    event = AuditEvent.objects.get(event="auth.mfa")
    assert (event.user_id, event.outcome, event.acting_organization_id) == (user.pk, AuditOutcome.FAILURE, org.pk)
