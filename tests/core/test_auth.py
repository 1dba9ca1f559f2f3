"""Sign-in, lockout, sessions, two-factor and the security headers, through Django's test client."""

import datetime as dt
import time

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.core.choices import AuditOutcome, Role
from carecoord.core.middleware import ACTIVE_ORG_SESSION_KEY
from carecoord.core.models import AuditEvent
from tests.factories import TEST_PASSWORD, OrganizationFactory, UserFactory, make_actor

T0 = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
LOGIN = "/account/login/"
WRONG = "That email and password do not match an active account."
IDLE = "You were signed out after a period of inactivity."


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(org):
    """A coordinator at `org` (two-factor not required there)."""
    user = UserFactory(email="alice@example.org")
    make_actor(org, Role.COORDINATOR, user=user)
    return user


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def login(client: Client, email: str, password: str = TEST_PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password}, **extra)


def signed_in(user) -> Client:
    client = Client()
    response = login(client, user.email)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def totp_token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def text(response) -> str:
    return response.content.decode()


# --- password sign-in -------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["alice@example.org", "ALICE@EXAMPLE.ORG", " Alice@Example.org "])
def test_sign_in_with_the_email_in_any_case(alice, email):
    client = Client()
    response = login(client, email)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert not client.get("/").url.startswith(LOGIN)
    assert client.get("/patients/").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.org", "not-the-password-1"), ("nobody@example.org", TEST_PASSWORD)],
)
def test_wrong_password_or_unknown_email_gets_the_same_message(alice, email, password):
    client = Client()
    response = login(client, email, password)
    assert response.status_code == 200
    assert WRONG in text(response)
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_cannot_sign_in(alice):
    alice.is_active = False
    alice.save()
    response = login(Client(), alice.email)
    assert WRONG in text(response)


def test_a_user_without_an_active_organization_cannot_sign_in(db):
    user = UserFactory()
    response = login(Client(), user.email)
    assert response.status_code == 200
    assert "not a member of any active organization" in text(response)


def test_sign_in_follows_a_local_next_but_never_another_site(alice):
    client = Client()
    response = client.post(LOGIN, {"email": alice.email, "password": TEST_PASSWORD, "next": "/directory/"})
    assert response["Location"] == "/directory/"
    client = Client()
    response = client.post(LOGIN, {"email": alice.email, "password": TEST_PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_session_key_changes_at_sign_in(alice):
    client = Client()
    session = client.session
    session["before"] = "anonymous"
    session.save()
    anonymous_key = client.cookies["sessionid"].value
    login(client, alice.email)
    signed_in_key = client.cookies["sessionid"].value
    assert signed_in_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()


# --- lockout (django-axes) --------------------------------------------------------------------------------


def test_five_failures_lock_the_account_from_that_address_only(alice):
    client = Client()
    for _ in range(4):
        response = login(client, alice.email, "wrong-password-123")
        assert response.status_code == 200
        assert WRONG in text(response)
    assert login(client, alice.email, "wrong-password-123").status_code == 429  # the fifth failure locks
    locked = login(client, alice.email)  # even the right password
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in text(locked)
    assert "_auth_user_id" not in client.session
    assert login(Client(), alice.email.upper(), REMOTE_ADDR="127.0.0.1").status_code == 429
    # The same user from another workstation can still sign in.
    elsewhere = Client(REMOTE_ADDR="10.20.30.40")
    assert login(elsewhere, alice.email).status_code == 302
    assert elsewhere.session["_auth_user_id"] == str(alice.pk)


def test_lockout_is_per_user(alice, org):
    bob = UserFactory(email="bob@example.org")
    make_actor(org, Role.COORDINATOR, user=bob)
    client = Client()
    for _ in range(6):
        login(client, alice.email, "wrong-password-123")
    assert login(client, bob.email).status_code == 302


def test_a_success_before_the_limit_resets_the_count(alice):
    client = Client()
    for _ in range(4):
        login(client, alice.email, "wrong-password-123")
    assert login(client, alice.email).status_code == 302
    client.post("/account/logout/")
    for _ in range(4):
        login(client, alice.email, "wrong-password-123")
    assert login(client, alice.email).status_code == 302


# --- idle timeout -----------------------------------------------------------------------------------------


def test_an_idle_session_is_signed_out(alice, clock):
    client = signed_in(alice)
    assert client.get("/patients/").status_code == 200
    clock.move_to(T0 + dt.timedelta(minutes=16))
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/patients/"
    page = client.get(response["Location"])
    assert IDLE in text(page)
    assert client.get("/patients/")["Location"].startswith("/account/login/")


def test_activity_keeps_the_session_alive(alice, clock):
    client = signed_in(alice)
    for minutes in (14, 28, 42):
        clock.move_to(T0 + dt.timedelta(minutes=minutes))
        assert client.get("/patients/").status_code == 200


def test_an_idle_htmx_request_is_redirected_by_htmx(alice, clock):
    client = signed_in(alice)
    client.get("/patients/")
    clock.move_to(T0 + dt.timedelta(minutes=16))
    response = client.get("/patients/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == LOGIN


@pytest.mark.parametrize(("minutes", "signed_out"), [(4, False), (6, True)])
def test_the_organizations_idle_timeout_applies(alice, org, clock, minutes, signed_out):
    org.idle_timeout_minutes = 5
    org.save()
    client = signed_in(alice)
    assert client.get("/patients/").status_code == 200
    clock.move_to(T0 + dt.timedelta(minutes=minutes))
    response = client.get("/patients/")
    assert (response.status_code == 302) is signed_out


# --- two-factor -------------------------------------------------------------------------------------------


@pytest.fixture
def mfa_org(db):
    return OrganizationFactory(name="Strict Clinic", slug="strict", require_mfa=True)


def test_a_member_of_an_mfa_organization_must_set_up_two_factor(mfa_org):
    user = UserFactory()
    make_actor(mfa_org, Role.COORDINATOR, user=user)
    client = Client()
    assert login(client, user.email)["Location"] == "/account/two-factor/"
    assert client.get("/patients/")["Location"] == "/account/two-factor/"
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/account/two-factor/", {"token": totp_token(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(event="auth.mfa_enrolled", user=user).count() == 1


def test_a_wrong_setup_code_does_not_confirm_the_device(mfa_org):
    user = UserFactory()
    make_actor(mfa_org, Role.COORDINATOR, user=user)
    client = signed_in(user)
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"token": "000000"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get("/patients/")["Location"] == "/account/two-factor/"


def test_an_org_admin_must_set_up_two_factor_even_when_the_organization_does_not_require_it(org):
    assert org.require_mfa is False
    admin = make_actor(org, Role.ORG_ADMIN).user
    client = Client()
    assert login(client, admin.email)["Location"] == "/account/two-factor/"
    assert client.get("/patients/")["Location"] == "/account/two-factor/"
    assert client.get("/settings/organization/")["Location"] == "/account/two-factor/"


def test_a_user_with_a_device_is_held_at_verification_until_verified(alice, clock):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client = Client()
    assert login(client, alice.email)["Location"] == "/account/verify/?next=/"
    assert client.get("/patients/")["Location"] == "/account/verify/?next=/patients/"
    wrong = client.post("/account/verify/?next=/patients/", {"token": "123456"})
    assert wrong.status_code == 200
    assert "That code is not valid" in text(wrong)
    clock.move_to(T0 + dt.timedelta(seconds=5))  # django-otp throttles the next try for a second
    response = client.post("/account/verify/?next=/patients/", {"token": totp_token(device)})
    assert response["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    outcomes = list(AuditEvent.objects.filter(event="auth.mfa", user=alice).order_by("id").values_list("outcome"))
    assert outcomes == [(AuditOutcome.FAILURE,), (AuditOutcome.SUCCESS,)]


def test_a_totp_code_works_only_once(alice, clock):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    token = totp_token(device)
    first = Client()
    login(first, alice.email)
    assert first.post("/account/verify/", {"token": token}).status_code == 302
    second = Client(REMOTE_ADDR="10.0.0.9")
    login(second, alice.email)
    replay = second.post("/account/verify/", {"token": token})
    assert replay.status_code == 200
    assert "That code is not valid" in text(replay)
    assert second.get("/patients/")["Location"].startswith("/account/verify/")
    clock.move_to(T0 + dt.timedelta(seconds=60))  # the next code works
    assert second.post("/account/verify/", {"token": totp_token(device)}).status_code == 302


def test_a_verified_user_is_not_sent_to_setup(alice, clock):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client = Client()
    login(client, alice.email)
    client.post("/account/verify/", {"token": totp_token(device)})
    assert client.get("/account/verify/")["Location"] == "/"


# --- sign-out ---------------------------------------------------------------------------------------------


def test_sign_out_is_post_only_and_ends_the_session(alice):
    client = signed_in(alice)
    old_cookie = client.cookies["sessionid"].value
    assert client.get("/account/logout/").status_code == 405
    assert client.get("/patients/").status_code == 200
    response = client.post("/account/logout/")
    assert response["Location"] == LOGIN
    assert "You are signed out." in text(client.get(LOGIN))
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    assert replay.get("/patients/")["Location"] == "/account/login/?next=/patients/"
    assert AuditEvent.objects.filter(event="auth.logout", user=alice).count() == 1


# --- pages and headers ------------------------------------------------------------------------------------


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "up"}


def test_signed_in_pages_are_not_stored(alice):
    client = signed_in(alice)
    response = client.get("/patients/")
    assert response["Cache-Control"] == "no-store"
    assert "no-store" not in Client().get(LOGIN).get("Cache-Control", "")


@pytest.mark.parametrize("signed", [False, True])
def test_security_headers(alice, signed):
    client = signed_in(alice) if signed else Client()
    response = client.get("/patients/" if signed else LOGIN)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_anonymous_users_are_sent_to_sign_in(db):
    assert Client().get("/patients/")["Location"] == "/account/login/?next=/patients/"


# --- switching organization -------------------------------------------------------------------------------


def test_switch_only_to_an_organization_the_user_belongs_to(alice, org, other_org):
    make_actor(other_org, Role.PROVIDER, user=alice)
    stranger_org = OrganizationFactory(name="Elsewhere", slug="elsewhere")
    client = signed_in(alice)
    client.get("/")
    assert client.session[ACTIVE_ORG_SESSION_KEY] == org.pk  # Lakeside sorts before Riverside

    response = client.post("/account/organization/", {"organization": other_org.slug})
    assert response.status_code == 302
    assert client.session[ACTIVE_ORG_SESSION_KEY] == other_org.pk
    assert "You are now working in Riverside Hospital." in text(client.get("/", follow=True))
    event = AuditEvent.objects.get(event="auth.switch_organization")
    assert event.acting_organization == other_org

    client.post("/account/organization/", {"organization": stranger_org.slug})
    assert client.session[ACTIVE_ORG_SESSION_KEY] == other_org.pk
    assert "You are not a member of that organization." in text(client.get("/", follow=True))


def test_a_new_session_starts_in_the_organization_last_chosen(alice, org, other_org):
    make_actor(other_org, Role.PROVIDER, user=alice)
    first = signed_in(alice)
    first.get("/")
    assert first.session[ACTIVE_ORG_SESSION_KEY] == org.pk  # nothing chosen yet: the first by name
    first.post("/account/organization/", {"organization": other_org.slug})

    later = signed_in(alice)  # another device, or tomorrow's sign-in
    later.get("/")
    assert later.session[ACTIVE_ORG_SESSION_KEY] == other_org.pk
    assert "Riverside Hospital" in text(later.get("/", follow=True))

    alice.memberships.filter(organization=other_org).update(active=False)
    after_leaving = signed_in(alice)
    after_leaving.get("/")
    assert after_leaving.session[ACTIVE_ORG_SESSION_KEY] == org.pk  # no longer a member there: back to the first


def test_an_inactive_membership_cannot_be_switched_to(alice, other_org):
    membership = make_actor(other_org, Role.PROVIDER, user=alice).user.memberships.get(organization=other_org)
    membership.active = False
    membership.save()
    client = signed_in(alice)
    client.post("/account/organization/", {"organization": other_org.slug})
    assert client.session.get(ACTIVE_ORG_SESSION_KEY) != other_org.pk


def test_a_session_pointing_at_a_lost_membership_falls_back_to_a_current_one(alice, org, other_org):
    client = signed_in(alice)
    session = client.session
    session[ACTIVE_ORG_SESSION_KEY] = other_org.pk
    session.save()
    assert client.get("/patients/").status_code == 200
    assert client.session[ACTIVE_ORG_SESSION_KEY] == org.pk
