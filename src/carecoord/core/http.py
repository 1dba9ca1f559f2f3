"""Small helpers shared by the HTML views of every app."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .access import Actor
from .choices import PATIENT_WRITE_ROLES
from .errors import ApplicationError, NotFoundError, PermissionDeniedError


def clinical_actor(request: HttpRequest) -> Actor:
    """The request's actor when their role works with patient records; NotFoundError (a 404) otherwise."""
    actor = getattr(request, "actor", None)
    if actor is None or not actor.can_see_patients:
        raise NotFoundError()
    return actor


def editor_actor(request: HttpRequest, *roles: str) -> Actor:
    """
    The request's actor when one of their roles may save what the page writes (`roles`; by default the roles
    that change patient records, core.choices.PATIENT_WRITE_ROLES). Called first by every view that writes or
    shows an edit/create form, before the form is read, so a role whose save the service would refuse gets the
    same answer for GET and for any POST body, and never a form page: NotFoundError (404) when they do not work
    with patient records at all (like `clinical_actor`), PermissionDeniedError (403) when they may see the record
    but not change it. The answer does not depend on the id, so it tells nothing about another organization's
    records. The services keep their own checks; this only refuses earlier, never allows more.
    """
    actor = clinical_actor(request)
    if not actor.has_role(*(roles or PATIENT_WRITE_ROLES)):
        raise PermissionDeniedError("Your role does not allow this change.")
    return actor


def safe_next_url(request: HttpRequest, default: str) -> str:
    """The `next` parameter when it points into this site (no open redirects), else the named URL `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def put_service_error(form, exc: ApplicationError, *, propagate: tuple[type, ...] = (NotFoundError,)) -> None:
    """
    Shows a service's error on the form (every field's, when it carries several): on its field when the form
    has that field, else above the form.
    Errors of the `propagate` kinds (a missing record; for staff-only pages, a forbidden action) are raised
    again, so they answer with their own page.
    """
    if isinstance(exc, propagate):
        raise exc
    for field, messages in exc.field_errors.items():
        form.add_error(field if field in form.fields else None, messages)


TWO_FACTOR_FOR_TOKENS = "Set up two-factor authentication (Account → Two-factor) before creating a feed or token."


def two_factor_done(request: HttpRequest) -> bool:
    """
    True when this session passed two-factor. Anything a user can mint that works without signing in (feed
    addresses, tokens) requires it, whatever the organization's setting (RELIABILITY T11).
    """
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_verified())
