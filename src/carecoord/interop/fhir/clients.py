"""
System clients and OAuth2 client-credentials tokens (RFC 6749 section 4.4, as SMART Backend Services use it).
Client secrets are hashed with the password hasher (Argon2); access tokens are random and kept as SHA-256,
valid for five minutes as SMART recommends, and die at once when the client is deactivated.
"""

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from carecoord.core import clock
from carecoord.core.access import Actor
from carecoord.core.audit import audit_record
from carecoord.core.choices import AuditAction, AuditOutcome, Role
from carecoord.core.errors import ValidationError
from carecoord.core.models import Membership, Organization, User
from carecoord.core.prepared import Prepared, prepared_for

from .models import AccessToken, ApiClient
from .scopes import Grants, ScopeError, narrow, parse_scopes

TOKEN_LIFETIME = dt.timedelta(minutes=5)
SERVICE_EMAIL_DOMAIN = "api-clients.carecoord.invalid"


@transaction.atomic
def api_client_create(
    *, organization: Organization, name: str, scopes: str, created_by: User | None = None
) -> tuple[ApiClient, str]:
    """Creates a client and returns it with its secret, which is shown this once and never stored."""
    try:
        parse_scopes(scopes)
    except ScopeError as exc:
        raise ValidationError(str(exc), field="scopes") from exc
    if not scopes.split():
        raise ValidationError("Give the client at least one scope.", field="scopes")
    client_id = f"cc_{secrets.token_urlsafe(16)}"
    secret = secrets.token_urlsafe(32)
    service_user = User.objects.create_user(
        email=f"{client_id.lower()}@{SERVICE_EMAIL_DOMAIN}", full_name=f"API client: {name}", password=None
    )
    Membership.objects.create(user=service_user, organization=organization, role=Role.COORDINATOR)
    client = ApiClient.objects.create(
        organization=organization,
        name=name,
        client_id=client_id,
        secret_hash=make_password(secret),
        scopes=" ".join(scopes.split()),
        service_user=service_user,
        created_by=created_by,
    )
    audit_record(
        user=created_by,
        organization=organization,
        event="api_client.create",
        action=AuditAction.CREATE,
        target=client,
        detail={"scopes": client.scopes},
    )
    return client, secret


@transaction.atomic
def api_client_deactivate(*, client: ApiClient, by: User | None = None) -> None:
    """Turns a client off; its tokens stop working on their next use."""
    client.active = False
    client.save(update_fields=["active", "updated_at"])
    client.service_user.is_active = False
    client.service_user.save(update_fields=["is_active"])
    audit_record(
        user=by,
        organization=client.organization,
        event="api_client.deactivate",
        action=AuditAction.UPDATE,
        target=client,
    )


class TokenRequestError(Exception):
    """An OAuth2 error: `error` is the RFC 6749 code, `description` says what is wrong."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@functools.cache
def _dummy_hash() -> str:
    return make_password(secrets.token_urlsafe(16))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_issue(*, client_id: str, client_secret: str, scope: str = "") -> tuple[str, AccessToken]:
    """Checks the client's credentials and issues a token for the requested scopes (all granted ones if none)."""
    client = ApiClient.objects.select_related("organization", "service_user").filter(client_id=client_id).first()
    # Hash even for an unknown client, so timing does not tell which client ids exist.
    valid = check_password(client_secret, client.secret_hash if client else _dummy_hash())
    if client is None or not valid or not client.active or not client.organization.active:
        raise TokenRequestError("invalid_client", "Unknown client or wrong secret.", status=401)
    try:
        scopes = narrow(scope, client.scopes) if scope.strip() else client.scopes
    except ScopeError as exc:
        raise TokenRequestError("invalid_scope", str(exc)) from exc
    token = secrets.token_urlsafe(32)
    now = clock.now()
    record = AccessToken.objects.create(
        token_sha256=_digest(token), client=client, scopes=scopes, issued_at=now, expires_at=now + TOKEN_LIFETIME
    )
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    audit_record(
        user=client.service_user,
        organization=client.organization,
        event="oauth.token",
        action=AuditAction.EXECUTE,
        target=client,
        detail={"scopes": scopes},
    )
    return token, record


@dataclass(frozen=True)
class TokenAccess:
    actor: Actor
    grants: Grants
    client: ApiClient


def token_access(token: str) -> TokenAccess | None:
    """The actor and grants of a live bearer token (one query, compiled once per connection), or None."""
    statement = prepared_for("fhir.token_access", _token_statement)
    record = statement.first(digest=_digest(token), now=clock.now())
    if record is None:
        return None
    client = record.client
    actor = Actor(user=client.service_user, organization=client.organization, roles=frozenset({Role.COORDINATOR}))
    return TokenAccess(actor=actor, grants=_grants(record.scopes), client=client)


# Values no token row holds, standing where the digest and the clock go (core.prepared).
_DIGEST_SENTINEL = "sentinel:token-digest:" + "0" * 42
_NOW_SENTINEL = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def _token_statement() -> Prepared:
    live = AccessToken.objects.select_related("client__organization", "client__service_user").filter(
        token_sha256=_DIGEST_SENTINEL,
        expires_at__gt=_NOW_SENTINEL,
        revoked_at__isnull=True,
        client__active=True,
        client__organization__active=True,
    )
    return Prepared(live.order_by("pk")[:1], {"digest": _DIGEST_SENTINEL, "now": _NOW_SENTINEL})


@functools.lru_cache(maxsize=256)
def _grants(scopes: str) -> Grants:
    return parse_scopes(scopes)


def audit_token_refused(description: str) -> None:
    audit_record(
        event="oauth.token", action=AuditAction.EXECUTE, outcome=AuditOutcome.DENIED, detail={"reason": description}
    )
