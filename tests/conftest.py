import pytest
import time_machine
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.test.utils import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from carecoord.core.choices import Role

from .factories import OrganizationFactory, make_actor

# Property tests check rules, not speed (timings live in bench/): no per-example deadline, which a busy CI
# machine would otherwise turn into a flaky failure.
hypothesis_settings.register_profile("carecoord", deadline=None)
hypothesis_settings.load_profile("carecoord")


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Lakeside Clinic", slug="lakeside")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Riverside Hospital", slug="riverside", kind="hospital")


@pytest.fixture
def actor(org):
    """A coordinator at `org`."""
    return make_actor(org, Role.COORDINATOR)


@pytest.fixture
def other_actor(other_org):
    """A coordinator at `other_org`."""
    return make_actor(other_org, Role.COORDINATOR)


def signed_in_client(actor, *, verified: bool = True) -> Client:
    """A test client signed in as `actor`, past two-factor (a confirmed TOTP device) unless `verified=False`."""
    client = Client()
    client.force_login(actor.user)
    session = client.session
    session["carecoord_active_org"] = actor.organization.pk
    if verified:
        device, _ = TOTPDevice.objects.get_or_create(user=actor.user, name="test", defaults={"confirmed": True})
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for():
    return signed_in_client


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with the smallest cost, so tests that create users stay fast; hashes still start with argon2$."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=["tests.conftest.FastArgon2PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def audit_sealed_at_every_commit():
    """
    Every commit and read seals the audit chain at once, as on a quiet server, so a test sees its entries
    sealed (a frozen clock would otherwise never let a second sealing fall due). Sealing at most once per
    interval is tested on its own: tests/core/test_audit_sealing_interval.py.
    """
    with override_settings(CARECOORD_AUDIT_SEAL_SECONDS=0):
        yield


@pytest.fixture
def _frozen_clock(request):
    """The clock stopped at the test module's NOW (a module opts in with `usefixtures("_frozen_clock")`)."""
    with time_machine.travel(request.module.NOW, tick=False) as traveller:
        yield traveller
