"""Organization admins: adding people from the settings page, and why two-factor is asked of them."""

import re

import pytest
from django.urls import reverse

from carecoord.core.choices import Role
from carecoord.core.models import AuditEvent, Membership, User
from tests.factories import OrganizationFactory, UserFactory, make_actor

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def add(client, **data):
    return client.post(reverse("core:member_add"), {"full_name": "", "role": Role.COORDINATOR, **data})


def test_a_new_person_gets_an_account_and_a_one_time_password_shown_once(org, client_for):
    admin = make_actor(org, Role.ORG_ADMIN)
    client = client_for(admin)
    response = add(client, email="Nora.Quinn@Clinic.test", full_name="Nora Quinn", role=Role.SCHEDULER)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nora Quinn</strong> (nora.quinn@clinic.test) is now a member as Scheduler" in page
    (password,) = re.findall(r"shown only now: <code>([^<]+)</code>", page)
    user = User.objects.get(email="nora.quinn@clinic.test")
    assert Membership.objects.get(user=user, organization=org).role == Role.SCHEDULER
    assert user.check_password(password)
    event = AuditEvent.objects.get(event="membership.add", user=admin.user)
    assert event.detail["new_account"] is True
    assert password not in str(event.detail)
    assert password not in client.get(reverse("core:organization_settings")).content.decode()


def test_someone_with_an_account_elsewhere_joins_without_a_new_password(org, client_for):
    elsewhere = UserFactory(email="sam.reyes@other.test", full_name="Sam Reyes")
    make_actor(OrganizationFactory(), Role.COORDINATOR, user=elsewhere)
    response = add(client_for(make_actor(org, Role.ORG_ADMIN)), email="sam.reyes@other.test")
    page = response.content.decode()
    assert "They already had an account and sign in as before." in page
    assert "shown only now" not in page
    assert Membership.objects.get(user=elsewhere, organization=org).role == Role.COORDINATOR


def test_a_member_already_or_a_bad_email_is_refused_with_the_reason(org, client_for):
    client = client_for(make_actor(org, Role.ORG_ADMIN))
    member = make_actor(org, Role.COORDINATOR)
    again = add(client, email=member.user.email)
    assert again.status_code == 400
    assert "is already a member; change their role in the list." in again.content.decode()
    bad = add(client, email="not an email", full_name="Typed Name")
    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.content.decode()
    assert 'value="Typed Name"' in bad.content.decode()  # what was typed stays


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPERVISOR, Role.AUDITOR])
def test_only_an_admin_adds_members(org, client_for, role):
    response = add(client_for(make_actor(org, role)), email="someone@clinic.test")
    assert response.status_code == 403
    assert not User.objects.filter(email="someone@clinic.test").exists()


def test_the_two_factor_page_tells_an_admin_why_it_is_asked(db, client):
    from carecoord.core.models import Organization

    org = OrganizationFactory(require_mfa=False)
    assert not Organization.objects.get(pk=org.pk).require_mfa
    admin = make_actor(org, Role.ORG_ADMIN)
    client.force_login(admin.user)
    page = client.get(reverse("core:setup_otp")).content.decode()
    assert "Organization admins always use a second factor" in page
    assert "Your organization requires" not in page
