"""
RELIABILITY T12: sessions are enforced on the server: an absolute lifetime counted from sign-in, sign-out
that a replayed cookie cannot undo, and disabling an account, changing or removing a role, or a password
change with "sign out my other sessions" ending open sessions at their very next request. The idle
bookkeeping writes the session at most once a minute.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent
from carecoord.core.services import (
    membership_remove,
    membership_role_change,
    password_change,
    user_deactivate,
)
from tests.factories import TEST_PASSWORD, UserFactory, make_actor

from .conftest import LOGIN
from .conftest import SIGN_IN_T0 as T0

API = "/api/v1/patients?q=zz"
NEW_PASSWORD = "a-brand-new-long-passphrase-2026"

pytestmark = pytest.mark.usefixtures("md5_passwords")


@pytest.fixture
def alice(org):
    user = UserFactory(email="alice@lakeside.example")
    make_actor(org, Role.COORDINATOR, user=user)
    return user


@pytest.fixture
def admin(org):
    return make_actor(org, Role.ORG_ADMIN)


def signed_in(user, address: str = "127.0.0.1", password: str = TEST_PASSWORD) -> Client:
    client = Client(REMOTE_ADDR=address)
    assert client.post(LOGIN, {"email": user.email, "password": password}).status_code == 302
    return client


def assert_signed_out(client: Client) -> None:
    assert client.get("/patients/")["Location"].startswith("/account/login/")
    assert client.get(API).status_code == 401


def test_the_absolute_lifetime_ends_an_active_session(settings, alice, clock):
    settings.SESSION_COOKIE_AGE = 3600
    client = signed_in(alice)
    for minutes in range(10, 60, 10):  # busy every 10 minutes, never idle
        clock.move_to(T0 + dt.timedelta(minutes=minutes))
        assert client.get(API).status_code == 200
    clock.move_to(T0 + dt.timedelta(minutes=61))
    response = client.get(API)
    assert response.status_code == 401
    assert "maximum length" in response.json()["message"]
    assert client.get("/patients/")["Location"].startswith("/account/login/")


def test_a_session_without_a_sign_in_time_is_refused(alice):
    client = signed_in(alice)
    session = client.session
    del session["carecoord_signed_in_at"]
    session.save()
    assert client.get(API).status_code == 401


def test_a_replayed_cookie_after_sign_out_is_refused(alice):
    client = signed_in(alice)
    old_cookie = client.cookies["sessionid"].value
    assert client.get(API).status_code == 200
    client.post("/account/logout/")
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    assert replay.get(API).status_code == 401
    assert replay.get("/patients/")["Location"] == "/account/login/?next=/patients/"


def test_disabling_a_user_ends_their_open_session_at_the_next_request(alice, admin):
    client = signed_in(alice)
    assert client.get(API).status_code == 200
    user_deactivate(actor=admin, user=alice)
    assert_signed_out(client)
    assert AuditEvent.objects.filter(event="user.deactivate", user=admin.user).count() == 1


@pytest.mark.parametrize("change", ["role", "remove"])
def test_a_role_change_or_removal_ends_open_sessions(alice, admin, change):
    client = signed_in(alice)
    assert client.get(API).status_code == 200
    membership = alice.memberships.get()
    if change == "role":
        membership_role_change(actor=admin, membership=membership, role=Role.SCHEDULER)
    else:
        membership_remove(actor=admin, membership=membership)
    assert_signed_out(client)
    if change == "role":  # the user signs in again and works with the new role
        assert signed_in(alice).get(API).status_code == 200


def test_an_admin_changes_roles_from_the_settings_page(alice, org, admin, client_for):
    alice_client = signed_in(alice)
    admin_client = client_for(admin)
    membership = alice.memberships.get()
    page = admin_client.get("/settings/organization/")
    assert f"/settings/members/{membership.public_id}/" in page.content.decode()
    admin_client.post(f"/settings/members/{membership.public_id}/", {"action": "role", "role": Role.SUPERVISOR})
    membership.refresh_from_db()
    assert membership.role == Role.SUPERVISOR
    assert_signed_out(alice_client)
    # Another organization's admin cannot touch the membership.
    stranger = make_actor(None, Role.ORG_ADMIN)
    response = client_for(stranger).post(f"/settings/members/{membership.public_id}/", {"action": "remove"})
    assert response.status_code == 404


def test_a_password_change_can_end_the_other_sessions(alice):
    desk = signed_in(alice, address="10.0.0.1")
    phone = signed_in(alice, address="10.0.0.2")
    response = desk.post(
        "/account/security/",
        {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "end_other_sessions": "on"},
    )
    assert response.status_code == 302
    assert desk.get(API).status_code == 200  # the session that changed it stays
    assert_signed_out(phone)
    assert AuditEvent.objects.filter(event="auth.password_change", user=alice).count() == 1


def test_a_password_change_may_keep_the_other_sessions(alice):
    desk = signed_in(alice, address="10.0.0.1")
    phone = signed_in(alice, address="10.0.0.2")
    password_change(user=alice, old_password=TEST_PASSWORD, new_password=NEW_PASSWORD, end_other_sessions=False)
    # Django ties sessions to the password hash: without update_session_auth_hash every session ends. The
    # page keeps the changing session; a service-level change (as here) ends both.
    assert_signed_out(phone)
    assert_signed_out(desk)


def test_sign_out_my_other_sessions(alice):
    desk = signed_in(alice, address="10.0.0.1")
    phone = signed_in(alice, address="10.0.0.2")
    assert desk.post("/account/security/", {"action": "end_others"}).status_code == 302
    assert desk.get(API).status_code == 200
    assert_signed_out(phone)


def test_a_wrong_current_password_changes_nothing(alice):
    desk = signed_in(alice)
    response = desk.post("/account/security/", {"old_password": "not-it-at-all", "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "current password is not right" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)


def session_writes(captured) -> int:
    return sum(
        1
        for query in captured.captured_queries
        if "django_session" in query["sql"] and query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_the_activity_stamp_is_written_at_most_once_a_minute(alice, clock):
    client = signed_in(alice)
    client.get(API)
    with CaptureQueriesContext(connection) as captured:
        for seconds in (5, 20, 40, 59):
            clock.move_to(T0 + dt.timedelta(seconds=seconds))
            assert client.get(API).status_code == 200
    assert session_writes(captured) == 0
    clock.move_to(T0 + dt.timedelta(seconds=61))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(API).status_code == 200
    assert session_writes(captured) == 1


def test_idle_timeout_still_counts_from_the_last_stamp(org, alice, clock):
    org.idle_timeout_minutes = 2
    org.save()
    client = signed_in(alice)
    clock.move_to(T0 + dt.timedelta(seconds=90))
    assert client.get(API).status_code == 200  # stamp written at 90 s
    clock.move_to(T0 + dt.timedelta(seconds=90 + 119))
    assert client.get(API).status_code == 200
    clock.move_to(T0 + dt.timedelta(seconds=90 + 119 + 125))  # 125 s after the last stamp at 209 s
    assert client.get(API).status_code == 401
