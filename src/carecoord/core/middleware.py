"""
Request middleware: request context for audit entries, the acting organization, session policy (idle
timeout, two-factor enforcement) and no-store caching of every signed-in page.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import clock
from .access import Actor, memberships_of
from .audit import denials_outlive_rollback
from .context import RequestInfo, reset_request_info, set_request_info
from .errors import NotFoundError
from .signals import SIGNED_IN_AT_SESSION_KEY

ACTIVE_ORG_SESSION_KEY = "carecoord_active_org"
LAST_SEEN_SESSION_KEY = "carecoord_last_seen"

# Paths a signed-in user may reach before finishing two-factor set-up or verification. Only these: the
# account security page (password change, other sessions) is held like every other page.
MFA_EXEMPT_PREFIXES = (
    "/account/login/",
    "/account/logout/",
    "/account/verify/",
    "/account/two-factor/",
    "/static/",
    "/healthz",
)
# The idle bookkeeping writes the session at most this often (a write per request would cost a database
# write on every page); the idle timeout is therefore exact to within this many seconds.
ACTIVITY_WRITE_SECONDS = 60


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_info(
            RequestInfo(
                source_ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        )
        try:
            with denials_outlive_rollback():
                return self.get_response(request)
        finally:
            reset_request_info(token)


class ActorMiddleware:
    """
    Sets `request.actor` (or None) from the organization chosen for this session, and shows the request in
    that organization's time zone (templates render, and forms read, date-times as its staff see them).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = None
        user = request.user
        if user.is_authenticated:
            request.actor = self._actor(request, user)
        if request.actor is None:
            return self.get_response(request)
        with timezone.override(request.actor.organization.tz):
            return self.get_response(request)

    def _actor(self, request, user):
        org_id = request.session.get(ACTIVE_ORG_SESSION_KEY)
        memberships = list(memberships_of(user))
        # The page header's organization menu (context_processors.actor) reuses this one query.
        request.memberships = memberships
        orgs = {m.organization_id: m.organization for m in memberships}
        if org_id not in orgs:
            if not orgs:
                return None
            # A new session starts where the user last chose to work, else in the first organization by name.
            org_id = user.last_organization_id if user.last_organization_id in orgs else memberships[0].organization_id
            request.session[ACTIVE_ORG_SESSION_KEY] = org_id
        if not user.is_active:
            return None
        # What actor_for would read again: the roles of the active memberships in an active organization.
        roles = frozenset(m.role for m in memberships if m.organization_id == org_id)
        return Actor(user=user, organization=orgs[org_id], roles=roles)


class SessionPolicyMiddleware:
    """
    Ends sessions past their absolute lifetime (counted from sign-in) or idle past the organization's limit,
    and holds users at two-factor until it is done. (Disabled users, role changes and "sign out my other
    sessions" end sessions through `User._get_session_auth_hash`, checked by Django's auth middleware.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            ended = self._session_ended(request)
            if ended:
                logout(request)
                messages.info(request, ended)
                if request.path == reverse(settings.LOGIN_URL):
                    return self.get_response(request)  # the sign-in page itself, keeping its ?next=
                if request.path.startswith(API_PREFIX):
                    return api_unauthorized(f"{ended.split('.')[0]}; sign in again.")
                if request.path.startswith(FHIR_PREFIX):
                    return fhir_unauthorized("The session has ended; sign in again or use a bearer token.")
                if request.htmx:
                    response = redirect(settings.LOGIN_URL)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
                return redirect(f"{reverse(settings.LOGIN_URL)}?{next_query(request.get_full_path())}")
            held = self._two_factor_hold(request)
            if held is not None:
                return held
        return self.get_response(request)

    def _session_ended(self, request) -> str:
        """Why the session is over (past its absolute lifetime, or idle too long), or "" while it lives."""
        now = clock.now().timestamp()
        signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
        # A session without a sign-in time did not come through sign-in: fail closed.
        if signed_in_at is None or now - signed_in_at > settings.SESSION_COOKIE_AGE:
            return SESSION_LIFETIME_MESSAGE
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY) or signed_in_at
        if now - last_seen > idle_timeout_minutes(request) * 60:
            return IDLE_MESSAGE
        if now - last_seen >= getattr(settings, "CARECOORD_ACTIVITY_WRITE_SECONDS", ACTIVITY_WRITE_SECONDS):
            request.session[LAST_SEEN_SESSION_KEY] = now
        return ""

    def _two_factor_hold(self, request):
        if request.path.startswith(MFA_EXEMPT_PREFIXES):
            return None
        if request.user.is_verified():
            return None
        memberships = getattr(request, "memberships", None)
        if request.path.startswith((API_PREFIX, FHIR_PREFIX)) and (
            user_has_confirmed_device(request.user) or mfa_required(request.user, memberships)
        ):
            if request.path.startswith(FHIR_PREFIX):
                return fhir_unauthorized("Finish two-factor authentication before using the FHIR API.")
            return api_unauthorized("Finish two-factor authentication before using the API.")
        if user_has_confirmed_device(request.user):
            return redirect(f"{reverse('core:verify_otp')}?{next_query(request.get_full_path())}")
        if mfa_required(request.user, memberships):
            return redirect("core:setup_otp")
        return None


API_PREFIX = "/api/"
FHIR_PREFIX = "/fhir/"
IDLE_MESSAGE = "You were signed out after a period of inactivity. Sign in again to continue."
SESSION_LIFETIME_MESSAGE = "Your session reached its maximum length. Sign in again to continue."


def next_query(target: str) -> str:
    """`next=<target>` encoded the way Django's own login redirects encode it (slashes kept)."""
    query = QueryDict(mutable=True)
    query["next"] = target
    return query.urlencode(safe="/")


def api_unauthorized(message: str) -> JsonResponse:
    return JsonResponse({"code": "unauthenticated", "message": message}, status=401)


def fhir_unauthorized(message: str) -> JsonResponse:
    issue = {"severity": "error", "code": "login", "diagnostics": message}
    outcome = {"resourceType": "OperationOutcome", "issue": [issue]}
    response = JsonResponse(outcome, status=401, content_type="application/fhir+json")
    response["WWW-Authenticate"] = 'Bearer realm="carecoord"'
    return response


def idle_timeout_minutes(request) -> int:
    actor = getattr(request, "actor", None)
    if actor is not None:
        return actor.organization.idle_timeout_minutes
    return settings.CARECOORD_DEFAULT_IDLE_MINUTES


def user_has_confirmed_device(user) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def mfa_required(user, memberships=None) -> bool:
    """
    Two-factor is required for organization admins always, and for every member where the org says so.
    `memberships` (the user's active ones, as ActorMiddleware read them) saves reading them again.
    """
    if memberships is None:
        memberships = memberships_of(user)
    return any(m.organization.require_mfa or m.role == "org_admin" for m in memberships)


class NoStoreMiddleware:
    """Signed-in pages and every API answer carry PHI: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/static/") and (
            request.user.is_authenticated or request.path.startswith(("/fhir/", "/api/", "/oauth/"))
        ):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class ApplicationErrorMiddleware:
    """Turns a NotFoundError or PermissionDeniedError escaping a view into the matching error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.http import Http404

        from .errors import AccessCheckUnavailableError, PermissionDeniedError, ReadablePermissionDenied

        if isinstance(exception, AccessCheckUnavailableError):
            return unavailable_response(request, exception.message)
        if isinstance(exception, NotFoundError):
            raise Http404(exception.message)
        if isinstance(exception, PermissionDeniedError):
            raise ReadablePermissionDenied(exception.message)
        return None


def unavailable_response(request, message: str):
    """503 in the caller's format, with no data: what a failed access check answers (fail closed)."""
    if request.path.startswith(FHIR_PREFIX):
        issue = {"severity": "error", "code": "transient", "diagnostics": message}
        outcome = {"resourceType": "OperationOutcome", "issue": [issue]}
        response = JsonResponse(outcome, status=503, content_type="application/fhir+json")
    elif request.path.startswith(API_PREFIX):
        response = JsonResponse({"code": "unavailable", "message": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "30"
    return response


NUL_MESSAGE = "The request contains a NUL character (\\u0000), which no field may hold."
JSON_NUL = b"\\u0000"
UNREADABLE_BODY_MESSAGE = "The request body could not be read (a malformed multipart form)."


def nul_message(field: str) -> str:
    return f"The field {field!r} contains a NUL character (\\u0000), which no field may hold." if field else NUL_MESSAGE


def _first_nul_key(lists) -> str | None:
    for key, values in lists:
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "\\u0000")
    return None


def _json_nul_path(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a NUL in a parsed JSON document."""
    if isinstance(value, str):
        return path or "(body)" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return f"{path}.{key}".lstrip(".").replace("\x00", "\\u0000")
        found = _json_nul_path(item, f"{path}.{key}".lstrip("."))
        if found:
            return found
    return None


class RejectNulCharactersMiddleware:
    """
    Refuses text holding NUL characters with 400 before any view sees it. No field has a use for them, and
    PostgreSQL cannot store them in text columns (the write would fail with a server error). Multipart file
    contents are not inspected: a file may hold any bytes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            field = self._nul_field(request)
        except MultiPartParserError:
            return self._refuse(request, UNREADABLE_BODY_MESSAGE)
        if field is not None:
            return self._refuse(request, nul_message(field), field=field)
        return self.get_response(request)

    def _nul_field(self, request) -> str | None:
        """The first field holding a NUL ("" when it is not in a named field), or None when there is none."""
        field = _first_nul_key(request.GET.lists())
        if field is not None or request.method not in ("POST", "PUT", "PATCH"):
            return field
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return _first_nul_key(request.POST.lists())
        body = request.body
        if b"\x00" not in body and JSON_NUL not in body.lower():
            return None
        try:
            return _json_nul_path(json.loads(body)) or ""
        except ValueError:
            return ""

    def _refuse(self, request, message: str = "", field: str = ""):
        message = message or NUL_MESSAGE
        if request.path.startswith("/fhir/"):
            issue = {"severity": "error", "code": "invalid", "diagnostics": message}
            if field:
                issue["expression"] = [field]
            return JsonResponse({"resourceType": "OperationOutcome", "issue": [issue]}, status=400,
                                content_type="application/fhir+json")  # fmt: skip
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "invalid", "message": message, **({"field": field} if field else {})},
                                status=400)  # fmt: skip
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
