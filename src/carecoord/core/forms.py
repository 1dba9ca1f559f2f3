from collections.abc import Iterable

from django import forms

from .choices import Role
from .models import Organization


def valid_filters(form: forms.Form, *, pairs: Iterable[tuple[str, ...]] = ()) -> dict:
    """
    The filters of a filter form to apply: the cleaned value of every field without an error, so an invalid
    field drops only itself while the form shows why. The fields of each of `pairs` (a from/to range) are
    dropped together when any of them has an error, their combination's included. Empty values (None, "")
    are left out; an unbound form has no filters.
    """
    if not form.is_bound:
        return {}
    form.is_valid()  # runs the cleaning once; cleaned_data then holds the fields that validated
    dropped = set(form.errors)
    for pair in pairs:
        if dropped.intersection(pair):
            dropped.update(pair)
    return {name: value for name, value in form.cleaned_data.items() if name not in dropped and value not in (None, "")}


class LoginForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="Six-digit code",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class MemberAddForm(forms.Form):
    email = forms.EmailField(max_length=254)
    full_name = forms.CharField(max_length=150, label="Full name", help_text="Needed for a new account.",
                                required=False)  # fmt: skip
    role = forms.ChoiceField(choices=Role.choices)


class OrganizationSettingsForm(forms.Form):
    idle_timeout_minutes = forms.IntegerField(label="Sign out after this many idle minutes", min_value=1, max_value=720)
    require_mfa = forms.BooleanField(label="Require two-factor authentication of every member", required=False)
    escalation_hours = forms.IntegerField(
        label="Tell a supervisor when an urgent task is overdue by this many hours", min_value=1, max_value=720
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_organization(cls, org: Organization, data=None):
        initial = {
            "idle_timeout_minutes": org.idle_timeout_minutes,
            "require_mfa": org.require_mfa,
            "escalation_hours": org.escalation_hours,
            "version": org.version,
        }
        return cls(data=data, initial=initial)


class AuditFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    user = forms.CharField(
        required=False, max_length=254, label="User", help_text="Part of the user's email address or name."
    )
    # The page lists the events in words as suggestions (a datalist); a label or a code prefix both filter.
    event = forms.CharField(
        required=False,
        max_length=100,
        label="Event (e.g. Patient chart viewed, or a code: patient.view)",
        widget=forms.TextInput(attrs={"list": "audit-event-labels"}),
    )
    patient = forms.CharField(required=False, max_length=200, label="Patient (name, MRN or id)")
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("C", "Create"), ("R", "Read"), ("U", "Update"), ("D", "Delete"), ("E", "Execute")],
    )
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("success", "Success"), ("denied", "Denied"), ("failure", "Failure")]
    )
    # Not shown as a field: the column headers set it. An unknown value is ignored (the default order).
    sort = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date.")
        return data
