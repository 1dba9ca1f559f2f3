"""
RELIABILITY T11: after the password step every PHI endpoint (pages, /api/v1, FHIR with a session) refuses
until the second factor is done, for every role; wrong codes are throttled; two-factor is on by default for
new organizations; feed addresses (the only tokens a user can mint) need two-factor; there is no password
reset flow that could skip it.
"""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.core.choices import Role
from carecoord.core.services import organization_create
from carecoord.scheduling.models import CalendarFeed
from tests.factories import TEST_PASSWORD, OrganizationFactory, PatientFactory, UserFactory, make_actor

from .conftest import LOGIN
from .conftest import SIGN_IN_T0 as T0

pytestmark = pytest.mark.usefixtures("md5_passwords")

SECRET_NAME = "Zebulon Quartermain-Holt"


@pytest.fixture
def strict(db):
    return OrganizationFactory(name="Strict Clinic", slug="strict", require_mfa=True)


@pytest.fixture
def patient(strict):
    given, family = SECRET_NAME.split(" ", 1)
    return PatientFactory(organization=strict, given_name=given, family_name=family, mrn="T11-0001")


def password_only(user) -> Client:
    client = Client()
    response = client.post(LOGIN, {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def totp_token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def phi_urls(patient) -> list[str]:
    return [
        "/patients/",
        f"/patients/{patient.public_id}/",
        "/worklist/",
        f"/api/v1/patients/{patient.public_id}",
        "/api/v1/patients?q=Quartermain",
        f"/fhir/R4/Patient/{patient.public_id}",
        "/fhir/R4/Patient?family=Quartermain-Holt",
        "/account/security/",
        "/break-glass/",
    ]


def assert_refused(client: Client, url: str) -> None:
    response = client.get(url)
    body = response.content.decode()
    assert SECRET_NAME.split()[1] not in body, url
    if url.startswith(("/api/", "/fhir/")):
        assert response.status_code == 401, (url, response.status_code)
    else:
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith(("/account/two-factor/", "/account/verify/")), url


@pytest.mark.parametrize("role", Role.values)
def test_no_role_reaches_phi_before_setting_up_two_factor(strict, patient, role):
    user = make_actor(strict, role).user
    client = password_only(user)
    for url in phi_urls(patient):
        assert_refused(client, url)


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.COORDINATOR, Role.AUDITOR])
def test_a_user_with_a_device_reaches_phi_only_after_the_code(strict, patient, role, clock):
    user = make_actor(strict, role).user
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = password_only(user)
    for url in phi_urls(patient):
        assert_refused(client, url)
    assert client.post("/account/verify/", {"token": totp_token(device)}).status_code == 302
    if role != Role.AUDITOR:
        assert client.get(f"/api/v1/patients/{patient.public_id}").status_code == 200


def test_the_fhir_refusal_is_an_operation_outcome(strict, patient):
    client = password_only(make_actor(strict, Role.PROVIDER).user)
    response = client.get(f"/fhir/R4/Patient/{patient.public_id}")
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"


def test_wrong_codes_are_throttled(strict, clock):
    user = make_actor(strict, Role.COORDINATOR).user
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = password_only(user)
    for _ in range(3):
        client.post("/account/verify/", {"token": "000000"})
    # django-otp pauses the device after failures (1 s, doubling): even the right code is refused now.
    refused = client.post("/account/verify/", {"token": totp_token(device)})
    assert refused.status_code == 200
    assert "Too many wrong codes" in refused.content.decode()
    clock.move_to(T0 + dt.timedelta(seconds=31))
    assert client.post("/account/verify/", {"token": totp_token(device)}).status_code == 302


def test_two_factor_is_on_by_default_for_new_organizations(db):
    made = organization_create(name="New Clinic", kind="clinic", state="IL", timezone="America/Chicago")
    assert made.require_mfa is True
    call_command("createorg", "Another Clinic", kind="clinic", state="IL", timezone="America/Chicago")
    from carecoord.core.models import Organization

    assert Organization.objects.get(name="Another Clinic").require_mfa is True


def test_feed_addresses_are_minted_only_after_two_factor(org):
    """`org` does not require two-factor, yet a feed (a credential that works without signing in) does."""
    actor = make_actor(org, Role.COORDINATOR)
    patient = PatientFactory(organization=org)
    client = password_only(actor.user)
    assert client.get("/patients/").status_code == 200  # the organization lets them work without it
    response = client.post(f"/patients/{patient.public_id}/feeds/", {"label": "Daughter's phone"})
    assert response.status_code == 403
    assert "two-factor" in response.content.decode()
    assert not CalendarFeed.objects.exists()

    device = TOTPDevice.objects.create(user=actor.user, name="phone", confirmed=True)
    verified = Client(REMOTE_ADDR="10.0.0.2")
    verified.post(LOGIN, {"email": actor.user.email, "password": TEST_PASSWORD})
    verified.post("/account/verify/", {"token": totp_token(device)})
    response = verified.post(f"/patients/{patient.public_id}/feeds/", {"label": "Daughter's phone"})
    assert response.status_code == 200
    assert CalendarFeed.objects.count() == 1


def test_there_is_no_password_reset_flow_to_skip_two_factor(db):
    for name in ("password_reset", "core:password_reset", "password_reset_confirm"):
        with pytest.raises(NoReverseMatch):
            reverse(name)
    assert Client().get("/account/password/reset/").status_code == 404


def test_a_user_without_membership_in_a_strict_org_is_not_exempt(strict, org):
    """A member of a relaxed and a strict organization must use two-factor (the strictest applies)."""
    user = UserFactory()
    make_actor(org, Role.COORDINATOR, user=user)
    make_actor(strict, Role.COORDINATOR, user=user)
    client = password_only(user)
    assert client.get("/patients/")["Location"] == "/account/two-factor/"
