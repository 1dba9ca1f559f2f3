"""
Account security and break-glass pages: the user's own password and sessions, an admin's member controls
(role, removal, disabling, break-glass eligibility), break-glass opening and its review worklist.
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import breakglass
from .errors import ApplicationError, NotFoundError
from .models import Membership
from .services import (
    membership_break_glass_set,
    membership_remove,
    membership_role_change,
    password_change,
    sessions_end_others,
    user_deactivate,
)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text="At least 12 characters, not a common password; long passphrases are welcome.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    end_other_sessions = forms.BooleanField(label="Sign out my other sessions", required=False, initial=True)


class BreakGlassForm(forms.Form):
    mrn = forms.CharField(label="Patient's MRN", max_length=40)
    reason = forms.CharField(
        label="Why you need this record now",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with every access in the window and sent for review.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_security(request: HttpRequest) -> HttpResponse:
    """The user's password change and "sign out my other sessions"."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "end_others":
        sessions_end_others(user=request.user)
        update_session_auth_hash(request, request.user)
        messages.success(request, "Your other sessions are signed out.")
        return redirect("core:account_security")
    if request.method == "POST" and form.is_valid():
        try:
            password_change(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password is changed.")
            return redirect("core:account_security")
    context = {"form": form, "break_glass_eligible": breakglass.break_glass_eligible(request.actor)}
    return render(request, "core/account_security.html", context, status=400 if form.errors else 200)


def _admin_membership(request: HttpRequest, public_id) -> tuple:
    actor = request.actor
    if actor is None or not actor.is_org_admin:
        raise NotFoundError()
    membership = (
        Membership.objects.filter(public_id=public_id, organization=actor.organization).select_related("user").first()
    )
    if membership is None:
        raise NotFoundError()
    return actor, membership


@login_required
@require_POST
def member_update(request: HttpRequest, public_id) -> HttpResponse:
    """An admin's change to one membership: role, removal, disabling the account, break-glass eligibility."""
    actor, membership = _admin_membership(request, public_id)
    action = request.POST.get("action", "")
    try:
        if action == "role":
            membership_role_change(actor=actor, membership=membership, role=request.POST.get("role", ""))
        elif action == "remove":
            membership_remove(actor=actor, membership=membership)
        elif action == "disable":
            user_deactivate(actor=actor, user=membership.user)
        elif action in ("break_glass_on", "break_glass_off"):
            membership_break_glass_set(actor=actor, membership=membership, allowed=action == "break_glass_on")
        else:
            messages.error(request, "Unknown change.")
            return redirect("core:organization_settings")
    except NotFoundError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Saved the change to {membership.user.full_name or membership.user.email}.")
    return redirect("core:organization_settings")


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Opens a restricted patient of the actor's organization for the break-glass window, with a reason."""
    actor = request.actor
    if actor is None:
        raise NotFoundError()
    eligible = breakglass.break_glass_eligible(actor)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and (not eligible or form.is_valid()):
        data = form.cleaned_data if eligible else {"mrn": request.POST.get("mrn", ""), "reason": ""}
        try:
            access = breakglass.break_glass_open(actor=actor, mrn=data["mrn"], reason=data["reason"])
        except ApplicationError as exc:
            if not eligible:
                return render(request, "core/break_glass.html", {"eligible": False}, status=403)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            minutes = int(breakglass.window().total_seconds() // 60)
            messages.warning(request, f"Break-glass access is open for {minutes} minutes and is being reviewed.")
            return redirect(reverse("patients:chart", args=[access.patient_public_id]))
    context = {"eligible": eligible, "form": form, "minutes": int(breakglass.window().total_seconds() // 60)}
    status = 403 if not eligible else (400 if form.errors else 200)
    return render(request, "core/break_glass.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    """The break-glass review worklist of the organization's admins and auditors."""
    actor = request.actor
    if actor is None:
        raise NotFoundError()
    accesses = breakglass.break_glass_reviews_for(actor)
    if request.method == "POST":
        try:
            access_id = uuid.UUID(request.POST.get("access", ""))
        except ValueError:
            raise NotFoundError() from None
        access = accesses.filter(public_id=access_id).first()
        if access is None:
            raise NotFoundError()
        breakglass.break_glass_review(actor=actor, access=access)
        messages.success(request, "Marked as reviewed.")
        return redirect("core:break_glass_reviews")
    return render(request, "core/break_glass_reviews.html", {"accesses": accesses[:200]})
