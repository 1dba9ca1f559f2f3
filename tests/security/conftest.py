"""
Shared pieces of the security matrices (T14-T19 of RELIABILITY.md, docs/security.md): the tenant-isolation world
(organization A's full record, B unrelated, C a grantee), FHIR callers with bearer tokens, a snapshot of every
table, and the denied-response detector that every matrix feeds (T19).
"""

import datetime as dt
import json
from dataclasses import dataclass, field

import pytest
import time_machine
from django.apps import apps
from django.test import Client

from carecoord.core.choices import Role
from carecoord.interop.fhir.clients import api_client_create

from ..conftest import signed_in_client
from ..factories import make_actor
from ..test_tenant_isolation import PLUGINS, SECRETS, world  # noqa: F401  (the `world` fixture is shared)

# What a refusal (401/403/404/405/409) must never carry: a name, MRN, DOB, note text, or a traceback.
DENIED_STATUSES = (401, 403, 404, 405, 409)
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "django.db.utils", "IntegrityError",
                     "OperationalError", "/site-packages/", "SELECT ", "DEBUG = True")  # fmt: skip


def all_secrets() -> list[str]:
    return SECRETS + [secret for plugin in PLUGINS for secret in plugin.SECRETS]


def leaks_in(body: str, echoed: str = "") -> list[str]:
    """A's strings and traceback markers found in `body` (the caller's own search text `echoed` excepted)."""
    text = body.replace(echoed, "") if echoed else body
    found = [s for s in all_secrets() if s in text and not (echoed and s.lower() in echoed.lower())]
    found += [marker for marker in TRACEBACK_MARKERS if marker in text]
    return found


@dataclass
class DeniedBodies:
    """Every refusal a matrix test saw; `check` runs the T19 detector over them."""

    seen: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, where: str, response) -> None:
        if response.status_code in DENIED_STATUSES:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            self.seen.append((where, response.status_code, body.decode(errors="replace")))

    def check(self) -> None:
        bad = [(where, status, leaks_in(body)) for where, status, body in self.seen if leaks_in(body)]
        assert not bad, f"refusals that leak data or internals: {bad[:10]}"


@pytest.fixture
def denied():
    """Collects refusals during a test and runs the T19 detector over them when it ends."""
    bodies = DeniedBodies()
    yield bodies
    bodies.check()


@pytest.fixture
def role_clients(world):  # noqa: F811  (the shared `world` fixture)
    """One client per role (core.choices.Role), each a user holding only that role in organization A."""
    return {role: signed_in_client(make_actor(world["a"].organization, role)) for role in Role.values}


# Sign-in through the login form (T10 throttling, T12 sessions) -------------------------------------------------

SIGN_IN_T0 = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)
LOGIN = "/account/login/"


@pytest.fixture
def md5_passwords(settings):
    """The cheapest password hasher, for tests that sign in through the form many times (not for hash tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock():
    """Time frozen at SIGN_IN_T0; `clock.move_to(...)` moves it."""
    with time_machine.travel(SIGN_IN_T0, tick=False) as traveller:
        yield traveller


# FHIR callers -------------------------------------------------------------------------------------------------


@dataclass
class Fhir:
    http: Client
    token: str | None

    def _headers(self, extra=None) -> dict:
        headers = {"HTTP_ACCEPT": "application/fhir+json"}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        headers.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (extra or {}).items()})
        return headers

    def get(self, path, params=None, headers=None):
        return self.http.get(f"/fhir/R4/{path}", params or {}, **self._headers(headers))

    def post(self, path, body, headers=None):
        return self.http.post(f"/fhir/R4/{path}", json.dumps(body), content_type="application/fhir+json",
                              **self._headers(headers))  # fmt: skip

    def put(self, path, body, headers=None):
        return self.http.put(f"/fhir/R4/{path}", json.dumps(body), content_type="application/fhir+json",
                             **self._headers(headers))  # fmt: skip

    def delete(self, path):
        return self.http.delete(f"/fhir/R4/{path}", **self._headers())


def fhir_token(organization, scopes: str = "system/*.*") -> str:
    """A bearer token of a new system client of `organization`, through POST /oauth/token."""
    client, secret = api_client_create(organization=organization, name="Security matrix", scopes=scopes)
    response = Client().post(
        "/oauth/token", {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": secret}
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def fhir_as():
    def make(organization, scopes: str = "system/*.*") -> Fhir:
        return Fhir(Client(), fhir_token(organization, scopes))

    return make


# Snapshot of organization A ------------------------------------------------------------------------------------

# Tables a refused request may legitimately write to: its audit entry, the caller's session, last sign-in and
# tokens, B's own export jobs, the two-factor device of a test client and django-axes' sign-in log. Everything
# else must stay byte-identical.
VOLATILE = {"core.auditevent", "sessions.session", "fhir.accesstoken", "fhir.apiclient", "fhir.exportjob",
            "otp_totp.totpdevice", "otp_static.staticdevice", "otp_static.statictoken", "core.user"}  # fmt: skip


def snapshot_all(organization) -> dict[str, list[str]]:
    """
    Every row of every table, as text: for models with an `organization` field only A's rows (B's own writes
    land in B), for the others every row. Compared before and after the attack, it must be identical.
    """
    rows = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in VOLATILE or model._meta.app_label == "axes" or not model._meta.managed:
            continue
        manager = model._base_manager
        names = {f.name for f in model._meta.concrete_fields}
        queryset = manager.filter(organization=organization) if "organization" in names else manager.all()
        rows[label] = sorted(repr(sorted(row.items())) for row in queryset.values())
    return rows


def assert_same(before: dict, after: dict) -> None:
    changed = {
        label: (len(before[label]), len(after.get(label, []))) for label in before if before[label] != after.get(label)
    }
    assert not changed, f"organization A's rows changed (table: rows before, after): {changed}"
