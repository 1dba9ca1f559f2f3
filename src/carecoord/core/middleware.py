"""
Request middleware: request context for audit entries, the acting organization, session policy (idle
timeout, two-factor enforcement) and no-store caching of every signed-in page.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import clock
from .access import actor_for, memberships_of
from .context import RequestInfo, reset_request_info, set_request_info
from .errors import NotFoundError
from .signals import SIGNED_IN_AT_SESSION_KEY

ACTIVE_ORG_SESSION_KEY = "carecoord_active_org"
LAST_SEEN_SESSION_KEY = "carecoord_last_seen"

# Paths a signed-in user may reach before finishing two-factor set-up or verification.
MFA_EXEMPT_PREFIXES = ("/account/", "/static/", "/healthz")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_info(
            RequestInfo(source_ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))
        )
        try:
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
        orgs = {m.organization_id: m.organization for m in memberships}
        if org_id not in orgs:
            if not orgs:
                return None
            org_id = memberships[0].organization_id
            request.session[ACTIVE_ORG_SESSION_KEY] = org_id
        try:
            return actor_for(user, orgs[org_id])
        except NotFoundError:
            return None


class SessionPolicyMiddleware:
    """Ends idle sessions (per-organization timeout) and holds users at two-factor until it is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if self._idle_expired(request):
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity. Sign in again to continue.")
                if request.path == reverse(settings.LOGIN_URL):
                    return self.get_response(request)  # the sign-in page itself, keeping its ?next=
                if request.path.startswith(API_PREFIX):
                    return api_unauthorized("The session ended after a period of inactivity; sign in again.")
                if request.htmx:
                    response = redirect(settings.LOGIN_URL)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
                return redirect(f"{reverse(settings.LOGIN_URL)}?{next_query(request.get_full_path())}")
            held = self._two_factor_hold(request)
            if held is not None:
                return held
        return self.get_response(request)

    def _idle_expired(self, request) -> bool:
        """True when the session sat idle past the organization's limit or outlived its absolute lifetime."""
        now = clock.now()
        signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
        if signed_in_at and now.timestamp() - signed_in_at > settings.SESSION_COOKIE_AGE:
            return True
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
        request.session[LAST_SEEN_SESSION_KEY] = now.timestamp()
        if last_seen is None:
            return False
        minutes = idle_timeout_minutes(request)
        return now - dt.datetime.fromtimestamp(last_seen, tz=dt.UTC) > dt.timedelta(minutes=minutes)

    def _two_factor_hold(self, request):
        if request.path.startswith(MFA_EXEMPT_PREFIXES):
            return None
        if request.user.is_verified():
            return None
        if request.path.startswith(API_PREFIX) and (
            user_has_confirmed_device(request.user) or mfa_required(request.user)
        ):
            return api_unauthorized("Finish two-factor authentication before using the API.")
        if user_has_confirmed_device(request.user):
            return redirect(f"{reverse('core:verify_otp')}?{next_query(request.get_full_path())}")
        if mfa_required(request.user):
            return redirect("core:setup_otp")
        return None


API_PREFIX = "/api/"


def next_query(target: str) -> str:
    """`next=<target>` encoded the way Django's own login redirects encode it (slashes kept)."""
    query = QueryDict(mutable=True)
    query["next"] = target
    return query.urlencode(safe="/")


def api_unauthorized(message: str) -> JsonResponse:
    return JsonResponse({"code": "unauthenticated", "message": message}, status=401)


def idle_timeout_minutes(request) -> int:
    actor = getattr(request, "actor", None)
    if actor is not None:
        return actor.organization.idle_timeout_minutes
    return settings.CARECOORD_DEFAULT_IDLE_MINUTES


def user_has_confirmed_device(user) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def mfa_required(user) -> bool:
    """Two-factor is required for organization admins always, and for every member where the org says so."""
    return any(m.organization.require_mfa or m.role == "org_admin" for m in memberships_of(user))


class NoStoreMiddleware:
    """Signed-in pages carry PHI: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith("/static/"):
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
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        from .errors import PermissionDeniedError

        if isinstance(exception, NotFoundError):
            raise Http404(exception.message)
        if isinstance(exception, PermissionDeniedError):
            raise PermissionDenied(exception.message)
        return


NUL_MESSAGE = "The request contains a NUL character (\\u0000), which no field may hold."
JSON_NUL = b"\\u0000"


class RejectNulCharactersMiddleware:
    """
    Refuses text holding NUL characters with 400 before any view sees it. No field has a use for them, and
    PostgreSQL cannot store them in text columns (the write would fail with a server error). Multipart file
    contents are not inspected: a file may hold any bytes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._holds_nul(request):
            return self._refuse(request)
        return self.get_response(request)

    def _holds_nul(self, request) -> bool:
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in [key, *values]):
            return True
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return any("\x00" in key or "\x00" in v for key, values in request.POST.lists() for v in values)
        body = request.body
        return b"\x00" in body or JSON_NUL in body.lower()

    def _refuse(self, request):
        if request.path.startswith("/fhir/"):
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid", "diagnostics": NUL_MESSAGE}],
            }
            return JsonResponse(outcome, status=400, content_type="application/fhir+json")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "invalid", "message": NUL_MESSAGE}, status=400)
        return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
