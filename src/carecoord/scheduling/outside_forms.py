"""Forms of outside appointments (booked by phone elsewhere). They validate input; outside_services act."""

import copy
import datetime as dt

from django import forms

from carecoord.directory.models import ExternalOrganizationKind
from carecoord.directory.selectors import external_organizations_for, practitioners_for

from .outside_services import OUTCOMES, practitioner_not_at_practice

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
REQUESTED, CONFIRMED = "requested", "confirmed"
# Where a patient goes for a visit (a lab draw included): pharmacies, payers, community and government offices
# are in the directory for other work.
VISIT_PLACES = (
    ExternalOrganizationKind.HOSPITAL,
    ExternalOrganizationKind.CLINIC,
    ExternalOrganizationKind.NURSING_HOME,
    ExternalOrganizationKind.HOME_HEALTH,
    ExternalOrganizationKind.THERAPY,
    ExternalOrganizationKind.LABORATORY,
    ExternalOrganizationKind.OTHER,
)


class OutsideAppointmentForm(forms.Form):
    """Record a visit at another practice: with whom, when, why, and whether the practice confirmed it."""

    external_organization = forms.ModelChoiceField(
        queryset=None, required=False, label="Practice", to_field_name="public_id", empty_label="Choose a practice…"
    )
    practitioner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Practitioner",
        to_field_name="public_id",
        empty_label="Not known",
        help_text="Name the practice, the practitioner, or both.",
    )
    date = forms.DateField(widget=DATE)
    time = forms.TimeField(widget=TIME, help_text="Local time of your organization.")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=5, max_value=480, initial=30)
    reason = forms.CharField(max_length=300, required=False)
    status = forms.ChoiceField(
        choices=[(REQUESTED, "Requested — the practice has yet to confirm"), (CONFIRMED, "Confirmed")],
        initial=REQUESTED,
        widget=forms.RadioSelect,
    )
    confirmed_with = forms.CharField(
        max_length=200, required=False, label="Confirmed with", help_text="Who at the practice confirmed it."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    track_summary = forms.BooleanField(required=False, initial=True, label="Track the visit summary")
    needs_transport = forms.BooleanField(required=False, label="Needs transport")
    needs_interpreter = forms.BooleanField(required=False, label="Needs an interpreter")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = actor.organization.tz
        self.fields["external_organization"].queryset = external_organizations_for(actor).filter(kind__in=VISIT_PLACES)
        self.fields["practitioner"].queryset = practitioners_for(actor)
        self.practice = self._chosen_practice()
        if self.practice is not None:
            self._offer_only_practitioners_of(self.practice)

    def _chosen_practice(self):
        """The practice chosen so far (submitted, or asked for by the page when the menu changes), if valid."""
        name = self.add_prefix("external_organization")
        value = self.data.get(name) if self.is_bound else self.initial.get("external_organization")
        try:
            return self.fields["external_organization"].clean(value) if value else None
        except forms.ValidationError:
            return None

    def _offer_only_practitioners_of(self, practice) -> None:
        """
        The menu lists the practice's practitioners (and "Not known"); the field still accepts any of the
        directory's so that clean() can say precisely why one is refused.
        """
        offered = copy.deepcopy(self.fields["practitioner"])
        offered.queryset = self.fields["practitioner"].queryset.filter(external_organization=practice)
        self.fields["practitioner"].widget.choices = offered.choices
        self.fields["practitioner"].help_text = f"Practitioners listed at {practice.name}."

    def clean(self):
        data = super().clean()
        if not data.get("external_organization") and not data.get("practitioner"):
            self.add_error("external_organization", "Name the practice or the practitioner the visit is with.")
        mismatch = practitioner_not_at_practice(data.get("practitioner"), data.get("external_organization"))
        if mismatch:
            self.add_error("practitioner", mismatch)
        if data.get("status") == CONFIRMED and not (data.get("confirmed_with") or "").strip():
            self.add_error("confirmed_with", "Say who at the practice confirmed the visit.")
        return data

    def service_kwargs(self) -> dict:
        """The cleaned data as `outside_appointment_record` takes it (the local date and time made aware)."""
        data = self.cleaned_data
        return {
            "external_organization": data["external_organization"],
            "practitioner": data["practitioner"],
            "start": dt.datetime.combine(data["date"], data["time"], tzinfo=self.tz),
            "duration_minutes": data["duration_minutes"],
            "reason": data["reason"],
            "confirmed": data["status"] == CONFIRMED,
            "confirmed_with": data["confirmed_with"],
            "notes": data["notes"],
            "track_summary": data["track_summary"],
            "needs_transport": data["needs_transport"],
            "needs_interpreter": data["needs_interpreter"],
        }


class ConfirmForm(forms.Form):
    confirmed_with = forms.CharField(max_length=200, label="Confirmed with")
    version = forms.IntegerField(widget=forms.HiddenInput)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(key, key.title()) for key in OUTCOMES])
    version = forms.IntegerField(widget=forms.HiddenInput)


class SummaryForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
