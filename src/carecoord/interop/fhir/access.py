"""Who is calling the FHIR API: a bearer token of a system client, or a signed-in person reading."""

from dataclasses import dataclass

from django.http import HttpRequest

from carecoord.core.access import Actor

from .clients import token_access
from .outcome import FhirError
from .scopes import Grants, parse_scopes

EVERYTHING = parse_scopes("system/*.*")


@dataclass(frozen=True)
class Caller:
    actor: Actor
    grants: Grants
    client_id: str = ""

    def require(self, resource_type: str, interaction: str) -> None:
        if not self.grants.allows(resource_type, interaction):
            raise FhirError(403, f"The token's scopes do not allow {interaction} on {resource_type}.", code="forbidden")


def caller_for(request: HttpRequest) -> Caller:
    """The caller, or FhirError 401 (with a WWW-Authenticate challenge) when there is none."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        access = token_access(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if access is None:
            raise _unauthorized("The access token is missing, expired or revoked; get a new one at /oauth/token.")
        return Caller(actor=access.actor, grants=access.grants, client_id=access.client.client_id)
    actor = getattr(request, "actor", None)
    if actor is not None and request.user.is_authenticated and actor.can_see_patients:
        if request.method not in ("GET", "HEAD"):
            raise FhirError(403, "Writes need a bearer token from /oauth/token.", code="forbidden")
        return Caller(actor=actor, grants=EVERYTHING)
    raise _unauthorized("Authenticate with a bearer token from /oauth/token.")


def _unauthorized(message: str) -> FhirError:
    error = FhirError(401, message, code="login")
    error.headers["WWW-Authenticate"] = 'Bearer realm="carecoord", error="invalid_token"'
    return error
