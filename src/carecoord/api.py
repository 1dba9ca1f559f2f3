"""
The JSON API (django-ninja) at /api/v1/, described by OpenAPI at /api/v1/openapi.json. It authenticates
with the browser session (CSRF-checked on writes); system clients with OAuth2 tokens arrive with the FHIR
API. Errors answer 4xx with {"code", "message", "field"}; refusals of the input also list every problem in
"errors" ({"field", "message"} each), the first being "message" and "field". There is no documentation UI
(it would load assets from a CDN); the OpenAPI description is served to signed-in users only.
"""

import functools
import inspect
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.security import SessionAuth

from carecoord.core.errors import ApplicationError, NotFoundError, PreconditionFailedError
from carecoord.core.idempotency import idempotent_post
from carecoord.core.versioning import StaleVersionError


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


# Answers of a refusal by HTTP status: the "code" of the structured body.
ERROR_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    429: "throttled",
}
ERROR_MESSAGES = {
    400: "The request was not understood.",
    401: "Sign in first.",
    403: "You may not do this.",
    404: "Not found.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    429: "Too many requests; try again shortly.",
}
JSON_TYPES = ("application/json", "application/problem+json")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class CareCoordAPI(NinjaAPI):
    """
    NinjaAPI whose every URL answers a refusal in the API's structured shape. The framework answers some
    refusals outside the exception handlers below, the wrong method above all (a bare-text 405 from the
    path's dispatcher); every view of /api/v1 is wrapped so that any 4xx that is not JSON is rewritten as
    {"code", "message"}, keeping its status and headers (Allow of a 405). Unknown paths under /api/ are
    answered by core.views.not_found in the same shape.
    """

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                # The OpenAPI description and the root are plain Django views that take any method.
                only_get = pattern.name in ("openapi-json", "openapi-view", "api-root")
                pattern.callback = structured_refusals(pattern.callback, only_get=only_get)
        return patterns


def structured_refusals(view, *, only_get: bool = False):
    def wrong_method(request) -> bool:
        return only_get and request.method not in ("GET", "HEAD")

    def not_allowed():
        response = HttpResponse(status=405)
        response["Allow"] = "GET"
        return response

    def refusal(request):
        if wrong_method(request):
            return not_allowed()
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in FORM_TYPES:
            # A form body was parsed by the middleware (NUL check) and cannot be read again as JSON; every
            # operation of this API takes JSON, so the answer is 415, not the framework's RawPostDataException.
            return HttpResponse(status=415)
        return None

    def answer(request, response):
        if 400 <= response.status_code < 500 and not _is_json(response):
            return _structured(request, response)
        return response

    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def wrapped_async(request, *args, **kwargs):
            response = refusal(request) or await view(request, *args, **kwargs)
            return answer(request, response)

        return wrapped_async

    @functools.wraps(view)  # keeps csrf_exempt: the session authentication checks CSRF itself
    def wrapped(request, *args, **kwargs):
        response = refusal(request) or view(request, *args, **kwargs)
        return answer(request, response)

    return wrapped


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() in JSON_TYPES


def _structured(request, response) -> HttpResponse:
    status = response.status_code
    if status == 405:
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip()))
        message = f"{request.method} is not allowed here." + (f" Allowed: {allowed}." if allowed else "")
    else:
        message = ERROR_MESSAGES.get(status, "The request was refused.")
    body = {"code": ERROR_CODES.get(status, "error"), "message": message}
    structured = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            structured[header] = value
    for cookie in response.cookies.values():
        structured.cookies[cookie.key] = cookie
    return structured


api = CareCoordAPI(
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
    if isinstance(exc, StaleVersionError):  # every JSON API write: a stale version is a failed precondition
        exc = PreconditionFailedError(exc.message, field="version")
    body = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    # "message" and "field" are the first problem (older clients read only those); "errors" has every one.
    body["errors"] = [
        {"field": field or None, "message": message}
        for field, messages in exc.field_errors.items()
        for message in messages
    ]
    return api.create_response(request, body, status=exc.http_status)


# The framework's own refusals answer in the same {"code", "message", "field"} shape as ours; a body or
# parameter that does not match also lists every problem in "errors".

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
    problems = [
        {
            "field": _field_name(error.get("loc", ())),
            "message": str(error.get("msg") or "The request does not match the API's description."),
        }
        for error in exc.errors or [{}]
    ]
    field, message = problems[0]["field"], problems[0]["message"]
    body = {"code": "invalid", "message": f"{field}: {message}" if field else message}
    if field:
        body["field"] = field
    body["errors"] = problems
    return api.create_response(request, body, status=400)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    body = {"code": ERROR_CODES.get(exc.status_code, "error"), "message": str(exc) or "The request was refused."}
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
api.add_router("/coverage", "carecoord.coverage.api.router")
api.add_router("/patients", "carecoord.coverage.api.patient_coverages_router")
api.add_router("/coverages", "carecoord.coverage.api.coverages_router")
