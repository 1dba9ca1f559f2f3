"""Forms of scheduling setup. They validate input; availability_services act."""

import datetime as dt

from django import forms

from carecoord.core.uploads import CheckedFileField

from .availability_rules import parse_days_before
from .choices import AppointmentTypeCode, UnavailabilityReason, Weekday
from .models import AppointmentType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_UPLOAD_BYTES = 1_000_000


class AppointmentTypeForm(forms.Form):
    name = forms.CharField(max_length=120)
    code = forms.ChoiceField(
        choices=AppointmentTypeCode.choices,
        initial=AppointmentTypeCode.ROUTINE,
        label="Kind of appointment",
        help_text="HL7 v2 table 0276, sent with the appointment to other systems.",
    )
    duration_minutes = forms.IntegerField(min_value=5, max_value=480, label="Length (minutes)")
    telehealth = forms.BooleanField(required=False, label="Telehealth visit")
    new_patient = forms.BooleanField(required=False, label="Only for patients new to the practitioner")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, kind: AppointmentType) -> dict:
        names = ("name", "code", "duration_minutes", "telehealth", "new_patient", "version")
        return {name: getattr(kind, name) for name in names}

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}


class HoursBlockForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(widget=TIME, label="From")
    end_time = forms.TimeField(widget=TIME, label="To")
    location = forms.ModelChoiceField(queryset=None)
    appointment_types = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Appointment types offered"
    )
    effective_from = forms.DateField(widget=DATE, required=False, label="First day", help_text="Blank: already.")
    effective_until = forms.DateField(widget=DATE, required=False, label="Last day", help_text="Blank: until changed.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, locations, appointment_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        self.fields["appointment_types"].queryset = appointment_types

    @classmethod
    def initial_for(cls, block) -> dict:
        names = ("weekday", "start_time", "end_time", "location", "effective_from", "effective_until", "version")
        return {**{name: getattr(block, name) for name in names}, "appointment_types": block.appointment_types.all()}

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The hours must end after they start.")
        first, last = data.get("effective_from"), data.get("effective_until")
        if first and last and last < first:
            self.add_error("effective_until", "The last day is before the first day.")
        return data

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.fields if name != "version"}
        data["appointment_types"] = list(data["appointment_types"])
        return data


class TimeAwayForm(forms.Form):
    """Time away in the organization's wall-clock time; cleaned values are aware datetimes in its zone."""

    start = forms.DateTimeField(widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    end = forms.DateTimeField(widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    reason = forms.ChoiceField(choices=UnavailabilityReason.choices)
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, tz, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def _local(self, name: str) -> dt.datetime | None:
        value = self.cleaned_data.get(name)
        # Django read the wall-clock time in the server's zone (UTC); the person meant the organization's.
        return value.replace(tzinfo=None).replace(tzinfo=self.tz) if value else None

    def clean_start(self):
        return self._local("start")

    def clean_end(self):
        return self._local("end")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The time away must end after it starts.")
        return data


class ClosedDateForm(forms.Form):
    date = forms.DateField(widget=DATE)
    name = forms.CharField(max_length=120, label="Reason", help_text="e.g. Staff training day")


class ReminderPolicyForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Send appointment reminders")
    days_before = forms.CharField(
        max_length=40, label="Days before the visit", help_text="Separate with commas, e.g. 3, 1 (each 1 to 30)."
    )
    send_time = forms.TimeField(widget=TIME, label="Time reminders go out", help_text="The organization's time.")
    needs_task_days_before = forms.IntegerField(
        min_value=0,
        max_value=30,
        label="Task a coordinator this many business days ahead",
        help_text="For visits that need transport or an interpreter.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, policy) -> dict:
        return {
            "enabled": policy.enabled,
            "days_before": ", ".join(str(day) for day in policy.days_before),
            "send_time": policy.send_time,
            "needs_task_days_before": policy.needs_task_days_before,
            "version": policy.version if policy.pk else None,
        }

    def clean_days_before(self):
        try:
            return parse_days_before(self.cleaned_data["days_before"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class HoursImportForm(forms.Form):
    file = CheckedFileField(
        text=True, max_bytes=MAX_UPLOAD_BYTES, label="CSV file", help_text="UTF-8 text, at most 1 MB."
    )
    replace = forms.BooleanField(
        required=False, label="Replace the current hours of the practitioners named in the file"
    )


class SlotPreviewForm(forms.Form):
    type = forms.ModelChoiceField(queryset=None, label="Appointment type", to_field_name="public_id")

    def __init__(self, *args, appointment_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = appointment_types
