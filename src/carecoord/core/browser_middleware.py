"""
The middleware of a signed-in browser (session, sign-in, two-factor, messages, htmx, the acting
organization, session policy), skipped for a call to the FHIR API that carries a bearer token.

Such a call is authenticated by its token alone (interop.fhir.access.caller_for reads nothing else when an
Authorization header is present), so none of them decides anything for it, yet each cost every call some
CPU. It still passes through everything that guards every answer: security headers, CSP,
the NUL check, the concurrency limit, the request context of its audit entries, no-store and error pages.
It runs as an anonymous user with no acting organization, so nothing downstream can take it for a session.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as _Message
from django.contrib.sessions.middleware import SessionMiddleware as _Session
from django_htmx.middleware import HtmxMiddleware as _Htmx
from django_otp.middleware import OTPMiddleware as _OTP

from . import middleware as _ours


def is_bearer_api_call(request) -> bool:
    """A FHIR API request carrying `Authorization: Bearer ...` (valid or not: caller_for decides)."""
    scheme = request.META.get("HTTP_AUTHORIZATION", "")[:7].lower()
    return request.path.startswith(_ours.FHIR_PREFIX) and scheme == "bearer "


def browser_only(middleware: type, **defaults) -> type:
    """
    A subclass of `middleware` that passes bearer-token FHIR calls straight on, after setting `defaults` as
    request attributes. A subclass, so the admin's checks still find the middleware they look for. (CSRF's
    middleware is not wrapped: Django's deploy checks look for its own path, and the FHIR views are exempt.)
    """

    def __call__(self, request):
        if is_bearer_api_call(request):
            for name, make in defaults.items():
                setattr(request, name, make())
            return self.get_response(request)
        return middleware.__call__(self, request)

    return type(middleware.__name__, (middleware,), {"__call__": __call__, "__module__": __name__})


SessionMiddleware = browser_only(_Session)
AuthenticationMiddleware = browser_only(_Authentication, user=AnonymousUser)
OTPMiddleware = browser_only(_OTP)
MessageMiddleware = browser_only(_Message)
HtmxMiddleware = browser_only(_Htmx)
ActorMiddleware = browser_only(_ours.ActorMiddleware, actor=lambda: None)
SessionPolicyMiddleware = browser_only(_ours.SessionPolicyMiddleware)
