import pytest
from django.db import transaction
from django.test import override_settings

from carecoord.demo.world import world_create

DEMO_PASSWORD = "demo-test-password-7f3k2q"
# Argon2 is slow on purpose; these tests check the demo, not the hashing.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The full demo world, built once per module inside a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        yield world_create(password=DEMO_PASSWORD)
        transaction.set_rollback(True)
