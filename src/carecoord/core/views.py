"""Sign-in and two-factor, organization switching, settings, the audit log, health and error pages."""

from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .access import memberships_of
from .audit import audit_record
from .audit_labels import event_choices
from .choices import AuditAction, AuditOutcome, Role
from .errors import ApplicationError, ReadablePermissionDenied
from .forms import AuditFilterForm, LoginForm, MemberAddForm, OrganizationSettingsForm, TokenForm, valid_filters
from .http import put_service_error, safe_next_url
from .login_throttle import address_throttled, record_throttled_attempt
from .middleware import ACTIVE_ORG_SESSION_KEY, mfa_required, next_query, user_has_confirmed_device
from .selectors import audit_events_for, audit_rows_describe
from .services import member_add, organization_choose, organization_settings_update
from .signals import home_organization


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the app and its database answer, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.user.is_authenticated and request.user.is_verified():
        return redirect(safe_next_url(request, "core:home"))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if address_throttled(request):
            record_throttled_attempt(email)
            return render(request, "core/locked_out.html", status=429)
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "core/locked_out.html", status=429)
        if user is None:
            form.add_error(None, "That email and password do not match an active account.")
        elif not memberships_of(user).exists():
            form.add_error(None, "Your account is not a member of any active organization.")
        else:
            login(request, user)
            return _after_password(request, user)
    return render(request, "core/login.html", {"form": form, "next": request.GET.get("next", "")})


def _after_password(request: HttpRequest, user) -> HttpResponse:
    next_url = safe_next_url(request, "core:home")
    if user_has_confirmed_device(user):
        return redirect(f"{reverse('core:verify_otp')}?{next_query(next_url)}")
    if mfa_required(user):
        return redirect("core:setup_otp")
    return redirect(next_url)


@require_http_methods(["GET", "POST"])
@login_required
def verify_otp(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(safe_next_url(request, "core:home"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        was_throttled = _throttled(request.user)
        device = _matching_device(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit_record(
                user=request.user,
                organization=home_organization(request.user),
                event="auth.mfa",
                action=AuditAction.EXECUTE,
            )
            return redirect(safe_next_url(request, "core:home"))
        audit_record(
            user=request.user,
            organization=home_organization(request.user),
            event="auth.mfa",
            action=AuditAction.EXECUTE,
            outcome=AuditOutcome.FAILURE,
        )
        if was_throttled:
            form.add_error("token", "Too many wrong codes in a row: wait a few seconds, then enter the current code.")
        else:
            form.add_error("token", "That code is not valid (codes change every 30 seconds and work once).")
    return render(request, "core/verify_otp.html", {"form": form, "next": request.GET.get("next", "")})


def _matching_device(user, token: str):
    for device in devices_for_user(user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


def _throttled(user) -> bool:
    """django-otp pauses a device after a wrong code (1 s, doubling); a right code is refused meanwhile."""
    return any(not device.verify_is_allowed()[0] for device in devices_for_user(user, confirmed=True))


@require_http_methods(["GET", "POST"])
@login_required
def setup_otp(request: HttpRequest) -> HttpResponse:
    if user_has_confirmed_device(request.user) and not request.user.is_verified():
        return redirect("core:verify_otp")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(user=request.user, event="auth.mfa_enrolled", action=AuditAction.UPDATE)
            messages.success(request, "Two-factor authentication is on for your account.")
            return redirect("core:home")
        form.add_error("token", "That code does not match; check the time on your phone and try again.")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _base32_secret(device),
        "required": mfa_required(request.user),
        "required_as_admin": any(m.role == Role.ORG_ADMIN for m in memberships_of(request.user)),
    }
    return render(request, "core/setup_otp.html", context)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    # The SVG is generated by qrcode from our own otpauth URL; no user input reaches it.
    return mark_safe(buffer.getvalue().decode("utf-8"))  # noqa: S308


def _base32_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode("ascii")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(user=request.user, event="auth.logout", action=AuditAction.EXECUTE)
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("core:login")


@require_POST
@login_required
def switch_organization(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("organization", "")
    membership = memberships_of(request.user).filter(organization__slug=slug).first()
    if membership is None:
        messages.error(request, "You are not a member of that organization.")
    else:
        request.session[ACTIVE_ORG_SESSION_KEY] = membership.organization_id
        organization_choose(user=request.user, organization=membership.organization)
        messages.success(request, f"You are now working in {membership.organization.name}.")
    return redirect("core:home")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor is None:
        return render(request, "core/no_organization.html", status=403)
    if actor.can_see_patients:
        return redirect("careplans:worklist")
    if actor.is_auditor:
        return redirect("core:audit_log")
    return redirect("directory:practitioner_list")


@login_required
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor is None or not actor.is_org_admin:
        return render(request, "403.html", status=403)
    form = OrganizationSettingsForm.for_organization(actor.organization, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization_settings_update(
                actor=actor,
                expected_version=form.cleaned_data["version"],
                idle_timeout_minutes=form.cleaned_data["idle_timeout_minutes"],
                require_mfa=form.cleaned_data["require_mfa"],
                escalation_hours=form.cleaned_data["escalation_hours"],
            )
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, "Settings saved.")
            return redirect("core:organization_settings")
    return _settings_page(request, actor, form=form)


def _settings_page(request, actor, *, form=None, member_form=None, added=None, one_time="", status=200):
    members = (
        actor.organization.memberships.filter(active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email", "role")
    )
    context = {
        "form": form or OrganizationSettingsForm.for_organization(actor.organization),
        "member_form": member_form or MemberAddForm(),
        "members": members,
        "roles": Role.choices,
        "added": added,
        "one_time_password": one_time,
    }
    return render(request, "core/organization_settings.html", context, status=status)


@login_required
@require_POST
def member_add_view(request: HttpRequest) -> HttpResponse:
    """An admin adds a person by email; a new account's one-time password is shown on this answer only."""
    actor = request.actor
    if actor is None or not actor.is_org_admin:
        return render(request, "403.html", status=403)
    member_form = MemberAddForm(request.POST)
    if member_form.is_valid():
        data = member_form.cleaned_data
        try:
            membership, one_time = member_add(actor=actor, email=data["email"], full_name=data["full_name"],
                                              role=data["role"])  # fmt: skip
        except ApplicationError as exc:
            put_service_error(member_form, exc)
        else:
            return _settings_page(request, actor, added=membership, one_time=one_time)
    return _settings_page(request, actor, member_form=member_form, status=400)


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor is None or not (actor.is_auditor or actor.is_org_admin):
        return render(request, "404.html", status=404)
    form = AuditFilterForm(request.GET or None)
    # A start after the end drops only the end (the error is the end's): the start still narrows the log.
    filters = valid_filters(form)
    events = audit_events_for(actor=actor, filters=filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    audit_rows_describe(actor, page.object_list)
    audit_record(actor=actor, event="audit.view", action=AuditAction.READ, detail={"filters": _plain(filters)})
    query = request.GET.copy()
    query.pop("page", None)
    unsorted = query.copy()
    unsorted.pop("sort", None)
    current = filters.get("sort", "")
    columns = [
        {
            "key": key,
            "label": label,
            "sort": f"-{key}" if current == key else key,
            "current": current.lstrip("-") == key,
            "descending": current == f"-{key}",
        }
        for key, label in audit_columns(actor.organization)
    ]
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "unsorted": unsorted.urlencode(),
        "columns": columns,
        "event_choices": event_choices(e.event for e in page.object_list),
    }
    return render(request, "core/audit_log.html", context)


def audit_columns(organization) -> list[tuple[str, str]]:
    """The page's columns; times show in the organization's zone, and the header says which."""
    return [("when", f"When ({organization.timezone})"), *AUDIT_COLUMNS[1:]]


AUDIT_COLUMNS = [
    ("when", "When"),
    ("user", "User"),
    ("acting", "Acting for"),
    ("tenant", "Record of"),
    ("action", "Action"),
    ("event", "Event"),
    ("record", "Record"),
    ("patient", "Patient"),
    ("from", "From"),
    ("outcome", "Outcome"),
]


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor is None or not (actor.is_auditor or actor.is_org_admin):
        return render(request, "404.html", status=404)
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # An export must never pass for filtered when a filter was dropped: refuse it, the page shows why.
        return HttpResponse("Correct the audit log's filters before exporting.", status=400, content_type="text/plain")
    filters = valid_filters(form)
    events = audit_events_for(actor=actor, filters=filters)
    audit_record(actor=actor, event="audit.export", action=AuditAction.EXECUTE, detail={"filters": _plain(filters)})
    response = StreamingHttpResponse(audit.audit_csv_stream(events.iterator(2000)), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="carecoord-audit.csv"'
    return response


def _plain(filters: dict) -> dict:
    return {key: str(value) for key, value in filters.items() if value not in (None, "")}


# The machine answers of the error pages: (FHIR IssueType, JSON API code, message). Nothing from the request
# is echoed, so an unknown path or a refused id tells the caller nothing.
# The code is both the FHIR issue type and the JSON API's error code (carecoord.api.ERROR_CODES).
ERROR_ANSWERS = {
    400: ("invalid", "The request could not be understood."),
    403: ("forbidden", "Your role does not allow this."),
    404: ("not-found", "Not found."),
}


def _error_page(template: str, status: int):
    """An error page, or for the FHIR and JSON APIs the same error in their own format."""

    def view(request, exception=None):
        code, message = ERROR_ANSWERS[status]
        if request.path.startswith("/fhir/"):
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": code, "diagnostics": message}],
            }
            return JsonResponse(outcome, status=status, content_type="application/fhir+json")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": code, "message": message}, status=status)
        return TemplateResponse(request, template, {"reason": _readable_reason(exception)}, status=status)

    return view


def _readable_reason(exception) -> str:
    """The refusal's own message when one of our services wrote it for people; "" for anything else."""
    return exception.message if isinstance(exception, ReadablePermissionDenied) else ""


bad_request = _error_page("400.html", 400)
forbidden = _error_page("403.html", 403)
not_found = _error_page("404.html", 404)


def server_error(request):
    # Rendered without context processors: the error may have come from the database.
    return HttpResponse(
        "<!doctype html><html lang='en'><head><title>Error</title></head><body><main><h1>Something went wrong"
        "</h1><p>The error was logged. Please try again in a moment.</p></main></body></html>",
        status=500,
    )
