"""
RELIABILITY T13: password rules, the stored hash, case-insensitive unique email, no users in a fresh
deployment, and admin privileges only on separate identities.
"""

from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client

from carecoord.core.choices import Role
from carecoord.core.errors import ConflictError, ValidationError
from carecoord.core.models import Membership, Organization, User
from carecoord.core.services import membership_add, user_create
from carecoord.settings import PASSWORD_HASHERS as CONFIGURED_HASHERS

LONG_PASSPHRASE = "correct horse battery staple " * 4  # 116 characters


PASSPHRASE = "a-long-enough-passphrase"


def create(org, email="alice@x.example", password=PASSPHRASE, role=Role.COORDINATOR):
    return user_create(email=email, full_name="Alice Example", password=password, organization=org, role=role)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!pass", "too short"),  # 10 characters; the minimum is 12
        ("q1w2e3r4t5y6", "common"),  # on Django's common-password list
        ("123456789012345", "numeric"),
    ],
)
def test_weak_passwords_are_refused(org, password, reason):
    with pytest.raises(ValidationError) as refused:
        create(org, password=password)
    assert refused.value.field == "password"
    assert not User.objects.exists()


def test_a_passphrase_of_more_than_64_characters_is_accepted_and_signs_in(org):
    assert len(LONG_PASSPHRASE) > 64
    user = create(org, password=LONG_PASSPHRASE)
    response = Client().post("/account/login/", {"email": user.email, "password": LONG_PASSPHRASE})
    assert response.status_code == 302


def test_the_stored_hash_is_argon2_never_the_password(org):
    user = create(org, password=LONG_PASSPHRASE)
    assert user.password.startswith("argon2$")
    assert LONG_PASSPHRASE not in user.password
    assert identify_hasher(user.password).algorithm == "argon2"
    # The deployed settings: Argon2 first, PBKDF2 (pbkdf2_sha256$) as the only other accepted hash.
    assert CONFIGURED_HASHERS == [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


def test_an_email_differing_only_in_case_is_refused(org):
    create(org, email="alice@x.example")
    with pytest.raises(ConflictError):
        create(org, email="Alice@X.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ALICE@x.example", full_name="Alice again")
    assert User.objects.count() == 1


def test_createuser_with_an_existing_email_in_other_case_adds_a_role_not_an_account(org, other_org):
    create(org, email="alice@x.example")
    call_command("createuser", "ALICE@x.example", org=other_org.slug, role=Role.PROVIDER, stdout=StringIO())
    assert User.objects.count() == 1
    assert set(Membership.objects.values_list("organization__slug", "role")) == {
        (org.slug, Role.COORDINATOR),
        (other_org.slug, Role.PROVIDER),
    }


def test_a_fresh_deployment_has_no_accounts_and_no_organizations(db):
    """The test database is built by running every migration, as `carecoord migrate` does."""
    assert not User.objects.exists()
    assert not Organization.objects.exists()
    for name in ("admin", "demo", "test", "root"):
        assert not User.objects.filter(email__istartswith=name).exists()


def test_admin_privileges_sit_on_a_separate_identity(org):
    everyday = create(org, email="carol@x.example")
    with pytest.raises(ValidationError, match="separate account"):
        membership_add(actor=None, user=everyday, organization=org, role=Role.ORG_ADMIN)
    admin = create(org, email="carol.admin@x.example", role=Role.ORG_ADMIN)
    with pytest.raises(ValidationError, match="separate account"):
        membership_add(actor=None, user=admin, organization=org, role=Role.COORDINATOR)
    with pytest.raises(CommandError, match="separate account"):
        call_command("createuser", everyday.email, org=org.slug, role=Role.ORG_ADMIN, stdout=StringIO())
    assert not everyday.memberships.filter(role=Role.ORG_ADMIN).exists()
    assert not User.objects.filter(is_superuser=True).exists()


def test_the_configured_password_rules(db):
    names = [v["NAME"].rsplit(".", 1)[1] for v in django_settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert django_settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"]["min_length"] == 12
