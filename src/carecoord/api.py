"""
The JSON API (django-ninja) at /api/v1/, described by OpenAPI at /api/v1/openapi.json. It authenticates
with the browser session (CSRF-checked on writes); system clients with OAuth2 tokens arrive with the FHIR
API. Errors answer 4xx with {"code", "message", "field"}. There is no documentation UI (it would load
assets from a CDN); the OpenAPI description is served to signed-in users only.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.security import SessionAuth

from carecoord.core.errors import ApplicationError, NotFoundError
from carecoord.core.idempotency import idempotent_post


class ActorSessionAuth(SessionAuth):
    """A signed-in, two-factor-verified session acting for an organization; `request.auth` is the Actor."""

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        if request.user.is_authenticated and actor is not None:
            return actor
        return None


class ClinicalSessionAuth(ActorSessionAuth):
    """The API serves patient work: a role that sees no patients (an auditor) gets 404, as on the pages."""

    def authenticate(self, request, key):
        actor = super().authenticate(request, key)
        if actor is not None and not actor.can_see_patients:
            raise NotFoundError()
        return actor


api = NinjaAPI(
    title="CareCoord API",
    version="1",
    description="Worklist, tasks and patient registry for care coordination.",
    urls_namespace="api",
    docs_url=None,
    docs_decorator=login_required,
    auth=ClinicalSessionAuth(),
)


# Every POST honours an Idempotency-Key header (core/idempotency.py): a retried create is done once.
api.add_decorator(idempotent_post, mode="view")


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    body = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.http_status)


# The framework's own refusals answer in the same {"code", "message", "field"} shape as ours.

PARAMETER_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_name(location) -> str | None:
    """`body.body.goals.16.description` → `goals[16].description` (the source and the parameter name dropped)."""
    parts = list(location)
    if parts and parts[0] in PARAMETER_SOURCES:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("body", "payload", "query"):
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


@api.exception_handler(SchemaError)
def schema_error(request, exc: SchemaError):
    first = exc.errors[0] if exc.errors else {}
    field = _field_name(first.get("loc", ()))
    message = str(first.get("msg") or "The request does not match the API's description.")
    body = {"code": "invalid", "message": f"{field}: {message}" if field else message}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=400)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    codes = {401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed", 429: "throttled"}
    body = {"code": codes.get(exc.status_code, "error"), "message": str(exc) or "The request was refused."}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not-found", "message": "Not found."}, status=404)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    body = {"code": "too-large", "message": "The request body is too large."}
    return api.create_response(request, body, status=413)


api.add_router("/careplans", "carecoord.careplans.api.careplans_router")
api.add_router("/worklist", "carecoord.careplans.api.worklist_router")
api.add_router("/tasks", "carecoord.careplans.api.tasks_router")
api.add_router("/patients", "carecoord.patients.api.router")
api.add_router("/scheduling", "carecoord.scheduling.api.router")
