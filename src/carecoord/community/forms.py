"""Forms of the community pages: they validate input; the views hand `cleaned_data` to the services."""

import datetime as dt

from django import forms
from django.utils import timezone

from carecoord.core.choices import US_STATES
from carecoord.core.errors import ApplicationError
from carecoord.core.forms import valid_filters
from carecoord.directory.domain import normalize_zip
from carecoord.patients.choices import LANGUAGES

from . import screening as hrsn
from .choices import (
    BenefitProgram,
    InsuranceStatus,
    Need,
    ReferralOutcome,
    ReferralStatus,
    ServiceStatus,
)

# A coordinator looks for help the patient can reach; past this a distance filter means little.
MAX_SEARCH_RADIUS_MILES = 100
RADIUS_MESSAGE = f"Enter a distance in whole miles from 1 to {MAX_SEARCH_RADIUS_MILES}."
AGE_MESSAGE = "Enter an age in years from 0 to 120."

LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ScreeningForm(forms.Form):
    """The ten AHC HRSN core questions, one field each, plus when the screen happened (local time)."""

    occurred_at = forms.DateTimeField(label="Screened at", widget=LOCAL_DATETIME)

    def __init__(self, *args, tz, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        for q in hrsn.QUESTIONS:
            if q.multiple:
                self.fields[q.link_id] = forms.MultipleChoiceField(
                    label=q.text, choices=q.answers, widget=forms.CheckboxSelectMultiple
                )
            else:
                self.fields[q.link_id] = forms.ChoiceField(label=q.text, choices=q.answers, widget=forms.RadioSelect)

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        return timezone.make_aware(value.replace(tzinfo=None), self.tz) if timezone.is_naive(value) else value

    def domains(self):
        """(domain title, bound fields) in question order, for the template's fieldsets."""
        grouped: dict[str, list] = {}
        for q in hrsn.QUESTIONS:
            grouped.setdefault(q.domain, []).append(self[q.link_id])
        return list(grouped.items())

    def answers(self) -> dict:
        return {q.link_id: self.cleaned_data[q.link_id] for q in hrsn.QUESTIONS}


class BenefitsForm(forms.Form):
    household_size = forms.IntegerField(
        min_value=1,
        max_value=20,
        label="People in the household",
        # Not filled in: the chart does not record who lives with the patient.
        help_text="Ask: the patient and those living with them who share income (for a child: parents or "
        "guardians, brothers and sisters at home).",
    )
    annual_income = forms.IntegerField(min_value=0, max_value=10_000_000, label="Household income a year ($)")
    state = forms.ChoiceField(choices=US_STATES)
    age = forms.IntegerField(min_value=0, max_value=120, label="Patient's age")
    disabled = forms.BooleanField(required=False, label="Has a disability")
    insurance = forms.ChoiceField(choices=InsuranceStatus.choices, label="Current coverage")


class DirectorySearchForm(forms.Form):
    need = forms.ChoiceField(choices=[("", "Any need"), *Need.choices], required=False)
    postal_code = forms.CharField(max_length=10, required=False, label="ZIP code")
    radius = forms.IntegerField(
        min_value=1,
        max_value=MAX_SEARCH_RADIUS_MILES,
        required=False,
        label="Within (miles)",
        error_messages={
            "invalid": RADIUS_MESSAGE,
            "min_value": RADIUS_MESSAGE,
            "max_value": RADIUS_MESSAGE,
        },
    )
    language = forms.ChoiceField(choices=[("", "Any language"), *LANGUAGES], required=False)
    age = forms.IntegerField(
        min_value=0,
        max_value=120,
        required=False,
        label="Age",
        error_messages={"invalid": AGE_MESSAGE, "min_value": AGE_MESSAGE, "max_value": AGE_MESSAGE},
    )
    q = forms.CharField(max_length=100, required=False, label="Name or words")

    def clean_postal_code(self):
        try:
            return normalize_zip(self.cleaned_data["postal_code"], required=False)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc

    def filters(self) -> dict:
        """
        The search's filters: every valid one, so an invalid field drops only itself and the search runs
        without it while the form shows the error (as the worklist filter does).
        """
        data = valid_filters(self)
        return {
            "need": data.get("need", ""),
            "postal_code": data.get("postal_code", ""),
            "radius_miles": data.get("radius"),
            "language": data.get("language", ""),
            "age": data.get("age"),
            "text": data.get("q", ""),
        }


class ReferralForm(forms.Form):
    need = forms.ChoiceField(choices=Need.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="What the patient needs")
    condition = forms.ChoiceField(required=False, label="Health concern it addresses")
    consent_by = forms.CharField(max_length=200, label="Consent given by")
    consent_method = forms.ChoiceField(
        choices=[("Verbal", "Verbal"), ("Signed form", "Signed form"), ("Portal", "Portal")], label="Consent given"
    )
    consent_on = forms.DateField(widget=DATE, label="Consent date")
    respond_by = forms.DateField(widget=DATE, label="Expect an answer by")
    consent_confirmed = forms.BooleanField(
        label="The patient agreed to share their name, date of birth, phone and language with the receiver"
    )

    def __init__(self, *args, conditions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].choices = [("", "None")] + [(str(c.public_id), c.display) for c in conditions]


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ReferralStatus.choices)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False, label="Note")
    outcome = forms.ChoiceField(choices=[("", "—"), *ReferralOutcome.choices], required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, statuses=None, **kwargs):
        """
        `statuses`: the ones the referral may move to now (domain.referral_next_statuses), the only ones offered.
        Any status still validates here, so a stale page gets the service's reason rather than "not a choice".
        """
        super().__init__(*args, **kwargs)
        if statuses is not None:
            self.fields["status"].widget.choices = [(s, ReferralStatus(s).label) for s in statuses]


class ReferralNoteForm(forms.Form):
    """
    A follow-up note on an open referral; the service says what is wrong with an empty one. Its ids start with
    "id_followup_" (the field names stay): the referral page also shows the status form, whose note is "id_note".
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_followup_%s")
        super().__init__(*args, **kwargs)

    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        label="Follow-up note",
        help_text="For example: called the food bank, no answer; or: the patient says intake is Tuesday.",
    )
    follow_up_on = forms.DateField(
        widget=DATE,
        required=False,
        label="Follow up again on",
        help_text="Optional: puts the follow-up on your worklist that day.",
    )


class SentReferralFilterForm(forms.Form):
    """The filters of the organization's sent referrals; an absent or invalid filter falls back to its default."""

    status = forms.ChoiceField(
        required=False,
        label="Show",
        choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")],
        error_messages={"invalid_choice": "Choose open, closed or all referrals."},
    )
    sent_by = forms.ChoiceField(
        required=False,
        label="Sent by",
        choices=[("organization", "My organization"), ("me", "Me")],
        error_messages={"invalid_choice": "Choose referrals sent by you or by anyone in the organization."},
    )

    def filters(self) -> dict:
        """The selector's keywords (selectors.sent_referrals): the valid filters, else the defaults."""
        data = valid_filters(self)
        return {"status": data.get("status") or "open", "mine": data.get("sent_by") == "me"}


class AgencyForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, required=False)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    website = forms.URLField(max_length=200, required=False, assume_scheme="https")
    linked_organization = forms.ChoiceField(required=False, label="Uses CareCoord as")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.public_id): o for o in organizations}
        self.fields["linked_organization"].choices = [("", "Does not use CareCoord")] + [
            (key, o.name) for key, o in self.organizations.items()
        ]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        data["linked_organization"] = self.organizations.get(data["linked_organization"] or "")
        return data


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000, required=False)
    needs = forms.MultipleChoiceField(choices=Need.choices, widget=forms.CheckboxSelectMultiple, label="Needs served")
    languages = forms.MultipleChoiceField(choices=LANGUAGES, required=False, widget=forms.CheckboxSelectMultiple)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(max_length=200, required=False, assume_scheme="https", label="Web page")
    eligibility_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000, required=False, label="Eligibility"
    )
    minimum_age = forms.IntegerField(min_value=0, max_value=120, required=False)
    maximum_age = forms.IntegerField(min_value=0, max_value=120, required=False)
    fees_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000, required=False, label="Fees"
    )
    application_process = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000, required=False)
    hours_text = forms.CharField(
        required=False, max_length=300, label="Hours", help_text="For example: Mon-Fri 9:00-17:00"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self):
        data = super().clean()
        low, high = data.get("minimum_age"), data.get("maximum_age")
        if low is not None and high is not None and low > high:
            self.add_error("maximum_age", "The maximum age is below the minimum age.")
        return data

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "hours_text")}
        hours = self.cleaned_data.get("hours_text", "").strip()
        data["hours"] = [{"description": hours}] if hours else []
        return data


class ServiceStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ServiceStatus.choices)


class LocationForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    address_1 = forms.CharField(max_length=200, label="Street address")
    city = forms.CharField(max_length=100)
    state = forms.ChoiceField(choices=US_STATES)
    postal_code = forms.RegexField(regex=r"^\d{5}(-\d{4})?$", label="ZIP code")
    latitude = forms.FloatField(min_value=-90, max_value=90, required=False)
    longitude = forms.FloatField(min_value=-180, max_value=180, required=False)
    transportation = forms.CharField(max_length=300, required=False, label="Getting there")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        return [single(item, initial) for item in data] if isinstance(data, list | tuple) else [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="HSDS files",
        help_text="One HSDS JSON file, or the CSV files of an HSDS package (organizations.csv, services.csv...).",
        widget=MultipleFileInput(attrs={"accept": ".json,.csv"}),
    )


class ThresholdForm(forms.Form):
    program = forms.ChoiceField(choices=BenefitProgram.choices)
    state = forms.ChoiceField(choices=[("", "All states"), *US_STATES], required=False)
    percent = forms.IntegerField(min_value=1, max_value=1000, label="Limit (% of poverty line)")
    source = forms.CharField(max_length=300, required=False)


def default_respond_by(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7)
