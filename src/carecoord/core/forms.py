from django import forms

from .models import Organization


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
    event = forms.CharField(required=False, max_length=100, label="Event (e.g. patient.view)")
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

    def valid_filters(self) -> dict:
        """The filters that validated: an invalid one is left out, never the others with it."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
